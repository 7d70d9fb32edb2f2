//! hornet smpp against hornet-smsc on 127.0.0.1 port 0: exact counts on
//! both sides, throttling, receipts, a dropped session, refused binds.

use std::time::Duration;

use clap::Parser;
use hornet::cli::{Cli, Command};
use hornet::engine::run_smpp;
use hornet::report::smpp_result::SmppResult;
use hornet_smsc::{IdFormat, Latency, SmscConfig, SmscHandle};

fn smsc(config: SmscConfig) -> SmscHandle {
    hornet_smsc::start("127.0.0.1:0".parse().unwrap(), config).expect("smsc starts")
}

fn run(smsc: &SmscHandle, args: &[&str]) -> SmppResult {
    let endpoint = smsc.local_addr().to_string();
    let mut argv = vec![
        "hornet",
        "smpp",
        endpoint.as_str(),
        "--system-id",
        "esme",
        "--password",
        "secret",
        "-q",
    ];
    argv.extend_from_slice(args);
    let Command::Smpp(smpp) = Cli::try_parse_from(argv).expect("valid flags").command else {
        panic!("not an smpp command");
    };
    let plan = smpp.into_plan().expect("valid plan");
    let out = run_smpp(&plan, |_, _| {}).expect("run completes");
    SmppResult::new(&plan, &out)
}

fn assert_accounting(r: &SmppResult) {
    assert!(r.accounting_holds(), "accounting: {r:#?}");
    let statuses: u64 = r.command_status.values().sum();
    assert_eq!(statuses, r.requests, "{r:#?}");
}

#[test]
fn closed_model_counts_match_the_smsc() {
    let s = smsc(SmscConfig::default());
    let r = run(
        &s,
        &[
            "--sessions",
            "2",
            "-t",
            "2",
            "--window",
            "32",
            "-d",
            "700ms",
        ],
    );
    assert_accounting(&r);
    let c = s.counters();
    assert!(r.ok > 100, "{r:#?}");
    assert_eq!(r.failed + r.timed_out + r.not_sent, 0, "{r:#?}");
    assert_eq!(c.submit_sm, r.submit_sm.sent);
    assert_eq!(c.submit_ok, r.ok);
    assert_eq!(r.sessions.bound, 2);
    assert_eq!(c.binds_ok, 2);
    assert_eq!(r.command_status.get("0x00000000"), Some(&r.ok));
    assert_eq!(c.unbinds_received, 2, "sessions unbind at the end");
    s.shutdown();
}

#[test]
fn open_model_sends_the_scheduled_count() {
    let s = smsc(SmscConfig::default());
    let r = run(
        &s,
        &["--sessions", "2", "-t", "1", "-R", "1000", "-d", "1s"],
    );
    assert_accounting(&r);
    assert_eq!(r.scheduled, 1000, "{r:#?}");
    assert_eq!(r.ok + r.not_sent, 1000, "{r:#?}");
    assert!(r.ok >= 990, "{r:#?}");
    assert_eq!(s.counters().submit_ok, r.ok);
    s.shutdown();
}

#[test]
fn stages_shape_the_submit_rate() {
    let s = smsc(SmscConfig::default());
    let r = run(
        &s,
        &[
            "--sessions",
            "2",
            "-t",
            "1",
            "--stages",
            "500ms:1000,500ms:0",
        ],
    );
    assert_accounting(&r);
    // Up to 1000/s over 0.5 s and back down: 250 + 250 submits.
    assert_eq!(r.scheduled, 500, "{r:#?}");
    assert_eq!(r.ok + r.not_sent, 500, "{r:#?}");
    assert_eq!(s.counters().submit_ok, r.ok);
    s.shutdown();
}

#[test]
fn out_of_order_responses_are_matched_by_sequence_number() {
    let s = smsc(SmscConfig {
        latency: Latency::Uniform {
            min: Duration::from_millis(1),
            max: Duration::from_millis(20),
        },
        ..SmscConfig::default()
    });
    let r = run(
        &s,
        &[
            "--sessions",
            "1",
            "-t",
            "1",
            "--window",
            "50",
            "-d",
            "600ms",
        ],
    );
    assert_accounting(&r);
    assert_eq!(r.unknown_responses, 0, "{r:#?}");
    assert_eq!(r.failed + r.timed_out, 0, "{r:#?}");
    assert!(r.latency_uncorrected_us.max >= 1_000);
    assert_eq!(s.counters().submit_ok, r.ok);
    s.shutdown();
}

#[test]
fn throttling_is_counted_apart_and_paces_the_bind() {
    let s = smsc(SmscConfig {
        tps_limit: Some(100),
        ..SmscConfig::default()
    });
    let r = run(
        &s,
        &[
            "--sessions",
            "1",
            "-t",
            "1",
            "--window",
            "10",
            "-d",
            "1500ms",
        ],
    );
    assert_accounting(&r);
    let c = s.counters();
    assert!(r.submit_sm.throttled > 0, "{r:#?}");
    assert_eq!(r.submit_sm.throttled, c.throttled);
    assert_eq!(r.command_status.get("0x00000058"), Some(&c.throttled));
    // Paced: with backoff the bind does not hammer a throttling SMSC; at
    // 100/s for 1.5 s about 150 succeed, and throttled answers stay within
    // a small multiple of that.
    assert!((100..=260).contains(&r.ok), "{r:#?}");
    assert!(r.submit_sm.throttled < 10 * r.ok, "{r:#?}");
    s.shutdown();
}

