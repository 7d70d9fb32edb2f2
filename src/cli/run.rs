//! Flags of `hornet run PROFILE.toml`: the profile, the values that
//! override it (Locust's `--host`, `-u`, `-r`, `--run-time`, user class),
//! and the built-in demo API switch.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use super::{parse_duration, OutputArgs};
use crate::profile::Overrides;

/// `hornet run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The profile (TOML); see profiles/README.md.
    #[arg(value_name = "PROFILE")]
    pub profile: PathBuf,
    /// Base URL replacing target.host.
    #[arg(long, value_name = "URL")]
    pub host: Option<String>,
    /// SMSC HOST:PORT replacing target.smpp.endpoint.
    #[arg(long, value_name = "HOST:PORT")]
    pub smpp_endpoint: Option<String>,
    /// Users (closed model) or most users (open model); replaces load.users.
    #[arg(short = 'u', long, value_name = "N")]
    pub users: Option<u64>,
    /// Users started per second; replaces load.spawn_rate.
    #[arg(short = 'r', long, value_name = "N")]
    pub spawn_rate: Option<f64>,
    /// Open model: task iterations per second; replaces load.rate.
    #[arg(long, value_name = "N")]
    pub rate: Option<f64>,
    /// How long the load runs; replaces load.run_time.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub run_time: Option<Duration>,
    /// Stop after this many task iterations; replaces load.iterations.
    #[arg(long, value_name = "N")]
    pub iterations: Option<u64>,
    /// Worker threads; replaces load.threads.
    #[arg(short = 't', long, value_name = "N")]
    pub threads: Option<usize>,
    /// Run only this user class (repeatable).
    #[arg(long = "user-class", value_name = "NAME")]
    pub user_class: Vec<String>,
    /// Report files and live endpoints.
    #[command(flatten)]
    pub out: OutputArgs,
    /// Failed requests and checks do not fail the run (exit 3) when the
    /// profile has no threshold on error_rate or checks. Without it, any
    /// failure makes the verdict FAIL.
    #[arg(long)]
    pub allow_failures: bool,
    /// Check the profile and exit without sending anything.
    #[arg(long)]
    pub check: bool,
    /// Start the built-in demo API (and SMSC) on 127.0.0.1 and point the
    /// profile at them, replacing target.host and target.smpp.endpoint.
    #[arg(long)]
    pub demo: bool,
    /// With --demo: make the demo API's balance and stock updates racy.
    #[arg(long, requires = "demo")]
    pub racy: bool,
    /// No live progress on stderr.
    #[arg(short = 'q', long)]
    pub quiet: bool,
}

impl RunArgs {
    /// The overrides these flags carry.
    pub fn overrides(&self) -> Overrides {
        Overrides {
            host: self.host.clone(),
            smpp_endpoint: self.smpp_endpoint.clone(),
            users: self.users,
            spawn_rate: self.spawn_rate,
            rate: self.rate,
            run_time: self.run_time,
            iterations: self.iterations,
            threads: self.threads,
            user_classes: self.user_class.clone(),
        }
    }
}
