//! The message a worker sends to the collector once per interval.

use std::time::Duration;

use super::recorder::Metrics;

/// One worker's measurements for one interval. The only thing that crosses
/// threads during a run: once per interval per worker, never per request.
#[derive(Debug)]
pub struct Snapshot {
    /// Which worker sent it.
    pub worker: usize,
    /// Zero-based interval index (interval `k` ends at `(k + 1) * interval`
    /// after the start; the final snapshot may cover a shorter span).
    pub interval: u64,
    /// The worker's last snapshot: it has stopped and settled every request.
    pub is_final: bool,
    /// Connections open when the snapshot was taken.
    pub open_connections: u64,
    /// CPU time the worker thread used over the whole run (final only).
    pub cpu: Option<Duration>,
    /// What happened during the interval.
    pub metrics: Metrics,
}
