//! `hornet http`: an HTTP/1.1 plan run on the engine, and how its result
//! document finishes.

use crate::cli::{HttpArgs, OutputArgs};
use crate::engine::run_http;
use crate::plan::HttpPlan;
use crate::report::common::url_name;
use crate::report::view::RunView;
use crate::report::{summary, HttpResult};
use crate::scenario::verdict::CliThreshold;

use super::engine_run::{drive, judge_cli, Names};
use super::finish::{counts_line, finish, precheck_outputs, verdict_outcome, Finished, Outcome};
use super::AppError;

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
    let name = url_name(&plan.url);
    let names = Names {
        labels: ("http", "connections"),
        live: format!("{} {name}", plan.method),
        log: name,
    };
    let run = drive(&plan.load, quiet, files, names, |on| run_http(&plan, on))?;
    let mut result = HttpResult::new(&plan, &run.out);
    judge_cli(
        thresholds,
        &run.out,
        (result.requests, result.failed + result.timed_out, result.ok),
        result.throughput,
        (&mut result.thresholds, &mut result.verdict),
    );
    let outcome = finish(&result, files, run.log)?;
    Ok((result, outcome))
}

impl Finished for HttpResult {
    const KIND: &'static str = "hornet http";

    fn summary(&self) -> String {
        summary::render(self)
    }

    fn outcome(&self) -> Outcome {
        if self.nothing_worked() {
            Outcome::NothingWorked {
                reason: format!("no request got a response ({})", counts_line(&self.errors)),
            }
        } else {
            verdict_outcome(&self.thresholds, &[])
        }
    }

    fn cut_short(&self) -> (bool, Option<&str>) {
        (self.interrupted, None)
    }

    fn view(&self) -> RunView {
        RunView::from_http(self)
    }

    fn rehydrate(&mut self) -> Result<(), String> {
        HttpResult::rehydrate(self)
    }
}
