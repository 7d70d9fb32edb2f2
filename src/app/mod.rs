//! What each subcommand does, from validated flags to printed results.
//! `main` only parses arguments and maps the outcome to an exit code.
//!
//! One file per job:
//! - `http`, `smpp`: `hornet http` / `hornet smpp`, a plan run on the
//!   engine (the shared driving in `engine_run`);
//! - `run`: `hornet run`, a profile on the scenario runner;
//! - `report`: `hornet report`, outputs rebuilt from a saved result;
//! - `demo`: `hornet demo`, the three above against built-in servers;
//! - `finish`: the one end of every run: the result documents behind
//!   one trait, the summary, the outcome and exit code, every output file;
//! - `live`, `interval_log`: what an engine run shows and logs while it
//!   goes (live view, Prometheus snapshots, `--hdr-log`).

use thiserror::Error;

use crate::cli::ConfigError;
use crate::engine::EngineError;

mod demo;
mod engine_run;
mod finish;
mod http;
mod interval_log;
mod live;
mod report;
mod run;
mod smpp;

pub use demo::demo;
pub use finish::{Finished, Outcome};
pub use http::{execute, http};
pub use report::report;
pub use run::run_profile;
pub use smpp::smpp;

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
