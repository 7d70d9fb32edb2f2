//! Trusting a self-signed server certificate the way users make them:
//! `openssl req -x509` says basicConstraints CA:TRUE, which WebPKI refuses
//! as a server's own certificate (`CaUsedAsEndEntity`) even when `--cacert`
//! names that very file; curl accepts it. hornet trusts a server
//! certificate that is byte for byte one given with `--cacert`, still
//! checking its names and validity period, and words the refusals so a
//! user knows what to pass.

mod common;

use std::path::Path;
use std::process::Command as Process;

use common::certs::{self_signed, tls_target_with, Leaf, PemFiles, Validity, SERVER_NAMES};
use common::{assert_accounting, run};
use hornet::report::HttpResult;
use hornet_target::tls::TlsOptions;
use hornet_target::{TargetConfig, TargetHandle};
use hornet_testpki::self_signed_ca;

/// `hornet http URL -c 2 -t 1 -d 500ms` plus `args` (long enough to connect
/// on a loaded machine).
fn short_run(url: &str, args: &[&str]) -> HttpResult {
    let mut all = vec!["-c", "2", "-t", "1", "-d", "500ms", "--timeout", "2s"];
    all.extend_from_slice(args);
    let r = run(url, &all);
    assert_accounting(&r);
    r
}

fn serve(cert: &Leaf) -> TargetHandle {
    tls_target_with(TargetConfig::default(), cert, None, &TlsOptions::http1())
}

fn url(h: &TargetHandle) -> String {
    format!("https://localhost:{}/", h.local_addr().port())
}

fn assert_all_ok(r: &HttpResult) {
    assert!(r.ok > 0 && r.ok == r.requests && r.failed == 0, "{r:#?}");
    assert!(r.errors.is_empty(), "{:?}", r.errors);
}

/// Every request failed with TLS `reason`, and nothing else; returns the
/// first failure's text.
fn tls_failure(r: &HttpResult, reason: &str) -> String {
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
    tls.error_examples
        .get(reason)
        .cloned()
        .expect("an example for the reason")
}

/// The summary's TLS lines.
fn summary(r: &HttpResult) -> String {
    let mut out = String::new();
    r.tls.as_ref().unwrap().render(&mut out);
    out
}

#[test]
fn a_self_signed_ca_true_certificate_is_trusted_when_cacert_names_it() {
    let cert = self_signed_ca(SERVER_NAMES, Validity::CURRENT);
    let h = serve(&cert);
    let files = PemFiles::new();
    let pinned = files.write("server.pem", &cert.cert_pem);
    let r = short_run(&url(&h), &["--cacert", pinned.to_str().unwrap()]);
    assert_all_ok(&r);
    assert_eq!(r.tls.as_ref().unwrap().verify, "--cacert");
    // By IP address too: the certificate names 127.0.0.1.
    let ip = format!("https://{}/", h.local_addr());
    assert_all_ok(&short_run(&ip, &["--cacert", pinned.to_str().unwrap()]));
    // Without --cacert nothing vouches for it, and the words say what to do
    // (rustls alone would say "CaUsedAsEndEntity", a bad certificate).
    let r = short_run(&url(&h), &[]);
    let example = tls_failure(&r, "unknown_issuer");
    assert!(example.contains("CA:TRUE"), "{example}");
    assert!(
        example.contains("pass that very certificate with --cacert"),
        "{example}"
    );
}

#[test]
fn a_trusted_self_signed_certificate_for_another_host_is_refused_as_wrong_host() {
    let cert = self_signed_ca(&["api.example.test"], Validity::CURRENT);
    let h = serve(&cert);
    let files = PemFiles::new();
    let pinned = files.write("server.pem", &cert.cert_pem);
    let pinned = pinned.to_str().unwrap();
    let r = short_run(&url(&h), &["--cacert", pinned]);
    let example = tls_failure(&r, "wrong_host");
    assert!(example.contains("api.example.test"), "{example}");
    assert!(summary(&r).contains("subjectAltName"), "{}", summary(&r));
    // The name it was issued for passes.
    assert_all_ok(&short_run(
        &url(&h),
        &["--cacert", pinned, "--sni", "api.example.test"],
    ));
}

