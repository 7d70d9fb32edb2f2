//! The run clock: nanoseconds since the run's agreed start instant.
//!
//! Every worker shares the same start, so intended times, interval
//! boundaries and latencies from different workers are on one time line.

use std::time::{Duration, Instant};

/// Monotonic clock anchored at the run's start.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    start: Instant,
}

impl Clock {
    /// A clock whose zero is `start`.
    pub fn new(start: Instant) -> Self {
        Clock { start }
    }

    /// The instant that is zero on this clock.
    pub fn start(&self) -> Instant {
        self.start
    }

    /// Nanoseconds since the start (0 before it).
    #[inline]
    pub fn now(&self) -> u64 {
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
