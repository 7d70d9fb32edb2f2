//! One result pipeline: the files a run writes when it ends come from its
//! result document alone, so `hornet report` rebuilds the very same CSV
//! and HTML files from the run's `--json`, for every kind of run (HTTP,
//! SMPP, a profile) and for a run where nothing worked.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::target;
use hornet_target::TargetConfig;

fn hornet(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hornet"))
        .args(args)
        .output()
        .expect("hornet runs")
}

/// Runs `hornet <args> --json r.json --csv r --html r.html` in `dir`,
/// checks its exit code, then rebuilds the CSV and HTML with
/// `hornet report` and asserts they are byte for byte the run's own.
/// Returns the run's JSON.
fn run_then_rebuild(dir: &Path, args: &[&str], code: i32) -> serde_json::Value {
    let p = |name: &str| dir.join(name).to_str().unwrap().to_string();
    let mut all: Vec<String> = args.iter().map(|s| (*s).to_string()).collect();
    for a in [
        "--json",
        &p("r.json"),
        "--csv",
        &p("r"),
        "--html",
        &p("r.html"),
    ] {
        all.push(a.to_string());
    }
    let all: Vec<&str> = all.iter().map(String::as_str).collect();
    let out = hornet(&all);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "{stderr}");
    assert!(!out.stdout.is_empty(), "the summary is printed");
    let rebuilt = hornet(&[
        "report",
        &p("r.json"),
        "--csv",
        &p("b"),
        "--html",
        &p("b.html"),
    ]);
    assert_eq!(
        rebuilt.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&rebuilt.stderr)
    );
    for (run, back) in [
        ("r_stats.csv", "b_stats.csv"),
        ("r_failures.csv", "b_failures.csv"),
        ("r_stats_history.csv", "b_stats_history.csv"),
        ("r.html", "b.html"),
    ] {
        let (a, b) = (
            std::fs::read(dir.join(run)).unwrap(),
            std::fs::read(dir.join(back)).unwrap(),
        );
        assert!(!a.is_empty(), "{run} is empty");
        assert!(a == b, "{run} and its rebuilt {back} differ");
    }
    serde_json::from_slice(&std::fs::read(dir.join("r.json")).unwrap()).unwrap()
}

#[test]
fn http_run_files_equal_those_rebuilt_from_its_json() {
    let t = target(TargetConfig::default());
    let dir = tempfile::tempdir().unwrap();
    let url = format!("http://{}/", t.local_addr());
    let args = ["http", &url, "-c", "2", "-t", "1", "-d", "600ms", "-q"];
    let doc = run_then_rebuild(dir.path(), &args, 0);
    t.shutdown();
    assert!(doc["requests"].as_u64().unwrap() > 0, "{doc:#}");
    assert_eq!(doc["outcome"]["status"], "completed");
    assert_eq!(doc["outcome"]["exit_code"], 0);
}

#[test]
fn smpp_run_files_equal_those_rebuilt_from_its_json() {
    let smsc = hornet_smsc::start("127.0.0.1:0".parse().unwrap(), Default::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let addr = smsc.local_addr().to_string();
    let args = [
        "smpp",
        &addr,
        "--system-id",
        "t",
        "--password",
        "t",
        "--sessions",
        "1",
        "-d",
        "600ms",
        "-q",
    ];
    let doc = run_then_rebuild(dir.path(), &args, 0);
    smsc.shutdown();
    assert!(doc["submit_sm"]["ok"].as_u64().unwrap() > 0, "{doc:#}");
    assert_eq!(doc["outcome"]["status"], "completed");
}

#[test]
fn profile_run_files_equal_those_rebuilt_from_its_json() {
    let dir = tempfile::tempdir().unwrap();
    let profile = concat!(env!("CARGO_MANIFEST_DIR"), "/profiles/finance-race.toml");
    let doc = run_then_rebuild(dir.path(), &["run", profile, "--demo", "-q"], 0);
    assert_eq!(doc["kind"], "scenario");
    assert_eq!(doc["outcome"]["status"], "completed");
    assert!(doc["total"]["requests"].as_u64().unwrap() > 0, "{doc:#}");
}

#[test]
fn a_refused_run_finishes_like_any_other_with_exit_1() {
    // A port that refuses: bound, then closed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("http://127.0.0.1:{port}/");
    let args = ["http", &url, "-c", "1", "-t", "1", "-d", "300ms", "-q"];
    let doc = run_then_rebuild(dir.path(), &args, 1);
    assert_eq!(doc["requests"], 0);
    assert_eq!(doc["outcome"]["status"], "nothing_worked");
    assert_eq!(doc["outcome"]["exit_code"], 1);
    let reason = doc["outcome"]["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("no request got a response ("),
        "{reason}"
    );
}
