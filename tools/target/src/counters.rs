//! Per-thread request, response and connection counters.
//!
//! Each server thread writes only its own cache-line-aligned block, so the
//! hot path never bounces a shared line between cores; readers sum all
//! blocks. Every event is counted exactly once, with relaxed ordering because
//! the counts order nothing else.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// One thread's counters, padded to their own cache lines (128 bytes covers
/// adjacent-line prefetching on x86 and the 128-byte lines of Apple cores).
#[derive(Debug, Default)]
#[repr(align(128))]
pub(crate) struct ThreadCounters {
    requests: AtomicU64,
    responses: AtomicU64,
    connections: AtomicU64,
    /// The most response bytes any one connection of this thread has had
    /// queued for its peer: a gauge (kept as a maximum), not a count.
    out_peak: AtomicU64,
}

impl ThreadCounters {
    /// Counts `n` complete requests (head and full body received).
    pub(crate) fn add_requests(&self, n: u64) {
        self.requests.fetch_add(n, Relaxed);
    }

    /// Counts `n` responses whose last byte was written to the socket.
    pub(crate) fn add_responses(&self, n: u64) {
        self.responses.fetch_add(n, Relaxed);
    }

    /// Counts one accepted connection.
    pub(crate) fn add_connection(&self) {
        self.connections.fetch_add(1, Relaxed);
    }

    /// Records that a connection has `bytes` of responses queued, keeping
    /// the largest such value. Only the owning thread may call this.
    #[inline]
    pub(crate) fn note_out(&self, bytes: usize) {
        let bytes = bytes as u64;
        if bytes > self.out_peak.load(Relaxed) {
            self.out_peak.store(bytes, Relaxed);
        }
    }
}

/// The largest response backlog any connection of any thread has had.
pub(crate) fn out_peak(all: &[ThreadCounters]) -> u64 {
    all.iter()
        .map(|c| c.out_peak.load(Relaxed))
        .max()
        .unwrap_or(0)
}

/// Server-wide totals over all threads' counters.
pub(crate) fn total_requests(all: &[ThreadCounters]) -> u64 {
    all.iter().map(|c| c.requests.load(Relaxed)).sum()
}

/// See [`total_requests`].
pub(crate) fn total_responses(all: &[ThreadCounters]) -> u64 {
    all.iter().map(|c| c.responses.load(Relaxed)).sum()
}

/// See [`total_requests`].
pub(crate) fn total_connections(all: &[ThreadCounters]) -> u64 {
    all.iter().map(|c| c.connections.load(Relaxed)).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_and_pads() {
        assert!(std::mem::align_of::<ThreadCounters>() >= 128);
        let all: Vec<ThreadCounters> = (0..3).map(|_| ThreadCounters::default()).collect();
        all[0].add_requests(2);
        all[2].add_requests(3);
        all[1].add_responses(4);
        all[1].add_connection();
        all[2].add_connection();
        assert_eq!(total_requests(&all), 5);
        assert_eq!(total_responses(&all), 4);
        assert_eq!(total_connections(&all), 2);
    }
}
