//! The result of a scenario run: the JSON document (`--json`), built from
//! the merged stats (the tables printed after the run are `summary.rs`).

use crate::report::tls::TlsReport;
use std::collections::BTreeMap;
use std::time::Duration;

use hdrhistogram::Histogram;

use super::verdict::{self, LimitVerdict};
use crate::metrics::quantiles::{locust_quantiles, spectrum};
use crate::metrics::smpp::SmppMetrics;
use crate::metrics::{ErrorKind, NameStats, RunStats};
use crate::profile::scenario::{LoadModel, Step};
use crate::profile::values::Value;
use crate::profile::Scenario;
pub use crate::report::scenario_result::{
    ClassResult, HistoryPoint, Latency, NameResult, ScenarioResult, StepReport, UsersSmpp,
};
use crate::report::smpp_result::{command_status_map, SessionStats};

impl Latency {
    fn of(h: &Histogram<u64>) -> Latency {
        if h.is_empty() {
            return Latency::default();
        }
        Latency {
            count: h.len(),
            p50: h.value_at_quantile(0.5),
            p90: h.value_at_quantile(0.9),
            p95: h.value_at_quantile(0.95),
            p99: h.value_at_quantile(0.99),
            p999: h.value_at_quantile(0.999),
            max: h.max(),
            mean: h.mean(),
        }
    }
}

impl NameResult {
    fn of(sc: &Scenario, name: &str, kind: &str, n: &NameStats, secs: f64) -> NameResult {
        let mut failures = BTreeMap::new();
        for (f, c) in &n.reasons {
            *failures.entry(f.describe(sc)).or_default() += c;
        }
        NameResult {
            name: name.to_string(),
            kind: kind.to_string(),
            histogram: crate::metrics::codec::encode(&n.latency),
            min_us: if n.latency.is_empty() {
                0
            } else {
                n.latency.min()
            },
            quantiles_us: locust_quantiles(&n.latency),
            spectrum_us: spectrum(&n.latency),
            requests: n.requests,
            passed: n.passed,
            check_failed: n.check_failed,
            errors: n.error_total(),
            interrupted: n.interrupted,
            not_sent: n.not_sent,
            rps: n.sent() as f64 / secs.max(1e-9),
            bytes: n.bytes,
            status: n.status.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
            error_kinds: ErrorKind::ALL
                .iter()
                .filter(|k| n.errors[**k as usize] > 0)
                .map(|k| (k.name().to_string(), n.errors[*k as usize]))
                .chain((n.bind_failed > 0).then(|| ("bind_failed".to_string(), n.bind_failed)))
                .collect(),
            error_reasons: n
                .error_reasons
                .iter()
                .map(|(d, c)| (d.describe(), *c))
                .collect(),
            failures,
            latency_us: Latency::of(&n.latency),
            service_us: Latency::of(&n.service),
        }
    }
}

impl HistoryPoint {
    /// A point at `t_ns` from the interval's stats and the totals so far.
    pub fn new(
        t_ns: u64,
        users: u64,
        interval: &NameStats,
        total: &NameStats,
        secs: f64,
    ) -> HistoryPoint {
        let q = locust_quantiles(&interval.latency);
        let l = &total.latency;
        let ended = interval.passed + interval.check_failed + interval.error_total();
        HistoryPoint {
            t_s: t_ns as f64 / 1e9,
            users,
            requests: ended,
            failures: interval.failed(),
            // Requests never sent are errors, not throughput.
            rps: ended.saturating_sub(interval.not_sent) as f64 / secs,
            fps: interval.failed() as f64 / secs,
            p50_us: q[0],
            p95_us: q[5],
            p99_us: q[7],
            max_us: q[10],
            total_requests: total.responses() + total.error_total(),
            total_failures: total.failed(),
            total_responses: total.responses(),
            total_bytes: total.bytes,
            histograms: BTreeMap::new(),
            quantiles_us: q,
            totals: totals_of(l, total.bytes, total.responses()),
        }
    }
}