#[test]
fn an_expired_or_not_yet_valid_self_signed_certificate_is_refused_even_when_trusted() {
    for validity in [Validity::EXPIRED, Validity::NOT_YET_VALID] {
        let cert = self_signed_ca(SERVER_NAMES, validity);
        let h = serve(&cert);
        let files = PemFiles::new();
        let pinned = files.write("server.pem", &cert.cert_pem);
        let r = short_run(&url(&h), &["--cacert", pinned.to_str().unwrap()]);
        let example = tls_failure(&r, "expired");
        assert!(example.contains("certificate"), "{example}");
    }
}

#[test]
fn another_self_signed_certificate_in_cacert_is_an_unknown_issuer_that_says_what_to_pass() {
    let files = PemFiles::new();
    // CA:TRUE on both sides: the server's is not the one in --cacert.
    let served = self_signed_ca(SERVER_NAMES, Validity::CURRENT);
    let other = self_signed_ca(SERVER_NAMES, Validity::CURRENT);
    let h = serve(&served);
    let wrong = files.write("other.pem", &other.cert_pem);
    let r = short_run(&url(&h), &["--cacert", wrong.to_str().unwrap()]);
    let example = tls_failure(&r, "unknown_issuer");
    assert!(example.contains(wrong.to_str().unwrap()), "{example}");
    assert!(
        example.contains("is not one of the certificates in --cacert"),
        "{example}"
    );
    assert!(
        example.contains("pass that very certificate with --cacert"),
        "{example}"
    );
    let text = summary(&r);
    assert!(
        text.contains("unknown_issuer") && text.contains("--insecure"),
        "{text}"
    );
    // CA:FALSE on both sides: the same refusal, the same advice.
    let served = self_signed(SERVER_NAMES);
    let h = serve(&served);
    let r = short_run(&url(&h), &["--cacert", wrong.to_str().unwrap()]);
    let example = tls_failure(&r, "unknown_issuer");
    assert!(example.contains("self-signed"), "{example}");
    assert!(
        example.contains("neither one of the certificates in --cacert"),
        "{example}"
    );
    assert!(example.contains(wrong.to_str().unwrap()), "{example}");
    // A file holding both certificates trusts either server.
    let both = files.write(
        "both.pem",
        &format!("{}{}", other.cert_pem, served.cert_pem),
    );
    assert_all_ok(&short_run(&url(&h), &["--cacert", both.to_str().unwrap()]));
}

#[test]
fn a_certificate_made_by_openssl_req_x509_is_trusted_with_cacert() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let made = Process::new("openssl")
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt"])
        .args(["ec_paramgen_curve:prime256v1", "-nodes", "-days", "30"])
        .args(["-subj", "/CN=hornet openssl test"])
        .args(["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output();
    match made {
        Ok(out) if out.status.success() => {}
        Ok(out) => {
            eprintln!(
                "skipped: openssl req -x509 failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            return;
        }
        Err(e) => {
            eprintln!("skipped: no openssl on this machine ({e})");
            return;
        }
    }
    assert!(is_ca(&cert), "openssl made a CA:FALSE certificate");
    let tls = hornet_target::tls::server_config(&cert, &key, None, &TlsOptions::http1())
        .expect("server TLS config");
    let config = TargetConfig {
        tls: Some(tls),
        ..TargetConfig::default()
    };
    let h = hornet_target::start("127.0.0.1:0".parse().unwrap(), config).unwrap();
    assert_all_ok(&short_run(&url(&h), &["--cacert", cert.to_str().unwrap()]));
}

/// Whether openssl says the certificate is a CA (what this test is about).
fn is_ca(cert: &Path) -> bool {
    let out = Process::new("openssl")
        .args(["x509", "-noout", "-text", "-in"])
        .arg(cert)
        .output()
        .expect("openssl x509");
    String::from_utf8_lossy(&out.stdout).contains("CA:TRUE")
}
