//! The latency figures every CSV row needs (Locust's columns), computed
//! from a histogram once, and the running totals a stats-history row
//! carries.

use hdrhistogram::Histogram;

/// The quantiles of Locust's CSV columns `50%` .. `100%`.
pub const LOCUST_QUANTILES: [f64; 11] = [
    0.5, 0.66, 0.75, 0.8, 0.9, 0.95, 0.98, 0.99, 0.999, 0.9999, 1.0,
];

/// Latency at each of [`LOCUST_QUANTILES`], microseconds (zeros if empty).
pub fn locust_quantiles(h: &Histogram<u64>) -> [u64; 11] {
    let mut q = [0; 11];
    if !h.is_empty() {
        for (v, &x) in q.iter_mut().zip(&LOCUST_QUANTILES) {
            *v = if x >= 1.0 {
                h.max()
            } else {
                h.value_at_quantile(x)
            };
        }
    }
    q
}

/// Latency by percentile for a spectrum chart: quantiles 1 - 10^(-k/8)
/// up to 99.999%, then the max; (quantile, microseconds). Empty if `h` is.
pub fn spectrum(h: &Histogram<u64>) -> Vec<(f64, u64)> {
    if h.is_empty() {
        return Vec::new();
    }
    let mut v: Vec<(f64, u64)> = (0..=40)
        .map(|k| {
            let q = 1.0 - 10f64.powf(-(k as f64) / 8.0);
            (q, h.value_at_quantile(q))
        })
        .collect();
    v.push((1.0, h.max()));
    v
}

/// Totals of a run so far, at the end of one interval.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Cumulative {
    /// Requests that ended (responses, errors, timeouts).
    pub requests: u64,
    /// Of which failed (error responses, errors, timeouts).
    pub failures: u64,
    /// Median latency, microseconds.
    pub median_us: u64,
    /// Mean latency, microseconds.
    pub mean_us: f64,
    /// Fastest, microseconds.
    pub min_us: u64,
    /// Slowest, microseconds.
    pub max_us: u64,
    /// Mean response body size, bytes.
    pub avg_size: f64,
}

impl Cumulative {
    /// From a latency histogram and counts.
    pub fn of(
        h: &Histogram<u64>,
        requests: u64,
        failures: u64,
        responses: u64,
        bytes: u64,
    ) -> Cumulative {
        let empty = h.is_empty();
        Cumulative {
            requests,
            failures,
            median_us: if empty { 0 } else { h.value_at_quantile(0.5) },
            mean_us: if empty { 0.0 } else { h.mean() },
            min_us: if empty { 0 } else { h.min() },
            max_us: if empty { 0 } else { h.max() },
            avg_size: bytes as f64 / responses.max(1) as f64,
        }
    }
}
