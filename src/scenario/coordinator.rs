//! The load phase of a profile run: starts one worker per thread, merges
//! their interval reports as they come (over a bounded crossbeam channel,
//! through the metrics' timeline), shows the live line, publishes the
//! Prometheus text, stops the run on Ctrl-C or a threshold that stayed
//! failed for its `abort_after`, and joins the workers.

use std::io;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};

use super::history::History;
use super::live::{frame, prometheus_text};
use super::result::HistoryPoint;
use super::worker::{self, ClassPlan, Report, Shared, WorkerSetup};
use super::{verdict, RunOptions, ScenarioError};
use crate::engine::clock::Clock;
use crate::metrics::RunStats;
use crate::profile::values::Value;
use crate::profile::Scenario;
use crate::report::live::LiveView;
use crate::serve::prometheus::Exporter;

/// How long the coordinator waits for a report before it looks at the
/// clock, the signal flag and the live line anyway.
const POLL: Duration = Duration::from_millis(250);

/// What the load phase leaves for the result.
#[derive(Debug)]
pub struct LoadOutcome {
    /// Every report of every worker, merged.
    pub total: RunStats,
    /// Worker CPU time, summed.
    pub cpu: Duration,
    /// Wall time of the load phase.
    pub elapsed: Duration,
    /// When the load started, Unix seconds.
    pub started_at: f64,
    /// One point per second.
    pub history: Vec<HistoryPoint>,
    /// Why the load stopped early, if it did.
    pub aborted: Option<String>,
    /// A worker that failed or panicked.
    pub worker_error: Option<String>,
    /// The first interval-log error (the run is not cut short by one).
    pub log_error: Option<io::Error>,
}

/// Runs the load: workers from now until they have all finished.
pub fn run_load(
    sc: &Arc<Scenario>,
    globals: &[Value],
    opts: &RunOptions<'_>,
) -> Result<LoadOutcome, ScenarioError> {
    let shared = Arc::new(Shared {
        seq: AtomicU64::new(0),
        iterations: AtomicU64::new(0),
        stop: AtomicBool::new(false),
        cursors: sc.feeds.iter().map(|_| AtomicUsize::new(0)).collect(),
    });
    // Bounded, as the engine's snapshots: a worker ahead of the
    // coordinator waits rather than queueing reports without limit.
    let workers = sc.load.threads;
    let (tx, rx) = crossbeam_channel::bounded(workers * 4);
    // Zero is now: a clock starting in the future would read 0 for the
    // first requests and record their latency as nothing.
    let start = Instant::now();
    let history = History::new(workers, opts.hdr_log);
    let started_at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    let clock = Clock::new(start);
    let handles = spawn_workers(sc, globals, &shared, clock, tx)?;
    let mut c = Coordinator {
        sc,
        shared: &shared,
        clock,
        start,
        prometheus: opts.prometheus,
        total: RunStats::new(sc.names.len()),
        history,
        cpu: Duration::ZERO,
        breach_since: vec![None; sc.thresholds.len()],
        aborted: None,
        last_live: Instant::now(),
        view: LiveView::new(!opts.live),
    };
    c.run(&rx, workers);
    let worker_error = join(handles);
    let elapsed = start.elapsed();
    let (history, log_error) = c.history.finish();
    Ok(LoadOutcome {
        total: c.total,
        cpu: c.cpu,
        elapsed,
        started_at,
        history,
        aborted: c.aborted,
        worker_error,
        log_error,
    })
}

/// Starts worker `0..threads`, each pinned to its core where possible.
fn spawn_workers(
    sc: &Arc<Scenario>,
    globals: &[Value],
    shared: &Arc<Shared>,
    clock: Clock,
    tx: Sender<Report>,
) -> Result<Vec<JoinHandle<io::Result<()>>>, ScenarioError> {
    let workers = sc.load.threads;
    let plan = Arc::new(ClassPlan::new(sc));
    let frozen = Arc::new(globals.to_vec());
    let cores = crate::engine::worker_cores();
    let mut handles = Vec::new();
    for index in 0..workers {
        let setup = WorkerSetup {
            index,
            workers,
            // Each worker its own copy: the Arc is cloned on the hot path,
            // and one shared count would bounce between cores.
            scenario: Arc::new((**sc).clone()),
            globals: frozen.clone(),
            shared: shared.clone(),
            plan: plan.clone(),
            clock,
            core: crate::engine::core_for(&cores, index),
            tx: tx.clone(),
        };
        let h = std::thread::Builder::new()
            .name(format!("hornet-user-{index}"))
            .spawn(move || worker::run(setup))
            .map_err(ScenarioError::Spawn)?;
        handles.push(h);
    }
    Ok(handles)
}