impl ScenarioResult {
    /// Builds the result from the merged stats.
    #[allow(clippy::too_many_arguments)]
    pub fn build(
        sc: &Scenario,
        stats: &RunStats,
        elapsed: Duration,
        cpu: Duration,
        globals: &[Value],
        setup: Vec<StepReport>,
        teardown: Vec<StepReport>,
        aborted: Option<String>,
        worker_error: Option<String>,
        history: Vec<HistoryPoint>,
    ) -> ScenarioResult {
        let secs = elapsed.as_secs_f64();
        let thresholds: Vec<LimitVerdict> = sc
            .thresholds
            .iter()
            .flat_map(|t| verdict::threshold(sc, t, stats, elapsed))
            .collect();
        let invariants = verdict::invariants(sc, stats, globals);
        let total = stats.total();
        // A run where nothing was answered passes nothing, whatever its
        // thresholds say about the empty set.
        let answered = total.requests == 0 || total.responses() > 0;
        let pass =
            answered && thresholds.iter().all(|t| t.pass) && invariants.iter().all(|i| i.pass);
        ScenarioResult {
            kind: "scenario".into(),
            hornet_version: env!("CARGO_PKG_VERSION").into(),
            profile: sc.file.display().to_string(),
            description: sc.description.clone(),
            model: match sc.load.model {
                LoadModel::Closed { .. } => "closed",
                LoadModel::Open { .. } => "open",
            }
            .into(),
            run_time_s: sc.load.run_time.as_secs_f64(),
            elapsed_s: secs,
            threads: sc.load.threads,
            users_started: stats.users_started,
            iterations: stats.iterations,
            iterations_done: stats.iterations_done,
            late_starts: stats.late_starts,
            starved_starts: stats.starved_starts,
            generator_notes: generator_notes(sc, stats, elapsed, cpu),
            not_started: stats.not_started,
            connects: stats.connects,
            classes: classes(sc, stats),
            requests: load_requests(sc, stats, secs),
            total: NameResult::of(sc, "Aggregated", "", &total, secs),
            setup,
            teardown,
            captured: captured(sc, globals),
            thresholds,
            invariants,
            aborted,
            interrupted: false,
            worker_error,
            cpu_s: cpu.as_secs_f64(),
            verdict: if pass { "pass" } else { "fail" }.into(),
            history,
            started_at: 0.0,
            schema_version: crate::report::common::SCHEMA_VERSION,
            tls: TlsReport::of(
                sc.http.as_ref().and_then(|t| t.tls.as_ref()),
                &stats.http_tls,
                secs,
            ),
            smpp_tls: TlsReport::of(
                sc.smpp.as_ref().and_then(|t| t.tls.as_ref()),
                &stats.smpp_tls,
                secs,
            ),
            smpp: stats.smpp.as_deref().map(|s| UsersSmpp::of(s, sc.timeout)),
        }
    }

    /// Restores what the JSON leaves out (CSV and chart figures) from the
    /// encoded histograms, after reading a saved result.
    pub fn rehydrate(&mut self) -> Result<(), String> {
        for n in self
            .requests
            .iter_mut()
            .chain(std::iter::once(&mut self.total))
        {
            let h = crate::metrics::codec::decode(&n.histogram)?;
            n.min_us = if h.is_empty() { 0 } else { h.min() };
            n.quantiles_us = locust_quantiles(&h);
            n.spectrum_us = spectrum(&h);
        }
        let mut so_far = crate::metrics::new_histogram();
        for p in &mut self.history {
            let mut interval = crate::metrics::new_histogram();
            for enc in p.histograms.values() {
                let h = crate::metrics::codec::decode(enc)?;
                interval.add(&h).map_err(|e| format!("histogram: {e:?}"))?;
            }
            so_far
                .add(&interval)
                .map_err(|e| format!("histogram: {e:?}"))?;
            p.quantiles_us = locust_quantiles(&interval);
            p.totals = totals_of(&so_far, p.total_bytes, p.total_responses);
        }
        Ok(())
    }

    /// Sets the wall-clock start (Unix seconds).
    pub fn started_at(mut self, unix_s: f64) -> ScenarioResult {
        self.started_at = unix_s;
        self
    }
}

