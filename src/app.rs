//! What each subcommand does, from validated flags to printed results.
//! `main` only parses arguments and maps the outcome to an exit code.

use std::io::Write;
use std::path::Path;

use thiserror::Error;

use crate::cli::{ConfigError, DemoArgs, HttpArgs, SmppArgs};
use crate::engine::{run_http, run_smpp, EngineError};
use crate::plan::HttpPlan;
use crate::report::live::LiveLine;
use crate::report::smpp_result::SmppResult;
use crate::report::{smpp_summary, summary, write_json, HttpResult};

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
    /// The engine could not run.
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// The demo target could not start.
    #[error("could not start the demo target: {0}")]
    DemoTarget(std::io::Error),
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
    let json = args.json.clone();
    let plan = args.into_plan()?;
    execute(plan, quiet, json.as_deref())
}

/// Runs a plan, prints the summary on stdout, writes the JSON if asked.
pub fn execute(
    plan: HttpPlan,
    quiet: bool,
    json: Option<&Path>,
) -> Result<(HttpResult, Outcome), AppError> {
    let mut live = LiveLine::new(quiet, plan.load.interval.as_secs_f64());
    let out = run_http(&plan, |stat| live.update(stat))?;
    live.finish();
    let result = HttpResult::new(&plan, &out);
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(summary::render(&result).as_bytes());
    let _ = stdout.flush();
    if let Some(path) = json {
        write_json(&result, path).map_err(|source| AppError::Json {
            path: path.display().to_string(),
            source,
        })?;
    }
    let outcome = if result.nothing_worked() {
        Outcome::NothingWorked {
            reason: format!(
                "no request got a response ({})",
                counts_line(&result.errors)
            ),
        }
    } else {
        Outcome::Completed
    };
    Ok((result, outcome))
}

/// `hornet smpp`: validate, run, report.
pub fn smpp(args: SmppArgs) -> Result<(SmppResult, Outcome), AppError> {
    let quiet = args.quiet;
    let json = args.json.clone();
    let plan = args.into_plan()?;
    let mut live = LiveLine::new(quiet, plan.load.interval.as_secs_f64());
    let out = run_smpp(&plan, |stat| live.update(stat))?;
    live.finish();
    let result = SmppResult::new(&plan, &out);
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(smpp_summary::render(&result).as_bytes());
    let _ = stdout.flush();
    if let Some(path) = &json {
        write_json(&result, path).map_err(|source| AppError::Json {
            path: path.display().to_string(),
            source,
        })?;
    }
    let outcome = if !result.nothing_worked() {
        Outcome::Completed
    } else if let Some(status) = &result.sessions.last_bind_error {
        Outcome::NothingWorked {
            reason: format!("the SMSC refused every bind: {status}"),
        }
    } else if result.sessions.bound == 0 {
        Outcome::NothingWorked {
            reason: format!("no session could bind ({})", counts_line(&result.errors)),
        }
    } else {
        Outcome::NothingWorked {
            reason: format!(
                "no submit_sm got a response ({})",
                counts_line(&result.errors)
            ),
        }
    };
    Ok((result, outcome))
}

/// `hornet demo`: serve the built-in target on an ephemeral loopback port
/// and load it briefly.
pub fn demo(args: DemoArgs) -> Result<(HttpResult, Outcome), AppError> {
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
    let http = HttpArgs {
        url,
        connections: args.connections,
        threads: None,
        duration: args.duration,
        rate: None,
        max_connections: None,
        pipeline: 1,
        method: "GET".into(),
        headers: Vec::new(),
        body: None,
        timeout: std::time::Duration::from_secs(5),
        connect_timeout: std::time::Duration::from_secs(2),
        json: args.json,
        quiet: args.quiet,
    };
    let result = http_result_from(http);
    let served = target.responses();
    target.shutdown();
    let (result, outcome) = result?;
    println!(
        "  target       answered {} requests (hornet counted {} responses)",
        summary::fmt_count(served),
        summary::fmt_count(result.requests)
    );
    Ok((result, outcome))
}

fn http_result_from(args: HttpArgs) -> Result<(HttpResult, Outcome), AppError> {
    http(args)
}
