//! The one model every output of a run reads: the per-name table and
//! the per-interval history (Locust's CSV files, the summary's table, the
//! HTML page), the latency spectrum, the accounting line, the verdicts and
//! notes, the TLS sections, and the interval histograms of the
//! HdrHistogram log.
//!
//! Each result document ([`HttpResult`], [`SmppResult`],
//! [`ScenarioResult`]) is put into this shape once, here; the renderers
//! (`locust_csv.rs`, `html.rs`, `hdr_log.rs`) know nothing of the
//! documents. The JSON is the document itself.
//!
//! One job per file: this one, the page's shape and the log; `table.rs`
//! the per-name table and history ([`CsvReport`]).

mod table;

use super::common::TimelinePoint;
use super::locust_csv::CsvReport;
use super::scenario_result::ScenarioResult;
use super::smpp_result::SmppResult;
use super::tls::TlsReport;
use super::verdict::LimitVerdict;
use super::HttpResult;

/// A run as every output reads it.
#[derive(Debug)]
pub struct RunView {
    /// Page title.
    pub title: String,
    /// `pass` / `fail` for profile runs, `None` otherwise.
    pub verdict: Option<bool>,
    /// Configuration rows (secrets redacted).
    pub config: Vec<(String, String)>,
    /// Table, failures and the per-second history.
    pub csv: CsvReport,
    /// What the history's user column counts.
    pub users_label: &'static str,
    /// Latency by percentile of all requests, (quantile, us).
    pub spectrum_us: Vec<(f64, u64)>,
    /// The accounting line.
    pub accounting: String,
    /// Threshold and invariant verdicts: (pass, what, detail).
    pub checks: Vec<(bool, String, String)>,
    /// Warnings (generator bottleneck, abort).
    pub notes: Vec<String>,
    /// TLS sections: (heading, report), one per TLS target.
    pub tls: Vec<(&'static str, TlsReport)>,
    /// The interval histograms, per request name, for the HdrHistogram log.
    pub log: Vec<LogEntry>,
    /// When the load started, Unix seconds.
    pub started_unix_s: f64,
}

/// One interval histogram of an HdrHistogram log rebuilt from a result.
#[derive(Debug, Clone, PartialEq)]
pub struct LogEntry {
    /// The request name (the log's tag).
    pub name: String,
    /// Seconds from the start of the load.
    pub start_s: f64,
    /// Length of the interval, seconds.
    pub length_s: f64,
    /// The histogram, HdrHistogram V2 compressed, base64 (empty: none).
    pub histogram: String,
}

/// A configuration row, redacted by the rule every output shares.
pub(super) fn redact(k: &str, v: String) -> (String, String) {
    let shown = crate::report::common::redact_value(k, &v, &[]);
    (k.to_string(), shown.to_string())
}

impl RunView {
    /// From `hornet http`.
    pub fn from_http(r: &HttpResult) -> RunView {
        let c = &r.config;
        let config = vec![
            redact("url", crate::report::common::redact_url(&c.url)),
            redact("method", c.method.clone()),
            redact("model", c.model.clone()),
            redact("rate", c.rate.map_or("-".into(), |x| format!("{x}/s"))),
            redact("connections", c.connections.to_string()),
            redact("threads", c.threads.to_string()),
            redact("pipeline", c.pipeline.to_string()),
            redact("duration", format!("{}s", c.duration_s)),
            redact("timeout", format!("{}s", c.timeout_s)),
        ];
        let (checks, verdict) = cli_checks(&r.thresholds, r.verdict.as_deref());
        RunView {
            title: format!(
                "hornet http {} {}",
                c.method,
                crate::report::common::redact_url(&c.url)
            ),
            verdict,
            config,
            csv: CsvReport::from_http(r),
            users_label: "open connections",
            spectrum_us: r.spectrum_us.clone(),
            accounting: engine_accounting(
                "completed",
                [r.scheduled, r.requests, r.failed, r.timed_out, r.not_sent],
                r.abandoned,
            ),
            checks,
            notes: notes(&r.generator.notes, r.interrupted),
            tls: r.tls.iter().map(|t| ("TLS", t.clone())).collect(),
            log: timeline_log(&crate::vocab::redact::url_name(&c.url), &r.timeline),
            started_unix_s: r.started_at,
        }
    }

