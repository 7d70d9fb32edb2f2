//! The one end of every run: `hornet http`, `hornet smpp`, `hornet run`
//! and `hornet report` all finish here.
//!
//! A result document ([`HttpResult`], [`SmppResult`], [`ScenarioResult`])
//! is seen through [`Finished`]: its summary tables, its outcome, its
//! Locust CSV files, its HTML page and its HdrHistogram intervals (the JSON
//! is the document itself). [`finish`] prints the summary, judges the
//! outcome (and so the exit code), and writes every requested file, each
//! whole or not at all (see [`crate::report::output`]).
//!
//! Adding an output format is one [`Kind`] variant: its flag, its path in
//! [`OutputArgs`], how it is written, and its place in the lists below
//! (the compiler points at every `match`).
//!
//! [`HttpResult`]: crate::report::HttpResult
//! [`SmppResult`]: crate::report::smpp_result::SmppResult
//! [`ScenarioResult`]: crate::scenario::result::ScenarioResult

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use crate::cli::{ConfigError, OutputArgs};
use crate::report::hdr_log::HdrLog;
use crate::report::outcome::RunOutcome;
use crate::report::view::{LogEntry, RunView};
use crate::scenario::verdict::{InvariantVerdict, LimitVerdict};

use super::AppError;

/// How a command ended, when it ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The run completed and produced results.
    Completed,
    /// The run produced no successful exchange at all (e.g. every
    /// connection refused): the results are printed, but it did not work.
    NothingWorked {
        /// One line saying why (error kinds, bind refusal).
        reason: String,
    },
    /// The run completed but a threshold or invariant failed (exit 3).
    Failed {
        /// Which ones.
        reason: String,
    },
}

impl Outcome {
    /// The process exit code: 0 completed, 1 nothing worked, 3 a
    /// threshold or invariant failed.
    pub fn exit_code(&self) -> u8 {
        match self {
            Outcome::Completed => 0,
            Outcome::NothingWorked { .. } => 1,
            Outcome::Failed { .. } => 3,
        }
    }

    /// The result document's `outcome`: `interrupted` (by a signal) or
    /// `aborted` (by a threshold) when the load was cut short, else
    /// `nothing_worked` or `completed`; the reason joins what applies.
    fn document(&self, interrupted: bool, aborted: Option<&str>) -> RunOutcome {
        let own = match self {
            Outcome::Completed => None,
            Outcome::NothingWorked { reason } | Outcome::Failed { reason } => Some(reason.clone()),
        };
        let (status, cut) = if interrupted {
            let label = format!("{}: the load stopped early", crate::interrupt::label());
            ("interrupted", Some(aborted.map_or(label, str::to_string)))
        } else if let Some(a) = aborted {
            ("aborted", Some(a.to_string()))
        } else if matches!(self, Outcome::NothingWorked { .. }) {
            ("nothing_worked", None)
        } else {
            ("completed", None)
        };
        let reason = match (cut, own) {
            (Some(c), Some(o)) => Some(format!("{c}; {o}")),
            (c, o) => c.or(o),
        };
        RunOutcome {
            status: status.into(),
            reason,
            exit_code: self.exit_code(),
        }
    }
}

/// A result document, as every output reads it. The JSON is the document
/// itself (`Serialize`); the rest is derived from it.
pub trait Finished: serde::Serialize {
    /// What a saved document of this kind is called in errors
    /// (`hornet http`).
    const KIND: &'static str;

    /// The tables printed on stdout when the run ends.
    fn summary(&self) -> String;

    /// How the run went: completed, nothing worked (exit 1), or a
    /// threshold or invariant failed (exit 3).
    fn outcome(&self) -> Outcome;

    /// Whether a signal cut the load short, and why a threshold aborted
    /// it, for the document's `outcome`.
    fn cut_short(&self) -> (bool, Option<&str>);

    /// The document in the shape every other output reads: the summary
    /// table, the Locust CSV files, the HTML page, the HdrHistogram log.
    fn view(&self) -> RunView;

    /// Rebuilds what a saved document leaves out (histograms decoded from
    /// their base64 form), so the outputs read it as after a run.
    fn rehydrate(&mut self) -> Result<(), String>;
}

