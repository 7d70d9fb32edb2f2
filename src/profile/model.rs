//! The profile file as written: serde types that mirror the TOML one to one.
//!
//! Every table rejects unknown keys, and every value with rules of its own
//! (durations, ratios) checks them while deserializing, so the `toml` crate
//! reports the offending key with its line and column. Checks that need the
//! whole file (unknown variables, names that do not exist) happen in
//! `compile`, which uses the spans kept here.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;
use toml::Spanned;

/// A whole profile file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawProfile {
    /// Free text shown in the report header.
    #[serde(default)]
    pub description: Option<String>,
    /// Where the traffic goes.
    pub target: RawTarget,
    /// How much load, for how long.
    #[serde(default)]
    pub load: RawLoad,
    /// Constants usable in templates.
    #[serde(default)]
    pub vars: BTreeMap<String, Spanned<toml::Value>>,
    /// Variables read from the environment: `name = "ENV_VAR"` or
    /// `name = "ENV_VAR:-default"`.
    #[serde(default)]
    pub env: BTreeMap<String, Spanned<String>>,
    /// CSV data feeds by name.
    #[serde(default)]
    pub data: BTreeMap<String, Spanned<RawData>>,
    /// Steps run once before the load.
    #[serde(default)]
    pub setup: Vec<Spanned<RawStep>>,
    /// Steps run once after the load.
    #[serde(default)]
    pub teardown: Vec<Spanned<RawStep>>,
    /// User classes.
    #[serde(default, rename = "user")]
    pub users: Vec<Spanned<RawUser>>,
    /// Pass/fail limits on the results.
    #[serde(default, rename = "threshold")]
    pub thresholds: Vec<Spanned<RawThreshold>>,
    /// Assertions over captured values and the run's counters.
    #[serde(default)]
    pub invariants: Vec<Spanned<String>>,
}

/// `[target]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTarget {
    /// Base URL of the HTTP API, e.g. `http://localhost:8000`.
    #[serde(default)]
    pub host: Option<Spanned<String>>,
    /// Headers sent with every HTTP request (templates).
    #[serde(default)]
    pub headers: BTreeMap<String, Spanned<String>>,
    /// Request timeout (default 10s).
    #[serde(default)]
    pub timeout: Option<Dur>,
    /// Connect timeout (default 5s).
    #[serde(default)]
    pub connect_timeout: Option<Dur>,
    /// The SMSC for SMPP steps.
    #[serde(default)]
    pub smpp: Option<Spanned<RawSmppTarget>>,
    /// TLS options for an `https://` host.
    #[serde(default)]
    pub tls: Option<Spanned<RawTls>>,
}

/// `[target.tls]` and `[target.smpp.tls]`: the TLS flags of `hornet http`
/// and `hornet smpp`, per target.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTls {
    /// CA certificates (PEM) to trust instead of the platform's roots;
    /// relative to the profile's directory.
    #[serde(default)]
    pub cacert: Option<Spanned<String>>,
    /// Client certificate chain (PEM).
    #[serde(default)]
    pub cert: Option<Spanned<String>>,
    /// Client certificate key (PEM).
    #[serde(default)]
    pub key: Option<Spanned<String>>,
    /// Skip certificate verification.
    #[serde(default)]
    pub insecure: bool,
    /// Server name to send and verify.
    #[serde(default)]
    pub sni: Option<Spanned<String>>,
    /// Lowest version: "1.2" (default) or "1.3".
    #[serde(default)]
    pub min_version: Option<Spanned<String>>,
    /// Resume sessions on reconnect (default true).
    #[serde(default)]
    pub resume: Option<bool>,
}

/// `[target.smpp]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSmppTarget {
    /// `HOST:PORT`.
    pub endpoint: Spanned<String>,
    /// Bind system_id (template: may use env variables).
    pub system_id: Spanned<String>,
    /// Bind password (template).
    #[serde(default)]
    pub password: Option<Spanned<String>>,
    /// Bind system_type.
    #[serde(default)]
    pub system_type: Option<String>,
    /// SMPP over TLS with these options (an empty table: defaults).
    #[serde(default)]
    pub tls: Option<Spanned<RawTls>>,
}

/// `[load]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLoad {
    /// `closed` (users loop over tasks) or `open` (arrivals start tasks).
    #[serde(default)]
    pub model: Option<Spanned<String>>,
    /// Closed model: concurrent users. Open model: most users at once.
    #[serde(default)]
    pub users: Option<Spanned<u64>>,
    /// Users started per second (closed model); default all at once.
    #[serde(default)]
    pub spawn_rate: Option<Spanned<f64>>,
    /// Open model: task iterations started per second.
    #[serde(default)]
    pub rate: Option<Spanned<f64>>,
    /// Linear ramps, the first from 0: users (closed) or iterations/s
    /// (open).
    #[serde(default)]
    pub stages: Vec<RawStage>,
    /// Shorthand for stair-step stages.
    #[serde(default)]
    pub step: Option<Spanned<RawStepShape>>,
    /// Shorthand for a spike: base, a fast ramp to a peak, back to base.
    #[serde(default)]
    pub spike: Option<Spanned<RawSpike>>,
    /// How long the load runs.
    #[serde(default)]
    pub run_time: Option<Dur>,
    /// Stop after this many task iterations in all.
    #[serde(default)]
    pub iterations: Option<Spanned<u64>>,
    /// Worker threads (default: one per core, at most the users).
    #[serde(default)]
    pub threads: Option<Spanned<u64>>,
    /// Seed of the random choices (task picks, think times, random
    /// values), for runs that repeat exactly; default from the clock.
    #[serde(default)]
    pub seed: Option<u64>,
}

