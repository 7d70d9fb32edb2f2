//! The per-second history of a profile run, built from the workers'
//! interval reports by interval number (as the engine's collector does),
//! not by when reports happen to arrive: second `k` is emitted once every
//! worker has reported it or finished, so each point covers exactly its
//! second and no report lands in the wrong one.

use std::collections::BTreeMap;
use std::io;
use std::time::Duration;

use super::result::HistoryPoint;
use super::stats::RunStats;
use crate::profile::Scenario;
use crate::report::hdr_log::HdrLog;

/// Interval length, nanoseconds (the workers' reporting period).
pub const INTERVAL_NS: u64 = 1_000_000_000;

/// Reports waiting for their second to be complete, and the points made.
#[derive(Debug)]
pub struct Timeline {
    names: usize,
    pending: BTreeMap<u64, (RunStats, u64)>,
    /// Highest interval each worker has reported.
    reported: Vec<Option<u64>>,
    finished: Vec<bool>,
    /// Users each worker last reported: its final, partial interval counts
    /// the users it had while that interval ran, not the none left after.
    last_users: Vec<u64>,
    /// Every emitted interval merged, for the totals-so-far columns.
    so_far: RunStats,
    /// The history so far.
    pub points: Vec<HistoryPoint>,
}

impl Timeline {
    /// For `workers` workers and `names` request names.
    pub fn new(workers: usize, names: usize) -> Timeline {
        Timeline {
            names,
            pending: BTreeMap::new(),
            reported: vec![None; workers],
            finished: vec![false; workers],
            last_users: vec![0; workers],
            so_far: RunStats::new(names),
            points: Vec::new(),
        }
    }

    /// Worker `worker` reported interval `index` with `users` alive.
    pub fn add(&mut self, worker: usize, index: u64, stats: &RunStats, users: u64) {
        let e = self
            .pending
            .entry(index)
            .or_insert_with(|| (RunStats::new(self.names), 0));
        e.0.merge(stats);
        e.1 += users;
        self.last_users[worker] = users;
        let r = &mut self.reported[worker];
        *r = Some(r.map_or(index, |x| x.max(index)));
    }

    /// Treats every worker as finished (the run is over, whatever arrived
    /// is all there is).
    pub fn give_up_waiting(&mut self) {
        self.finished.iter_mut().for_each(|f| *f = true);
    }

    /// Users alive at the workers' last reports.
    pub fn users_now(&self) -> u64 {
        self.last_users.iter().sum()
    }

    /// Worker `worker` finished; its last stats belong to interval `index`.
    pub fn finish(&mut self, worker: usize, index: u64, stats: &RunStats, users: u64) {
        self.add(worker, index, stats, users);
        self.finished[worker] = true;
    }

    /// Emits every complete interval; `now_ns` bounds the length of the last,
    /// partial one. Each emitted interval also goes to the log, if any; the
    /// first log error is kept and logging stops.
    pub fn emit_ready(
        &mut self,
        sc: &Scenario,
        now_ns: u64,
        log: &mut Option<&mut HdrLog>,
        log_error: &mut Option<io::Error>,
    ) {
        while let Some((&k, _)) = self.pending.first_key_value() {
            let complete = self
                .reported
                .iter()
                .zip(&self.finished)
                .all(|(r, f)| *f || r.is_some_and(|x| x >= k));
            if !complete {
                return;
            }
            let (stats, users) = self.pending.remove(&k).expect("first key exists");
            let all_done = self.finished.iter().all(|f| *f) && self.pending.is_empty();
            let start_ns = k * INTERVAL_NS;
            let end_ns = if all_done {
                now_ns.max(start_ns + 1_000_000)
            } else {
                start_ns + INTERVAL_NS
            };
            let length = Duration::from_nanos(end_ns - start_ns);
            self.so_far.merge(&stats);
            if let (Some(l), None) = (log.as_deref_mut(), &*log_error) {
                let r = sc
                    .names
                    .iter()
                    .zip(&stats.names)
                    .try_for_each(|(name, n)| {
                        l.write(name, Duration::from_nanos(start_ns), length, &n.latency)
                    })
                    .and_then(|()| l.flush());
                *log_error = r.err();
            }
            let mut point = HistoryPoint::new(
                end_ns,
                users,
                &stats.total(),
                &self.so_far.total(),
                length.as_secs_f64(),
            );
            for (name, n) in sc.names.iter().zip(&stats.names) {
                if !n.latency.is_empty() {
                    point
                        .histograms
                        .insert(name.clone(), crate::metrics::codec::encode(&n.latency));
                }
            }
            self.points.push(point);
        }
    }
}
