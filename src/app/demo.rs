//! `hornet demo`: the built-in HTTP target, SMSC and demo API on ephemeral
//! loopback ports, each loaded briefly through the ordinary commands.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use clap::Parser;

use crate::cli::tls::TlsArgs;
use crate::cli::{DemoArgs, HttpArgs, OutputArgs};
use crate::report::summary;

use super::{http, smpp, AppError, Outcome};

/// `hornet demo`: serve the built-in HTTP target and SMSC on ephemeral
/// loopback ports and load each briefly. Completed only if both worked.
pub fn demo(args: DemoArgs) -> Result<Outcome, AppError> {
    let http_outcome = demo_http(&args)?;
    println!();
    let smpp_outcome = demo_smpp(&args)?;
    println!();
    let profile_outcome = demo_profile(&args)?;
    let smpp_outcome = match (smpp_outcome, profile_outcome) {
        (Outcome::Completed, other) => other,
        (first, _) => first,
    };
    Ok(match (http_outcome, smpp_outcome) {
        (Outcome::Completed, Outcome::Completed) => Outcome::Completed,
        (Outcome::NothingWorked { reason }, _) | (_, Outcome::NothingWorked { reason }) => {
            Outcome::NothingWorked { reason }
        }
        (Outcome::Failed { reason }, _) | (_, Outcome::Failed { reason }) => {
            Outcome::Failed { reason }
        }
    })
}

/// The race test of seed 000, embedded: profiles/finance-race.toml against
/// the demo API in safe mode, so the demo shows a scenario and an invariant.
const DEMO_PROFILE: &str = include_str!("../../profiles/finance-race.toml");

fn demo_profile(args: &DemoArgs) -> Result<Outcome, AppError> {
    let cfg = hornet_target::TargetConfig {
        threads: 2,
        demo: Some(hornet_target::DemoConfig::default()),
        ..Default::default()
    };
    let api = hornet_target::start("127.0.0.1:0".parse().expect("literal address"), cfg)
        .map_err(AppError::DemoTarget)?;
    let ov = crate::profile::Overrides {
        host: Some(format!("http://{}", api.local_addr())),
        ..Default::default()
    };
    println!(
        "hornet demo: profile finance-race (seed 000: login, 100 parallel transactions, balance invariant) against the built-in demo API on {}",
        api.local_addr()
    );
    let sc = crate::profile::compile_str(
        Path::new("profiles/finance-race.toml"),
        DEMO_PROFILE,
        &ov,
        &|k| std::env::var(k).ok(),
    )?;
    let result = crate::scenario::run(sc, !args.quiet)?;
    api.shutdown();
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(result.render().as_bytes());
    let _ = stdout.flush();
    Ok(if result.passed() {
        Outcome::Completed
    } else {
        Outcome::Failed {
            reason: "the demo profile's invariant failed".into(),
        }
    })
}

fn demo_http(args: &DemoArgs) -> Result<Outcome, AppError> {
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
    let http_args = HttpArgs {
        url,
        connections: args.connections,
        threads: None,
        duration: args.duration,
        rate: None,
        stages: None,
        max_connections: None,
        pipeline: 1,
        method: "GET".into(),
        headers: Vec::new(),
        body: None,
        timeout: Duration::from_secs(5),
        connect_timeout: Duration::from_secs(2),
        new_conn: false,
        tls: TlsArgs::default(),
        out: OutputArgs {
            json: args.json.clone(),
            ..OutputArgs::default()
        },
        verdict: crate::cli::ThresholdArgs::default(),
        quiet: args.quiet,
    };
    let result = http(http_args);
    let served = target.responses();
    target.shutdown();
    let (result, outcome) = result?;
    println!(
        "  target       answered {} requests (hornet counted {} responses)",
        summary::fmt_count(served),
        summary::fmt_count(result.requests)
    );
    Ok(outcome)
}

fn demo_smpp(args: &DemoArgs) -> Result<Outcome, AppError> {
    let smsc = hornet_smsc::start(
        "127.0.0.1:0".parse().expect("literal address"),
        hornet_smsc::SmscConfig {
            receipt_delay: Duration::from_millis(20),
            ..hornet_smsc::SmscConfig::default()
        },
    )
    .map_err(AppError::DemoTarget)?;
    let endpoint = smsc.local_addr().to_string();
    println!(
        "hornet demo: built-in SMSC on {endpoint}, 4 transceiver binds, window 64, receipts on, for {}",
        humantime::format_duration(args.duration)
    );
    let cli = crate::cli::Cli::try_parse_from([
        "hornet",
        "smpp",
        endpoint.as_str(),
        "--system-id",
        "demo",
        "--password",
        "demo",
        "--sessions",
        "4",
        "--window",
        "64",
        "--dlr",
    ])
    .expect("the demo's own flags parse");
    let crate::cli::Command::Smpp(mut smpp_args) = cli.command else {
        unreachable!("parsed an smpp command");
    };
    smpp_args.duration = args.duration;
    smpp_args.quiet = args.quiet;
    smpp_args.out.json = args.smpp_json.clone();
    let result = smpp(smpp_args);
    let counters = smsc.counters();
    smsc.shutdown();
    let (result, outcome) = result?;
    println!(
        "  SMSC         answered {} submit_sm OK, sent {} receipts (hornet counted {} OK, {} receipts)",
        summary::fmt_count(counters.submit_ok),
        summary::fmt_count(counters.receipts_sent),
        summary::fmt_count(result.submit_sm.ok),
        summary::fmt_count(result.receipts.received)
    );
    Ok(outcome)
}
