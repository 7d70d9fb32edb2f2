//! What `hornet http` and `hornet smpp` show while they run: the live view
//! on stderr and, with `--prometheus`, the endpoint's snapshots, both fed
//! once per interval from the engine's collector.

use std::time::Duration;

use crate::cli::ConfigError;
use crate::metrics::collector::IntervalStat;
use crate::metrics::Metrics;
use crate::report::live::{Frame, LiveView};
use crate::report::prometheus::{
    render as render_prometheus, Series as PromSeries, Snapshot as PromSnapshot,
};
use crate::serve::prometheus::Exporter;

use super::AppError;

/// The live view of `hornet http` and `hornet smpp`: one name, errors by
/// kind accumulated from the intervals.
pub(super) struct EngineView {
    view: LiveView,
    interval: Duration,
    total_s: f64,
    shape: Option<std::sync::Arc<crate::load::Shape>>,
    label: &'static str,
    /// `http` or `smpp`: the TLS target label for Prometheus.
    protocol: &'static str,
    name: String,
    errors: [u64; crate::metrics::ErrorKind::COUNT],
    /// TLS failures so far by reason (shown instead of the bare `tls` kind).
    tls_errors: [u64; crate::tls::TlsReason::COUNT],
    /// `--prometheus`: the endpoint and the run's metrics so far.
    pub(super) exporter: Option<Exporter>,
    so_far: Metrics,
}

impl EngineView {
    pub(super) fn new(
        quiet: bool,
        load: &crate::plan::LoadPlan,
        (protocol, label): (&'static str, &'static str),
        name: String,
    ) -> EngineView {
        EngineView {
            view: LiveView::new(quiet),
            interval: load.interval,
            total_s: load.duration.as_secs_f64(),
            shape: match &load.model {
                crate::load::LoadModel::Open { shape } => Some(shape.clone()),
                crate::load::LoadModel::Closed => None,
            },
            label,
            protocol,
            name,
            errors: [0; crate::metrics::ErrorKind::COUNT],
            tls_errors: [0; crate::tls::TlsReason::COUNT],
            exporter: None,
            so_far: Metrics::default(),
        }
    }

    /// One interval: accumulates its errors, publishes the Prometheus
    /// snapshot (if asked) and redraws the live view.
    pub(super) fn update(&mut self, stat: &IntervalStat, m: &Metrics) {
        for (a, b) in self.errors.iter_mut().zip(m.counters.errors) {
            *a += b;
        }
        let t = self.interval.as_secs_f64() * (stat.index + 1) as f64;
        // The stage and target in the middle of the interval just shown.
        let mid = (t - self.interval.as_secs_f64() / 2.0) * 1e9;
        if let Some(t) = &m.tls {
            for (a, b) in self.tls_errors.iter_mut().zip(t.errors) {
                *a += b;
            }
        }
        let tls_reasons = crate::tls::TlsReason::ALL
            .iter()
            .filter(|r| self.tls_errors[**r as usize] > 0)
            .map(|r| (format!("tls {}", r.name()), self.tls_errors[*r as usize]));
        let mut errors: Vec<(String, u64)> = crate::metrics::ErrorKind::ALL
            .iter()
            .filter(|k| self.errors[**k as usize] > 0)
            .map(|k| (k.name().to_string(), self.errors[*k as usize]))
            .collect();
        // The live view lists TLS failures by reason (connections) instead
        // of the bare `tls` kind (requests); Prometheus has both apart.
        let by_reason = self.tls_errors.iter().any(|n| *n > 0);
        let mut shown: Vec<(String, u64)> = errors
            .iter()
            .filter(|(k, _)| !(by_reason && k == "tls"))
            .cloned()
            .chain(tls_reasons)
            .collect();
        shown.sort_by_key(|e| std::cmp::Reverse(e.1));
        errors.sort_by_key(|e| std::cmp::Reverse(e.1));
        self.publish(stat, m, &errors, mid);
        let c = &stat.cumulative;
        self.view.update(&Frame {
            elapsed_s: t,
            total_s: self.total_s,
            stage: self.shape.as_ref().and_then(|s| s.stage_label(mid)),
            rate: stat.completed as f64 / self.interval.as_secs_f64(),
            target_rate: self.shape.as_ref().map(|s| s.level_at(mid)),
            active: stat.open_connections,
            active_label: self.label,
            p50_us: stat.quantiles_us[0],
            p95_us: stat.quantiles_us[5],
            p99_us: stat.quantiles_us[7],
            total_requests: c.requests,
            total_failures: c.failures,
            errors: shown,
            top: vec![(self.name.clone(), c.requests, c.failures)],
        });
    }

    /// `--prometheus`: the run so far (`errors` by kind, most first; `mid`
    /// the middle of the interval, ns, for the target rate).
    fn publish(&mut self, stat: &IntervalStat, m: &Metrics, errors: &[(String, u64)], mid: f64) {
        let Some(e) = &self.exporter else {
            return;
        };
        let c = &stat.cumulative;
        self.so_far.merge(m);
        let statuses = crate::report::common::status_map(&self.so_far.counters);
        let snap = PromSnapshot {
            series: vec![PromSeries {
                name: &self.name,
                requests: c.requests,
                failures: c.failures,
                statuses,
                errors: errors.iter().cloned().collect(),
                latency: &self.so_far.latency,
            }],
            active: stat.open_connections,
            active_label: self.label,
            rate: stat.completed as f64 / self.interval.as_secs_f64(),
            target_rate: self.shape.as_ref().map(|s| s.level_at(mid)),
            tls: self
                .so_far
                .tls
                .as_deref()
                .map(|t| (self.protocol, t))
                .into_iter()
                .collect(),
        };
        e.publish(render_prometheus(&snap));
    }

    pub(super) fn finish(&mut self) {
        self.view.finish();
    }
}

/// Starts the `--prometheus` endpoint, if asked, and says where it is.
pub(super) fn start_exporter(addr: Option<&str>) -> Result<Option<Exporter>, AppError> {
    let Some(addr) = addr else {
        return Ok(None);
    };
    let e = Exporter::start(addr).map_err(|source| {
        AppError::Config(ConfigError::Output {
            flag: "--prometheus",
            path: addr.to_string(),
            source,
        })
    })?;
    eprintln!("prometheus metrics on http://{}/metrics", e.addr());
    Ok(Some(e))
}
