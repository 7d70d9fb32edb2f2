//! TLS end to end: hornet against hornet-target and hornet-smsc serving TLS
//! with certificates made in the test (rcgen). Valid chains, every failure
//! reason users act on, client certificates, resumption, one request per
//! connection, SMPP over TLS and profiles' per-target TLS options.

mod common;

use std::path::Path;
use std::process::Command as Process;

use clap::Parser;
use common::certs::{
    client_cert, expired_leaf, leaf, self_signed, tls_smsc, tls_target, tls_target_with, Ca,
    PemFiles, Validity, SERVER_NAMES,
};
use common::{assert_accounting, run};
use hornet::cli::{Cli, Command};
use hornet::engine::run_smpp;
use hornet::profile::{compile_str, Overrides};
use hornet::report::smpp_result::SmppResult;
use hornet::report::HttpResult;
use hornet_target::tls::{TlsOptions, TlsVersions};
use hornet_target::{DemoConfig, TargetConfig};

/// `hornet http URL -c 2 -t 1 -d 300ms` plus `args`.
fn short_run(url: &str, args: &[&str]) -> HttpResult {
    let mut all = vec!["-c", "2", "-t", "1", "-d", "300ms", "--timeout", "2s"];
    all.extend_from_slice(args);
    let r = run(url, &all);
    assert_accounting(&r);
    r
}

/// The run failed every request with TLS `reason`, and nothing else.
fn assert_tls_failure(r: &HttpResult, reason: &str) {
    assert_eq!(r.requests, 0, "{r:#?}");
    assert!(r.failed > 0, "{r:#?}");
    assert_eq!(r.errors.get("tls"), Some(&r.failed), "{:?}", r.errors);
    let tls = r.tls.as_ref().expect("a TLS run has a tls report");
    assert_eq!(tls.handshakes, 0);
    assert!(
        tls.errors.get(reason).copied().unwrap_or(0) > 0,
        "wanted {reason}, got {:?} ({:?})",
        tls.errors,
        tls.error_examples
    );
    assert_eq!(tls.errors.len(), 1, "{:?}", tls.errors);
}

fn url(addr: std::net::SocketAddr) -> String {
    format!("https://localhost:{}/", addr.port())
}

#[test]
fn a_valid_chain_works_with_cacert_and_handshakes_are_their_own_histogram() {
    let s = tls_target(TargetConfig::default());
    let ca = s.ca_file.to_str().unwrap();
    let r = short_run(&url(s.handle.local_addr()), &["--cacert", ca]);
    assert!(r.ok > 0 && r.ok == r.requests, "{r:#?}");
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    let tls = r.tls.as_ref().unwrap();
    assert_eq!(tls.handshakes, 2, "one per keep-alive connection: {tls:?}");
    assert_eq!(tls.handshake_us.count, 2);
    assert!(tls.handshake_us.p50 > 0);
    assert_eq!(tls.verify, "--cacert");
    assert_eq!(tls.server_name, "localhost");
    assert!(tls.errors.is_empty());
    assert_schema(&r, "http-result.schema.json");
    // The IP address works too: the certificate names it.
    let ip = format!("https://{}/", s.handle.local_addr());
    let r = short_run(&ip, &["--cacert", ca]);
    assert!(r.ok > 0, "{r:#?}");
    assert_eq!(r.tls.unwrap().server_name, "127.0.0.1");
}

#[test]
fn an_unknown_issuer_fails_without_cacert_and_insecure_opts_out() {
    let s = tls_target(TargetConfig::default());
    let u = url(s.handle.local_addr());
    let r = short_run(&u, &[]);
    assert_tls_failure(&r, "unknown_issuer");
    let tls = r.tls.as_ref().unwrap();
    assert_eq!(
        tls.error_examples.get("unknown_issuer").map(String::as_str),
        Some("invalid peer certificate: UnknownIssuer")
    );
    assert_schema(&r, "http-result.schema.json");
    let r = short_run(&u, &["--insecure"]);
    assert!(r.ok > 0, "{r:#?}");
    assert_eq!(r.tls.unwrap().verify, "none (--insecure)");
}

