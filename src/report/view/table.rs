//! A result document's per-name table, failures and per-interval history,
//! in the shape of Locust's CSV files ([`CsvReport`]): what the CSV
//! files, the summary's table and the HTML page all show.

use crate::metrics::quantiles::Cumulative;
use crate::report::common::TimelinePoint;
use crate::report::locust_csv::{CsvReport, HistoryRow, StatsRow};
use crate::report::scenario_result::{NameResult, ScenarioResult};
use crate::report::smpp_result::SmppResult;
use crate::report::HttpResult;

impl CsvReport {
    /// From a profile run.
    pub fn from_scenario(r: &ScenarioResult) -> CsvReport {
        let row = |n: &NameResult| {
            let responses = n.passed + n.check_failed;
            // Locust counts requests that ended; interrupted ones did not.
            let ended = n.requests - n.interrupted;
            StatsRow {
                kind: n.kind.clone(),
                name: n.name.clone(),
                requests: ended,
                failures: n.check_failed + n.errors,
                sent: ended.saturating_sub(n.not_sent),
                latency: Cumulative {
                    requests: ended,
                    failures: n.check_failed + n.errors,
                    median_us: n.latency_us.p50,
                    mean_us: n.latency_us.mean,
                    min_us: n.min_us,
                    max_us: n.latency_us.max,
                    avg_size: n.bytes as f64 / responses.max(1) as f64,
                },
                quantiles_us: n.quantiles_us,
            }
        };
        let mut failures = Vec::new();
        for n in &r.requests {
            for (reason, count) in n.failures.iter().chain(&n.error_kinds) {
                failures.push((n.kind.clone(), n.name.clone(), reason.clone(), *count));
            }
        }
        CsvReport {
            elapsed_s: r.elapsed_s,
            stats: r
                .requests
                .iter()
                .chain(std::iter::once(&r.total))
                .map(row)
                .collect(),
            failures,
            history: r
                .history
                .iter()
                .map(|h| {
                    let (median_us, mean_us, min_us, max_us, avg_size) = h.totals;
                    HistoryRow {
                        t_s: h.t_s,
                        timestamp: (r.started_at + h.t_s) as u64,
                        users: h.users,
                        rps: h.rps,
                        fps: h.fps,
                        // No response in the second (only errors): no latency.
                        quantiles_us: (h.max_us > 0).then_some(h.quantiles_us),
                        total: Cumulative {
                            requests: h.total_requests,
                            failures: h.total_failures,
                            median_us,
                            mean_us,
                            min_us,
                            max_us,
                            avg_size,
                        },
                    }
                })
                .collect(),
        }
    }

    /// From `hornet http`: one name, the URL's path.
    pub fn from_http(r: &HttpResult) -> CsvReport {
        let name = crate::report::common::url_name(&r.config.url);
        let not_ok: u64 = r
            .status
            .iter()
            .filter(|(code, _)| !code.starts_with('2') && !code.starts_with('3'))
            .map(|(_, n)| n)
            .sum();
        let mut failures: Vec<(String, String, String, u64)> = r
            .status
            .iter()
            .filter(|(code, _)| !code.starts_with('2') && !code.starts_with('3'))
            .map(|(code, n)| {
                (
                    r.config.method.clone(),
                    name.clone(),
                    format!("HTTP {code}"),
                    *n,
                )
            })
            .collect();
        failures.extend(
            r.errors
                .iter()
                .map(|(k, n)| (r.config.method.clone(), name.clone(), k.clone(), *n)),
        );
        let ended = r.requests + r.failed + r.timed_out;
        let failed = not_ok + r.failed + r.timed_out;
        let latency = Cumulative {
            requests: ended,
            failures: failed,
            median_us: r.latency_us.p50,
            mean_us: r.latency_us.mean,
            min_us: r.min_us,
            max_us: r.latency_us.max,
            avg_size: r.body_bytes as f64 / r.requests.max(1) as f64,
        };
        one_name(
            &r.config.method,
            &name,
            latency,
            r.quantiles_us,
            failures,
            &r.timeline,
            r.started_at,
            r.duration_s,
        )
    }

    /// From `hornet smpp`: one name, `submit_sm`.
    pub fn from_smpp(r: &SmppResult) -> CsvReport {
        let name = "submit_sm".to_string();
        let mut failures: Vec<(String, String, String, u64)> = r
            .command_status
            .iter()
            .filter(|(st, _)| st.as_str() != "0x00000000")
            .map(|(st, n)| {
                (
                    "SMPP".into(),
                    name.clone(),
                    format!("command_status {st}"),
                    *n,
                )
            })
            .collect();
        failures.extend(
            r.errors
                .iter()
                .map(|(k, n)| ("SMPP".into(), name.clone(), k.clone(), *n)),
        );
        let ended = r.requests + r.failed + r.timed_out;
        let latency = Cumulative {
            requests: ended,
            failures: (r.requests - r.ok.min(r.requests)) + r.failed + r.timed_out,
            median_us: r.latency_us.p50,
            mean_us: r.latency_us.mean,
            min_us: r.min_us,
            max_us: r.latency_us.max,
            avg_size: 0.0,
        };
        one_name(
            "SMPP",
            &name,
            latency,
            r.quantiles_us,
            failures,
            &r.timeline,
            r.started_at,
            r.duration_s,
        )
    }
}

/// A one-name report (`hornet http`, `hornet smpp`) with its history from
/// the run's timeline.
#[allow(clippy::too_many_arguments)]
fn one_name(
    kind: &str,
    name: &str,
    latency: Cumulative,
    quantiles_us: [u64; 11],
    failures: Vec<(String, String, String, u64)>,
    timeline: &[TimelinePoint],
    started_at: f64,
    elapsed_s: f64,
) -> CsvReport {
    let row = |kind: &str, name: &str| StatsRow {
        kind: kind.to_string(),
        name: name.to_string(),
        requests: latency.requests,
        failures: latency.failures,
        sent: latency.requests,
        latency,
        quantiles_us,
    };
    let mut prev = (0.0, Cumulative::default());
    let history = timeline
        .iter()
        .map(|p| {
            let dt = (p.t_s - prev.0).max(1e-9);
            let requests = p.cumulative.requests.saturating_sub(prev.1.requests);
            let failures = p.cumulative.failures.saturating_sub(prev.1.failures);
            prev = (p.t_s, p.cumulative);
            HistoryRow {
                t_s: p.t_s,
                timestamp: (started_at + p.t_s) as u64,
                users: p.connections,
                rps: requests as f64 / dt,
                fps: failures as f64 / dt,
                quantiles_us: (p.requests > 0).then_some(p.quantiles_us),
                total: p.cumulative,
            }
        })
        .collect();
    CsvReport {
        elapsed_s,
        stats: vec![row(kind, name), row("", "Aggregated")],
        failures,
        history,
    }
}
