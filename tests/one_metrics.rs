//! One measurement path (issue 12, item 4): a profile's users record their
//! SMPP sessions' own counts (binds, command statuses, deliver_sm,
//! receipts, enquire_link) into the run's stats, and the result reports
//! them (`smpp` in the JSON, one `SMPP sessions:` line in the summary).
//!
//! The peer is the in-repo SMSC made awkward: it fails a share of the
//! submits, floods every bind with mobile-originated deliver_sm, sends
//! enquire_link every 50 ms, and in the second test refuses every bind.
//! Each run is the real binary (`hornet run --json`), on 127.0.0.1 port 0,
//! bounded by its run time.
//!
//! Check failures are counted by typed ids: a server whose every answer
//! carries a value that cannot go into a request path makes every
//! dependent request fail to render, counted under one typed reason.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use hornet_smsc::SmscConfig;

/// Runs `profile` (with `SMSC` replaced) through the binary; returns the
/// exit code, stdout and the JSON result.
fn run_profile(dir: &Path, profile: &str, smsc: &str) -> (i32, String, serde_json::Value) {
    let path = dir.join("p.toml");
    std::fs::write(&path, profile.replace("SMSC", smsc)).unwrap();
    let json = dir.join("r.json");
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_hornet"))
        .arg("run")
        .arg(&path)
        .arg("--json")
        .arg(&json)
        .arg("--allow-failures")
        .output()
        .expect("hornet runs");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "the run ends with its run time"
    );
    let doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&json).expect("the JSON is written")).unwrap();
    valid_against_schema(&doc);
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        doc,
    )
}

fn valid_against_schema(doc: &serde_json::Value) {
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../schema/scenario-result.schema.json")).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> = validator.iter_errors(doc).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:#?}\n{doc:#}");
}

fn count(v: &serde_json::Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("{v} is not a count"))
}

const PROFILE: &str = r#"
[target.smpp]
endpoint = "SMSC"
system_id = "hornet"
password = "secret"
[load]
users = 3
run_time = "1200ms"
threads = 2
[[user]]
name = "S"
[[user.task]]
name = "send"
steps = [
  { name = "submit_sm", smpp = { destination = "4477009{{ seq() }}", text = "hi", registered_delivery = true } },
  { sleep = "20ms" },
]
"#;

#[test]
fn profile_results_report_the_users_smpp_session_counts() {
    let smsc = hornet_smsc::start(
        "127.0.0.1:0".parse().unwrap(),
        SmscConfig {
            error_ratio: 0.25,
            error_status: 0x08,
            mo_rate: Some(40.0),
            enquire_link: Some(Duration::from_millis(50)),
            ..Default::default()
        },
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, doc) = run_profile(dir.path(), PROFILE, &smsc.local_addr().to_string());
    let server = smsc.counters();
    smsc.shutdown();
    assert_eq!(code, 0, "{stdout}");
    let smpp = &doc["smpp"];
    let step = &doc["requests"][0];
    assert_eq!(step["name"], "submit_sm");
    // One bind per user, kept across tasks: the SMSC saw the same.
    assert_eq!(count(&smpp["sessions"]["bound"]), 3, "{smpp:#}");
    assert_eq!(server.binds_ok, 3);
    assert_eq!(count(&smpp["sessions"]["bind_failed"]), 0);
    // Every answered submit is in command_status: ESME_ROK passed, the
    // injected ESME_RSYSERR failed its check.
    let status = smpp["command_status"].as_object().unwrap();
    let ok = status.get("0x00000000").map_or(0, count);
    let syserr = status.get("0x00000008").map_or(0, count);
    assert_eq!(ok, count(&step["passed"]), "{smpp:#}\n{step:#}");
    assert_eq!(syserr, count(&step["check_failed"]), "{smpp:#}\n{step:#}");
    assert!(ok >= 20 && syserr >= 1, "{smpp:#}");
    assert_eq!(status.len(), 2, "{smpp:#}");
    assert_eq!(count(&smpp["throttled"]), 0);
    // What the SMSC sent: receipts for the passed submits (registered
    // delivery), mobile-originated messages at 40/s per bind, and
    // enquire_link every 50 ms, all counted and answered.
    let deliver = count(&smpp["deliver_sm"]);
    let receipts = count(&smpp["receipts"]);
    assert!(receipts >= 1 && receipts <= ok, "{smpp:#}");
    assert!(deliver >= receipts + 3 * 20, "{smpp:#}");
    assert!(count(&smpp["enquire_links_received"]) >= 3 * 10, "{smpp:#}");
    assert_eq!(count(&smpp["generic_nacks"]), 0);
    assert_eq!(count(&smpp["unknown_responses"]), 0);
    // Compactly in the summary.
    let line = stdout
        .lines()
        .find(|l| l.starts_with("SMPP sessions:"))
        .unwrap_or_else(|| panic!("no SMPP line in\n{stdout}"));
    assert!(line.contains("3 bound"), "{line}");
    assert!(line.contains(&format!("0x00000008: {syserr}")), "{line}");
    assert!(line.contains(&format!("{deliver} deliver_sm")), "{line}");
}

