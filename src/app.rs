//! What each subcommand does, from validated flags to printed results.
//! `main` only parses arguments and maps the outcome to an exit code.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use clap::Parser;

use thiserror::Error;

use crate::cli::tls::TlsArgs;
use crate::cli::{ConfigError, DemoArgs, HttpArgs, OutputArgs, SmppArgs};
use crate::engine::{run_http, run_smpp, EngineError};
use crate::metrics::collector::IntervalStat;
use crate::metrics::Metrics;
use crate::plan::HttpPlan;
use crate::report::hdr_log::HdrLog;
use crate::report::html::HtmlReport;
use crate::report::live::{Frame, LiveView};
use crate::report::locust_csv::CsvReport;
use crate::report::outcome::RunOutcome;
use crate::report::prometheus::{
    render as render_prometheus, Series as PromSeries, Snapshot as PromSnapshot,
};
use crate::report::smpp_result::SmppResult;
use crate::report::{smpp_summary, summary, HttpResult};
use crate::scenario::verdict::{CliThreshold, Measured};
use crate::serve::prometheus::Exporter;

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

/// The outcome of a run that never loaded (a setup step failed or was
/// interrupted): exit 1.
fn failed_document(reason: &str, interrupted: bool) -> RunOutcome {
    RunOutcome {
        status: if interrupted { "interrupted" } else { "failed" }.into(),
        reason: Some(reason.to_string()),
        exit_code: 1,
    }
}

