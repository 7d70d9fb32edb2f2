//! Command-line flags (clap derive) and their validation into plans.
//!
//! The raw flags are one type, the validated ready-to-run plan another
//! (ripgrep's split): every check happens here, before any traffic, and each
//! failure is one line naming the flag and the value. One file per
//! subcommand.

pub mod http;
pub mod limits;
pub mod run;
pub mod smpp;
pub mod tls;

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use thiserror::Error;

pub use http::HttpArgs;
pub use run::RunArgs;
pub use smpp::SmppArgs;

use std::sync::Arc;

use crate::load::{LoadModel, Shape};
use crate::target::TargetError;

pub use crate::vocab::limits::{
    MAX_CONNECTIONS, MAX_DURATION, MAX_PIPELINE, MAX_RATE, MAX_THREADS,
};

/// hornet: HTTP/1.1 load generator.
#[derive(Debug, Parser)]
#[command(name = "hornet", version, about, long_about = None)]
pub struct Cli {
    /// What to run.
    #[command(subcommand)]
    pub command: Command,
}

/// hornet's subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Load-test an HTTP/1.1 URL.
    Http(HttpArgs),
    /// Load-test an SMPP 3.4/5.0 SMSC with submit_sm.
    Smpp(SmppArgs),
    /// Run a TOML profile: multi-step user scenarios, load shapes,
    /// thresholds and invariants.
    Run(RunArgs),
    /// Rebuild reports (HTML, CSV, HdrHistogram log) from a saved --json
    /// result of `hornet http`, `hornet smpp` or `hornet run`.
    Report(ReportArgs),
    /// Start the built-in HTTP target and SMSC on 127.0.0.1 and run a short
    /// load against each.
    Demo(DemoArgs),
}

/// Report files and live endpoints, the same for `hornet http`, `hornet
/// smpp` and `hornet run`.
#[derive(Debug, Clone, Default, Args)]
pub struct OutputArgs {
    /// Write the result as JSON to FILE.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Write Locust-compatible CSVs: PREFIX_stats.csv, PREFIX_failures.csv,
    /// PREFIX_stats_history.csv.
    #[arg(long, value_name = "PREFIX")]
    pub csv: Option<PathBuf>,
    /// Write an HdrHistogram interval log (one histogram per interval)
    /// to FILE.
    #[arg(long, value_name = "FILE")]
    pub hdr_log: Option<PathBuf>,
    /// Write a self-contained HTML report (inline SVG charts) to FILE.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Serve live metrics in Prometheus' text format at ADDR (e.g.
    /// 127.0.0.1:9464) while the run goes.
    #[arg(long, value_name = "ADDR")]
    pub prometheus: Option<String>,
}

/// `--threshold` of `hornet http` and `hornet smpp`: limits judged on the
/// whole run, the same as a profile's thresholds (exit 3 if one fails).
#[derive(Debug, Clone, Default, Args)]
pub struct ThresholdArgs {
    /// Pass/fail limit on the whole run, as in a profile's thresholds
    /// (repeatable): `p99 < 50ms`, `error_rate < 1%`, `throughput >= 9000`.
    /// Metrics: p50, p90, p95, p99, p999, max, mean, error_rate,
    /// throughput. A failed one prints FAIL and exits 3.
    #[arg(long = "threshold", value_name = "EXPR", value_parser = parse_threshold)]
    pub thresholds: Vec<crate::scenario::verdict::CliThreshold>,
}

fn parse_threshold(s: &str) -> Result<crate::scenario::verdict::CliThreshold, String> {
    crate::scenario::verdict::CliThreshold::parse(s)
}

/// Flags of `hornet report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A result written with --json.
    #[arg(value_name = "RESULT.json")]
    pub result: PathBuf,
    /// Write the HTML report to FILE.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Write Locust-compatible CSVs with this prefix.
    #[arg(long, value_name = "PREFIX")]
    pub csv: Option<PathBuf>,
    /// Write an HdrHistogram interval log to FILE.
    #[arg(long, value_name = "FILE")]
    pub hdr_log: Option<PathBuf>,
}

/// Flags of `hornet demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// How long to generate load.
    #[arg(short = 'd', long, value_name = "DURATION", default_value = "3s", value_parser = parse_duration)]
    pub duration: Duration,
    /// Connections.
    #[arg(short = 'c', long, value_name = "N", default_value_t = 32)]
    pub connections: usize,
    /// Write the HTTP run's result as JSON to FILE.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Write the SMPP run's result as JSON to FILE.
    #[arg(long, value_name = "FILE")]
    pub smpp_json: Option<PathBuf>,
    /// No live progress on stderr.
    #[arg(short = 'q', long)]
    pub quiet: bool,
}