/// Waits for every worker; the last failure, if any, in words.
fn join(handles: Vec<JoinHandle<io::Result<()>>>) -> Option<String> {
    let mut worker_error = None;
    for h in handles {
        match h.join() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => worker_error = Some(e.to_string()),
            Err(_) => worker_error = Some("a worker thread panicked".into()),
        }
    }
    worker_error
}

/// The coordinator's state while the load runs.
struct Coordinator<'a> {
    sc: &'a Scenario,
    shared: &'a Shared,
    clock: Clock,
    start: Instant,
    prometheus: Option<&'a Exporter>,
    /// Every report so far, merged (complete seconds or not).
    total: RunStats,
    history: History,
    cpu: Duration,
    /// Per threshold: since when it has failed (for `abort_after`).
    breach_since: Vec<Option<Instant>>,
    aborted: Option<String>,
    last_live: Instant,
    view: LiveView,
}

impl Coordinator<'_> {
    /// Takes reports until every worker is done (or gone).
    fn run(&mut self, rx: &Receiver<Report>, workers: usize) {
        let mut done = 0;
        while done < workers {
            match rx.recv_timeout(POLL) {
                Ok(report) => done += usize::from(self.on_report(report)),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break,
            }
            self.history.emit_ready(self.sc, self.clock.now());
            if self.aborted.is_none() && crate::interrupt::requested() {
                self.stop(format!(
                    "{}: the load stopped early",
                    crate::interrupt::label()
                ));
            }
            let now = Instant::now();
            if now.duration_since(self.last_live) >= Duration::from_secs(1) {
                self.every_second(now);
            }
        }
        // A worker that died without its final report would hold every
        // later second back: emit what arrived.
        self.history.give_up_waiting();
        self.history.emit_ready(self.sc, self.clock.now());
        self.view.finish();
    }

    /// Merges one report; true if it was a worker's last.
    fn on_report(&mut self, report: Report) -> bool {
        match report {
            Report::Interval {
                worker,
                index,
                stats,
                users,
            } => {
                self.total.merge(&stats);
                self.history.add(worker, index, *stats, users);
                false
            }
            Report::Done {
                worker,
                index,
                stats,
                cpu,
                users,
            } => {
                self.total.merge(&stats);
                self.history.finish_worker(worker, index, *stats, users);
                self.cpu += cpu;
                true
            }
        }
    }

    /// The live line, the Prometheus text and the thresholds that may
    /// abort the run, once a second.
    fn every_second(&mut self, now: Instant) {
        let t = self.total.total();
        let f = frame(self.sc, &self.total, &t, &self.history, self.clock.now());
        if let Some(e) = self.prometheus {
            e.publish(prometheus_text(self.sc, &self.total, &f));
        }
        self.view.update(&f);
        self.last_live = now;
        if self.aborted.is_none() {
            if let Some(why) = self.check_abort(now) {
                self.stop(why);
            }
        }
    }

    /// Stops every worker, saying why.
    fn stop(&mut self, why: String) {
        self.aborted = Some(why);
        self.shared.stop.store(true, Ordering::Relaxed);
    }

    /// A threshold with `abort_after` that has failed for that long stops
    /// the run; returns why.
    fn check_abort(&mut self, now: Instant) -> Option<String> {
        let sc = self.sc;
        for (i, t) in sc.thresholds.iter().enumerate() {
            let Some(after) = t.abort_after else {
                continue;
            };
            let elapsed = now.saturating_duration_since(self.start);
            let verdicts = verdict::threshold(sc, t, &self.total, elapsed);
            match verdicts.iter().find(|v| !v.pass) {
                Some(v) => {
                    let first = *self.breach_since[i].get_or_insert(now);
                    if now.duration_since(first) >= after {
                        return Some(format!(
                            "threshold {} {} failed for {} (actual {})",
                            v.request,
                            v.limit,
                            humantime::format_duration(after),
                            v.actual
                        ));
                    }
                }
                None => self.breach_since[i] = None,
            }
        }
        None
    }
}
