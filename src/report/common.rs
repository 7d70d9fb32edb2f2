//! Pieces every result document shares, whatever the protocol: latency
//! percentiles, the generator's health, the per-interval timeline and the
//! error map.

use std::collections::BTreeMap;

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use crate::engine::RunOutput;
use crate::load::LoadModel;
use crate::metrics::quantiles::Cumulative;
use crate::metrics::{Counters, ErrorKind};
use crate::plan::LoadPlan;

/// Open-model sends more than this late (as a share of all sends), or a
/// schedule-lag p99 above 1 ms, mean the generator was a bottleneck.
const LATE_SHARE_LIMIT: f64 = 0.01;
const LAG_P99_LIMIT_US: u64 = 1000;
/// A worker busier than this share of one core was likely saturated.
const BUSY_LIMIT: f64 = 0.9;
/// Lateness with workers busier than this (share of one core) is put down
/// to hornet's own CPU; below it, to the machine (other processes, CPU
/// steal, power saving) that kept hornet's threads from running.
const CPU_BOUND_SHARE: f64 = 0.5;

/// Why a schedule slipped, in words that tell hornet's own CPU from the
/// machine's: `late` of `total` `what` (sends, iterations) started more
/// than 1 ms after their intended time while the busiest worker used
/// `busy` of a core. `lag` adds the schedule lag p99 (microseconds) where
/// it is measured. The one wording of `hornet http`, `hornet smpp` and
/// `hornet run`.
pub fn lateness_note(what: &str, late: u64, total: u64, busy: f64, lag: Option<u64>) -> String {
    let share = late as f64 / total.max(1) as f64 * 100.0;
    let lag = lag.map_or(String::new(), |us| format!(", schedule lag p99 {us} us"));
    let head = format!(
        "the generator fell behind its schedule: {late} of {total} {what} ({share:.1}%) more than 1 ms late{lag}"
    );
    if busy >= CPU_BOUND_SHARE {
        format!(
            "{head}, with the busiest worker at {:.0}% of a core: hornet's own CPU was the limit (add threads or cores)",
            busy * 100.0
        )
    } else {
        format!(
            "{head}, while hornet's busiest worker used only {:.0}% of a core: the machine, not hornet's CPU, delayed them (other processes, CPU steal in a VM, power saving); latency is still measured from the intended times",
            busy * 100.0
        )
    }
}

/// Latency distribution summary, microseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Percentiles {
    /// Samples in the distribution.
    pub count: u64,
    /// Median.
    pub p50: u64,
    /// 90th percentile.
    pub p90: u64,
    /// 99th percentile.
    pub p99: u64,
    /// 99.9th percentile.
    pub p999: u64,
    /// Largest sample.
    pub max: u64,
    /// Arithmetic mean.
    pub mean: f64,
}

impl Percentiles {
    /// Summarises a histogram (all zeros when empty).
    pub fn of(h: &Histogram<u64>) -> Percentiles {
        if h.is_empty() {
            return Percentiles::default();
        }
        Percentiles {
            count: h.len(),
            p50: h.value_at_quantile(0.5),
            p90: h.value_at_quantile(0.9),
            p99: h.value_at_quantile(0.99),
            p999: h.value_at_quantile(0.999),
            max: h.max(),
            mean: h.mean(),
        }
    }
}

/// How hard the generator itself worked, and whether it kept up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Generator {
    /// Worker threads.
    pub workers: usize,
    /// CPU seconds used by all workers together.
    pub cpu_s: f64,
    /// CPU seconds used by each worker.
    pub cpu_per_worker_s: Vec<f64>,
    /// The busiest worker's CPU time over the wall time (1.0 = a full core).
    pub max_worker_busy: f64,
    /// Open model: how late sends were noticed, microseconds (zeros for the
    /// closed model).
    pub schedule_lag_us: Percentiles,
    /// Open model: sends more than 1 ms behind their intended time.
    pub late_sends: u64,
    /// True when the numbers suggest hornet, not the target, was the limit.
    pub bottleneck: bool,
    /// Plain-language reasons for `bottleneck`.
    pub notes: Vec<String>,
}