/// Exit 3 with the failed thresholds and invariants named, or completed.
fn verdict_outcome(
    thresholds: &[crate::scenario::verdict::LimitVerdict],
    invariants: &[crate::scenario::verdict::InvariantVerdict],
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

fn counts_line(map: &std::collections::BTreeMap<String, u64>) -> String {
    if map.is_empty() {
        return "no errors recorded".to_string();
    }
    map.iter()
        .map(|(k, n)| format!("{k}: {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Why a command could not run or finish.
#[derive(Debug, Error)]
pub enum AppError {
    /// Bad flags or configuration: nothing was sent.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The profile is invalid: nothing was sent.
    #[error(transparent)]
    Profile(#[from] crate::profile::ProfileError),
    /// The scenario could not run (setup failed, no thread).
    #[error(transparent)]
    Scenario(#[from] crate::scenario::ScenarioError),
    /// The engine could not run.
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// The demo's built-in target or SMSC could not start.
    #[error("could not start the demo's built-in server: {0}")]
    DemoTarget(std::io::Error),
    /// A saved result cannot be read back.
    #[error("cannot read result '{path}': {reason}")]
    Result {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// Writing the HTML report failed.
    #[error("cannot write --html file '{path}': {source}")]
    Html {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// Writing the HdrHistogram log failed.
    #[error("cannot write --hdr-log file '{path}': {source}")]
    HdrLog {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// Writing the CSV files failed.
    #[error("cannot write --csv files '{path}_*.csv': {source}")]
    Csv {
        /// The prefix.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// Writing the JSON result failed.
    #[error("cannot write --json file '{path}': {source}")]
    Json {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
}

/// `hornet http`: validate, run, report.
pub fn http(args: HttpArgs) -> Result<(HttpResult, Outcome), AppError> {
    let quiet = args.quiet;
    let files = args.out.clone();
    let thresholds = args.verdict.thresholds.clone();
    let plan = args.into_plan()?;
    crate::cli::limits::check(
        &format!("{} connections (-c/--connections)", plan.load.connections),
        plan.load.connections,
        plan.load.max_connections,
        plan.load.threads,
    )?;
    precheck_outputs(&files)?;
    crate::interrupt::install();
    execute(plan, quiet, &files, &thresholds)
}

/// Runs a plan, prints the summary on stdout, writes every requested
/// file, and judges `thresholds`.
pub fn execute(
    plan: HttpPlan,
    quiet: bool,
    files: &OutputArgs,
    thresholds: &[CliThreshold],
) -> Result<(HttpResult, Outcome), AppError> {
    let name = crate::report::common::url_name(&plan.url);
    let mut live = EngineView::new(
        quiet,
        &plan.load,
        ("http", "connections"),
        format!("{} {name}", plan.method),
    );
    live.exporter = start_exporter(files.prometheus.as_deref())?;
    let mut log = IntervalLog::open(files.hdr_log.as_deref(), name, plan.load.interval)?;
    let out = run_http(&plan, |stat, m| {
        live.update(stat, m);
        if let Some(l) = log.as_mut() {
            l.record(stat, m);
        }
    })?;
    live.finish();
    let log_result = IntervalLog::finish(log, out.elapsed);
    let mut result = HttpResult::new(&plan, &out);
    judge_cli(
        thresholds,
        &out,
        (result.requests, result.failed + result.timed_out, result.ok),
        result.throughput,
        (&mut result.thresholds, &mut result.verdict),
    );
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(summary::render(&result).as_bytes());
    let _ = stdout.flush();
    let outcome = if result.nothing_worked() {
        Outcome::NothingWorked {
            reason: format!(
                "no request got a response ({})",
                counts_line(&result.errors)
            ),
        }
    } else {
        verdict_outcome(&result.thresholds, &[])
    };
    let doc = outcome.document(result.interrupted, None);
    write_outputs(
        files,
        &result,
        &doc,
        || CsvReport::from_http(&result),
        || HtmlReport::from_http(&result),
    )?;
    log_result?;
    Ok((result, outcome))
}

/// Judges `--threshold` limits on a whole run: `counts` are (answered,
/// failed without an answer, answered ok); failures are every request
/// that ended without an ok answer.
fn judge_cli(
    thresholds: &[CliThreshold],
    out: &crate::engine::RunOutput,
    (answered, unanswered, ok): (u64, u64, u64),
    rps: f64,
    (verdicts, verdict): (
        &mut Vec<crate::scenario::verdict::LimitVerdict>,
        &mut Option<String>,
    ),
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

/// Writes the files a run asked for, each whole or not at all: the JSON
/// with its outcome, then the CSV files and the HTML page (built only if
/// asked for).
fn write_outputs<T: serde::Serialize>(
    files: &OutputArgs,
    result: &T,
    doc: &RunOutcome,
    csv: impl FnOnce() -> CsvReport,
    html: impl FnOnce() -> HtmlReport,
) -> Result<(), AppError> {
    if let Some(path) = &files.json {
        crate::report::outcome::write_json(result, doc, path).map_err(|source| AppError::Json {
            path: path.display().to_string(),
            source,
        })?;
    }
    if let Some(prefix) = &files.csv {
        write_csv(&csv(), prefix)?;
    }
    if let Some(path) = &files.html {
        write_html(&html(), path)?;
    }
    Ok(())
}

/// `hornet smpp`: validate, run, report.
pub fn smpp(args: SmppArgs) -> Result<(SmppResult, Outcome), AppError> {
    let quiet = args.quiet;
    let out = args.out.clone();
    let thresholds = args.verdict.thresholds.clone();
    let plan = args.into_plan()?;
    crate::cli::limits::check(
        &format!("{} sessions (--sessions)", plan.load.connections),
        plan.load.connections,
        plan.load.max_connections,
        plan.load.threads,
    )?;
    precheck_outputs(&out)?;
    crate::interrupt::install();
    let mut live = EngineView::new(quiet, &plan.load, ("smpp", "binds"), "submit_sm".into());
    live.exporter = start_exporter(out.prometheus.as_deref())?;
    let mut log = IntervalLog::open(
        out.hdr_log.as_deref(),
        "submit_sm".into(),
        plan.load.interval,
    )?;
    let run = run_smpp(&plan, |stat, m| {
        live.update(stat, m);
        if let Some(l) = log.as_mut() {
            l.record(stat, m);
        }
    })?;
    live.finish();
    let log_result = IntervalLog::finish(log, run.elapsed);
    let mut result = SmppResult::new(&plan, &run);
    judge_cli(
        &thresholds,
        &run,
        (result.requests, result.failed + result.timed_out, result.ok),
        result.throughput,
        (&mut result.thresholds, &mut result.verdict),
    );
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(smpp_summary::render(&result).as_bytes());
    let _ = stdout.flush();
    let outcome = if !result.nothing_worked() {
        verdict_outcome(&result.thresholds, &[])
    } else if let Some(reason) = result.bind_failure() {
        Outcome::NothingWorked { reason }
    } else if result.sessions.bound == 0 {
        Outcome::NothingWorked {
            reason: format!(
                "no session could bind (connection errors: {})",
                counts_line(&result.connect_errors)
            ),
        }
    } else {
        Outcome::NothingWorked {
            reason: format!(
                "no submit_sm got a response ({})",
                counts_line(&result.errors)
            ),
        }
    };
    let doc = outcome.document(result.interrupted, None);
    write_outputs(
        &out,
        &result,
        &doc,
        || CsvReport::from_smpp(&result),
        || HtmlReport::from_smpp(&result),
    )?;
    log_result?;
    Ok((result, outcome))
}

/// `hornet demo`: serve the built-in HTTP target and SMSC on ephemeral
/// loopback ports and load each briefly. Completed only if both worked.
pub fn demo(args: DemoArgs) -> Result<Outcome, AppError> {
    let http_outcome = demo_http(&args)?;
    println!();
    let smpp_outcome = demo_smpp(&args)?;
    println!();
    let profile_outcome = demo_profile(&args)?;
    let smpp_outcome = match (smpp_outcome, profile_outcome) {
        (Outcome::Completed, other) => other,
        (first, _) => first,
    };
    Ok(match (http_outcome, smpp_outcome) {
        (Outcome::Completed, Outcome::Completed) => Outcome::Completed,
        (Outcome::NothingWorked { reason }, _) | (_, Outcome::NothingWorked { reason }) => {
            Outcome::NothingWorked { reason }
        }
        (Outcome::Failed { reason }, _) | (_, Outcome::Failed { reason }) => {
            Outcome::Failed { reason }
        }
    })
}

/// The race test of seed 000, embedded: profiles/finance-race.toml against
/// the demo API in safe mode, so the demo shows a scenario and an invariant.
const DEMO_PROFILE: &str = include_str!("../profiles/finance-race.toml");

fn demo_profile(args: &DemoArgs) -> Result<Outcome, AppError> {
    let cfg = hornet_target::TargetConfig {
        threads: 2,
        demo: Some(hornet_target::DemoConfig::default()),
        ..Default::default()
    };
    let api = hornet_target::start("127.0.0.1:0".parse().expect("literal address"), cfg)
        .map_err(AppError::DemoTarget)?;
    let ov = crate::profile::Overrides {
        host: Some(format!("http://{}", api.local_addr())),
        ..Default::default()
    };
    println!(
        "hornet demo: profile finance-race (seed 000: login, 100 parallel transactions, balance invariant) against the built-in demo API on {}",
        api.local_addr()
    );
    let sc = crate::profile::compile_str(
        Path::new("profiles/finance-race.toml"),
        DEMO_PROFILE,
        &ov,
        &|k| std::env::var(k).ok(),
    )?;
    let result = crate::scenario::run(sc, !args.quiet)?;
    api.shutdown();
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(result.render().as_bytes());
    let _ = stdout.flush();
    Ok(if result.passed() {
        Outcome::Completed
    } else {
        Outcome::Failed {
            reason: "the demo profile's invariant failed".into(),
        }
    })
}

fn demo_http(args: &DemoArgs) -> Result<Outcome, AppError> {
    let target = hornet_target::start(
        "127.0.0.1:0".parse().expect("literal address"),
        hornet_target::TargetConfig::default(),
    )
    .map_err(AppError::DemoTarget)?;
    let url = format!("http://{}/", target.local_addr());
    println!(
        "hornet demo: built-in target on {url}, closed model, {} connections for {}",
        args.connections,
        humantime::format_duration(args.duration)
    );
    let http_args = HttpArgs {
        url,
        connections: args.connections,
        threads: None,
        duration: args.duration,
        rate: None,
        stages: None,
        max_connections: None,
        pipeline: 1,
        method: "GET".into(),
        headers: Vec::new(),
        body: None,
        timeout: Duration::from_secs(5),
        connect_timeout: Duration::from_secs(2),
        new_conn: false,
        tls: TlsArgs::default(),
        out: OutputArgs {
            json: args.json.clone(),
            ..OutputArgs::default()
        },
        verdict: crate::cli::ThresholdArgs::default(),
        quiet: args.quiet,
    };
    let result = http(http_args);
    let served = target.responses();
    target.shutdown();
    let (result, outcome) = result?;
    println!(
        "  target       answered {} requests (hornet counted {} responses)",
        summary::fmt_count(served),
        summary::fmt_count(result.requests)
    );
    Ok(outcome)
}

fn demo_smpp(args: &DemoArgs) -> Result<Outcome, AppError> {
    let smsc = hornet_smsc::start(
        "127.0.0.1:0".parse().expect("literal address"),
        hornet_smsc::SmscConfig {
            receipt_delay: Duration::from_millis(20),
            ..hornet_smsc::SmscConfig::default()
        },
    )
    .map_err(AppError::DemoTarget)?;
    let endpoint = smsc.local_addr().to_string();
    println!(
        "hornet demo: built-in SMSC on {endpoint}, 4 transceiver binds, window 64, receipts on, for {}",
        humantime::format_duration(args.duration)
    );
    let cli = crate::cli::Cli::try_parse_from([
        "hornet",
        "smpp",
        endpoint.as_str(),
        "--system-id",
        "demo",
        "--password",
        "demo",
        "--sessions",
        "4",
        "--window",
        "64",
        "--dlr",
    ])
    .expect("the demo's own flags parse");
    let crate::cli::Command::Smpp(mut smpp_args) = cli.command else {
        unreachable!("parsed an smpp command");
    };
    smpp_args.duration = args.duration;
    smpp_args.quiet = args.quiet;
    smpp_args.out.json = args.smpp_json.clone();
    let result = smpp(smpp_args);
    let counters = smsc.counters();
    smsc.shutdown();
    let (result, outcome) = result?;
    println!(
        "  SMSC         answered {} submit_sm OK, sent {} receipts (hornet counted {} OK, {} receipts)",
        summary::fmt_count(counters.submit_ok),
        summary::fmt_count(counters.receipts_sent),
        summary::fmt_count(result.submit_sm.ok),
        summary::fmt_count(result.receipts.received)
    );
    Ok(outcome)
}

/// `hornet run`: compile the profile, optionally start the demo servers,
/// run, print the tables, write the JSON.
pub fn run_profile(args: crate::cli::RunArgs) -> Result<Outcome, AppError> {
    let mut ov = args.overrides();
    // The demo servers live as long as this function.
    let mut servers = None;
    if args.demo {
        let demo = hornet_target::DemoConfig {
            racy: args.racy,
            ..Default::default()
        };
        let cfg = hornet_target::TargetConfig {
            threads: 2,
            demo: Some(demo),
            ..Default::default()
        };
        let http = hornet_target::start("127.0.0.1:0".parse().expect("literal address"), cfg)
            .map_err(AppError::DemoTarget)?;
        let smsc = hornet_smsc::start(
            "127.0.0.1:0".parse().expect("literal address"),
            Default::default(),
        )
        .map_err(AppError::DemoTarget)?;
        ov.host = Some(format!("http://{}", http.local_addr()));
        ov.smpp_endpoint = Some(smsc.local_addr().to_string());
        eprintln!(
            "demo API on http://{} ({} mode), SMSC on {}",
            http.local_addr(),
            if args.racy { "racy" } else { "safe" },
            smsc.local_addr()
        );
        servers = Some((http, smsc));
    }
    let scenario = crate::profile::load(&args.profile, &ov)?;
    if args.check {
        println!(
            "{}: ok ({} user classes, {} request names, {} thresholds, {} invariants)",
            args.profile.display(),
            scenario.classes.len(),
            scenario.names.len(),
            scenario.thresholds.len(),
            scenario.invariants.len()
        );
        return Ok(Outcome::Completed);
    }
    check_open_files(&scenario, args.demo)?;
    crate::interrupt::install();
    // Fail on a bad path before any traffic; the files are written at
    // the end (the HdrHistogram log from the start of the load, to a
    // temporary file renamed into place at the end).
    precheck_outputs(&args.out)?;
    let exporter = start_exporter(args.out.prometheus.as_deref())?;
    let run = crate::scenario::run_with(
        scenario,
        crate::scenario::RunOptions {
            live: !args.quiet,
            hdr_log: args.out.hdr_log.as_deref(),
            prometheus: exporter.as_ref(),
            allow_failures: args.allow_failures,
        },
    );
    if let Some((http, smsc)) = servers {
        http.shutdown();
        smsc.shutdown();
    }
    let (result, log_error) = match run {
        Ok(r) => r,
        Err(crate::scenario::ScenarioError::Setup {
            step,
            reason,
            interrupted,
            result,
        }) => {
            // No load ran, but the result document still says what
            // failed; the CSV files and the HdrHistogram log would hold
            // nothing, so any earlier ones stay as they were. The tables
            // show the setup steps as they went (which one failed or was
            // interrupted, and why).
            let mut stdout = std::io::stdout().lock();
            let _ = stdout.write_all(result.render().as_bytes());
            let _ = stdout.flush();
            drop(stdout);
            let doc = failed_document(&reason, interrupted);
            let files = OutputArgs {
                csv: None,
                ..args.out.clone()
            };
            write_outputs(
                &files,
                &*result,
                &doc,
                || CsvReport::from_scenario(&result),
                || HtmlReport::from_scenario(&result),
            )?;
            return Err(AppError::Scenario(crate::scenario::ScenarioError::Setup {
                step,
                reason,
                interrupted,
                result,
            }));
        }
        Err(e) => return Err(e.into()),
    };
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(result.render().as_bytes());
    let _ = stdout.flush();
    let outcome =
        if result.total.requests > 0 && result.total.passed + result.total.check_failed == 0 {
            Outcome::NothingWorked {
                reason: "no request got a response".into(),
            }
        } else if !result.passed() {
            match verdict_outcome(&result.thresholds, &result.invariants) {
                Outcome::Completed => Outcome::Failed {
                    reason: "FAILED".into(),
                },
                failed => failed,
            }
        } else {
            Outcome::Completed
        };
    let doc = outcome.document(crate::interrupt::requested(), result.aborted.as_deref());
    write_outputs(
        &args.out,
        &result,
        &doc,
        || CsvReport::from_scenario(&result),
        || HtmlReport::from_scenario(&result),
    )?;
    if let (Some(source), Some(path)) = (log_error, &args.out.hdr_log) {
        return Err(AppError::HdrLog {
            path: path.display().to_string(),
            source,
        });
    }
    Ok(outcome)
}

/// A profile's users each hold a connection to the HTTP target and one to
/// the SMSC (and with `--demo`, the built-in servers in this process hold
/// the other ends): the closed model's peak must fit under the open-files
/// limit; the open model's `max_users` only warns.
fn check_open_files(sc: &crate::profile::Scenario, demo: bool) -> Result<(), AppError> {
    let per_user = (usize::from(sc.http.is_some()) + usize::from(sc.smpp.is_some()))
        * if demo { 2 } else { 1 };
    let (users, cap) = match &sc.load.model {
        crate::profile::scenario::LoadModel::Closed { shape } => {
            let peak = shape.peak().ceil() as usize;
            (peak, peak)
        }
        crate::profile::scenario::LoadModel::Open { max_users, .. } => {
            (0, usize::try_from(*max_users).unwrap_or(usize::MAX))
        }
    };
    crate::cli::limits::check(
        &format!("{users} users with {per_user} connections each (load.users)"),
        users.saturating_mul(per_user),
        cap.saturating_mul(per_user),
        sc.load.threads,
    )?;
    Ok(())
}

/// Writes the three Locust-compatible CSV files for `--csv PREFIX`.
fn write_csv(report: &CsvReport, prefix: &Path) -> Result<(), AppError> {
    report.write(prefix).map_err(|source| AppError::Csv {
        path: prefix.display().to_string(),
        source,
    })
}

/// `--hdr-log`: the log, fed once per interval; the first write error is
/// kept and reported after the run (the run itself is not cut short).
struct IntervalLog {
    log: HdrLog,
    path: std::path::PathBuf,
    name: String,
    interval: Duration,
    error: Option<std::io::Error>,
    /// The latest interval, held back until the next one (or the end)
    /// says how long it really was: the last one is usually partial.
    pending: Option<(Duration, hdrhistogram::Histogram<u64>)>,
}

impl IntervalLog {
    fn open(
        path: Option<&Path>,
        name: String,
        interval: Duration,
    ) -> Result<Option<IntervalLog>, AppError> {
        let Some(path) = path else {
            return Ok(None);
        };
        let log = HdrLog::create(path, std::time::SystemTime::now()).map_err(|source| {
            AppError::HdrLog {
                path: path.display().to_string(),
                source,
            }
        })?;
        Ok(Some(IntervalLog {
            log,
            path: path.to_path_buf(),
            name,
            interval,
            error: None,
            pending: None,
        }))
    }

    fn record(&mut self, stat: &IntervalStat, m: &Metrics) {
        let start = self.interval * stat.index as u32;
        if let Some((s, h)) = self.pending.replace((start, m.latency.clone())) {
            self.write(s, self.interval, &h);
        }
    }

    fn write(&mut self, start: Duration, length: Duration, h: &hdrhistogram::Histogram<u64>) {
        if self.error.is_some() {
            return;
        }
        let r = self
            .log
            .write(&self.name, start, length, h)
            .and_then(|()| self.log.flush());
        self.error = r.err();
    }

    /// Writes the last interval, `elapsed` after the start, and reports
    /// the first write error.
    fn finish(mut log: Option<IntervalLog>, elapsed: Duration) -> Result<(), AppError> {
        if let Some(l) = log.as_mut() {
            if let Some((s, h)) = l.pending.take() {
                let length = elapsed.saturating_sub(s).max(Duration::from_millis(1));
                l.write(s, length.min(l.interval), &h);
            }
        }
        let Some(l) = log else {
            return Ok(());
        };
        // Complete: rename it into place. After a write error the
        // temporary file is dropped and an earlier log there stays.
        let error = match l.error {
            Some(e) => Some(e),
            None => l.log.finish().err(),
        };
        match error {
            Some(source) => Err(AppError::HdrLog {
                path: l.path.display().to_string(),
                source,
            }),
            None => Ok(()),
        }
    }
}

/// Writes the HTML report for `--html FILE`, whole or not at all.
fn write_html(report: &HtmlReport, path: &Path) -> Result<(), AppError> {
    crate::report::output::write_bytes(path, report.render().as_bytes()).map_err(|source| {
        AppError::Html {
            path: path.display().to_string(),
            source,
        }
    })
}

/// The live view of `hornet http` and `hornet smpp`: one name, errors by
/// kind accumulated from the intervals.
struct EngineView {
    view: LiveView,
    interval: Duration,
    total_s: f64,
    shape: Option<std::sync::Arc<crate::load::Shape>>,
    label: &'static str,
    /// `http` or `smpp`: the TLS target label for Prometheus.
    protocol: &'static str,
    name: String,
    errors: [u64; crate::metrics::ErrorKind::COUNT],
    /// TLS failures so far by reason (shown instead of the bare `tls` kind).
    tls_errors: [u64; crate::tls::TlsReason::COUNT],
    /// `--prometheus`: the endpoint and the run's metrics so far.
    exporter: Option<Exporter>,
    so_far: Metrics,
}

impl EngineView {
    fn new(
        quiet: bool,
        load: &crate::plan::LoadPlan,
        (protocol, label): (&'static str, &'static str),
        name: String,
    ) -> EngineView {
        EngineView {
            view: LiveView::new(quiet),
            interval: load.interval,
            total_s: load.duration.as_secs_f64(),
            shape: match &load.model {
                crate::load::LoadModel::Open { shape } => Some(shape.clone()),
                crate::load::LoadModel::Closed => None,
            },
            label,
            protocol,
            name,
            errors: [0; crate::metrics::ErrorKind::COUNT],
            tls_errors: [0; crate::tls::TlsReason::COUNT],
            exporter: None,
            so_far: Metrics::default(),
        }
    }

    fn update(&mut self, stat: &IntervalStat, m: &Metrics) {
        for (a, b) in self.errors.iter_mut().zip(m.counters.errors) {
            *a += b;
        }
        let t = self.interval.as_secs_f64() * (stat.index + 1) as f64;
        // The stage and target in the middle of the interval just shown.
        let mid = (t - self.interval.as_secs_f64() / 2.0) * 1e9;
        if let Some(t) = &m.tls {
            for (a, b) in self.tls_errors.iter_mut().zip(t.errors) {
                *a += b;
            }
        }
        let tls_reasons = crate::tls::TlsReason::ALL
            .iter()
            .filter(|r| self.tls_errors[**r as usize] > 0)
            .map(|r| (format!("tls {}", r.name()), self.tls_errors[*r as usize]));
        let mut errors: Vec<(String, u64)> = crate::metrics::ErrorKind::ALL
            .iter()
            .filter(|k| self.errors[**k as usize] > 0)
            .map(|k| (k.name().to_string(), self.errors[*k as usize]))
            .collect();
        // The live view lists TLS failures by reason (connections) instead
        // of the bare `tls` kind (requests); Prometheus has both apart.
        let by_reason = self.tls_errors.iter().any(|n| *n > 0);
        let mut shown: Vec<(String, u64)> = errors
            .iter()
            .filter(|(k, _)| !(by_reason && k == "tls"))
            .cloned()
            .chain(tls_reasons)
            .collect();
        shown.sort_by_key(|e| std::cmp::Reverse(e.1));
        errors.sort_by_key(|e| std::cmp::Reverse(e.1));
        let c = &stat.cumulative;
        if let Some(e) = &self.exporter {
            self.so_far.merge(m);
            let statuses = crate::report::common::status_map(&self.so_far.counters);
            let snap = PromSnapshot {
                series: vec![PromSeries {
                    name: &self.name,
                    requests: c.requests,
                    failures: c.failures,
                    statuses,
                    errors: errors.iter().cloned().collect(),
                    latency: &self.so_far.latency,
                }],
                active: stat.open_connections,
                active_label: self.label,
                rate: stat.completed as f64 / self.interval.as_secs_f64(),
                target_rate: self.shape.as_ref().map(|s| s.level_at(mid)),
                tls: self
                    .so_far
                    .tls
                    .as_deref()
                    .map(|t| (self.protocol, t))
                    .into_iter()
                    .collect(),
            };
            e.publish(render_prometheus(&snap));
        }
        self.view.update(&Frame {
            elapsed_s: t,
            total_s: self.total_s,
            stage: self.shape.as_ref().and_then(|s| s.stage_label(mid)),
            rate: stat.completed as f64 / self.interval.as_secs_f64(),
            target_rate: self.shape.as_ref().map(|s| s.level_at(mid)),
            active: stat.open_connections,
            active_label: self.label,
            p50_us: stat.quantiles_us[0],
            p95_us: stat.quantiles_us[5],
            p99_us: stat.quantiles_us[7],
            total_requests: c.requests,
            total_failures: c.failures,
            errors: shown,
            top: vec![(self.name.clone(), c.requests, c.failures)],
        });
    }

    fn finish(&mut self) {
        self.view.finish();
    }
}

/// `hornet report`: rebuild reports from a saved `--json` result.
pub fn report(args: crate::cli::ReportArgs) -> Result<Outcome, AppError> {
    let path = args.result.display().to_string();
    let bad = |reason: String| AppError::Result {
        path: path.clone(),
        reason,
    };
    if args.html.is_none() && args.csv.is_none() && args.hdr_log.is_none() {
        return Err(bad(
            "nothing to write: give --html, --csv and/or --hdr-log".into()
        ));
    }
    let text = std::fs::read_to_string(&args.result).map_err(|e| bad(e.to_string()))?;
    let doc: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| bad(format!("not JSON: {e}")))?;
    let (csv, html, log, started_at): (CsvReport, HtmlReport, Vec<LogEntry>, f64) =
        if doc["kind"] == "scenario" {
            let mut r: crate::scenario::result::ScenarioResult = serde_json::from_value(doc)
                .map_err(|e| bad(format!("not a hornet run result: {e}")))?;
            r.rehydrate().map_err(&bad)?;
            let mut log = Vec::new();
            let mut prev = 0.0;
            for p in &r.history {
                for (name, h) in &p.histograms {
                    log.push((name.clone(), prev, p.t_s - prev, h.clone()));
                }
                prev = p.t_s;
            }
            (
                CsvReport::from_scenario(&r),
                HtmlReport::from_scenario(&r),
                log,
                r.started_at,
            )
        } else if doc["protocol"] == "smpp" {
            let mut r: SmppResult = serde_json::from_value(doc)
                .map_err(|e| bad(format!("not a hornet smpp result: {e}")))?;
            r.rehydrate().map_err(&bad)?;
            let log = timeline_log("submit_sm", &r.timeline);
            (
                CsvReport::from_smpp(&r),
                HtmlReport::from_smpp(&r),
                log,
                r.started_at,
            )
        } else {
            let mut r: HttpResult = serde_json::from_value(doc)
                .map_err(|e| bad(format!("not a hornet http result: {e}")))?;
            r.rehydrate().map_err(&bad)?;
            let log = timeline_log(&crate::report::common::url_name(&r.config.url), &r.timeline);
            (
                CsvReport::from_http(&r),
                HtmlReport::from_http(&r),
                log,
                r.started_at,
            )
        };
    if let Some(p) = &args.html {
        write_html(&html, p)?;
    }
    if let Some(p) = &args.csv {
        write_csv(&csv, p)?;
    }
    if let Some(p) = &args.hdr_log {
        write_log(&log, started_at, p).map_err(|source| AppError::HdrLog {
            path: p.display().to_string(),
            source,
        })?;
    }
    Ok(Outcome::Completed)
}

/// One interval histogram for a rebuilt log: (name, start s, length s,
/// encoded histogram).
type LogEntry = (String, f64, f64, String);

fn timeline_log(name: &str, timeline: &[crate::report::common::TimelinePoint]) -> Vec<LogEntry> {
    let mut prev = 0.0;
    timeline
        .iter()
        .map(|p| {
            let e = (name.to_string(), prev, p.t_s - prev, p.histogram.clone());
            prev = p.t_s;
            e
        })
        .collect()
}

fn write_log(log: &[LogEntry], started_at: f64, path: &Path) -> std::io::Result<()> {
    let base = std::time::UNIX_EPOCH + Duration::from_secs_f64(started_at.max(0.0));
    let mut out = HdrLog::create(path, base)?;
    for (name, s, len, enc) in log {
        if enc.is_empty() {
            continue;
        }
        let h = crate::metrics::codec::decode(enc).map_err(std::io::Error::other)?;
        out.write(
            name,
            Duration::from_secs_f64(s.max(0.0)),
            Duration::from_secs_f64(len.max(0.0)),
            &h,
        )?;
    }
    out.finish()
}

/// Checks every output path before any traffic, so a bad path fails at
/// once (exit 2) instead of after the whole run. Nothing is created or
/// truncated at those paths: a temporary file is created and removed
/// beside each, and the files are written (through temporary files
/// renamed into place) at the end.
fn precheck_outputs(files: &OutputArgs) -> Result<(), AppError> {
    let mut paths: Vec<(&'static str, std::path::PathBuf)> = Vec::new();
    if let Some(p) = &files.json {
        paths.push(("--json", p.clone()));
    }
    if let Some(p) = &files.html {
        paths.push(("--html", p.clone()));
    }
    if let Some(p) = &files.hdr_log {
        paths.push(("--hdr-log", p.clone()));
    }
    if let Some(prefix) = &files.csv {
        for p in crate::report::locust_csv::paths(prefix) {
            paths.push(("--csv", p));
        }
    }
    for (flag, path) in paths {
        crate::report::output::check(&path).map_err(|source| {
            AppError::Config(ConfigError::Output {
                flag,
                path: path.display().to_string(),
                source,
            })
        })?;
    }
    Ok(())
}

/// Starts the `--prometheus` endpoint, if asked, and says where it is.
fn start_exporter(addr: Option<&str>) -> Result<Option<Exporter>, AppError> {
    let Some(addr) = addr else {
        return Ok(None);
    };
    let e = Exporter::start(addr).map_err(|source| {
        AppError::Config(ConfigError::Output {
            flag: "--prometheus",
            path: addr.to_string(),
            source,
        })
    })?;
    eprintln!("prometheus metrics on http://{}/metrics", e.addr());
    Ok(Some(e))
}
