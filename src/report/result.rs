//! The result document: the one model every report is rendered from, and
//! the JSON schema (`--json`) that scripts depend on.
//!
//! Built once from the merged metrics after the run; the terminal summary
//! and the JSON file are both views of it, so they can never disagree.

use std::collections::BTreeMap;

use crate::metrics::quantiles::{locust_quantiles, spectrum};
use serde::{Deserialize, Serialize};

use super::common::{
    connect_errors_map, connections_lost_map, errors_map, generator, model_of, rehydrate_timeline,
    started_at, status_map, timeline, Generator, Percentiles, StageReport, TimelinePoint,
    SCHEMA_VERSION,
};
use super::tls::TlsReport;
use crate::engine::RunOutput;
use crate::plan::HttpPlan;

/// The run's configuration as it was executed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunConfig {
    /// Target URL.
    pub url: String,
    /// Request method.
    pub method: String,
    /// "closed" or "open".
    pub model: String,
    /// Open model: target total requests per second (the peak with stages).
    pub rate: Option<f64>,
    /// Open model with `--stages`: the stages; null for a constant rate or
    /// the closed model.
    pub stages: Option<Vec<StageReport>>,
    /// Connections opened at the start.
    pub connections: usize,
    /// Open model pool cap.
    pub max_connections: usize,
    /// Worker threads.
    pub threads: usize,
    /// Requests in flight per connection.
    pub pipeline: usize,
    /// One request per connection (`--new-conn`).
    #[serde(default)]
    pub new_conn: bool,
    /// Load phase length, seconds.
    pub duration_s: f64,
    /// Request timeout, seconds.
    pub timeout_s: f64,
    /// Connect timeout, seconds.
    pub connect_timeout_s: f64,
}

/// The complete result of an HTTP run. Serialized as the `--json` file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HttpResult {
    /// hornet version that produced it.
    pub hornet_version: String,
    /// What was run.
    pub config: RunConfig,
    /// Requests the load model scheduled.
    pub scheduled: u64,
    /// Responses received (any status).
    pub requests: u64,
    /// Responses with a 2xx or 3xx status.
    pub ok: u64,
    /// Requests that ended in a connection or parse error.
    pub failed: u64,
    /// Requests with no response within the timeout.
    pub timed_out: u64,
    /// Requests scheduled but never written when the run ended.
    pub not_sent: u64,
    /// Requests written and still unanswered when a signal (Ctrl-C,
    /// SIGTERM) cut the drain short after its 0.3 s grace: hornet stopped
    /// waiting for them. 0 unless the run was interrupted.
    #[serde(default)]
    pub abandoned: u64,
    /// Wall time from the start until every request was settled, seconds.
    pub duration_s: f64,
    /// Responses per second over `duration_s`.
    pub throughput: f64,
    /// Latency from the intended start (coordinated-omission corrected).
    pub latency_us: Percentiles,
    /// Latency from the actual write.
    pub latency_uncorrected_us: Percentiles,
    /// Responses by status code.
    pub status: BTreeMap<String, u64>,
    /// Failed and timed-out requests by error kind.
    pub errors: BTreeMap<String, u64>,
    /// TCP connections established during the run.
    pub connections_opened: u64,
    /// Most connections open at once (sampled each interval).
    pub connections_peak: u64,
    /// Latency samples beyond one hour, recorded as one hour.
    pub clamped_samples: u64,
    /// Failed connection attempts by error kind (events, not requests).
    pub connect_errors: BTreeMap<String, u64>,
    /// Usable connections that failed with no request in flight, by error
    /// kind (events: no request failed with them).
    #[serde(default)]
    pub connections_lost: BTreeMap<String, u64>,
    /// The generator's own health.
    pub generator: Generator,
    /// Per-interval series.
    pub timeline: Vec<TimelinePoint>,
    /// When the load started, Unix seconds.
    #[serde(default)]
    pub started_at: f64,
    /// Layout version of this document.
    #[serde(default)]
    pub schema_version: u32,
    /// The whole run's corrected-latency histogram: HdrHistogram V2
    /// compressed, base64.
    #[serde(default)]
    pub latency_histogram: String,
    /// Response body bytes received.
    #[serde(default)]
    pub body_bytes: u64,
    /// Ctrl-C or SIGTERM stopped the load before its duration; everything else is
    /// complete for the time it ran.
    #[serde(default)]
    pub interrupted: bool,
    /// `--threshold` verdicts, in the order given (absent without one).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub thresholds: Vec<super::verdict::LimitVerdict>,
    /// With `--threshold`: `pass` or `fail`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<String>,
    /// TLS settings, handshakes and failures (https:// runs only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsReport>,
    /// Fastest response, microseconds (for `--csv`; not in the JSON).
    #[serde(skip)]
    pub min_us: u64,
    /// Latency at Locust's CSV quantiles (for `--csv`).
    #[serde(skip)]
    pub quantiles_us: [u64; 11],
    /// Latency by percentile (for `--html`).
    #[serde(skip)]
    pub spectrum_us: Vec<(f64, u64)>,
}

