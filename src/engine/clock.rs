//! The run clock: nanoseconds since the run's agreed start instant.
//!
//! Every worker shares the same start, so intended times, interval
//! boundaries and latencies from different workers are on one time line.
//!
//! A clock can also be simulated ([`Clock::simulated`]): its time moves
//! only when the loop tests' harness ([`crate::engine::sim`]) moves it, so
//! timeouts, backoffs and think times run in virtual time, exactly and
//! without sleeping. The real clock pays one predictable branch for it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Monotonic clock anchored at the run's start.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    start: Instant,
    /// A simulated clock's time (ns); `None` for the real clock. A
    /// `'static` reference keeps the clock `Copy`, as every worker and
    /// session copies it.
    sim: Option<&'static AtomicU64>,
}

impl Clock {
    /// A clock whose zero is `start`.
    pub fn new(start: Instant) -> Self {
        Clock { start, sim: None }
    }

    /// A simulated clock at 0 whose time moves only by
    /// [`Clock::advance_to`]: the loop tests' clock. Its counter lives as
    /// long as the process (8 bytes per simulated clock; tests only).
    pub fn simulated() -> Self {
        Clock {
            start: Instant::now(),
            sim: Some(Box::leak(Box::new(AtomicU64::new(0)))),
        }
    }

    /// Whether this clock is simulated.
    pub fn is_simulated(&self) -> bool {
        self.sim.is_some()
    }

    /// Moves a simulated clock to `ns` (never backwards); a real clock
    /// keeps its own time.
    pub fn advance_to(&self, ns: u64) {
        if let Some(t) = self.sim {
            t.fetch_max(ns, Ordering::Relaxed);
        }
    }

    /// The instant that is zero on this clock.
    pub fn start(&self) -> Instant {
        self.start
    }

    /// Nanoseconds since the start (0 before it).
    #[inline]
    pub fn now(&self) -> u64 {
        if let Some(t) = self.sim {
            return t.load(Ordering::Relaxed);
        }
        Instant::now()
            .saturating_duration_since(self.start)
            .as_nanos()
            .min(u128::from(u64::MAX)) as u64
    }

    /// The instant `ns` nanoseconds after the start.
    pub fn instant(&self, ns: u64) -> Instant {
        self.start + Duration::from_nanos(ns)
    }
}

/// CPU time consumed by the calling thread.
pub fn thread_cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; the clock id is a
    // constant the kernel supports for every thread.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return Duration::ZERO;
    }
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

#[cfg(test)]
mod tests {
    use super::Clock;

    #[test]
    fn a_simulated_clock_moves_only_when_told_and_never_back() {
        let clock = Clock::simulated();
        let copy = clock;
        assert_eq!(clock.now(), 0);
        clock.advance_to(1_500);
        assert_eq!(copy.now(), 1_500, "copies share the time");
        clock.advance_to(1_000);
        assert_eq!(clock.now(), 1_500);
        assert!(clock.is_simulated());
    }

    #[test]
    fn a_real_clock_ignores_advance() {
        let clock = Clock::new(std::time::Instant::now());
        clock.advance_to(u64::MAX / 2);
        assert!(clock.now() < 60_000_000_000);
        assert!(!clock.is_simulated());
    }
}
