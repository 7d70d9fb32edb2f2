//! `hornet smpp`: an SMPP plan run on the engine, and how its result
//! document finishes.

use crate::cli::SmppArgs;
use crate::engine::run_smpp;
use crate::report::smpp_result::SmppResult;
use crate::report::smpp_summary;
use crate::report::view::RunView;

use super::engine_run::{drive, judge_cli, Names};
use super::finish::{counts_line, finish, precheck_outputs, verdict_outcome, Finished, Outcome};
use super::AppError;

/// `hornet smpp`: validate, run, report.
pub fn smpp(args: SmppArgs) -> Result<(SmppResult, Outcome), AppError> {
    let quiet = args.quiet;
    let files = args.out.clone();
    let thresholds = args.verdict.thresholds.clone();
    let plan = args.into_plan()?;
    crate::cli::limits::check(
        &format!("{} sessions (--sessions)", plan.load.connections),
        plan.load.connections,
        plan.load.max_connections,
        plan.load.threads,
    )?;
    precheck_outputs(&files)?;
    crate::interrupt::install();
    let names = Names {
        labels: ("smpp", "binds"),
        live: "submit_sm".into(),
        log: "submit_sm".into(),
    };
    let run = drive(&plan.load, quiet, &files, names, |on| run_smpp(&plan, on))?;
    let mut result = SmppResult::new(&plan, &run.out);
    judge_cli(
        &thresholds,
        &run.out,
        (result.requests, result.failed + result.timed_out, result.ok),
        result.throughput,
        (&mut result.thresholds, &mut result.verdict),
    );
    let outcome = finish(&result, &files, run.log)?;
    Ok((result, outcome))
}

impl Finished for SmppResult {
    const KIND: &'static str = "hornet smpp";

    fn summary(&self) -> String {
        smpp_summary::render(self)
    }

    fn outcome(&self) -> Outcome {
        if !self.nothing_worked() {
            verdict_outcome(&self.thresholds, &[])
        } else if let Some(reason) = self.bind_failure() {
            Outcome::NothingWorked { reason }
        } else if self.sessions.bound == 0 {
            Outcome::NothingWorked {
                reason: format!(
                    "no session could bind (connection errors: {})",
                    counts_line(&self.connect_errors)
                ),
            }
        } else {
            Outcome::NothingWorked {
                reason: format!(
                    "no submit_sm got a response ({})",
                    counts_line(&self.errors)
                ),
            }
        }
    }

    fn cut_short(&self) -> (bool, Option<&str>) {
        (self.interrupted, None)
    }

    fn view(&self) -> RunView {
        RunView::from_smpp(self)
    }

    fn rehydrate(&mut self) -> Result<(), String> {
        SmppResult::rehydrate(self)
    }
}