impl HttpResult {
    /// Builds the result from a finished run.
    pub fn new(plan: &HttpPlan, out: &RunOutput) -> HttpResult {
        let m = &out.collected.totals;
        let c = &m.counters;
        let elapsed = out.elapsed.as_secs_f64();
        let status = status_map(c);
        let errors = errors_map(c);
        let load = &plan.load;
        let (model, rate, stages) = model_of(load);
        HttpResult {
            hornet_version: env!("CARGO_PKG_VERSION").to_string(),
            config: RunConfig {
                // Secrets in the URL (user info, `?token=`) stay out of
                // the file, as out of every other output.
                url: crate::report::common::redact_url(&plan.url),
                method: plan.method.clone(),
                model: model.to_string(),
                rate,
                stages,
                connections: load.connections,
                max_connections: load.max_connections,
                threads: load.threads,
                pipeline: plan.pipeline,
                new_conn: plan.new_conn,
                duration_s: load.duration.as_secs_f64(),
                timeout_s: load.timeout.as_secs_f64(),
                connect_timeout_s: load.connect_timeout.as_secs_f64(),
            },
            scheduled: c.scheduled,
            requests: c.completed,
            ok: c.ok,
            failed: c.failed,
            timed_out: c.timed_out,
            not_sent: c.not_sent,
            abandoned: c.abandoned,
            duration_s: elapsed,
            throughput: if elapsed > 0.0 {
                c.completed as f64 / elapsed
            } else {
                0.0
            },
            latency_us: Percentiles::of(&m.latency),
            latency_uncorrected_us: Percentiles::of(&m.latency_uncorrected),
            status,
            errors,
            connections_opened: c.connects,
            connections_peak: out.collected.peak_connections,
            clamped_samples: c.clamped,
            connect_errors: connect_errors_map(c),
            connections_lost: connections_lost_map(c),
            generator: generator(load, out),
            timeline: timeline(load, out),
            started_at: started_at(out.elapsed),
            schema_version: SCHEMA_VERSION,
            latency_histogram: crate::metrics::codec::encode(&m.latency),
            min_us: if m.latency.is_empty() {
                0
            } else {
                m.latency.min()
            },
            quantiles_us: locust_quantiles(&m.latency),
            spectrum_us: spectrum(&m.latency),
            body_bytes: c.body_bytes,
            tls: TlsReport::new(load.tls.as_ref(), m, elapsed),
            interrupted: out.interrupted,
            thresholds: Vec::new(),
            verdict: None,
        }
    }

    /// True when `scheduled = completed + failed + timed_out + not_sent +
    /// abandoned`.
    pub fn accounting_holds(&self) -> bool {
        self.scheduled
            == self.requests + self.failed + self.timed_out + self.not_sent + self.abandoned
    }

    /// True when the run could not work at all: requests were scheduled and
    /// not one got a response.
    pub fn nothing_worked(&self) -> bool {
        self.scheduled > 0 && self.requests == 0
    }
}