    /// From `hornet smpp`.
    pub fn from_smpp(r: &SmppResult) -> RunView {
        let c = &r.config;
        let config = vec![
            redact("endpoint", c.endpoint.clone()),
            redact("bind", c.bind.clone()),
            redact("system_id", c.system_id.clone()),
            redact("interface version", c.interface_version.clone()),
            redact("model", c.model.clone()),
            redact("rate", c.rate.map_or("-".into(), |x| format!("{x}/s"))),
            redact("sessions", c.sessions.to_string()),
            redact("window", c.window.to_string()),
            redact("threads", c.threads.to_string()),
            redact("duration", format!("{}s", c.duration_s)),
        ];
        let (checks, verdict) = cli_checks(&r.thresholds, r.verdict.as_deref());
        RunView {
            title: format!("hornet smpp {}", c.endpoint),
            verdict,
            config,
            csv: CsvReport::from_smpp(r),
            users_label: "open binds",
            spectrum_us: r.spectrum_us.clone(),
            accounting: engine_accounting(
                "answered",
                [r.scheduled, r.requests, r.failed, r.timed_out, r.not_sent],
                r.abandoned,
            ),
            checks,
            notes: notes(&r.generator.notes, r.interrupted),
            tls: r.tls.iter().map(|t| ("TLS", t.clone())).collect(),
            log: timeline_log("submit_sm", &r.timeline),
            started_unix_s: r.started_at,
        }
    }

    /// From `hornet run`.
    pub fn from_scenario(r: &ScenarioResult) -> RunView {
        let mut config = vec![
            redact("profile", r.profile.clone()),
            redact("model", r.model.clone()),
            redact("run time", format!("{}s", r.run_time_s)),
            redact("threads", r.threads.to_string()),
            redact("users started", r.users_started.to_string()),
            redact("iterations", r.iterations.to_string()),
        ];
        if let Some(d) = &r.description {
            config.insert(0, redact("description", d.clone()));
        }
        let mut checks: Vec<(bool, String, String)> = r
            .thresholds
            .iter()
            .map(|t| {
                (
                    t.pass,
                    format!("{}: {}", t.request, t.limit),
                    format!("actual {}", t.actual),
                )
            })
            .collect();
        checks.extend(
            r.invariants
                .iter()
                .map(|i| (i.pass, i.expr.clone(), i.detail.clone())),
        );
        let mut notes = r.generator_notes.clone();
        notes.extend(r.aborted.iter().map(|a| format!("aborted: {a}")));
        let t = &r.total;
        RunView {
            title: format!("hornet run {}", r.profile),
            verdict: Some(r.passed()),
            config,
            csv: CsvReport::from_scenario(r),
            users_label: "users",
            spectrum_us: t.spectrum_us.clone(),
            accounting: format!(
                "{} requests = {} passed + {} failed checks + {} errors + {} interrupted",
                t.requests, t.passed, t.check_failed, t.errors, t.interrupted
            ),
            checks,
            notes,
            tls: r
                .tls
                .iter()
                .map(|t| ("TLS", t.clone()))
                .chain(r.smpp_tls.iter().map(|t| ("SMSC TLS", t.clone())))
                .collect(),
            log: scenario_log(r),
            started_unix_s: r.started_at,
        }
    }
}

/// The generator's notes, plus one for a run SIGINT or SIGTERM stopped
/// early.
fn notes(generator: &[String], interrupted: bool) -> Vec<String> {
    let mut notes = generator.to_vec();
    if interrupted {
        notes.push(format!(
            "{}: the load stopped early",
            crate::interrupt::label()
        ));
    }
    notes
}

/// `--threshold` verdicts as the page's checks, and the verdict.
fn cli_checks(
    thresholds: &[LimitVerdict],
    verdict: Option<&str>,
) -> (Vec<(bool, String, String)>, Option<bool>) {
    (
        thresholds
            .iter()
            .map(|t| (t.pass, t.limit.clone(), format!("actual {}", t.actual)))
            .collect(),
        verdict.map(|v| v == "pass"),
    )
}

/// The accounting line of a `hornet http` or `hornet smpp` run: scheduled
/// = `answered` (the word for a request that got its answer) + failed +
/// timed out + not sent (+ abandoned, when any were).
fn engine_accounting(answered: &str, counts: [u64; 5], abandoned: u64) -> String {
    let [scheduled, ok, failed, timed_out, not_sent] = counts;
    format!(
        "scheduled {scheduled} = {answered} {ok} + failed {failed} + timed out {timed_out} + not sent {not_sent}{}",
        super::summary::abandoned_term(abandoned)
    )
}

/// The log entries of one name over a per-interval timeline.
pub fn timeline_log(name: &str, timeline: &[TimelinePoint]) -> Vec<LogEntry> {
    let mut prev = 0.0;
    timeline
        .iter()
        .map(|p| {
            let e = LogEntry {
                name: name.to_string(),
                start_s: prev,
                length_s: p.t_s - prev,
                histogram: p.histogram.clone(),
            };
            prev = p.t_s;
            e
        })
        .collect()
}

/// Each second's histogram per request name of a profile run.
fn scenario_log(r: &ScenarioResult) -> Vec<LogEntry> {
    let mut log = Vec::new();
    let mut prev = 0.0;
    for p in &r.history {
        for (name, h) in &p.histograms {
            log.push(LogEntry {
                name: name.clone(),
                start_s: prev,
                length_s: p.t_s - prev,
                histogram: h.clone(),
            });
        }
        prev = p.t_s;
    }
    log
}
