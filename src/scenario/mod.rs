//! The scenario runtime: runs a compiled profile. Setup steps first (on a
//! blocking socket), then the load on worker event loops, then teardown,
//! then thresholds and invariants.
//!
//! Workers record per request name ([`crate::metrics::RunStats`]) and
//! send their stats once a second over a bounded crossbeam channel; the
//! coordinator ([`coordinator`]) merges them through the metrics'
//! timeline, prints the live line and evaluates thresholds that may abort
//! the run early.
//!
//! One job per file: this one, the run's phases; `coordinator.rs` the
//! load phase; `history.rs` the per-second history; `live.rs` the live
//! frame and Prometheus text; `result.rs` the result document and
//! `summary.rs` its printed tables; `verdict.rs` thresholds and
//! invariants; `worker/` the users' event loop.

pub mod classes;
pub mod conn;
pub mod coordinator;
pub mod direct;
pub mod exchange;
pub mod failure;
pub mod history;
pub mod live;
pub mod result;
pub mod smpp_conn;
pub mod summary;
pub mod user;
pub mod verdict;
pub mod worker;

use std::sync::Arc;
use std::time::Duration;

use thiserror::Error;

use self::coordinator::LoadOutcome;
use self::direct::{run_steps, StepReport};
use self::failure::StepId;
use self::result::ScenarioResult;
use crate::metrics::RunStats;
use crate::profile::values::Value;
use crate::profile::Scenario;

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
    let sc = Arc::new(sc);
    let mut globals = vec![Value::default(); sc.globals.len() + sc.teardown_vars.len()];
    let mut setup_reports = Vec::new();
    let interrupted = crate::interrupt::requested;
    if !run_steps(
        &sc,
        StepId::SETUP,
        &mut globals,
        &mut setup_reports,
        &interrupted,
    ) {
        return Err(setup_error(&sc, &globals, setup_reports));
    }
    let mut load = coordinator::run_load(&sc, &globals, &opts)?;
    let teardown_reports = teardown(&sc, &mut globals, &mut load.aborted);
    let log_error = load.log_error.take();
    let result = load_result(
        &sc,
        load,
        &globals,
        setup_reports,
        teardown_reports,
        opts.allow_failures,
    );
    Ok((result, log_error))
}

/// The error of a run whose setup failed (or was interrupted): which step
/// and why, and the result document that says so.
fn setup_error(sc: &Scenario, globals: &[Value], setup_reports: Vec<StepReport>) -> ScenarioError {
    let step = setup_reports
        .last()
        .cloned()
        .expect("a failed step reports");
    // A signal during setup ends that step within 0.1 s: no load and no
    // teardown run (the user wants out now); the result says where the
    // run stopped.
    let interrupted = crate::interrupt::requested();
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
    let mut result = setup_failure(sc, globals, setup_reports, &reason);
    result.interrupted = interrupted;
    ScenarioError::Setup {
        step,
        reason,
        interrupted,
        result: Box::new(result),
    }
}

/// Runs the teardown steps. They run after a Ctrl-C of the load (to
/// capture what invariants compare); a Ctrl-C that arrives during
/// teardown cuts it short, and either is named in `aborted` if nothing
/// else stopped the run.
fn teardown(sc: &Scenario, globals: &mut [Value], aborted: &mut Option<String>) -> Vec<StepReport> {
    let interrupted = crate::interrupt::requested;
    let mut reports = Vec::new();
    let interrupted_before = interrupted();
    let teardown_stop = || !interrupted_before && interrupted();
    run_steps(sc, StepId::TEARDOWN, globals, &mut reports, &teardown_stop);
    if aborted.is_none() && interrupted() {
        *aborted = Some(if interrupted_before {
            format!("{}: the load stopped early", crate::interrupt::label())
        } else {
            format!("{} during teardown", crate::interrupt::label())
        });
    }
    reports
}

/// The result document of a run that loaded: built from the merged
/// stats, with the failure rule of `--allow-failures` applied.
fn load_result(
    sc: &Scenario,
    load: LoadOutcome,
    globals: &[Value],
    setup_reports: Vec<StepReport>,
    teardown_reports: Vec<StepReport>,
    allow_failures: bool,
) -> ScenarioResult {
    let mut result = ScenarioResult::build(
        sc,
        &load.total,
        load.elapsed,
        load.cpu,
        globals,
        setup_reports,
        teardown_reports,
        load.aborted,
        load.worker_error,
        load.history,
    )
    .started_at(load.started_at);
    result.interrupted = crate::interrupt::requested();
    if let Some(rule) = verdict::failure_rule(sc, &load.total.total(), allow_failures) {
        if !rule.pass {
            result.verdict = "fail".into();
        }
        result.thresholds.push(rule);
    }
    result
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