#[test]
fn a_wrong_host_name_is_named_as_such() {
    let ca = Ca::new("test CA");
    let server = leaf(&ca, &["api.example.test"], Validity::CURRENT);
    let h = tls_target_with(TargetConfig::default(), &server, None, &TlsOptions::http1());
    let files = PemFiles::new();
    let ca_file = files.ca("ca.pem", &ca);
    let ca_path = ca_file.to_str().unwrap();
    let u = url(h.local_addr());
    assert_tls_failure(&short_run(&u, &["--cacert", ca_path]), "wrong_host");
    // --sni names the host the certificate was issued for.
    let r = short_run(&u, &["--cacert", ca_path, "--sni", "api.example.test"]);
    assert!(r.ok > 0, "{r:#?}");
}

#[test]
fn an_expired_certificate_is_named_as_such() {
    let ca = Ca::new("test CA");
    let server = expired_leaf(&ca, SERVER_NAMES);
    let h = tls_target_with(TargetConfig::default(), &server, None, &TlsOptions::http1());
    let files = PemFiles::new();
    let ca_file = files.ca("ca.pem", &ca);
    let r = short_run(
        &url(h.local_addr()),
        &["--cacert", ca_file.to_str().unwrap()],
    );
    assert_tls_failure(&r, "expired");
}

#[test]
fn a_self_signed_certificate_needs_cacert() {
    let server = self_signed(SERVER_NAMES);
    let h = tls_target_with(TargetConfig::default(), &server, None, &TlsOptions::http1());
    let u = url(h.local_addr());
    assert_tls_failure(&short_run(&u, &[]), "unknown_issuer");
    let files = PemFiles::new();
    let cert = files.write("self.pem", &server.cert_pem);
    let r = short_run(&u, &["--cacert", cert.to_str().unwrap()]);
    assert!(r.ok > 0 && r.failed == 0, "{r:#?}");
}

#[test]
fn a_required_client_certificate_is_asked_for_and_accepted() {
    let ca = Ca::new("test CA");
    let server = leaf(&ca, SERVER_NAMES, Validity::CURRENT);
    let h = tls_target_with(
        TargetConfig::default(),
        &server,
        Some(&ca),
        &TlsOptions::http1(),
    );
    let files = PemFiles::new();
    let ca_file = files.ca("ca.pem", &ca);
    let ca_path = ca_file.to_str().unwrap();
    let u = url(h.local_addr());
    // TLS 1.3 finishes the client's side of the handshake before the
    // server checks the client: the refusal arrives on the first read, and
    // still counts as a TLS failure with its reason.
    let r = short_run(&u, &["--cacert", ca_path]);
    assert_eq!(r.requests, 0, "{r:#?}");
    assert_eq!(r.errors.get("tls"), Some(&r.failed), "{:?}", r.errors);
    let tls = r.tls.unwrap();
    assert!(
        tls.errors.get("client_cert_rejected").copied().unwrap_or(0) > 0,
        "{:?}",
        tls.errors
    );
    let client = client_cert(&ca, "hornet client");
    let (cert, key) = files.leaf("client", &client);
    let r = short_run(
        &u,
        &[
            "--cacert",
            ca_path,
            "--cert",
            cert.to_str().unwrap(),
            "--key",
            key.to_str().unwrap(),
        ],
    );
    assert!(r.ok > 0 && r.failed == 0, "{r:#?}");
}

#[test]
fn no_shared_version_is_a_protocol_version_failure() {
    let ca = Ca::new("test CA");
    let server = leaf(&ca, SERVER_NAMES, Validity::CURRENT);
    let options = TlsOptions {
        versions: TlsVersions::Tls12Only,
        ..TlsOptions::http1()
    };
    let h = tls_target_with(TargetConfig::default(), &server, None, &options);
    let files = PemFiles::new();
    let ca_file = files.ca("ca.pem", &ca);
    let ca_path = ca_file.to_str().unwrap();
    let u = url(h.local_addr());
    assert_tls_failure(
        &short_run(&u, &["--cacert", ca_path, "--tls-min", "1.3"]),
        "protocol_version",
    );
    // TLS 1.2 is offered by default.
    let r = short_run(&u, &["--cacert", ca_path]);
    assert!(r.ok > 0, "{r:#?}");
}

