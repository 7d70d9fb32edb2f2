//! The open-model schedule: intended start times at a constant total rate,
//! interleaved across workers.
//!
//! Request `i` of the whole run is intended at `i / rate` seconds. Worker `w`
//! of `n` owns the requests with `i % n == w`, so the workers' shares add up
//! to exactly the total rate with no remainder lost, and nothing needs to be
//! stored per pending request: the `k`-th request of a worker is a formula.

/// One worker's share of a constant-rate schedule.
#[derive(Debug, Clone, Copy)]
pub struct OpenSchedule {
    worker: u64,
    workers: u64,
    /// Nanoseconds between consecutive requests of the whole run.
    period_ns: f64,
    /// Local requests whose intended time is before the end of the run.
    total: u64,
}

impl OpenSchedule {
    /// Worker `worker` of `workers` sharing `rate` requests/s for
    /// `duration_ns`.
    pub fn new(worker: usize, workers: usize, rate: f64, duration_ns: u64) -> OpenSchedule {
        assert!(workers > 0 && worker < workers && rate > 0.0);
        let mut s = OpenSchedule {
            worker: worker as u64,
            workers: workers as u64,
            period_ns: 1e9 / rate,
            total: 0,
        };
        s.total = s.count_before(duration_ns);
        s
    }

    /// Intended time of this worker's `k`-th request (ns on the run clock).
    #[inline]
    pub fn intended(&self, k: u64) -> u64 {
        ((self.worker + k * self.workers) as f64 * self.period_ns) as u64
    }

    /// Local requests intended strictly before `t`.
    fn count_before(&self, t: u64) -> u64 {
        // Estimate with floating point, then correct by stepping, so the
        // count agrees exactly with `intended`.
        let global = (t as f64 / self.period_ns).floor() as u64;
        let mut k = if global >= self.worker {
            (global - self.worker) / self.workers
        } else {
            0
        };
        while k > 0 && self.intended(k - 1) >= t {
            k -= 1;
        }
        while self.intended(k) < t {
            k += 1;
        }
        k
    }

    /// Local requests intended at or before `now`, capped at the total.
    #[inline]
    pub fn due(&self, now: u64) -> u64 {
        self.count_before(now.saturating_add(1)).min(self.total)
    }

    /// Local requests in the whole run.
    pub fn total(&self) -> u64 {
        self.total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workers_share_the_rate_without_remainder() {
        let duration = 1_000_000_000;
        let total: u64 = (0..3)
            .map(|w| OpenSchedule::new(w, 3, 1000.0, duration).total())
            .sum();
        assert_eq!(total, 1000);
        let total: u64 = (0..7)
            .map(|w| OpenSchedule::new(w, 7, 333.0, duration).total())
            .sum();
        assert_eq!(total, 333);
    }

    #[test]
    fn intended_times_interleave() {
        let a = OpenSchedule::new(0, 2, 1000.0, 1_000_000_000);
        let b = OpenSchedule::new(1, 2, 1000.0, 1_000_000_000);
        assert_eq!(a.intended(0), 0);
        assert_eq!(b.intended(0), 1_000_000);
        assert_eq!(a.intended(1), 2_000_000);
        assert_eq!(b.intended(1), 3_000_000);
    }

    #[test]
    fn due_counts_match_intended() {
        let s = OpenSchedule::new(1, 3, 20_000.0, 2_000_000_000);
        for now in (0..2_100_000_000u64).step_by(7_777_777) {
            let d = s.due(now);
            if d < s.total() {
                assert!(s.intended(d) > now);
            }
            if d > 0 {
                assert!(s.intended(d - 1) <= now);
            }
        }
        assert_eq!(s.due(u64::MAX / 4), s.total());
    }
}