#[test]
fn receipts_are_matched_with_their_latency() {
    // Hex ids in submit_sm_resp, decimal in the receipts.
    let s = smsc(SmscConfig {
        message_id_format: IdFormat::Hex,
        receipt_id_format: IdFormat::Decimal,
        receipt_delay: Duration::from_millis(50),
        ..SmscConfig::default()
    });
    let r = run(
        &s,
        &[
            "--sessions",
            "1",
            "-t",
            "1",
            "-R",
            "200",
            "-d",
            "1s",
            "--dlr",
        ],
    );
    assert_accounting(&r);
    let c = s.counters();
    assert!(r.receipts.received > 150, "{r:#?}");
    assert_eq!(r.receipts.received, c.receipts_sent);
    assert_eq!(c.receipts_acked, c.receipts_sent);
    assert_eq!(r.receipts.matched, r.receipts.received, "{r:#?}");
    // Every receipt the SMSC promised is either matched or still pending.
    assert_eq!(
        r.receipts.matched + r.receipts.pending,
        r.submit_sm.ok,
        "{r:#?}"
    );
    assert_eq!(r.receipts.stat.get("DELIVRD"), Some(&r.receipts.received));
    let p50 = r.receipts.latency_us.p50;
    assert!(
        (50_000..=150_000).contains(&p50),
        "receipt p50 {p50}: {r:#?}"
    );
    s.shutdown();
}

#[test]
fn a_session_survives_the_server_dropping_it() {
    let s = smsc(SmscConfig {
        drop_after: Some(200),
        ..SmscConfig::default()
    });
    let r = run(
        &s,
        &["--sessions", "1", "-t", "1", "--window", "8", "-d", "800ms"],
    );
    assert_accounting(&r);
    assert!(r.sessions.reconnects >= 1, "{r:#?}");
    assert!(r.sessions.bound >= 2, "{r:#?}");
    assert!(r.ok > 200, "{r:#?}");
    let lost = r.errors.values().sum::<u64>();
    assert!(lost <= 8 * (r.sessions.reconnects + 1), "{r:#?}");
    s.shutdown();
}

#[test]
fn a_server_unbind_mid_run_is_rebound_and_counted() {
    let s = smsc(SmscConfig {
        unbind_after: Some(100),
        ..SmscConfig::default()
    });
    let r = run(
        &s,
        &["--sessions", "1", "-t", "1", "--window", "4", "-d", "600ms"],
    );
    assert_accounting(&r);
    assert!(r.sessions.unbinds_received >= 1, "{r:#?}");
    assert!(r.sessions.reconnects >= 1, "{r:#?}");
    assert!(r.ok > 100, "{r:#?}");
    s.shutdown();
}

#[test]
fn a_refused_bind_is_reported_with_its_status() {
    let s = smsc(SmscConfig {
        credentials: Some(("esme".into(), "other".into())),
        ..SmscConfig::default()
    });
    let r = run(&s, &["--sessions", "1", "-t", "1", "-d", "300ms"]);
    assert_accounting(&r);
    assert_eq!(r.sessions.bound, 0);
    assert!(r.sessions.bind_failed >= 1, "{r:#?}");
    let e = r.sessions.last_bind_error.clone().unwrap();
    assert!(e.contains("ESME_RINVPASWD"), "{e}");
    assert!(r.nothing_worked());
    s.shutdown();
}

#[test]
fn error_statuses_are_counted_as_failed_by_status() {
    let s = smsc(SmscConfig {
        error_ratio: 1.0,
        error_status: 0x45,
        ..SmscConfig::default()
    });
    let r = run(&s, &["--sessions", "1", "-t", "1", "-d", "300ms"]);
    assert_accounting(&r);
    assert_eq!(r.ok, 0);
    assert!(r.submit_sm.failed > 0);
    assert_eq!(r.command_status.get("0x00000045"), Some(&r.requests));
    s.shutdown();
}

#[test]
fn json_output_validates_against_the_smpp_schema() {
    let s = smsc(SmscConfig {
        receipt_delay: Duration::from_millis(5),
        ..SmscConfig::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("smpp.json");
    let endpoint = s.local_addr().to_string();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_hornet"))
        .args([
            "smpp",
            &endpoint,
            "--system-id",
            "esme",
            "--password",
            "pw",
            "--sessions",
            "2",
            "-t",
            "1",
            "-d",
            "1200ms",
            "--dlr",
            "-q",
            "--json",
            json.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../schema/smpp-result.schema.json")).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:#?}\n{doc:#}");
    let back: SmppResult = serde_json::from_value(doc).unwrap();
    assert!(back.accounting_holds());
    assert!(back.receipts.received > 0);
    s.shutdown();
}