#[test]
fn new_conn_does_one_request_per_connection_and_resumes_unless_told_not_to() {
    let s = tls_target(TargetConfig::default());
    let ca = s.ca_file.to_str().unwrap();
    let u = url(s.handle.local_addr());
    let r = short_run(&u, &["--cacert", ca, "--new-conn"]);
    assert!(r.ok > 10, "{r:#?}");
    assert!(r.config.new_conn);
    let tls = r.tls.clone().unwrap();
    // Every response ended its connection: one handshake per request (the
    // last connection may have been opened for a request not sent).
    assert!(
        tls.handshakes >= r.requests && tls.handshakes <= r.requests + 2,
        "{tls:?} vs {} requests",
        r.requests
    );
    assert_eq!(r.connections_opened, tls.handshakes);
    assert!(tls.resumed > 0, "{tls:?}");
    assert_eq!(tls.resumed + tls.full, tls.handshakes);
    assert!(tls.handshakes_per_s > 0.0);
    let r = short_run(&u, &["--cacert", ca, "--new-conn", "--no-resume"]);
    assert!(r.ok > 10, "{r:#?}");
    let tls = r.tls.unwrap();
    assert_eq!(tls.resumed, 0, "{tls:?}");
    assert!(!tls.resumption);
}

#[test]
fn smpp_over_tls_binds_and_submits() {
    let s = tls_smsc(Default::default());
    let endpoint = format!("localhost:{}", s.handle.local_addr().port());
    let ca = s.ca_file.to_str().unwrap().to_string();
    let argv = [
        "hornet",
        "smpp",
        &endpoint,
        "--system-id",
        "esme",
        "--password",
        "secret",
        "-q",
        "--sessions",
        "2",
        "-t",
        "1",
        "-d",
        "500ms",
        "--tls",
        "--cacert",
        &ca,
    ];
    let Command::Smpp(smpp) = Cli::try_parse_from(argv).unwrap().command else {
        panic!("not smpp");
    };
    let plan = smpp.into_plan().expect("valid plan");
    let out = run_smpp(&plan, |_, _| {}).expect("run completes");
    let r = SmppResult::new(&plan, &out);
    assert!(r.accounting_holds(), "{r:#?}");
    assert!(r.ok > 0 && r.failed == 0, "{r:#?}");
    assert_eq!(r.sessions.bound, 2);
    let tls = r.tls.as_ref().unwrap();
    assert_eq!(tls.handshakes, 2);
    assert!(tls.errors.is_empty());
    assert_eq!(s.handle.counters().binds_ok, 2);
    assert_schema(&r, "smpp-result.schema.json");
}

#[test]
fn a_profile_takes_tls_options_per_target() {
    let cfg = TargetConfig {
        demo: Some(DemoConfig::default()),
        ..Default::default()
    };
    let s = tls_target(cfg);
    let smsc = tls_smsc(Default::default());
    // cacert paths are relative to the profile's directory.
    let dir = s.ca_file.parent().unwrap();
    std::fs::copy(&smsc.ca_file, dir.join("smsc-ca.pem")).unwrap();
    let text = format!(
        r#"
[target]
host = "https://localhost:{port}"
[target.tls]
cacert = "ca.pem"
[target.smpp]
endpoint = "localhost:{smsc_port}"
system_id = "hornet"
password = "secret"
[target.smpp.tls]
cacert = "smsc-ca.pem"
resume = false
[load]
users = 2
iterations = 10
threads = 1
[[user]]
name = "U"
[[user.task]]
name = "both"
steps = [
  {{ name = "health", path = "/health", check = {{ status = [200] }} }},
  {{ name = "submit", smpp = {{ destination = "447700900000", text = "hi" }} }},
]
"#,
        port = s.handle.local_addr().port(),
        smsc_port = smsc.handle.local_addr().port(),
    );
    let sc = compile_str(&dir.join("p.toml"), &text, &Overrides::default(), &|_| None)
        .unwrap_or_else(|e| panic!("{e}"));
    let r = hornet::scenario::run(sc, false).unwrap();
    let by = |n: &str| r.requests.iter().find(|x| x.name == n).unwrap().clone();
    assert_eq!(by("health").passed, 10, "{:?}", by("health"));
    assert_eq!(by("submit").passed, 10, "{:?}", by("submit"));
    let http = r.tls.as_ref().expect("https target has a tls report");
    assert_eq!(http.handshakes, 2, "one keep-alive connection per user");
    assert!(http.resumption);
    let smpp = r.smpp_tls.as_ref().expect("SMSC tls report");
    assert_eq!(smpp.handshakes, 2, "one bind per user");
    assert!(!smpp.resumption);
    // Schema: the document with both TLS reports validates.
    assert_schema(&r, "scenario-result.schema.json");
}

