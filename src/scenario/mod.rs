//! The scenario runtime: runs a compiled profile. Setup steps first (on a
//! blocking socket), then the load on worker event loops, then teardown,
//! then thresholds and invariants.
//!
//! Workers send their stats once a second over a crossbeam channel; the
//! coordinator merges them, prints the live line and evaluates thresholds
//! that may abort the run early.

pub mod classes;
pub mod conn;
pub mod direct;
pub mod exchange;
pub mod failure;
pub mod result;
pub mod smpp_conn;
pub mod stats;
pub mod timeline;
pub mod user;
pub mod verdict;
pub mod worker;

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use thiserror::Error;

use self::direct::{run_steps, StepReport};
use self::result::ScenarioResult;
use self::stats::RunStats;
use self::timeline::Timeline;
use self::worker::{ClassPlan, Report, Shared, WorkerSetup};
use crate::engine::clock::Clock;
use crate::profile::values::Value;
use crate::profile::Scenario;
use crate::report::hdr_log::HdrLog;
use crate::report::live::{Frame, LiveView};

/// Why a scenario could not run.
#[derive(Debug, Error)]
pub enum ScenarioError {
    /// A setup step failed, or a signal stopped it; no load was
    /// generated. `result` is the document that says so (the setup
    /// steps, `aborted` naming the step), written like any result.
    #[error("{reason}")]
    Setup {
        /// The step that failed.
        step: StepReport,
        /// One line: which step failed and why, or that SIGINT/SIGTERM
        /// stopped it.
        reason: String,
        /// SIGINT or SIGTERM stopped the setup.
        interrupted: bool,
        /// The result document of the run that never loaded.
        result: Box<ScenarioResult>,
    },
    /// A worker thread could not start.
    #[error("cannot start a worker: {0}")]
    Spawn(std::io::Error),
}

/// Runs `sc`. `live` prints a progress line per second to stderr.
pub fn run(sc: Scenario, live: bool) -> Result<ScenarioResult, ScenarioError> {
    run_with(
        sc,
        RunOptions {
            live,
            ..RunOptions::default()
        },
    )
    .map(|(r, _)| r)
}

/// How to run: progress line, interval log, failure rule.
#[derive(Debug, Default)]
pub struct RunOptions<'a> {
    /// Print a progress line per second to stderr.
    pub live: bool,
    /// Write each second's histogram per request name to this file (an
    /// HdrHistogram interval log whose base time is the load's start).
    pub hdr_log: Option<&'a std::path::Path>,
    /// Publish live metrics here once a second.
    pub prometheus: Option<&'a crate::serve::prometheus::Exporter>,
    /// `--allow-failures`: failed requests and checks do not fail a run
    /// whose profile has no threshold on them (see
    /// [`verdict::failure_rule`]).
    pub allow_failures: bool,
}

