//! The per-interval timeline: workers' interval snapshots merged by
//! interval number, not by when they happen to arrive. Interval `k` is
//! complete once every worker has sent it (or a later one, or finished),
//! so each point covers exactly its interval and no snapshot lands in the
//! wrong one, even when a stalled worker skipped an interval boundary.
//!
//! Generic over what is merged ([`Merge`]): the engine's collector
//! assembles [`Metrics`](super::Metrics) with it, the `hornet run`
//! coordinator [`RunStats`](super::RunStats); both merge exactly and keep
//! the totals of every interval emitted so far.

use std::collections::BTreeMap;

use super::merge::Merge;

/// Interval length of `hornet run`, nanoseconds (its workers' reporting
/// period; `hornet http`/`hornet smpp` take theirs from the plan).
pub const INTERVAL_NS: u64 = 1_000_000_000;

/// One interval, merged over every worker.
#[derive(Debug)]
pub struct Interval<T> {
    /// Zero-based interval index.
    pub index: u64,
    /// The workers' measurements of the interval, merged.
    pub data: T,
    /// The workers' gauges (open connections, users alive) summed.
    pub gauge: u64,
    /// Every worker has finished and nothing else is pending: this is the
    /// run's last, possibly partial, interval.
    pub last: bool,
}

#[derive(Debug)]
struct Pending<T> {
    data: T,
    gauge: u64,
}

/// Snapshots waiting for their interval to be complete, and the totals of
/// the intervals emitted.
#[derive(Debug)]
pub struct Timeline<T> {
    pending: BTreeMap<u64, Pending<T>>,
    /// Highest interval each worker has sent.
    reported: Vec<Option<u64>>,
    finished: Vec<bool>,
    /// Each worker's last gauge: its final, partial interval counts what
    /// it had while that interval ran, not the none left after.
    last_gauge: Vec<u64>,
    /// Every emitted interval merged.
    so_far: T,
}

impl<T: Merge + Default> Timeline<T> {
    /// For `workers` workers.
    pub fn new(workers: usize) -> Timeline<T> {
        Timeline {
            pending: BTreeMap::new(),
            reported: vec![None; workers],
            finished: vec![false; workers],
            last_gauge: vec![0; workers],
            so_far: T::default(),
        }
    }

    /// Worker `worker` sent interval `index`'s `data`, with `gauge` (its
    /// open connections or users) at the interval's end. A worker's
    /// snapshots arrive in order (one channel, one sender per worker).
    pub fn add(&mut self, worker: usize, index: u64, data: T, gauge: u64) {
        match self.pending.get_mut(&index) {
            Some(p) => {
                p.data.merge_from(&data);
                p.gauge += gauge;
            }
            // The first snapshot of an interval is kept as it is: no
            // empty copy to merge into.
            None => {
                self.pending.insert(index, Pending { data, gauge });
            }
        }
        self.last_gauge[worker] = gauge;
        let r = &mut self.reported[worker];
        *r = Some(r.map_or(index, |x| x.max(index)));
    }

    /// Worker `worker` sent its final snapshot (after [`Timeline::add`]).
    pub fn finish(&mut self, worker: usize) {
        self.finished[worker] = true;
    }

    /// Treats every worker as finished (the run is over, whatever arrived
    /// is all there is: a worker gone without its final snapshot must not
    /// hold every later interval back).
    pub fn give_up_waiting(&mut self) {
        self.finished.iter_mut().for_each(|f| *f = true);
    }

    /// The workers' last gauges summed (users alive now).
    pub fn gauge_now(&self) -> u64 {
        self.last_gauge.iter().sum()
    }

    /// Every interval emitted so far, merged.
    pub fn so_far(&self) -> &T {
        &self.so_far
    }

