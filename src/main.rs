//! The `hornet` binary: parse the command line, run the library, choose the
//! exit code on purpose.
//!
//! Exit codes: 0 the run completed; 1 the run could not work (nothing got a
//! response, or the engine failed); 2 bad usage, configuration or profile;
//! 3 a profile's threshold or invariant failed.

use std::process::ExitCode;

use clap::Parser;
use hornet::app::{self, AppError, Outcome};
use hornet::cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Http(args) => app::http(args).map(|(_, outcome)| outcome),
        Command::Smpp(args) => app::smpp(args).map(|(_, outcome)| outcome),
        Command::Demo(args) => app::demo(args),
        Command::Run(args) => app::run_profile(args),
        Command::Report(args) => app::report(args),
    };
    match result {
        Ok(Outcome::Completed) => ExitCode::SUCCESS,
        Ok(Outcome::NothingWorked { reason }) => {
            eprintln!("hornet: error: {reason}");
            ExitCode::from(1)
        }
        Ok(Outcome::Failed { reason }) => {
            eprintln!("hornet: {reason}");
            ExitCode::from(3)
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