/// `doc` serialized validates against `schema/FILE`.
fn assert_schema<T: serde::Serialize>(doc: &T, file: &str) {
    let doc = serde_json::to_value(doc).unwrap();
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("schema")
                .join(file),
        )
        .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{file}: {errors:?}");
}

#[test]
fn a_profile_with_tls_on_a_plain_host_is_refused() {
    let text = r#"
[target]
host = "http://127.0.0.1:1"
[target.tls]
insecure = true
[[user]]
name = "U"
[[user.task]]
name = "t"
path = "/"
"#;
    let err = compile_str(Path::new("p.toml"), text, &Overrides::default(), &|_| None)
        .unwrap_err()
        .to_string();
    assert!(err.contains("p.toml:4:1"), "{err}");
    assert!(err.contains("use an https:// URL"), "{err}");
}

fn hornet(args: &[&str]) -> std::process::Output {
    Process::new(env!("CARGO_BIN_EXE_hornet"))
        .args(args)
        .output()
        .expect("hornet runs")
}

#[test]
fn tls_flag_mistakes_are_clear_errors_before_any_traffic() {
    // A TLS flag on a plain URL.
    let out = hornet(&["http", "http://127.0.0.1:1/", "--insecure", "-d", "1s"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--insecure applies to TLS connections only; use an https:// URL"),
        "{err}"
    );
    // A missing --cacert file names the file.
    let out = hornet(&[
        "http",
        "https://127.0.0.1:1/",
        "--cacert",
        "/nonexistent/ca.pem",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/nonexistent/ca.pem"), "{err}");
    // A file with no certificate in it.
    let files = PemFiles::new();
    let junk = files.write("junk.pem", "not a certificate\n");
    let out = hornet(&[
        "http",
        "https://127.0.0.1:1/",
        "--cacert",
        junk.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no certificate found"));
    // --cert without --key, and --tls-min out of range.
    let out = hornet(&["http", "https://127.0.0.1:1/", "--cert", "c.pem"]);
    assert_eq!(out.status.code(), Some(2));
    let out = hornet(&["http", "https://127.0.0.1:1/", "--tls-min", "1.1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("use 1.2 or 1.3"));
    // SMPP TLS options without --tls.
    let out = hornet(&[
        "smpp",
        "127.0.0.1:1",
        "--system-id",
        "a",
        "--password",
        "b",
        "--sni",
        "x",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("add --tls"));
}

#[test]
fn the_summary_explains_each_tls_failure_once() {
    let s = tls_target(TargetConfig::default());
    let out = hornet(&[
        "http",
        &url(s.handle.local_addr()),
        "-c",
        "2",
        "-t",
        "1",
        "-d",
        "300ms",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    // Nothing worked: exit 1, and the reason with what to do about it.
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert_eq!(
        stdout.matches("tls error    unknown_issuer:").count(),
        1,
        "{stdout}"
    );
    assert!(stdout.contains("pass --cacert FILE"), "{stdout}");
}
