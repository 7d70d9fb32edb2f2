//! What a profile run shows while it runs: the live view's frame and the
//! `--prometheus` text, both read from the totals merged so far.

use super::history::History;
use crate::metrics::{NameStats, RunStats};
use crate::profile::Scenario;
use crate::report::live::Frame;

/// The live view's frame: the last complete second, totals so far, errors
/// by kind and reason, the busiest names.
pub(super) fn frame(
    sc: &Scenario,
    total: &RunStats,
    t: &NameStats,
    history: &History,
    now_ns: u64,
) -> Frame {
    let last = history.last();
    let mut errors: std::collections::BTreeMap<String, u64> = std::collections::BTreeMap::new();
    for n in &total.names {
        for k in crate::metrics::ErrorKind::ALL {
            if n.errors[k as usize] > 0 {
                *errors.entry(k.name().to_string()).or_default() += n.errors[k as usize];
            }
        }
        for (r, c) in &n.reasons {
            *errors.entry(r.describe(sc)).or_default() += c;
        }
        for (r, c) in &n.error_reasons {
            *errors.entry(r.describe()).or_default() += c;
        }
    }
    let mut errors: Vec<(String, u64)> = errors.into_iter().collect();
    errors.sort_by_key(|e| std::cmp::Reverse(e.1));
    let mut top: Vec<(String, u64, u64)> = sc
        .names
        .iter()
        .zip(&total.names)
        .filter(|(_, n)| n.requests > 0)
        .map(|(name, n)| (name.clone(), n.requests, n.failed()))
        .collect();
    top.sort_by_key(|e| std::cmp::Reverse(e.1));
    let (shape, open) = match &sc.load.model {
        crate::profile::scenario::LoadModel::Closed { shape } => (shape, false),
        crate::profile::scenario::LoadModel::Open { shape, .. } => (shape, true),
    };
    Frame {
        elapsed_s: now_ns as f64 / 1e9,
        total_s: sc.load.run_time.as_secs_f64(),
        stage: shape.stage_label(now_ns as f64),
        rate: last.map_or(0.0, |p| p.rps),
        target_rate: open.then(|| shape.level_at(now_ns as f64)),
        active: history.users_now(),
        active_label: "users",
        p50_us: last.map_or(0, |p| p.p50_us),
        p95_us: last.map_or(0, |p| p.p95_us),
        p99_us: last.map_or(0, |p| p.p99_us),
        total_requests: t.requests,
        total_failures: t.failed(),
        errors,
        top,
    }
}

/// The `--prometheus` text: every request name's counters so far.
pub(super) fn prometheus_text(sc: &Scenario, total: &RunStats, f: &Frame) -> String {
    use crate::report::prometheus::{render, Series, Snapshot};
    let series = sc
        .names
        .iter()
        .zip(&total.names)
        .map(|(name, n)| {
            let mut errors: std::collections::BTreeMap<String, u64> = n
                .reasons
                .iter()
                .map(|(r, c)| (r.describe(sc), *c))
                .collect();
            for k in crate::metrics::ErrorKind::ALL {
                if n.errors[k as usize] > 0 {
                    errors.insert(k.name().to_string(), n.errors[k as usize]);
                }
            }
            if n.bind_failed > 0 {
                errors.insert("bind_failed".into(), n.bind_failed);
            }
            Series {
                name,
                requests: n.responses() + n.error_total(),
                failures: n.failed(),
                statuses: n.status.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
                errors,
                latency: &n.latency,
            }
        })
        .collect();
    render(&Snapshot {
        series,
        active: f.active,
        active_label: "users",
        rate: f.rate,
        target_rate: f.target_rate,
        tls: [
            (
                "http",
                &total.http_tls,
                sc.http.as_ref().is_some_and(|t| t.tls.is_some()),
            ),
            (
                "smpp",
                &total.smpp_tls,
                sc.smpp.as_ref().is_some_and(|t| t.tls.is_some()),
            ),
        ]
        .into_iter()
        .filter(|(_, _, on)| *on)
        .map(|(target, t, _)| (target, t))
        .collect(),
    })
}
