//! The binary's contract: exit codes, one-line errors, the JSON schema and
//! the demo.

mod common;

use std::process::{Command, Output};

use common::target;
use hornet_target::TargetConfig;

fn hornet(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hornet"))
        .args(args)
        .output()
        .expect("hornet runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn json_output_validates_against_the_schema() {
    let t = target(TargetConfig::default());
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("out.json");
    let url = format!("http://{}/", t.local_addr());
    let out = hornet(&[
        "http",
        &url,
        "-c",
        "2",
        "-t",
        "1",
        "-d",
        "1200ms",
        "-q",
        "--json",
        json.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("accounting   scheduled"), "{stdout}");
    assert!(stdout.contains("(holds)"), "{stdout}");
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../schema/http-result.schema.json")).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:#?}\n{doc:#}");
    assert_eq!(doc["requests"], doc["status"]["200"]);
    assert!(!doc["timeline"].as_array().unwrap().is_empty());
    // The same document round-trips through the result type.
    let back: hornet::report::HttpResult = serde_json::from_value(doc).unwrap();
    assert!(back.accounting_holds());
    t.shutdown();
}

#[test]
fn bad_usage_exits_2_with_one_clear_line() {
    let cases: &[(&[&str], &str)] = &[
        (&["http", "not a url"], "malformed URL"),
        (
            &["http", "https://127.0.0.1/"],
            "https is not supported yet",
        ),
        (&["http", "ftp://127.0.0.1/"], "unsupported scheme"),
        (
            &["http", "http://no-such-host.invalid/"],
            "cannot resolve host",
        ),
        (
            &["http", "http://127.0.0.1:1/", "-c", "0"],
            "-c/--connections",
        ),
        (&["http", "http://127.0.0.1:1/", "--rate=-5"], "-R/--rate"),
        (&["http", "http://127.0.0.1:1/", "-d", "forever"], "forever"),
        (
            &["http", "http://127.0.0.1:1/", "--pipeline", "0"],
            "--pipeline",
        ),
        (
            &["http", "http://127.0.0.1:1/", "-H", "nocolon"],
            "-H/--header",
        ),
    ];
    for (args, needle) in cases {
        let out = hornet(args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}

#[test]
fn a_target_that_refuses_everything_exits_1() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/");
    let out = hornet(&["http", &url, "-c", "1", "-d", "200ms", "-q"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("connect_refused"), "{}", stderr(&out));
}

#[test]
fn demo_runs_against_the_embedded_target() {
    let out = hornet(&["demo", "-d", "500ms", "-q"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("built-in target on http://127.0.0.1:"),
        "{stdout}"
    );
    assert!(stdout.contains("(holds)"), "{stdout}");
}