impl HttpResult {
    /// Restores what the JSON leaves out (CSV and chart figures) from the
    /// encoded histograms, after reading a saved result.
    pub fn rehydrate(&mut self) -> Result<(), String> {
        let h = crate::metrics::codec::decode(&self.latency_histogram)?;
        self.min_us = if h.is_empty() { 0 } else { h.min() };
        self.quantiles_us = locust_quantiles(&h);
        self.spectrum_us = spectrum(&h);
        rehydrate_timeline(&mut self.timeline)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::LoadModel;
    use crate::metrics::collector::Collected;
    use crate::metrics::{ErrorKind, Metrics, Recorder};
    use std::time::Duration;

    fn plan(model: LoadModel) -> HttpPlan {
        HttpPlan {
            load: crate::plan::LoadPlan {
                addr: "127.0.0.1:1".parse().unwrap(),
                threads: 2,
                connections: 4,
                max_connections: 4,
                model,
                duration: Duration::from_secs(2),
                timeout: Duration::from_secs(1),
                connect_timeout: Duration::from_secs(1),
                interval: Duration::from_secs(1),
                tls: None,
            },
            url: "http://127.0.0.1:1/".into(),
            method: "GET".into(),
            request: Vec::new(),
            head_request: false,
            pipeline: 1,
            new_conn: false,
            limits: Default::default(),
        }
    }

    fn output(rec: Recorder, cpu: [u64; 2]) -> RunOutput {
        let mut rec = rec;
        let totals = rec.swap(Metrics::default());
        RunOutput {
            collected: Collected {
                totals,
                series: Vec::new(),
                worker_cpu: cpu.iter().map(|ms| Duration::from_millis(*ms)).collect(),
                peak_connections: 4,
            },
            elapsed: Duration::from_secs(2),
            interrupted: false,
        }
    }

    #[test]
    fn a_generator_behind_schedule_is_called_out() {
        let mut rec = Recorder::new();
        rec.scheduled(100);
        for i in 0..100 {
            rec.schedule_lag(if i < 5 { 3_000_000 } else { 10_000 });
            rec.completed(200, 0, 0, 1_000_000);
        }
        let r = HttpResult::new(
            &plan(LoadModel::Open {
                shape: std::sync::Arc::new(crate::load::Shape::constant(
                    50.0,
                    Duration::from_secs(2),
                )),
            }),
            &output(rec, [100, 100]),
        );
        assert!(r.accounting_holds());
        assert_eq!(r.generator.late_sends, 5);
        assert!(r.generator.bottleneck);
        assert!(r.generator.notes[0].contains("fell behind its schedule"));
    }

    #[test]
    fn a_saturated_worker_is_called_out_and_a_calm_run_is_not() {
        let mut rec = Recorder::new();
        rec.scheduled(1);
        rec.completed(200, 0, 0, 1_000);
        let calm = HttpResult::new(&plan(LoadModel::Closed), &output(rec, [100, 200]));
        assert!(!calm.generator.bottleneck, "{:?}", calm.generator);
        assert!((calm.generator.cpu_s - 0.3).abs() < 1e-9);
        let mut rec = Recorder::new();
        rec.scheduled(1);
        rec.completed(200, 0, 0, 1_000);
        let busy = HttpResult::new(&plan(LoadModel::Closed), &output(rec, [1_950, 200]));
        assert!(busy.generator.bottleneck);
        assert!(busy.generator.notes[0].contains("of a core"));
    }

    #[test]
    fn nothing_worked_means_no_response_at_all() {
        let mut rec = Recorder::new();
        rec.scheduled(3);
        rec.failed(ErrorKind::ConnectRefused, 3);
        let r = HttpResult::new(&plan(LoadModel::Closed), &output(rec, [0, 0]));
        assert!(r.nothing_worked());
        assert_eq!(r.errors.get("connect_refused"), Some(&3));
        assert!(r.accounting_holds());
    }
}
