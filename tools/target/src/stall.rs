//! The one-off server pause of [`crate::Stall`].
//!
//! Triggering needs a server-wide request order, which the per-thread
//! counters cannot give, so a configured stall keeps one shared counter; it
//! is touched only until the stall has fired, and not at all without one.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use crate::Stall;

/// Shared trigger for a configured [`Stall`].
#[derive(Debug)]
pub(crate) struct StallGate {
    after: u64,
    duration: Duration,
    seen: AtomicU64,
    fired: AtomicBool,
}

impl StallGate {
    /// A gate that fires once the `stall.after`-th request is seen.
    pub(crate) fn new(stall: Stall) -> StallGate {
        StallGate {
            after: stall.after.max(1),
            duration: stall.duration,
            seen: AtomicU64::new(0),
            fired: AtomicBool::new(false),
        }
    }

    /// Records `n` requests just received by this thread, and blocks the
    /// thread for the stall duration if they include the trigger request.
    pub(crate) fn observe(&self, n: u64) {
        if self.should_stall(n) {
            std::thread::sleep(self.duration);
        }
    }

    fn should_stall(&self, n: u64) -> bool {
        if n == 0 || self.fired.load(Relaxed) {
            return false;
        }
        let before = self.seen.fetch_add(n, Relaxed);
        before < self.after
            && before.saturating_add(n) >= self.after
            && !self.fired.swap(true, Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fires_once_at_the_trigger_request() {
        let gate = StallGate::new(Stall {
            after: 5,
            duration: Duration::ZERO,
        });
        assert!(!gate.should_stall(3));
        assert!(!gate.should_stall(1));
        assert!(gate.should_stall(2));
        assert!(!gate.should_stall(1));
        let gate = StallGate::new(Stall {
            after: 0,
            duration: Duration::ZERO,
        });
        assert!(gate.should_stall(1));
        assert!(!gate.should_stall(1));
    }
}