/// The request names the load ran, with their kind (method or `SMPP`);
/// setup and teardown requests are reported apart, not as load.
fn load_requests(sc: &Scenario, stats: &RunStats, secs: f64) -> Vec<NameResult> {
    let mut kinds: Vec<Option<&str>> = vec![None; sc.names.len()];
    for c in &sc.classes {
        for step in c
            .on_start
            .iter()
            .chain(c.tasks.iter().flat_map(|t| &t.steps))
        {
            let (name, kind) = match step {
                Step::Http(h) => (h.name, &*h.method),
                Step::Smpp(s) => (s.name, "SMPP"),
                Step::Sleep(_) => continue,
            };
            kinds[name].get_or_insert(kind);
        }
    }
    sc.names
        .iter()
        .zip(&stats.names)
        .zip(kinds)
        .filter_map(|((name, n), kind)| Some(NameResult::of(sc, name, kind?, n, secs)))
        .collect()
}

/// What each user class did.
fn classes(sc: &Scenario, stats: &RunStats) -> Vec<ClassResult> {
    sc.classes
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let n = stats.classes.get(i).copied().unwrap_or_default();
            ClassResult {
                name: c.name.clone(),
                weight: c.weight,
                fixed_count: c.fixed_count,
                users: n.users,
                iterations: n.iterations,
                iterations_done: n.iterations_done,
            }
        })
        .collect()
}

/// Values captured by setup (`before`) and teardown (`after`). They pass
/// the redaction rule every output shares: a token captured by a login
/// never reaches the terminal or a file.
fn captured(sc: &Scenario, globals: &[Value]) -> BTreeMap<String, BTreeMap<String, String>> {
    let named = |names: &[String], vals: &[Value]| -> BTreeMap<String, String> {
        names
            .iter()
            .zip(vals)
            .map(|(n, v)| {
                let shown = v.display();
                let shown = crate::report::common::redact_value(n, &shown, &sc.secrets);
                (n.clone(), shown.to_string())
            })
            .collect()
    };
    let mut captured = BTreeMap::new();
    captured.insert(
        "before".to_string(),
        named(&sc.globals, &globals[..sc.globals.len()]),
    );
    captured.insert(
        "after".to_string(),
        named(&sc.teardown_vars, &globals[sc.globals.len()..]),
    );
    captured
}

impl UsersSmpp {
    /// From the users' SMPP counts; `timeout` words an unanswered bind.
    fn of(s: &SmppMetrics, timeout: Duration) -> UsersSmpp {
        UsersSmpp {
            sessions: SessionStats::of(s, timeout),
            command_status: command_status_map(s),
            throttled: s.throttled,
            deliver_sm: s.deliver_sm,
            receipts: s.receipts,
            enquire_links_received: s.enquire_links_received,
            generic_nacks: s.generic_nacks,
            unknown_responses: s.unknown_responses,
        }
    }
}

/// Notes on the generator itself being a bottleneck.
fn generator_notes(
    sc: &Scenario,
    stats: &RunStats,
    elapsed: Duration,
    cpu: Duration,
) -> Vec<String> {
    let mut notes = Vec::new();
    let late_share = stats.late_starts as f64 / stats.iterations.max(1) as f64;
    let busy = cpu.as_secs_f64() / (elapsed.as_secs_f64().max(1e-9) * sc.load.threads as f64);
    if stats.late_starts > 0 && late_share > 0.01 {
        // Late with users free: hornet's CPU or the machine's, said apart.
        notes.push(crate::report::common::lateness_note(
            "iterations (users free)",
            stats.late_starts,
            stats.iterations,
            busy,
            None,
        ));
    }
    if busy > 0.9 {
        notes.push(format!(
            "the workers used {:.0}% of {} cores: the generator may have been CPU-bound (add threads)",
            busy * 100.0,
            sc.load.threads
        ));
    }
    notes
}

/// The totals-so-far columns: median, mean, min, max latency (us) and the
/// mean body size.
fn totals_of(l: &Histogram<u64>, bytes: u64, responses: u64) -> (u64, f64, u64, u64, f64) {
    if l.is_empty() {
        (0, 0.0, 0, 0, 0.0)
    } else {
        (
            l.value_at_quantile(0.5),
            l.mean(),
            l.min(),
            l.max(),
            bytes as f64 / responses.max(1) as f64,
        )
    }
}