/// One kind of output file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// `--json FILE`: the result document with its `outcome`.
    Json,
    /// `--csv PREFIX`: Locust's three CSV files.
    Csv,
    /// `--html FILE`: the HTML report.
    Html,
    /// `--hdr-log FILE`: the HdrHistogram interval log.
    HdrLog,
}

/// The order in which output paths are checked before a run (the order of
/// the flags in `--help`), so the first bad one named stays the same.
const CHECKED: [Kind; 4] = [Kind::Json, Kind::Html, Kind::HdrLog, Kind::Csv];

/// The files a run writes when it ends, in this order (a live run writes
/// its `--hdr-log` while it goes).
const AT_END: [Kind; 3] = [Kind::Json, Kind::Csv, Kind::Html];

/// The files `hornet report` rebuilds from a saved result, in this order.
pub(super) const REBUILT: [Kind; 3] = [Kind::Html, Kind::Csv, Kind::HdrLog];

impl Kind {
    /// The flag that asks for it.
    fn flag(self) -> &'static str {
        match self {
            Kind::Json => "--json",
            Kind::Csv => "--csv",
            Kind::Html => "--html",
            Kind::HdrLog => "--hdr-log",
        }
    }

    /// Where it goes, if asked for (the CSV prefix for `--csv`).
    fn path(self, files: &OutputArgs) -> Option<&Path> {
        match self {
            Kind::Json => files.json.as_deref(),
            Kind::Csv => files.csv.as_deref(),
            Kind::Html => files.html.as_deref(),
            Kind::HdrLog => files.hdr_log.as_deref(),
        }
    }

    /// The files written at `path` (three for a CSV prefix).
    fn files(self, path: &Path) -> Vec<std::path::PathBuf> {
        match self {
            Kind::Csv => crate::report::locust_csv::paths(path).to_vec(),
            _ => vec![path.to_path_buf()],
        }
    }

    /// The error for a failed write at `path`.
    fn error(self, path: &Path, source: std::io::Error) -> AppError {
        let path = path.display().to_string();
        match self {
            Kind::Json => AppError::Json { path, source },
            Kind::Csv => AppError::Csv { path, source },
            Kind::Html => AppError::Html { path, source },
            Kind::HdrLog => AppError::HdrLog { path, source },
        }
    }

    /// Writes `result` as this kind to `path`, whole or not at all; the
    /// JSON carries `outcome` when there is one.
    /// The view is built on first use, once for every file.
    fn write<R: Finished>(
        self,
        result: &R,
        view: &mut Option<RunView>,
        outcome: Option<&RunOutcome>,
        path: &Path,
    ) -> Result<(), AppError> {
        let written = match self {
            Kind::Json => match outcome {
                Some(o) => crate::report::outcome::write_json(result, o, path),
                None => crate::report::write_json(result, path),
            },
            Kind::Csv => view.get_or_insert_with(|| result.view()).csv.write(path),
            Kind::Html => {
                let page = view.get_or_insert_with(|| result.view()).render();
                crate::report::output::write_bytes(path, page.as_bytes())
            }
            Kind::HdrLog => {
                let v = view.get_or_insert_with(|| result.view());
                write_log(&v.log, v.started_unix_s, path)
            }
        };
        written.map_err(|source| self.error(path, source))
    }
}

/// Checks every output path before any traffic, so a bad path fails at
/// once (exit 2) instead of after the whole run. Nothing is created or
/// truncated at those paths: a temporary file is created and removed
/// beside each, and the files are written (through temporary files
/// renamed into place) at the end.
pub(super) fn precheck_outputs(files: &OutputArgs) -> Result<(), AppError> {
    for kind in CHECKED {
        let Some(asked) = kind.path(files) else {
            continue;
        };
        for path in kind.files(asked) {
            crate::report::output::check(&path).map_err(|source| {
                AppError::Config(ConfigError::Output {
                    flag: kind.flag(),
                    path: path.display().to_string(),
                    source,
                })
            })?;
        }
    }
    Ok(())
}

