//! The open-model schedule: intended start times from a load shape,
//! interleaved across workers.
//!
//! Request `i` of the whole run is intended when the shape's integral
//! reaches `i` (for a constant rate, at `i / rate` seconds). Worker `w` of
//! `n` owns the requests with `i % n == w`, so the workers' shares add up to
//! exactly the shape with no remainder lost, and nothing needs to be stored
//! per pending request: the `k`-th request of a worker is a formula.

use std::sync::Arc;

use super::shape::Shape;

/// One worker's share of the run's schedule.
#[derive(Debug, Clone)]
pub struct OpenSchedule {
    worker: u64,
    workers: u64,
    shape: Arc<Shape>,
    /// Requests in the whole run.
    global_total: u64,
    /// This worker's requests in the whole run.
    total: u64,
}

impl OpenSchedule {
    /// Worker `worker` of `workers` sharing `shape`.
    pub fn new(worker: usize, workers: usize, shape: Arc<Shape>) -> OpenSchedule {
        assert!(workers > 0 && worker < workers);
        let global_total = shape.due_by(f64::INFINITY).ceil() as u64;
        let mut s = OpenSchedule {
            worker: worker as u64,
            workers: workers as u64,
            shape,
            global_total,
            total: 0,
        };
        s.total = s.local_below(global_total);
        // Float rounding may make the last global index fall just past the
        // shape's end: trust `time_of`, the exact inverse, over the integral.
        while s.total > 0 && s.shape.time_of(s.global(s.total - 1)).is_none() {
            s.total -= 1;
        }
        s
    }

    fn global(&self, k: u64) -> u64 {
        self.worker + k * self.workers
    }

    /// This worker's indices below global index `g`.
    fn local_below(&self, g: u64) -> u64 {
        if g > self.worker {
            (g - self.worker - 1) / self.workers + 1
        } else {
            0
        }
    }

    /// Intended time of this worker's `k`-th request (ns on the run clock);
    /// `u64::MAX` past the end of the schedule.
    #[inline]
    pub fn intended(&self, k: u64) -> u64 {
        self.shape.time_of(self.global(k)).unwrap_or(u64::MAX)
    }

    /// Local requests intended at or before `now`, capped at the total.
    pub fn due(&self, now: u64) -> u64 {
        let estimate = (self.shape.due_by(now as f64).floor() as u64 + 1).min(self.global_total);
        let mut k = self.local_below(estimate).min(self.total);
        // Correct the float estimate against the exact intended times.
        while k > 0 && self.intended(k - 1) > now {
            k -= 1;
        }
        while k < self.total && self.intended(k) <= now {
            k += 1;
        }
        k
    }

    /// Local requests in the whole run.
    pub fn total(&self) -> u64 {
        self.total
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn constant(rate: f64, secs: u64) -> Arc<Shape> {
        Arc::new(Shape::constant(rate, Duration::from_secs(secs)))
    }

    #[test]
    fn workers_share_the_rate_without_remainder() {
        let total: u64 = (0..3)
            .map(|w| OpenSchedule::new(w, 3, constant(1000.0, 1)).total())
            .sum();
        assert_eq!(total, 1000);
        let total: u64 = (0..7)
            .map(|w| OpenSchedule::new(w, 7, constant(333.0, 1)).total())
            .sum();
        assert_eq!(total, 333);
        let ramp = Arc::new(Shape::parse("1s:1000,1s:1000").unwrap());
        let total: u64 = (0..3)
            .map(|w| OpenSchedule::new(w, 3, Arc::clone(&ramp)).total())
            .sum();
        assert_eq!(total, 1500);
    }

    #[test]
    fn intended_times_interleave() {
        let a = OpenSchedule::new(0, 2, constant(1000.0, 1));
        let b = OpenSchedule::new(1, 2, constant(1000.0, 1));
        assert_eq!(a.intended(0), 0);
        assert_eq!(b.intended(0), 1_000_000);
        assert_eq!(a.intended(1), 2_000_000);
        assert_eq!(b.intended(1), 3_000_000);
        assert_eq!(a.intended(500), u64::MAX);
    }

    #[test]
    fn due_counts_match_intended() {
        for shape in [
            constant(20_000.0, 2),
            Arc::new(Shape::parse("700ms:9000,600ms:9000,700ms:0").unwrap()),
        ] {
            let s = OpenSchedule::new(1, 3, shape);
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
}