    /// The next complete interval, in order, if there is one; it is added
    /// to [`Timeline::so_far`] first.
    pub fn next_ready(&mut self) -> Option<Interval<T>> {
        let (&index, _) = self.pending.first_key_value()?;
        let complete = self
            .reported
            .iter()
            .zip(&self.finished)
            .all(|(r, f)| *f || r.is_some_and(|x| x >= index));
        if !complete {
            return None;
        }
        let p = self.pending.remove(&index)?;
        self.so_far.merge_from(&p.data);
        Some(Interval {
            index,
            data: p.data,
            gauge: p.gauge,
            last: self.pending.is_empty() && self.finished.iter().all(|f| *f),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::names::{Failure, RunStats};
    use crate::metrics::{Metrics, Recorder};

    /// A worker's interval: `n` requests of name 0 answered after 1..n ms,
    /// one failed check.
    fn stats(n: u64) -> RunStats {
        let mut s = RunStats::new(2);
        for i in 1..=n {
            let name = &mut s.names[0];
            name.requests += 1;
            name.passed += 1;
            name.record_latency(i * 1_000_000, i * 500_000);
        }
        s.names[1].requests += 1;
        s.names[1].check_failed += 1;
        *s.names[1].reasons.entry(Failure::NotJson).or_default() += 1;
        s.iterations = n;
        s
    }

    #[test]
    fn intervals_wait_for_every_worker_and_come_in_order() {
        let mut t: Timeline<RunStats> = Timeline::new(2);
        t.add(1, 0, stats(3), 5);
        assert!(t.next_ready().is_none(), "worker 0 has not sent second 0");
        t.add(0, 1, stats(2), 4);
        let first = t.next_ready().expect("worker 0 is past second 0");
        assert_eq!((first.index, first.gauge, first.last), (0, 5, false));
        assert!(t.next_ready().is_none(), "worker 1 has not sent second 1");
        t.add(1, 2, stats(1), 0);
        t.finish(1);
        let second = t.next_ready().unwrap();
        assert_eq!((second.index, second.gauge), (1, 4));
        assert!(t.next_ready().is_none(), "worker 0 may still send second 2");
        t.finish(0);
        let third = t.next_ready().unwrap();
        assert_eq!((third.index, third.last), (2, true));
        assert_eq!(t.gauge_now(), 4);
        assert_eq!(t.so_far().iterations, 6);
    }

    /// Two workers' interval snapshots merged through the timeline equal
    /// one recorder that saw every request: counts, reasons and every
    /// histogram bucket.
    #[test]
    fn merged_snapshots_equal_recording_everything_into_one() {
        let mut t: Timeline<RunStats> = Timeline::new(2);
        t.add(0, 0, stats(40), 1);
        t.add(1, 0, stats(7), 1);
        t.finish(0);
        t.finish(1);
        let merged = t.next_ready().unwrap().data;
        let mut one = RunStats::new(2);
        for i in (1..=40).chain(1..=7) {
            let name = &mut one.names[0];
            name.requests += 1;
            name.passed += 1;
            name.record_latency(i * 1_000_000, i * 500_000);
        }
        for _ in 0..2 {
            one.names[1].requests += 1;
            one.names[1].check_failed += 1;
            *one.names[1].reasons.entry(Failure::NotJson).or_default() += 1;
        }
        one.iterations = 47;
        for (a, b) in merged.names.iter().zip(&one.names) {
            assert_eq!(a.requests, b.requests);
            assert_eq!(a.passed, b.passed);
            assert_eq!(a.reasons, b.reasons);
            assert_eq!(a.latency, b.latency);
            assert_eq!(a.service, b.service);
        }
        assert_eq!(merged.iterations, one.iterations);
        assert_eq!(t.so_far().total().latency, one.total().latency);
    }

    /// The engine's metrics merge the same way.
    #[test]
    fn engine_metrics_merge_exactly_through_the_timeline() {
        let record = |r: &mut Recorder, from: u64, to: u64| {
            for i in from..to {
                r.scheduled(1);
                r.completed(200, 0, 0, i * 1000);
            }
        };
        let (mut a, mut b, mut one) = (Recorder::new(), Recorder::new(), Recorder::new());
        record(&mut a, 1, 500);
        record(&mut b, 500, 900);
        record(&mut one, 1, 900);
        let mut t: Timeline<Metrics> = Timeline::new(2);
        t.add(0, 0, a.swap(Metrics::default()), 1);
        t.add(1, 0, b.swap(Metrics::default()), 1);
        t.give_up_waiting();
        let merged = t.next_ready().unwrap().data;
        assert_eq!(merged.latency, one.current().latency);
        assert_eq!(merged.counters.completed, 899);
    }
}