/// Writes the files of `kinds` that `files` asks for, in that order, each
/// whole or not at all; the first failure stops the rest.
pub(super) fn write_outputs<R: Finished>(
    result: &R,
    outcome: Option<&RunOutcome>,
    files: &OutputArgs,
    kinds: &[Kind],
) -> Result<(), AppError> {
    let mut view = None;
    for kind in kinds {
        if let Some(path) = kind.path(files) {
            kind.write(result, &mut view, outcome, path)?;
        }
    }
    Ok(())
}

/// The end of a run that loaded: prints the summary on stdout, judges the
/// outcome, writes the JSON (with its `outcome`), CSV and HTML files asked
/// for, then reports a failed `--hdr-log` (`live_log`, written during the
/// run). The outcome says the exit code.
pub(super) fn finish<R: Finished>(
    result: &R,
    files: &OutputArgs,
    live_log: Result<(), AppError>,
) -> Result<Outcome, AppError> {
    print_summary(result);
    let outcome = result.outcome();
    let (interrupted, aborted) = result.cut_short();
    let doc = outcome.document(interrupted, aborted);
    write_outputs(result, Some(&doc), files, &AT_END)?;
    live_log?;
    Ok(outcome)
}

/// The end of a run that never loaded (a setup step failed or was
/// interrupted): the summary, and the JSON and HTML with outcome `failed`
/// or `interrupted` (exit 1). The CSV files and the HdrHistogram log would
/// hold nothing, so any earlier ones stay as they were.
pub(super) fn finish_unloaded<R: Finished>(
    result: &R,
    files: &OutputArgs,
    reason: &str,
    interrupted: bool,
) -> Result<(), AppError> {
    print_summary(result);
    let doc = RunOutcome {
        status: if interrupted { "interrupted" } else { "failed" }.into(),
        reason: Some(reason.to_string()),
        exit_code: 1,
    };
    let files = OutputArgs {
        csv: None,
        ..files.clone()
    };
    write_outputs(result, Some(&doc), &files, &AT_END)
}

/// The summary tables on stdout, flushed before any file is written.
fn print_summary<R: Finished>(result: &R) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(result.summary().as_bytes());
    let _ = stdout.flush();
}

/// Exit 3 with the failed thresholds and invariants named, or completed.
pub(super) fn verdict_outcome(
    thresholds: &[LimitVerdict],
    invariants: &[InvariantVerdict],
) -> Outcome {
    let mut failed: Vec<String> = thresholds
        .iter()
        .filter(|t| !t.pass)
        .map(|t| format!("threshold {} {} (actual {})", t.request, t.limit, t.actual))
        .collect();
    failed.extend(
        invariants
            .iter()
            .filter(|i| !i.pass)
            .map(|i| format!("invariant {}", i.expr)),
    );
    if failed.is_empty() {
        Outcome::Completed
    } else {
        Outcome::Failed {
            reason: format!("FAILED: {}", failed.join("; ")),
        }
    }
}

/// `kind: n, kind: n` for a reason line, or `no errors recorded`.
pub(super) fn counts_line(map: &std::collections::BTreeMap<String, u64>) -> String {
    if map.is_empty() {
        return "no errors recorded".to_string();
    }
    map.iter()
        .map(|(k, n)| format!("{k}: {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Writes a rebuilt HdrHistogram log, its start `started_at` (Unix
/// seconds), whole or not at all; empty intervals are left out.
fn write_log(log: &[LogEntry], started_at: f64, path: &Path) -> std::io::Result<()> {
    let base = std::time::UNIX_EPOCH + Duration::from_secs_f64(started_at.max(0.0));
    let mut out = HdrLog::create(path, base)?;
    for e in log {
        if e.histogram.is_empty() {
            continue;
        }
        let h = crate::metrics::codec::decode(&e.histogram).map_err(std::io::Error::other)?;
        out.write(
            &e.name,
            Duration::from_secs_f64(e.start_s.max(0.0)),
            Duration::from_secs_f64(e.length_s.max(0.0)),
            &h,
        )?;
    }
    out.finish()
}

#[cfg(test)]
mod tests;