/// One `{ duration, target }` of `stages`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStage {
    /// How long the ramp lasts.
    pub duration: Dur,
    /// Users or rate reached at its end.
    pub target: Spanned<f64>,
}

/// `step = { start, step, every, steps }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStepShape {
    /// Level of the first step.
    #[serde(default)]
    pub start: f64,
    /// Added at each step.
    pub step: f64,
    /// How long each level holds.
    pub every: Dur,
    /// Number of levels.
    pub steps: u32,
}

/// `spike = { base, peak, before, ramp, hold, after }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSpike {
    /// Level before and after the spike.
    pub base: f64,
    /// Level at the top of the spike.
    pub peak: f64,
    /// Time at base before the spike (at base from the first instant).
    pub before: Dur,
    /// Ramp time from base to peak and back.
    #[serde(default)]
    pub ramp: Option<Dur>,
    /// Time at the peak.
    pub hold: Dur,
    /// Time at base after the spike.
    #[serde(default)]
    pub after: Option<Dur>,
}

/// `[data.NAME]`: a CSV feed.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawData {
    /// CSV file with a header row, relative to the profile.
    pub file: Spanned<String>,
    /// `per_user` (each user walks the rows from its own start) or
    /// `shared` (all users take the next row of one cursor).
    #[serde(default)]
    pub cursor: Option<Spanned<String>>,
}

/// `[[user]]`: a user class.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawUser {
    /// Class name (`--user-class`).
    pub name: Spanned<String>,
    /// Share of users (Locust's `weight`).
    #[serde(default)]
    pub weight: Option<Spanned<u32>>,
    /// Fixed users of this class (Locust's `fixed_count`).
    #[serde(default)]
    pub fixed_count: Option<u64>,
    /// Constant think time after each task.
    #[serde(default)]
    pub think: Option<Dur>,
    /// Uniform think time `[min, max]`.
    #[serde(default)]
    pub think_between: Option<Spanned<[Dur; 2]>>,
    /// Constant pacing: each task starts this long after the previous one
    /// started (Locust's `constant_pacing`).
    #[serde(default)]
    pub pacing: Option<Dur>,
    /// Steps each user runs once when it starts (log in).
    #[serde(default)]
    pub on_start: Vec<Spanned<RawStep>>,
    /// Weighted tasks.
    #[serde(default, rename = "task")]
    pub tasks: Vec<Spanned<RawStep>>,
    /// Run tasks in order instead of picking by weight.
    #[serde(default)]
    pub sequential: bool,
}

/// A request, a sleep, an SMPP submit, or (as a task) a flow of steps.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStep {
    /// Name results are grouped by (default `METHOD path`).
    #[serde(default)]
    pub name: Option<Spanned<String>>,
    /// Task weight (tasks only).
    #[serde(default)]
    pub weight: Option<Spanned<u32>>,
    /// A flow: steps run in order (tasks only).
    #[serde(default)]
    pub steps: Option<Vec<Spanned<RawStep>>>,
    /// Pause this long (a step of its own).
    #[serde(default)]
    pub sleep: Option<Dur>,
    /// HTTP method (default GET, or POST with a body).
    #[serde(default)]
    pub method: Option<Spanned<String>>,
    /// Path and query, template (e.g. `/orders/{{ order_id }}/pay`).
    #[serde(default)]
    pub path: Option<Spanned<String>>,
    /// Extra headers (templates).
    #[serde(default)]
    pub headers: BTreeMap<String, Spanned<String>>,
    /// JSON body: strings in it are templates.
    #[serde(default)]
    pub json: Option<Spanned<toml::Value>>,
    /// Raw body (template).
    #[serde(default)]
    pub body: Option<Spanned<String>>,
    /// Values to capture from the response into user variables.
    #[serde(default)]
    pub extract: BTreeMap<String, Spanned<RawExtract>>,
    /// What makes the response a success.
    #[serde(default)]
    pub check: Option<Spanned<RawCheck>>,
    /// An SMPP submit_sm instead of an HTTP request.
    #[serde(default)]
    pub smpp: Option<Spanned<RawSmppSubmit>>,
}

/// One `extract` entry: exactly one of `json`, `header`, `regex`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawExtract {
    /// RFC 6901 JSON pointer into the body, e.g. `/access`.
    #[serde(default)]
    pub json: Option<String>,
    /// Response header name.
    #[serde(default)]
    pub header: Option<String>,
    /// Regex over the body; the first capture group (or the whole match).
    #[serde(default)]
    pub regex: Option<String>,
}

