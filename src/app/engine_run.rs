//! How `hornet http` and `hornet smpp` drive the engine: the live view,
//! the Prometheus endpoint and the `--hdr-log` fed once per interval, and
//! `--threshold` judged on the whole run.

use crate::cli::OutputArgs;
use crate::engine::{EngineError, RunOutput};
use crate::metrics::collector::IntervalStat;
use crate::metrics::Metrics;
use crate::plan::LoadPlan;
use crate::scenario::verdict::{CliThreshold, LimitVerdict, Measured};

use super::interval_log::IntervalLog;
use super::live::{start_exporter, EngineView};
use super::AppError;

/// What an engine run is called where it shows.
pub(super) struct Names {
    /// The TLS target label for Prometheus (`http`) and what the live
    /// view counts as active (`connections`).
    pub labels: (&'static str, &'static str),
    /// The name in the live view and on the Prometheus endpoint.
    pub live: String,
    /// The name (tag) in the `--hdr-log`.
    pub log: String,
}

/// A finished engine run.
pub(super) struct Driven {
    /// What the engine measured.
    pub out: RunOutput,
    /// The `--hdr-log`, complete and in place, or why not (reported after
    /// the other outputs are written).
    pub log: Result<(), AppError>,
    /// The live view, holding the Prometheus endpoint open until the
    /// command ends.
    pub _view: EngineView,
}

/// Runs `run` (the engine on a plan of `load`) with the live view, the
/// `--prometheus` endpoint and the `--hdr-log` fed every interval.
pub(super) fn drive(
    load: &LoadPlan,
    quiet: bool,
    files: &OutputArgs,
    names: Names,
    run: impl FnOnce(&mut dyn FnMut(&IntervalStat, &Metrics)) -> Result<RunOutput, EngineError>,
) -> Result<Driven, AppError> {
    let mut view = EngineView::new(quiet, load, names.labels, names.live);
    view.exporter = start_exporter(files.prometheus.as_deref())?;
    let mut log = IntervalLog::open(files.hdr_log.as_deref(), names.log, load.interval)?;
    let out = run(&mut |stat, m| {
        view.update(stat, m);
        if let Some(l) = log.as_mut() {
            l.record(stat, m);
        }
    })?;
    view.finish();
    let log = IntervalLog::finish(log, out.elapsed);
    Ok(Driven {
        out,
        log,
        _view: view,
    })
}

/// Judges `--threshold` limits on a whole run: `counts` are (answered,
/// failed without an answer, answered ok); failures are every request
/// that ended without an ok answer.
pub(super) fn judge_cli(
    thresholds: &[CliThreshold],
    out: &RunOutput,
    (answered, unanswered, ok): (u64, u64, u64),
    rps: f64,
    (verdicts, verdict): (&mut Vec<LimitVerdict>, &mut Option<String>),
) {
    if thresholds.is_empty() {
        return;
    }
    let ended = answered + unanswered;
    let m = Measured {
        latency: &out.collected.totals.latency,
        ended,
        failed: ended - ok.min(ended),
        passed: ok,
        rps,
    };
    *verdicts = crate::scenario::verdict::judge_cli(thresholds, &m);
    let pass = verdicts.iter().all(|v| v.pass);
    *verdict = Some(if pass { "pass" } else { "fail" }.into());
}