#[test]
fn refused_binds_are_counted_with_their_reason() {
    let smsc = hornet_smsc::start(
        "127.0.0.1:0".parse().unwrap(),
        SmscConfig {
            credentials: Some(("hornet".into(), "other".into())),
            ..Default::default()
        },
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let profile = PROFILE.replace("1200ms", "400ms");
    let (_, stdout, doc) = run_profile(dir.path(), &profile, &smsc.local_addr().to_string());
    smsc.shutdown();
    let sessions = &doc["smpp"]["sessions"];
    assert_eq!(count(&sessions["bound"]), 0, "{sessions:#}");
    // Each user retries after a backoff: at least one refusal per user.
    assert!(count(&sessions["bind_failed"]) >= 3, "{sessions:#}");
    let why = sessions["last_bind_error"].as_str().unwrap();
    assert!(why.contains("ESME_RINVPASWD"), "{why}");
    assert!(doc["smpp"]["command_status"]
        .as_object()
        .unwrap()
        .is_empty());
    assert!(stdout.contains("bind failed (ESME_RINVPASWD"), "{stdout}");
    // The submits were never sent: errors, all of them.
    let step = &doc["requests"][0];
    assert_eq!(count(&step["passed"]), 0);
    assert_eq!(count(&step["not_sent"]), count(&step["errors"]));
}

#[test]
fn profiles_without_smpp_steps_have_no_smpp_key() {
    let dir = tempfile::tempdir().unwrap();
    let target = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = target.local_addr().unwrap();
    // A peer that accepts and closes: the requests fail, nothing SMPP.
    std::thread::spawn(move || {
        for s in target.incoming().take(64) {
            drop(s);
        }
    });
    let profile = format!(
        r#"
[target]
host = "http://{addr}"
[load]
users = 1
run_time = "300ms"
threads = 1
[[user]]
name = "H"
[[user.task]]
name = "get"
path = "/"
"#
    );
    let (_, stdout, doc) = run_profile(dir.path(), &profile, "unused");
    assert!(doc.get("smpp").is_none(), "{doc:#}");
    assert!(!stdout.contains("SMPP sessions:"), "{stdout}");
}

/// Every answer carries an id with a space: a path built from it is not a
/// valid request target, so the dependent request fails to render every
/// time. Counted under one typed reason (no words formatted per request),
/// put in the same words as before when results are rendered.
#[test]
fn a_value_that_breaks_every_request_is_counted_by_its_typed_reason() {
    let server = common::FaultServer::start(|mut stream| {
        let body = br#"{"id":"a b"}"#;
        let head = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
            body.len()
        );
        while common::read_head(&mut stream) {
            common::send(&mut stream, head.as_bytes());
            common::send(&mut stream, body);
        }
    });
    let r = common::run_profile(
        r#"
[target]
host = "HOST"
[load]
users = 1
run_time = "400ms"
threads = 1
[[user]]
name = "U"
[[user.task]]
name = "t"
steps = [
  { name = "get id", path = "/id", extract = { oid = { json = "/id" } } },
  { name = "use id", path = "/items/{{ oid }}" },
]
"#,
        &format!("http://{}", server.addr),
    );
    let by = |n: &str| r.requests.iter().find(|x| x.name == n).unwrap().clone();
    let (got, used) = (by("get id"), by("use id"));
    assert!(got.passed >= 5, "{got:?}");
    assert_eq!(used.requests, used.check_failed, "{used:?}");
    assert_eq!(used.passed, 0);
    // One render per answered id (the last answer may come in the drain,
    // when no new step starts).
    assert!(
        used.requests <= got.passed && used.requests + 1 >= got.passed,
        "{used:?} {got:?}"
    );
    assert_eq!(
        used.failures
            .get("render: cannot encode the request: invalid request target"),
        Some(&used.check_failed),
        "{used:?}"
    );
    assert_eq!(used.failures.len(), 1, "{used:?}");
}