/// `check = { ... }`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCheck {
    /// Statuses that pass (default: below 400).
    #[serde(default)]
    pub status: Option<Vec<u16>>,
    /// The body must contain this text.
    #[serde(default)]
    pub body_contains: Option<String>,
    /// JSON value comparisons.
    #[serde(default)]
    pub json: Vec<Spanned<RawJsonCheck>>,
}

/// `{ pointer, op, value }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawJsonCheck {
    /// RFC 6901 pointer.
    pub pointer: String,
    /// `==`, `!=`, `<`, `<=`, `>`, `>=`, or `exists`.
    #[serde(default)]
    pub op: Option<String>,
    /// Value compared against.
    #[serde(default)]
    pub value: Option<toml::Value>,
}

/// `smpp = { source, destination, text }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSmppSubmit {
    /// source_addr (template).
    #[serde(default)]
    pub source: Option<Spanned<String>>,
    /// destination_addr (template).
    pub destination: Spanned<String>,
    /// Short message text (template), GSM 7-bit default alphabet or UCS-2.
    pub text: Spanned<String>,
    /// Ask for a delivery receipt.
    #[serde(default)]
    pub registered_delivery: bool,
}

/// `[[threshold]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawThreshold {
    /// Request name it applies to; absent: all requests.
    #[serde(default)]
    pub request: Option<Spanned<String>>,
    /// Upper bound on the median latency.
    #[serde(default)]
    pub p50: Option<Dur>,
    /// Upper bound on the 90th percentile latency.
    #[serde(default)]
    pub p90: Option<Dur>,
    /// Upper bound on the 95th percentile latency.
    #[serde(default)]
    pub p95: Option<Dur>,
    /// Upper bound on the 99th percentile latency.
    #[serde(default)]
    pub p99: Option<Dur>,
    /// Upper bound on the 99.9th percentile latency.
    #[serde(default)]
    pub p999: Option<Dur>,
    /// Upper bound on the slowest request latency.
    #[serde(default)]
    pub max: Option<Dur>,
    /// Upper bound on the mean latency.
    #[serde(default)]
    pub mean: Option<Dur>,
    /// Highest share of failed requests.
    #[serde(default)]
    pub error_rate: Option<Ratio>,
    /// Lowest share of requests whose checks passed.
    #[serde(default)]
    pub checks: Option<Ratio>,
    /// Lowest throughput, requests per second over the run.
    #[serde(default)]
    pub rps: Option<Spanned<f64>>,
    /// Abort the run once this threshold has failed for this long.
    #[serde(default)]
    pub abort_after: Option<Dur>,
}

/// A duration written as text: `10s`, `500ms`, `1m30s`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Dur(pub Duration);

impl<'de> Deserialize<'de> for Dur {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Dur;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a duration such as \"10s\", \"500ms\" or \"1m30s\"")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Dur, E> {
                let d = humantime::parse_duration(v.trim()).map_err(|e| {
                    E::custom(format!(
                        "invalid duration \"{v}\": {e} (examples: 10s, 500ms, 1m30s)"
                    ))
                })?;
                // Deadlines are u64 nanoseconds on the run clock: keep every
                // duration far from where that would wrap.
                if d > crate::vocab::limits::MAX_DURATION {
                    return Err(E::custom(format!(
                        "duration \"{v}\" is too long (at most 30 days)"
                    )));
                }
                Ok(Dur(d))
            }
        }
        d.deserialize_str(V)
    }
}

/// A share: `0.01` or `"1%"`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ratio(pub f64);

impl<'de> Deserialize<'de> for Ratio {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl V {
            fn check<E: de::Error>(v: f64) -> Result<Ratio, E> {
                if (0.0..=1.0).contains(&v) {
                    Ok(Ratio(v))
                } else {
                    Err(E::custom(format!(
                        "{v} is not a share between 0 and 1 (or 0% and 100%)"
                    )))
                }
            }
        }
        impl Visitor<'_> for V {
            type Value = Ratio;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a share such as 0.01 or \"1%\"")
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Ratio, E> {
                V::check(v)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Ratio, E> {
                V::check(v as f64)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Ratio, E> {
                let t = v.trim();
                let parsed = match t.strip_suffix('%') {
                    Some(p) => p.trim().parse::<f64>().map(|x| x / 100.0),
                    None => t.parse::<f64>(),
                };
                match parsed {
                    // Say it back as written: "150%", not 1.5.
                    Ok(x) if x.is_finite() => V::check(x).map_err(|_: E| {
                        E::custom(format!(
                            "\"{v}\" is not a share between 0 and 1 (or 0% and 100%)"
                        ))
                    }),
                    _ => Err(E::custom(format!(
                        "invalid share \"{v}\" (examples: 0.01, \"1%\")"
                    ))),
                }
            }
        }
        d.deserialize_any(V)
    }
}
