//! The `hornet` binary: parse the command line, run the library, choose the
//! exit code on purpose.
//!
//! Exit codes: 0 the run completed; 1 the run could not work (nothing got a
//! response, or the engine failed); 2 bad usage, configuration or profile;
//! 3 a threshold or invariant failed (a profile's, `--threshold`, or a
//! profile run's failed requests without a threshold on them).
//!
//! SIGINT and SIGTERM stop the run gracefully (see `hornet::interrupt`);
//! the exit code then follows the same rules.

use std::process::ExitCode;

use clap::Parser;
use hornet::app::{self, AppError, Outcome};
use hornet::cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Every connection is a file descriptor: take all the process may
    // have (the soft limit up to the hard one) before anything opens.
    hornet::cli::limits::raise_open_files();
    let result = match cli.command {
        Command::Http(args) => app::http(args).map(|(_, outcome)| outcome),
        Command::Smpp(args) => app::smpp(args).map(|(_, outcome)| outcome),
        Command::Demo(args) => app::demo(args),
        Command::Run(args) => app::run_profile(args),
        Command::Report(args) => app::report(args),
    };
    match result {
        Ok(outcome) => {
            match &outcome {
                Outcome::Completed => {}
                Outcome::NothingWorked { reason } => eprintln!("hornet: error: {reason}"),
                Outcome::Failed { reason } => eprintln!("hornet: {reason}"),
            }
            ExitCode::from(outcome.exit_code())
        }
        Err(e) => {
            eprintln!("hornet: error: {e}");
            match e {
                AppError::Config(_) | AppError::Profile(_) | AppError::Result { .. } => {
                    ExitCode::from(2)
                }
                _ => ExitCode::from(1),
            }
        }
    }
}
