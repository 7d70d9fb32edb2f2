//! The `hornet` binary: parse the command line, run the library, choose the
//! exit code on purpose.
//!
//! Exit codes: 0 the run completed; 1 the run could not work (nothing got a
//! response, or the engine failed); 2 bad usage or configuration.

use std::process::ExitCode;

use clap::Parser;
use hornet::app::{self, AppError, Outcome};
use hornet::cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Http(args) => app::http(args),
        Command::Demo(args) => app::demo(args),
    };
    match result {
        Ok((_, Outcome::Completed)) => ExitCode::SUCCESS,
        Ok((result, Outcome::NothingWorked)) => {
            let errors: Vec<String> = result
                .errors
                .iter()
                .map(|(k, n)| format!("{k}: {n}"))
                .collect();
            eprintln!(
                "hornet: error: no request got a response ({})",
                if errors.is_empty() {
                    "no errors recorded".to_string()
                } else {
                    errors.join(", ")
                }
            );
            ExitCode::from(1)
        }
        Err(e) => {
            eprintln!("hornet: error: {e}");
            match e {
                AppError::Config(_) => ExitCode::from(2),
                _ => ExitCode::from(1),
            }
        }
    }
}
