//! The one merge every measurement uses: exact, order-independent
//! addition. A worker's interval and the run's totals share fixed
//! histogram bounds, so adding loses nothing, and the collector of
//! `hornet http`/`hornet smpp` and the coordinator of `hornet run` merge
//! through the same [`Timeline`](super::timeline::Timeline) with it.

use hdrhistogram::Histogram;

/// Measurements that add up exactly: `a.merge(b)` then `a.merge(c)` is
/// the same as recording everything of `b` and `c` into `a`.
pub trait Merge {
    /// Adds `other` into `self`.
    fn merge_from(&mut self, other: &Self);
}

/// Adds `from` into `into`. Every hornet histogram has the same fixed
/// bounds and precision, so this cannot fail; were it ever to (a bug),
/// the samples are dropped rather than the run brought down.
#[inline]
pub fn add_histogram(into: &mut Histogram<u64>, from: &Histogram<u64>) {
    let added = into.add(from);
    debug_assert!(added.is_ok(), "hornet histograms share bounds");
}

/// Adds `from` into `into` slot by slot (counters indexed by a closed
/// set: error kinds, receipt states, status codes).
#[inline]
pub fn add_slots(into: &mut [u64], from: &[u64]) {
    for (a, b) in into.iter_mut().zip(from) {
        *a += b;
    }
}
