//! The per-second history of a profile run: the workers' interval reports
//! assembled by [`crate::metrics::timeline::Timeline`] (the same merge as
//! the engine's collector) and turned into the result's history points,
//! and, with `--hdr-log`, one interval-log line per request name.

use std::io;
use std::path::Path;
use std::time::{Duration, SystemTime};

use super::result::HistoryPoint;
use crate::metrics::timeline::{Interval, Timeline, INTERVAL_NS};
use crate::metrics::RunStats;
use crate::profile::Scenario;
use crate::report::hdr_log::HdrLog;

/// The history being built, and the interval log it feeds.
#[derive(Debug)]
pub struct History {
    timeline: Timeline<RunStats>,
    /// The points so far.
    points: Vec<HistoryPoint>,
    log: Option<HdrLog>,
    /// The first interval-log error; logging stops there.
    log_error: Option<io::Error>,
}

impl History {
    /// For `workers` workers; the interval log (if asked for) starts now.
    pub fn new(workers: usize, hdr_log: Option<&Path>) -> History {
        let (log, log_error) = match hdr_log.map(|p| HdrLog::create(p, SystemTime::now())) {
            Some(Ok(l)) => (Some(l), None),
            Some(Err(e)) => (None, Some(e)),
            None => (None, None),
        };
        History {
            timeline: Timeline::new(workers),
            points: Vec::new(),
            log,
            log_error,
        }
    }

    /// Worker `worker` reported interval `index` with `users` alive.
    pub fn add(&mut self, worker: usize, index: u64, stats: RunStats, users: u64) {
        self.timeline.add(worker, index, stats, users);
    }

    /// Worker `worker` finished; its last stats belong to interval `index`.
    pub fn finish_worker(&mut self, worker: usize, index: u64, stats: RunStats, users: u64) {
        self.timeline.add(worker, index, stats, users);
        self.timeline.finish(worker);
    }

    /// Treats every worker as finished (the run is over, whatever arrived
    /// is all there is).
    pub fn give_up_waiting(&mut self) {
        self.timeline.give_up_waiting();
    }

    /// Users alive at the workers' last reports.
    pub fn users_now(&self) -> u64 {
        self.timeline.gauge_now()
    }

    /// The last complete second.
    pub fn last(&self) -> Option<&HistoryPoint> {
        self.points.last()
    }

    /// Emits every complete interval; `now_ns` bounds the length of the
    /// last, partial one.
    pub fn emit_ready(&mut self, sc: &Scenario, now_ns: u64) {
        while let Some(iv) = self.timeline.next_ready() {
            let start_ns = iv.index * INTERVAL_NS;
            let end_ns = if iv.last {
                now_ns.max(start_ns + 1_000_000)
            } else {
                start_ns + INTERVAL_NS
            };
            let length = Duration::from_nanos(end_ns - start_ns);
            self.log_interval(sc, &iv, start_ns, length);
            let mut point = HistoryPoint::new(
                end_ns,
                iv.gauge,
                &iv.data.total(),
                &self.timeline.so_far().total(),
                length.as_secs_f64(),
            );
            for (name, n) in sc.names.iter().zip(&iv.data.names) {
                if !n.latency.is_empty() {
                    point
                        .histograms
                        .insert(name.clone(), crate::metrics::codec::encode(&n.latency));
                }
            }
            self.points.push(point);
        }
    }

    /// Writes the interval's histogram per request name to the log, if
    /// there is one and it has not failed yet.
    fn log_interval(
        &mut self,
        sc: &Scenario,
        iv: &Interval<RunStats>,
        start_ns: u64,
        length: Duration,
    ) {
        let (Some(l), None) = (self.log.as_mut(), &self.log_error) else {
            return;
        };
        let start = Duration::from_nanos(start_ns);
        let r = sc
            .names
            .iter()
            .zip(&iv.data.names)
            .try_for_each(|(name, n)| l.write(name, start, length, &n.latency))
            .and_then(|()| l.flush());
        self.log_error = r.err();
    }

    /// The points, and the first interval-log error. The log appears at
    /// its path only now, complete (after a write error it is dropped,
    /// and an earlier log there stays).
    pub fn finish(mut self) -> (Vec<HistoryPoint>, Option<io::Error>) {
        if let (Some(l), None) = (self.log.take(), &self.log_error) {
            self.log_error = l.finish().err();
        }
        (self.points, self.log_error)
    }
}
