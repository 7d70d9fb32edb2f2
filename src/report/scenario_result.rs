//! The result document of `hornet run` (`--json`): per request name, per
//! user class, setup and teardown steps, verdicts and the per-second
//! history. `scenario/` builds it from a run's stats; `report/` renders it
//! (tables, Locust CSV, HTML) and `hornet report` reads it back.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::smpp_result::SessionStats;
use super::tls::TlsReport;
use super::verdict::{InvariantVerdict, LimitVerdict};

/// Latency summary in microseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Latency {
    /// Samples.
    pub count: u64,
    /// Median.
    pub p50: u64,
    /// 90th percentile.
    pub p90: u64,
    /// 95th percentile.
    pub p95: u64,
    /// 99th percentile.
    pub p99: u64,
    /// 99.9th percentile.
    pub p999: u64,
    /// Slowest.
    pub max: u64,
    /// Mean.
    pub mean: f64,
}

/// One request name's line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NameResult {
    /// Request name (`Aggregated` for the total).
    pub name: String,
    /// The request type: the HTTP method, `SMPP` for submit_sm steps,
    /// empty for the total (Locust's `Type` column).
    #[serde(rename = "type")]
    pub kind: String,
    /// Requests started.
    pub requests: u64,
    /// Responses whose checks passed.
    pub passed: u64,
    /// Responses whose checks failed.
    pub check_failed: u64,
    /// Transport errors and timeouts.
    pub errors: u64,
    /// In flight when the run ended.
    pub interrupted: u64,
    /// Of the errors: requests never sent (their connection or SMPP bind
    /// never became usable). Not counted in `rps`.
    #[serde(default)]
    pub not_sent: u64,
    /// Requests sent per second over the load phase (not-sent ones left
    /// out).
    pub rps: f64,
    /// Response body bytes.
    pub bytes: u64,
    /// Responses by status.
    pub status: BTreeMap<String, u64>,
    /// Transport errors by kind (and `bind_failed`).
    pub error_kinds: BTreeMap<String, u64>,
    /// Details of errors that have one, `kind: reason` (e.g.
    /// `bind_failed: bind refused: ESME_RINVPASWD (0x0000000e)`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub error_reasons: BTreeMap<String, u64>,
    /// Check failures by reason.
    pub failures: BTreeMap<String, u64>,
    /// Latency (open model: from the iteration's intended start).
    pub latency_us: Latency,
    /// Latency from the actual send.
    pub service_us: Latency,
    /// Fastest response, microseconds.
    pub min_us: u64,
    /// The corrected-latency histogram: HdrHistogram V2 compressed, base64.
    #[serde(default)]
    pub histogram: String,
    /// Latency at Locust's CSV quantiles (not in the JSON: the CSV's).
    #[serde(skip)]
    pub quantiles_us: [u64; 11],
    /// Latency by percentile (for `--html`).
    #[serde(skip)]
    pub spectrum_us: Vec<(f64, u64)>,
}

/// One user class's share of the run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassResult {
    /// Class name.
    pub name: String,
    /// Its `weight` (arrivals in the open model, users in the closed one).
    pub weight: u32,
    /// Its `fixed_count`, if it has one.
    pub fixed_count: Option<u64>,
    /// Users started.
    pub users: u64,
    /// Task iterations started.
    pub iterations: u64,
    /// Task iterations that ran every step.
    pub iterations_done: u64,
}