/// Runs `sc`; also returns the first interval-log write error (the run is
/// not cut short by one).
pub fn run_with(
    sc: Scenario,
    opts: RunOptions<'_>,
) -> Result<(ScenarioResult, Option<std::io::Error>), ScenarioError> {
    let RunOptions {
        live,
        hdr_log,
        prometheus,
        allow_failures,
    } = opts;
    let mut log_error = None;
    let sc = Arc::new(sc);
    let mut globals = vec![Value::default(); sc.globals.len() + sc.teardown_vars.len()];
    let mut setup_reports = Vec::new();
    let interrupted = crate::interrupt::requested;
    if !run_steps(
        &sc,
        failure::StepId::SETUP,
        &mut globals,
        &mut setup_reports,
        &interrupted,
    ) {
        let step = setup_reports
            .last()
            .cloned()
            .expect("a failed step reports");
        // A signal during setup ends that step within 0.1 s: no load and
        // no teardown run (the user wants out now); the result says where
        // the run stopped.
        let interrupted = interrupted();
        let reason = if interrupted {
            format!(
                "{} during setup step `{}`: no load was generated",
                crate::interrupt::label(),
                step.name
            )
        } else {
            format!(
                "setup step `{}` failed: {}",
                step.name,
                step.failure.as_deref().unwrap_or("?")
            )
        };
        let mut result = setup_failure(&sc, &globals, setup_reports, &reason);
        result.interrupted = interrupted;
        return Err(ScenarioError::Setup {
            step,
            reason,
            interrupted,
            result: Box::new(result),
        });
    }
    let shared = Arc::new(Shared {
        seq: AtomicU64::new(0),
        iterations: AtomicU64::new(0),
        stop: AtomicBool::new(false),
        cursors: sc.feeds.iter().map(|_| AtomicUsize::new(0)).collect(),
    });
    let plan = Arc::new(ClassPlan::new(&sc));
    let frozen = Arc::new(globals.clone());
    // Bounded, as the engine's snapshots: a worker ahead of the
    // coordinator waits rather than queueing reports without limit.
    let workers = sc.load.threads;
    let (tx, rx) = crossbeam_channel::bounded(workers * 4);
    // Zero is now: a clock starting in the future would read 0 for the
    // first requests and record their latency as nothing.
    let start = Instant::now();
    let mut log_file = match hdr_log {
        Some(path) => match HdrLog::create(path, std::time::SystemTime::now()) {
            Ok(l) => Some(l),
            Err(e) => {
                log_error = Some(e);
                None
            }
        },
        None => None,
    };
    let mut hdr_log = log_file.as_mut();
    let started_at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    let clock = Clock::new(start);
    let cores = crate::engine::worker_cores();
    let mut handles = Vec::new();
    for index in 0..workers {
        let setup = WorkerSetup {
            index,
            workers,
            // Each worker its own copy: the Arc is cloned on the hot path,
            // and one shared count would bounce between cores.
            scenario: Arc::new((*sc).clone()),
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
    drop(tx);

    let mut total = RunStats::new(sc.names.len());
    let mut done = 0;
    let mut cpu = Duration::ZERO;
    let mut breach_since: Vec<Option<Instant>> = vec![None; sc.thresholds.len()];
    let mut aborted = None;
    let mut last_live = (Instant::now(), 0u64);
    let mut timeline = Timeline::new(workers, sc.names.len());
    let mut view = LiveView::new(!live);
    while done < workers {
        match rx.recv_timeout(Duration::from_millis(250)) {
            Ok(Report::Interval {
                worker,
                index,
                stats,
                users,
            }) => {
                total.merge(&stats);
                timeline.add(worker, index, &stats, users);
            }
            Ok(Report::Done {
                worker,
                index,
                stats,
                cpu: c,
                users,
            }) => {
                total.merge(&stats);
                timeline.finish(worker, index, &stats, users);
                cpu += c;
                done += 1;
            }
            Err(crossbeam_channel::RecvTimeoutError::Timeout) => {}
            Err(crossbeam_channel::RecvTimeoutError::Disconnected) => break,
        }
        timeline.emit_ready(&sc, clock.now(), &mut hdr_log, &mut log_error);
        if aborted.is_none() && crate::interrupt::requested() {
            aborted = Some(format!(
                "{}: the load stopped early",
                crate::interrupt::label()
            ));
            shared.stop.store(true, Ordering::Relaxed);
        }
        let now = Instant::now();
        if now.duration_since(last_live.0) >= Duration::from_secs(1) {
            let t = total.total();
            let f = frame(&sc, &total, &t, &timeline, clock.now());
            if let Some(e) = prometheus {
                e.publish(prometheus_text(&sc, &total, &f));
            }
            view.update(&f);
            last_live = (now, t.requests);
            if aborted.is_none() {
                aborted = check_abort(&sc, &total, &mut breach_since, now, start);
                if aborted.is_some() {
                    shared.stop.store(true, Ordering::Relaxed);
                }
            }
        }
    }
    // A worker that died without its final report would hold every later
    // second back: emit what arrived.
    timeline.give_up_waiting();
    timeline.emit_ready(&sc, clock.now(), &mut hdr_log, &mut log_error);
    let history = timeline.points;
    view.finish();
    let mut worker_error = None;
    for h in handles {
        match h.join() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => worker_error = Some(e.to_string()),
            Err(_) => worker_error = Some("a worker thread panicked".into()),
        }
    }
    let elapsed = start.elapsed();
    if let (Some(l), None) = (log_file.take(), &log_error) {
        // The log appears at its path only now, complete (after a write
        // error it is dropped, and an earlier log there stays).
        log_error = l.finish().err();
    }
    let mut teardown_reports = Vec::new();
    // Teardown runs after a Ctrl-C of the load (to capture what invariants
    // compare); a Ctrl-C that arrives during teardown cuts it short.
    let interrupted_before = interrupted();
    let teardown_stop = || !interrupted_before && interrupted();
    run_steps(
        &sc,
        failure::StepId::TEARDOWN,
        &mut globals,
        &mut teardown_reports,
        &teardown_stop,
    );
    if aborted.is_none() && interrupted() {
        aborted = Some(if interrupted_before {
            format!("{}: the load stopped early", crate::interrupt::label())
        } else {
            format!("{} during teardown", crate::interrupt::label())
        });
    }
    let mut result = ScenarioResult::build(
        &sc,
        &total,
        elapsed,
        cpu,
        &globals,
        setup_reports,
        teardown_reports,
        aborted,
        worker_error,
        history,
    )
    .started_at(started_at);
    result.interrupted = interrupted();
    if let Some(rule) = verdict::failure_rule(&sc, &total.total(), allow_failures) {
        if !rule.pass {
            result.verdict = "fail".into();
        }
        result.thresholds.push(rule);
    }
    Ok((result, log_error))
}

/// The result document of a run whose setup failed (or was interrupted):
/// the setup steps as they went, `aborted` saying why, no load, verdict
/// fail. Thresholds and invariants are left out: with no load they would
/// only repeat that nothing ran.
fn setup_failure(
    sc: &Scenario,
    globals: &[Value],
    setup: Vec<StepReport>,
    reason: &str,
) -> ScenarioResult {
    let mut bare = sc.clone();
    bare.thresholds.clear();
    bare.invariants.clear();
    let started_at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    let mut result = ScenarioResult::build(
        &bare,
        &RunStats::new(sc.names.len()),
        Duration::ZERO,
        Duration::ZERO,
        globals,
        setup,
        Vec::new(),
        Some(reason.to_string()),
        None,
        Vec::new(),
    )
    .started_at(started_at);
    result.verdict = "fail".into();
    result
}

/// A threshold with `abort_after` that has failed for that long stops the
/// run; returns why.
fn check_abort(
    sc: &Scenario,
    total: &RunStats,
    since: &mut [Option<Instant>],
    now: Instant,
    start: Instant,
) -> Option<String> {
    for (i, t) in sc.thresholds.iter().enumerate() {
        let Some(after) = t.abort_after else {
            continue;
        };
        let verdicts = verdict::threshold(sc, t, total, now.saturating_duration_since(start));
        match verdicts.iter().find(|v| !v.pass) {
            Some(v) => {
                let first = *since[i].get_or_insert(now);
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
            None => since[i] = None,
        }
    }
    None
}

/// The live view's frame: the last complete second, totals so far, errors
/// by kind and reason, the busiest names.
fn frame(
    sc: &Scenario,
    total: &RunStats,
    t: &stats::NameStats,
    timeline: &Timeline,
    now_ns: u64,
) -> Frame {
    let last = timeline.points.last();
    let mut errors: std::collections::BTreeMap<String, u64> = std::collections::BTreeMap::new();
    for n in &total.names {
        for k in crate::metrics::ErrorKind::ALL {
            if n.errors[k as usize] > 0 {
                *errors.entry(k.name().to_string()).or_default() += n.errors[k as usize];
            }
        }
        for (r, c) in &n.reasons {
            *errors.entry(r.describe(sc)).or_default() += c;
        }
        for (r, c) in &n.error_reasons {
            *errors.entry(r.describe()).or_default() += c;
        }
    }
    let mut errors: Vec<(String, u64)> = errors.into_iter().collect();
    errors.sort_by_key(|e| std::cmp::Reverse(e.1));
    let mut top: Vec<(String, u64, u64)> = sc
        .names
        .iter()
        .zip(&total.names)
        .filter(|(_, n)| n.requests > 0)
        .map(|(name, n)| (name.clone(), n.requests, n.failed()))
        .collect();
    top.sort_by_key(|e| std::cmp::Reverse(e.1));
    let (shape, open) = match &sc.load.model {
        crate::profile::scenario::LoadModel::Closed { shape } => (shape, false),
        crate::profile::scenario::LoadModel::Open { shape, .. } => (shape, true),
    };
    Frame {
        elapsed_s: now_ns as f64 / 1e9,
        total_s: sc.load.run_time.as_secs_f64(),
        stage: shape.stage_label(now_ns as f64),
        rate: last.map_or(0.0, |p| p.rps),
        target_rate: open.then(|| shape.level_at(now_ns as f64)),
        active: timeline.users_now(),
        active_label: "users",
        p50_us: last.map_or(0, |p| p.p50_us),
        p95_us: last.map_or(0, |p| p.p95_us),
        p99_us: last.map_or(0, |p| p.p99_us),
        total_requests: t.requests,
        total_failures: t.failed(),
        errors,
        top,
    }
}

/// The `--prometheus` text: every request name's counters so far.
fn prometheus_text(sc: &Scenario, total: &RunStats, f: &Frame) -> String {
    use crate::report::prometheus::{render, Series, Snapshot};
    let series = sc
        .names
        .iter()
        .zip(&total.names)
        .map(|(name, n)| {
            let mut errors: std::collections::BTreeMap<String, u64> = n
                .reasons
                .iter()
                .map(|(r, c)| (r.describe(sc), *c))
                .collect();
            for k in crate::metrics::ErrorKind::ALL {
                if n.errors[k as usize] > 0 {
                    errors.insert(k.name().to_string(), n.errors[k as usize]);
                }
            }
            if n.bind_failed > 0 {
                errors.insert("bind_failed".into(), n.bind_failed);
            }
            Series {
                name,
                requests: n.responses() + n.error_total(),
                failures: n.failed(),
                statuses: n.status.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
                errors,
                latency: &n.latency,
            }
        })
        .collect();
    render(&Snapshot {
        series,
        active: f.active,
        active_label: "users",
        rate: f.rate,
        target_rate: f.target_rate,
        tls: [
            (
                "http",
                &total.http_tls,
                sc.http.as_ref().is_some_and(|t| t.tls.is_some()),
            ),
            (
                "smpp",
                &total.smpp_tls,
                sc.smpp.as_ref().is_some_and(|t| t.tls.is_some()),
            ),
        ]
        .into_iter()
        .filter(|(_, _, on)| *on)
        .map(|(target, t, _)| (target, t))
        .collect(),
    })
}