/// One interval of the time series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimelinePoint {
    /// Seconds from the start to the end of the interval.
    pub t_s: f64,
    /// Responses received in the interval.
    pub requests: u64,
    /// Failed and timed-out requests in the interval.
    pub errors: u64,
    /// Corrected latency median, microseconds.
    pub p50_us: u64,
    /// Corrected latency 90th percentile, microseconds.
    pub p90_us: u64,
    /// Corrected latency 99th percentile, microseconds.
    pub p99_us: u64,
    /// Corrected latency maximum, microseconds.
    pub max_us: u64,
    /// Connections open at the interval's end.
    pub connections: u64,
    /// Responses with a 2xx/3xx status (HTTP) or ESME_ROK (SMPP).
    #[serde(default)]
    pub ok: u64,
    /// Response body bytes.
    #[serde(default)]
    pub body_bytes: u64,
    /// The interval's corrected-latency histogram: HdrHistogram V2
    /// compressed, base64 (empty when no response).
    #[serde(default)]
    pub histogram: String,
    /// Latency at Locust's CSV quantiles (for `--csv`; not in the JSON).
    #[serde(skip)]
    pub quantiles_us: [u64; 11],
    /// The run's totals at the interval's end (for `--csv`).
    #[serde(skip)]
    pub cumulative: Cumulative,
}

/// One stage of an open-model shape, as reported.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StageReport {
    /// Stage length, seconds.
    pub duration_s: f64,
    /// Target at the end of the stage, per second.
    pub target: f64,
}

/// The model's name for reports ("closed" / "open"), its peak rate, and its
/// stages when it has more than a constant rate.
pub fn model_of(load: &LoadPlan) -> (&'static str, Option<f64>, Option<Vec<StageReport>>) {
    match &load.model {
        LoadModel::Closed => ("closed", None, None),
        LoadModel::Open { shape } => {
            let report = (!shape.is_constant()).then(|| {
                shape
                    .stages()
                    .iter()
                    .map(|s| StageReport {
                        duration_s: s.duration.as_secs_f64(),
                        target: s.target,
                    })
                    .collect()
            });
            ("open", Some(shape.peak()), report)
        }
    }
}

/// Failed and timed-out requests by error kind, kinds with zero left out.
pub fn errors_map(c: &Counters) -> BTreeMap<String, u64> {
    ErrorKind::ALL
        .iter()
        .filter(|k| c.errors[**k as usize] > 0)
        .map(|k| (k.name().to_string(), c.errors[*k as usize]))
        .collect()
}

/// Failed connection attempts by kind, kinds with zero left out.
pub fn connect_errors_map(c: &Counters) -> BTreeMap<String, u64> {
    kinds_map(&c.connect_errors)
}

/// `connections_lost` by kind name, the kinds seen only.
pub fn connections_lost_map(c: &Counters) -> BTreeMap<String, u64> {
    kinds_map(&c.connections_lost)
}

fn kinds_map(counts: &[u64; ErrorKind::COUNT]) -> BTreeMap<String, u64> {
    ErrorKind::ALL
        .iter()
        .filter(|k| counts[**k as usize] > 0)
        .map(|k| (k.name().to_string(), counts[*k as usize]))
        .collect()
}

/// The per-interval series.
pub fn timeline(load: &LoadPlan, out: &RunOutput) -> Vec<TimelinePoint> {
    let elapsed = out.elapsed.as_secs_f64();
    let interval = load.interval.as_secs_f64();
    out.collected
        .series
        .iter()
        .map(|s| TimelinePoint {
            t_s: ((s.index + 1) as f64 * interval).min(elapsed),
            requests: s.completed,
            errors: s.errors,
            p50_us: s.p50_us,
            p90_us: s.p90_us,
            p99_us: s.p99_us,
            max_us: s.max_us,
            connections: s.open_connections,
            ok: s.ok,
            body_bytes: s.body_bytes,
            histogram: s.histogram.clone(),
            quantiles_us: s.quantiles_us,
            cumulative: s.cumulative,
        })
        .collect()
}