/// A flag value that cannot be run.
#[derive(Debug, Error)]
pub enum ConfigError {
    /// A numeric flag out of its range.
    #[error("invalid value '{value}' for {flag}: {reason}")]
    Range {
        /// The flag, as typed.
        flag: &'static str,
        /// The value given.
        value: String,
        /// What is allowed.
        reason: String,
    },
    /// The URL is malformed, unsupported or unresolvable.
    #[error(transparent)]
    Target(#[from] TargetError),
    /// A `-H` value is not `Name: value`.
    #[error("invalid value '{0}' for -H/--header: expected 'Name: value'")]
    Header(String),
    /// The SMPP endpoint is not HOST:PORT or does not resolve.
    #[error("invalid SMSC address '{endpoint}': {reason} (expected HOST:PORT)")]
    Endpoint {
        /// The address given.
        endpoint: String,
        /// Why.
        reason: String,
    },
    /// `--body @FILE` could not be read.
    #[error("cannot read --body file '{path}': {source}")]
    BodyFile {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// An output file cannot be created (checked before any traffic).
    #[error("cannot create {flag} file '{path}': {source}")]
    Output {
        /// The flag.
        flag: &'static str,
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The request could not be encoded (bad method, header name or value).
    #[error("invalid request: {0}")]
    Request(String),
    /// TLS could not be set up (certificate files, server name).
    #[error(transparent)]
    Tls(#[from] crate::tls::TlsSetupError),
    /// The connections asked for cannot fit under the open-files limit,
    /// even raised to its hard limit.
    #[error("{what} need about {needed} open files, but this process may open only {limit} (ulimit -n; hard limit {hard}): use fewer, or raise the limit (ulimit -n, systemd LimitNOFILE=, a container's --ulimit nofile=)")]
    OpenFiles {
        /// What asks for the connections, e.g. `200 connections
        /// (-c/--connections)`.
        what: String,
        /// Connections plus hornet's own descriptors.
        needed: u64,
        /// The soft limit after raising it.
        limit: u64,
        /// The hard limit.
        hard: u64,
    },
    /// A TLS flag was given for a target that does not use TLS.
    #[error("{flag} applies to TLS connections only; {hint}")]
    TlsFlag {
        /// The flag.
        flag: &'static str,
        /// How to turn TLS on.
        hint: &'static str,
    },
}

/// Parses a human duration flag (`10s`, `500ms`, `1m30s`).
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s).map_err(|e| format!("{e} (examples: 10s, 500ms, 1m30s)"))
}

/// A range error for `flag`.
pub fn range_err(
    flag: &'static str,
    value: impl ToString,
    reason: impl Into<String>,
) -> ConfigError {
    ConfigError::Range {
        flag,
        value: value.to_string(),
        reason: reason.into(),
    }
}

/// Checks a count flag is in 1..=max.
pub fn check_count(flag: &'static str, v: usize, max: usize) -> Result<(), ConfigError> {
    if v == 0 || v > max {
        return Err(range_err(flag, v, format!("must be between 1 and {max}")));
    }
    Ok(())
}

/// Checks a duration flag is positive and at most 30 days.
pub fn check_duration(flag: &'static str, v: Duration) -> Result<(), ConfigError> {
    if v.is_zero() || v > MAX_DURATION {
        return Err(range_err(
            flag,
            humantime::format_duration(v),
            "must be more than zero and at most 30 days",
        ));
    }
    Ok(())
}

/// The load model and run length from `-R/--rate`, `--stages` and
/// `-d/--duration`: closed without either, a constant open rate with `-R`
/// (for `-d`), or stages (whose sum is the run length). clap already
/// rejects `--stages` together with `-R` or `-d`.
pub fn load_model(
    rate: Option<f64>,
    stages: Option<&str>,
    duration: Duration,
) -> Result<(LoadModel, Duration), ConfigError> {
    if let Some(text) = stages {
        let shape = Shape::parse(text).map_err(|e| range_err("--stages", text, e.to_string()))?;
        if shape.peak() > MAX_RATE {
            return Err(range_err(
                "--stages",
                text,
                format!("targets must be at most {MAX_RATE}"),
            ));
        }
        let length = shape.duration();
        check_duration("--stages", length)?;
        return Ok((
            LoadModel::Open {
                shape: Arc::new(shape),
            },
            length,
        ));
    }
    check_duration("-d/--duration", duration)?;
    match rate {
        None => Ok((LoadModel::Closed, duration)),
        Some(rate) if rate.is_finite() && rate > 0.0 && rate <= MAX_RATE => Ok((
            LoadModel::Open {
                shape: Arc::new(Shape::constant(rate, duration)),
            },
            duration,
        )),
        Some(rate) => Err(range_err(
            "-R/--rate",
            rate,
            format!("must be more than 0 and at most {MAX_RATE}"),
        )),
    }
}

/// The open model's pool cap (`flag`, e.g. --max-connections): defaults to
/// the initial count, must not be below it, and needs `-R`.
pub fn pool_cap(
    flag: &'static str,
    initial_flag: &str,
    initial: usize,
    cap: Option<usize>,
    open: bool,
) -> Result<usize, ConfigError> {
    match cap {
        None => Ok(initial),
        Some(m) if !open => Err(range_err(
            flag,
            m,
            "only applies to the open model (-R/--rate)",
        )),
        Some(m) if m < initial || m > MAX_CONNECTIONS => Err(range_err(
            flag,
            m,
            format!("must be between {initial_flag} ({initial}) and {MAX_CONNECTIONS}"),
        )),
        Some(m) => Ok(m),
    }
}

/// Worker threads to use when `-t` is not given.
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}
