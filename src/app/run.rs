//! `hornet run`: a profile compiled and run on the scenario runner, and
//! how its result document finishes.

use crate::cli::RunArgs;
use crate::profile::Scenario;
use crate::scenario::result::ScenarioResult;
use crate::scenario::{RunOptions, ScenarioError};

use super::finish::{finish, finish_unloaded, precheck_outputs, verdict_outcome};
use super::finish::{Finished, Outcome};
use super::live::start_exporter;
use super::AppError;
use crate::report::view::RunView;

/// The demo API and SMSC of `hornet run --demo`, in this process.
type DemoServers = (hornet_target::TargetHandle, hornet_smsc::SmscHandle);

/// `hornet run`: compile the profile, optionally start the demo servers,
/// run, print the tables, write the JSON.
pub fn run_profile(args: RunArgs) -> Result<Outcome, AppError> {
    let mut ov = args.overrides();
    // The demo servers live as long as this function.
    let servers = if args.demo {
        Some(start_demo(&args, &mut ov)?)
    } else {
        None
    };
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
        RunOptions {
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
        Err(ScenarioError::Setup {
            step,
            reason,
            interrupted,
            result,
        }) => {
            // No load ran, but the result document still says what
            // failed, and the tables show the setup steps as they went
            // (which one failed or was interrupted, and why).
            finish_unloaded(&*result, &args.out, &reason, interrupted)?;
            return Err(AppError::Scenario(ScenarioError::Setup {
                step,
                reason,
                interrupted,
                result,
            }));
        }
        Err(e) => return Err(e.into()),
    };
    let log = match (log_error, &args.out.hdr_log) {
        (Some(source), Some(path)) => Err(AppError::HdrLog {
            path: path.display().to_string(),
            source,
        }),
        _ => Ok(()),
    };
    finish(&result, &args.out, log)
}

/// Starts the demo API (racy or safe) and the SMSC on ephemeral loopback
/// ports and points the profile at them.
fn start_demo(args: &RunArgs, ov: &mut crate::profile::Overrides) -> Result<DemoServers, AppError> {
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
    Ok((http, smsc))
}

/// A profile's users each hold a connection to the HTTP target and one to
/// the SMSC (and with `--demo`, the built-in servers in this process hold
/// the other ends): the closed model's peak must fit under the open-files
/// limit; the open model's `max_users` only warns.
fn check_open_files(sc: &Scenario, demo: bool) -> Result<(), AppError> {
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

impl Finished for ScenarioResult {
    const KIND: &'static str = "hornet run";

    fn summary(&self) -> String {
        self.render()
    }

    fn outcome(&self) -> Outcome {
        if self.total.requests > 0 && self.total.passed + self.total.check_failed == 0 {
            Outcome::NothingWorked {
                reason: "no request got a response".into(),
            }
        } else if !self.passed() {
            match verdict_outcome(&self.thresholds, &self.invariants) {
                Outcome::Completed => Outcome::Failed {
                    reason: "FAILED".into(),
                },
                failed => failed,
            }
        } else {
            Outcome::Completed
        }
    }

    /// A signal stopped the process (in whatever phase; read when the run
    /// ends, as `hornet http` reads its own flag), and the threshold that
    /// aborted the load, if one did.
    fn cut_short(&self) -> (bool, Option<&str>) {
        (crate::interrupt::requested(), self.aborted.as_deref())
    }

    fn view(&self) -> RunView {
        RunView::from_scenario(self)
    }

    fn rehydrate(&mut self) -> Result<(), String> {
        ScenarioResult::rehydrate(self)
    }
}