/// The whole result document.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScenarioResult {
    /// Always `scenario`.
    pub kind: String,
    /// hornet's version.
    pub hornet_version: String,
    /// Profile file.
    pub profile: String,
    /// Profile description.
    pub description: Option<String>,
    /// `closed` or `open`.
    pub model: String,
    /// Planned load time, seconds.
    pub run_time_s: f64,
    /// Measured load time, seconds.
    pub elapsed_s: f64,
    /// Worker threads.
    pub threads: usize,
    /// Users started.
    pub users_started: u64,
    /// Task iterations started.
    pub iterations: u64,
    /// Task iterations that ran every step.
    pub iterations_done: u64,
    /// Open model: iterations started over 1 ms late (no free user).
    pub late_starts: u64,
    /// Open model: iterations started over 1 ms late because every allowed
    /// user was busy (raise `load.users`).
    pub starved_starts: u64,
    /// Open model: iterations due but not started at the end.
    pub not_started: u64,
    /// What limited the generator itself, if anything: late starts with
    /// users free, a worker near a full core.
    pub generator_notes: Vec<String>,
    /// TCP connections opened by users.
    pub connects: u64,
    /// Per user class (after `--user-class`), in profile order.
    #[serde(default)]
    pub classes: Vec<ClassResult>,
    /// Per request name, in profile order.
    pub requests: Vec<NameResult>,
    /// All names together.
    pub total: NameResult,
    /// Setup steps.
    pub setup: Vec<StepReport>,
    /// Teardown steps.
    pub teardown: Vec<StepReport>,
    /// Values captured by setup (`before`) and teardown (`after`).
    pub captured: BTreeMap<String, BTreeMap<String, String>>,
    /// Threshold verdicts.
    pub thresholds: Vec<LimitVerdict>,
    /// Invariant verdicts.
    pub invariants: Vec<InvariantVerdict>,
    /// Why the run stopped early, if it did.
    pub aborted: Option<String>,
    /// Ctrl-C (or SIGTERM) stopped the run, in whatever phase (setup,
    /// load, teardown); `aborted` says where.
    #[serde(default)]
    pub interrupted: bool,
    /// A worker failed (the results are partial).
    pub worker_error: Option<String>,
    /// Worker CPU seconds.
    pub cpu_s: f64,
    /// `pass` or `fail` (a threshold or invariant failed).
    pub verdict: String,
    /// One point per second of the load.
    pub history: Vec<HistoryPoint>,
    /// When the load started, Unix seconds.
    pub started_at: f64,
    /// Layout version of this document.
    #[serde(default)]
    pub schema_version: u32,
    /// TLS of the HTTP target (an `https://` host only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsReport>,
    /// TLS of the SMSC (`[target.smpp.tls]` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smpp_tls: Option<TlsReport>,
    /// The users' SMPP sessions (only when an `smpp` step ran).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smpp: Option<UsersSmpp>,
}

/// The users' SMPP sessions: the SMPP client's own counts over the run
/// (binds, the SMSC's requests, command statuses), named as in `hornet
/// smpp`'s result. Per-step submit results are in `requests`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UsersSmpp {
    /// Binds (one per user, kept across tasks), refusals, rebinds,
    /// unbinds from the SMSC.
    pub sessions: SessionStats,
    /// submit_sm responses by command_status, `"0x00000000": n`.
    pub command_status: BTreeMap<String, u64>,
    /// submit_sm answered ESME_RTHROTTLED or ESME_RMSGQFUL.
    pub throttled: u64,
    /// deliver_sm and data_sm received (receipts and mobile-originated),
    /// each answered.
    pub deliver_sm: u64,
    /// Of `deliver_sm`: delivery receipts.
    pub receipts: u64,
    /// enquire_link received from the SMSC, each answered.
    pub enquire_links_received: u64,
    /// generic_nack received.
    pub generic_nacks: u64,
    /// Responses to sequence numbers with nothing outstanding.
    pub unknown_responses: u64,
}

/// One second of the run: that interval's rates and latency, and the
/// totals so far (Locust's stats history, as data).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryPoint {
    /// Seconds since the load started.
    pub t_s: f64,
    /// Users alive.
    pub users: u64,
    /// Requests that ended in the interval.
    pub requests: u64,
    /// Of which failed.
    pub failures: u64,
    /// Requests per second in the interval.
    pub rps: f64,
    /// Failures per second in the interval.
    pub fps: f64,
    /// The interval's latency, microseconds.
    pub p50_us: u64,
    /// 95th percentile.
    pub p95_us: u64,
    /// 99th percentile.
    pub p99_us: u64,
    /// Slowest.
    pub max_us: u64,
    /// Requests that ended so far (responses, errors, timeouts).
    pub total_requests: u64,
    /// Failures so far.
    pub total_failures: u64,
    /// Responses so far (for the mean content size).
    #[serde(default)]
    pub total_responses: u64,
    /// Body bytes so far.
    #[serde(default)]
    pub total_bytes: u64,
    /// The interval's histogram per request name (names without responses
    /// left out): HdrHistogram V2 compressed, base64.
    #[serde(default)]
    pub histograms: BTreeMap<String, String>,
    /// The interval's latency at Locust's quantiles (CSV only).
    #[serde(skip)]
    pub quantiles_us: [u64; 11],
    /// Totals so far: median, mean, min, max latency (us) and mean body
    /// size (CSV only).
    #[serde(skip)]
    pub totals: (u64, f64, u64, u64, f64),
}

/// What one setup or teardown step did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepReport {
    /// Request name.
    pub name: String,
    /// Response status (0: no response).
    pub status: u16,
    /// Milliseconds.
    #[serde(rename = "ms")]
    pub millis: f64,
    /// `None` if it passed, else why not.
    pub failure: Option<String>,
}

impl ScenarioResult {
    /// True when every threshold and invariant held.
    pub fn passed(&self) -> bool {
        self.verdict == "pass"
    }
}