/// How hard the workers worked and whether they kept to the schedule.
pub fn generator(load: &LoadPlan, out: &RunOutput) -> Generator {
    let c = &out.collected.totals.counters;
    let elapsed = out.elapsed.as_secs_f64();
    let cpu: Vec<f64> = out
        .collected
        .worker_cpu
        .iter()
        .map(|d| d.as_secs_f64())
        .collect();
    let max_worker_busy = if elapsed > 0.0 {
        cpu.iter().copied().fold(0.0, f64::max) / elapsed
    } else {
        0.0
    };
    let lag = Percentiles::of(&out.collected.totals.schedule_lag);
    let mut notes = Vec::new();
    if matches!(load.model, LoadModel::Open { .. }) && c.scheduled > 0 {
        let late_share = c.late_sends as f64 / c.scheduled as f64;
        if late_share > LATE_SHARE_LIMIT || lag.p99 > LAG_P99_LIMIT_US {
            notes.push(lateness_note(
                "sends",
                c.late_sends,
                c.scheduled,
                max_worker_busy,
                Some(lag.p99),
            ));
        }
    }
    if max_worker_busy > BUSY_LIMIT {
        notes.push(format!(
            "the busiest worker used {:.0}% of a core: hornet itself may have limited throughput (try more threads)",
            max_worker_busy * 100.0
        ));
    }
    Generator {
        workers: load.threads,
        cpu_s: cpu.iter().sum(),
        cpu_per_worker_s: cpu,
        max_worker_busy,
        schedule_lag_us: lag,
        late_sends: c.late_sends,
        bottleneck: !notes.is_empty(),
        notes,
    }
}

/// Responses by status code, `{"200": n}`, codes that occurred only.
pub fn status_map(c: &Counters) -> BTreeMap<String, u64> {
    c.status
        .iter()
        .enumerate()
        .filter(|(_, n)| **n > 0)
        .map(|(code, n)| (code.to_string(), *n))
        .collect()
}

/// Wall-clock start of a run that lasted `elapsed` and just ended, Unix
/// seconds.
pub fn started_at(elapsed: std::time::Duration) -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
        - elapsed.as_secs_f64()
}

pub use crate::vocab::redact::{
    is_secret_name, looks_like_credential, redact_path, redact_url, redact_value, url_name,
    REDACTED,
};

/// Version of the result documents' layout; bumped when a field changes
/// meaning or goes away (new fields do not bump it).
pub const SCHEMA_VERSION: u32 = 1;

/// Rebuilds a timeline's derived figures (CSV quantiles, totals so far)
/// from its encoded interval histograms, as the collector computed them.
pub fn rehydrate_timeline(timeline: &mut [TimelinePoint]) -> Result<(), String> {
    let mut so_far = crate::metrics::new_histogram();
    let (mut requests, mut failures, mut responses, mut bytes) = (0u64, 0u64, 0u64, 0u64);
    for p in timeline {
        let h = crate::metrics::codec::decode(&p.histogram)?;
        p.quantiles_us = crate::metrics::quantiles::locust_quantiles(&h);
        so_far.add(&h).map_err(|e| format!("histogram: {e:?}"))?;
        requests += p.requests + p.errors;
        failures += p.requests.saturating_sub(p.ok) + p.errors;
        responses += p.requests;
        bytes += p.body_bytes;
        p.cumulative = Cumulative::of(&so_far, requests, failures, responses, bytes);
    }
    Ok(())
}

#[cfg(test)]
mod redact_tests {
    use super::*;

    #[test]
    fn lateness_on_an_idle_generator_blames_the_machine_not_hornets_cpu() {
        // The report of issue 11: 115 of 1,200 iterations late while
        // hornet used 0.076 CPU-s in 4 s (2% of a core).
        let idle = lateness_note("iterations (users free)", 115, 1200, 0.019, None);
        assert!(idle.contains("115 of 1200"), "{idle}");
        assert!(idle.contains("not hornet's CPU"), "{idle}");
        assert!(!idle.contains("add threads"), "{idle}");
        let busy = lateness_note("sends", 50, 1000, 0.97, Some(4_000));
        assert!(busy.contains("hornet's own CPU was the limit"), "{busy}");
        assert!(busy.contains("97% of a core"), "{busy}");
        assert!(busy.contains("schedule lag p99 4000 us"), "{busy}");
    }
}
