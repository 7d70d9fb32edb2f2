//! TLS against misbehaving peers and handshake timing: TLS servers
//! written by hand with rustls' `ServerConnection` over a blocking
//! `std::net::TcpStream`, and timing properties of the handshake.
//!
//! Every test is bounded: 127.0.0.1 port 0, runs of a few hundred
//! milliseconds, socket read timeouts on the server side.

mod common;

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::certs::{server_tls, tls_target, with_fresh_ca, PemFiles, TlsServer};
use common::{assert_accounting, run, FaultServer};
use hornet::profile::{compile_str, Overrides};
use hornet::report::HttpResult;
use hornet_target::tls::{ServerConfig, TlsOptions};
use hornet_target::TargetConfig;
use rustls::ServerConnection;

const RESPONSE: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

/// A hand-written TLS server: a fresh CA, a certificate for localhost and
/// 127.0.0.1, and `serve` called for each accepted connection with a new
/// rustls server connection.
struct TlsFault {
    server: TlsServer<FaultServer>,
}

impl TlsFault {
    fn start(serve: impl Fn(ServerConnection, TcpStream) + Send + 'static) -> TlsFault {
        let server = with_fresh_ca(|cert| {
            let config: Arc<ServerConfig> = server_tls(cert, None, &TlsOptions::http1());
            FaultServer::start(move |tcp| {
                tcp.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
                serve(ServerConnection::new(Arc::clone(&config)).unwrap(), tcp);
            })
        });
        TlsFault { server }
    }

    fn port(&self) -> u16 {
        self.server.handle.addr.port()
    }

    fn url(&self) -> String {
        format!("https://localhost:{}/", self.port())
    }

    fn ca(&self) -> &str {
        self.server.ca_file.to_str().unwrap()
    }
}

/// Completes the server's side of the handshake and sends what it queued
/// (TLS 1.3 session tickets).
fn accept(conn: &mut ServerConnection, tcp: &mut TcpStream) -> bool {
    while conn.is_handshaking() {
        if conn.complete_io(tcp).is_err() {
            return false;
        }
    }
    flush(conn, tcp)
}

fn flush(conn: &mut ServerConnection, tcp: &mut TcpStream) -> bool {
    while conn.wants_write() {
        if conn.write_tls(tcp).is_err() {
            return false;
        }
    }
    true
}

/// Reads plaintext up to the end of one request head.
fn read_request(conn: &mut ServerConnection, tcp: &mut TcpStream) -> bool {
    let mut head = Vec::new();
    let mut chunk = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match conn.reader().read(&mut chunk) {
            Ok(0) => return false,
            Ok(n) => {
                head.extend_from_slice(&chunk[..n]);
                continue;
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(_) => return false,
        }
        match conn.read_tls(tcp) {
            Ok(0) | Err(_) => return false,
            Ok(_) => {}
        }
        if conn.process_new_packets().is_err() {
            return false;
        }
    }
    true
}

/// A server whose handshake takes `stall` (e.g. an overloaded server's RSA
/// signing), then answers every request on the connection at once.
fn slow_handshake_then_keep_alive(stall: Duration) -> TlsFault {
    TlsFault::start(move |mut conn, mut tcp| {
        std::thread::sleep(stall);
        if !accept(&mut conn, &mut tcp) {
            return;
        }
        while read_request(&mut conn, &mut tcp) {
            conn.writer().write_all(RESPONSE).unwrap();
            if !flush(&mut conn, &mut tcp) {
                return;
            }
        }
    })
}

/// Waits (bounded by the read timeout) until the client closes.
fn wait_for_close(tcp: &mut TcpStream) {
    let mut sink = [0u8; 4096];
    while matches!(tcp.read(&mut sink), Ok(n) if n > 0) {}
}

/// `hornet http URL -c 1 -t 1 -d DURATION --timeout 2s --cacert CA` plus
/// `args`.
fn one_conn(f: &TlsFault, duration: &str, args: &[&str]) -> HttpResult {
    let mut all = vec![
        "-c",
        "1",
        "-t",
        "1",
        "-d",
        duration,
        "--timeout",
        "2s",
        "--cacert",
        f.ca(),
    ];
    all.extend_from_slice(args);
    let r = run(&f.url(), &all);
    assert_accounting(&r);
    r
}

// ---------------------------------------------------------------------------
// Bugs (these fail on c43e902)
// ---------------------------------------------------------------------------

/// tls/src/stream.rs `read`: `process_new_packets` decrypts every record
/// `read_tls` brought in, in order, and keeps the plaintext of the good
/// ones when a later record is bad. `TlsStream::read` returns the error at
/// once, before handing out that plaintext: a response that arrived whole,
/// in the same socket read as a broken record (or a fatal alert), is
/// counted as a failed request instead of a completed one.
#[test]
fn a_response_followed_by_a_bad_record_in_the_same_read_still_completes() {
    let f = TlsFault::start(|mut conn, mut tcp| {
        if !accept(&mut conn, &mut tcp) || !read_request(&mut conn, &mut tcp) {
            return;
        }
        conn.writer().write_all(RESPONSE).unwrap();
        let mut wire = Vec::new();
        while conn.wants_write() {
            conn.write_tls(&mut wire).unwrap();
        }
        // An application-data record that does not decrypt: the client's
        // TLS fails on it, after the response.
        wire.extend_from_slice(&[0x17, 0x03, 0x03, 0x00, 0x20]);
        wire.extend_from_slice(&[0xAA; 0x20]);
        // One write: both arrive in one segment, read by one read_tls.
        let _ = tcp.write_all(&wire);
        wait_for_close(&mut tcp);
    });
    let r = one_conn(&f, "300ms", &[]);
    let tls = r.tls.as_ref().unwrap();
    assert!(tls.handshakes > 0, "{r:#?}");
    // The connection did break on a TLS error (counted by reason)...
    assert!(!tls.errors.is_empty(), "{tls:?}");
    // ...but only after every response had arrived: none is lost.
    assert!(
        r.requests > 0,
        "responses that arrived before the bad record were dropped: {} completed, \
         {} failed, errors {:?}",
        r.requests,
        r.failed,
        r.errors
    );
    assert_eq!(r.errors.get("tls"), None, "{:?}", r.errors);
}

/// src/scenario/worker.rs `send`: `sent_at` is stamped when the step is
/// dispatched, before the connection (TCP and TLS) exists, so the
/// scenario's service time (and latency) of every request that opens a
/// connection includes the whole TLS handshake, which is also recorded in
/// the handshake histogram. The engine (`hornet http`) stamps `sent` when
/// the first byte is written, so its uncorrected latency excludes it.
#[test]
fn scenario_service_time_does_not_include_the_tls_handshake() {
    const STALL: Duration = Duration::from_millis(400);
    let f = slow_handshake_then_keep_alive(STALL);
    let dir = f.server.ca_file.parent().unwrap();
    let text = format!(
        r#"
[target]
host = "https://localhost:{port}"
[target.tls]
cacert = "ca.pem"
[load]
users = 1
iterations = 3
threads = 1
[[user]]
name = "U"
[[user.task]]
name = "get"
path = "/"
"#,
        port = f.port()
    );
    let sc = compile_str(&dir.join("p.toml"), &text, &Overrides::default(), &|_| None)
        .unwrap_or_else(|e| panic!("{e}"));
    let r = hornet::scenario::run(sc, false).unwrap();
    let get = r.requests.iter().find(|x| x.name == "get").unwrap();
    assert_eq!(get.passed, 3, "{get:?}");
    let tls = r.tls.as_ref().unwrap();
    assert_eq!(tls.handshakes, 1, "{tls:?}");
    assert!(
        tls.handshake_us.max >= STALL.as_micros() as u64,
        "the stall is the handshake's: {tls:?}"
    );
    assert!(
        get.service_us.max < STALL.as_micros() as u64 / 2,
        "service time includes the {} us handshake: {:?}",
        tls.handshake_us.max,
        get.service_us
    );
}

/// src/engine/worker.rs `connect` (closed model): a slot's requests are
/// pushed with `intended = now` when the connect *starts*, so corrected
/// latency (the headline figure: live line, summary, per-name table,
/// Prometheus) of every request that waited for a connection includes TCP
/// connect plus the whole TLS handshake. With `--new-conn` that is every
/// request: the headline latency is mostly handshake, which is what the
/// separate handshake histogram (src/metrics/tls.rs: "mixing it into
/// request latency would hide both") was meant to avoid.
#[test]
fn new_conn_corrected_latency_does_not_include_the_tls_handshake() {
    const STALL: Duration = Duration::from_millis(150);
    let f = TlsFault::start(|mut conn, mut tcp| {
        std::thread::sleep(STALL);
        if !accept(&mut conn, &mut tcp) || !read_request(&mut conn, &mut tcp) {
            return;
        }
        conn.writer().write_all(RESPONSE).unwrap();
        flush(&mut conn, &mut tcp);
        conn.send_close_notify();
        flush(&mut conn, &mut tcp);
    });
    let r = one_conn(&f, "500ms", &["--new-conn"]);
    assert!(r.requests >= 2, "{r:#?}");
    let tls = r.tls.as_ref().unwrap();
    assert!(tls.handshake_us.p50 >= STALL.as_micros() as u64, "{tls:?}");
    assert!(
        r.latency_uncorrected_us.p50 < STALL.as_micros() as u64 / 2,
        "{:?}",
        r.latency_uncorrected_us
    );
    assert!(
        r.latency_us.p50 < STALL.as_micros() as u64 / 2,
        "corrected latency p50 {} us includes the {} us handshake",
        r.latency_us.p50,
        tls.handshake_us.p50
    );
}

// ---------------------------------------------------------------------------
// Guards (pass on c43e902): the properties the review checked
// ---------------------------------------------------------------------------

/// The engine's uncorrected latency starts at the write, after the
/// handshake (contrast with the scenario test above).
#[test]
fn engine_uncorrected_latency_does_not_include_the_tls_handshake() {
    const STALL: Duration = Duration::from_millis(400);
    let f = slow_handshake_then_keep_alive(STALL);
    let r = one_conn(&f, "600ms", &[]);
    assert!(r.requests > 0, "{r:#?}");
    let tls = r.tls.as_ref().unwrap();
    assert!(tls.handshake_us.max >= STALL.as_micros() as u64, "{tls:?}");
    assert!(
        r.latency_uncorrected_us.max < STALL.as_micros() as u64 / 2,
        "{:?}",
        r.latency_uncorrected_us
    );
}

/// A server that accepts TCP and never answers the ClientHello: the
/// connect timeout covers the handshake; the run ends on time.
#[test]
fn a_server_that_never_finishes_the_handshake_is_a_handshake_timeout() {
    let held = Arc::new(Mutex::new(Vec::new()));
    let keep = Arc::clone(&held);
    let f = TlsFault::start(move |_conn, tcp| keep.lock().unwrap().push(tcp));
    let started = std::time::Instant::now();
    let r = one_conn(&f, "300ms", &["--connect-timeout", "150ms"]);
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(r.requests, 0, "{r:#?}");
    // TCP connected, TLS stalled: a TLS failure with its own reason, not
    // a TCP connect timeout.
    assert!(
        r.errors.get("tls").copied().unwrap_or(0) > 0,
        "{:?}",
        r.errors
    );
    assert!(!r.errors.contains_key("connect_timeout"), "{:?}", r.errors);
    let tls = r.tls.as_ref().unwrap();
    assert_eq!(tls.handshakes, 0);
    assert!(
        tls.errors.get("handshake_timeout").copied().unwrap_or(0) > 0,
        "{:?}",
        tls.errors
    );
    assert_eq!(tls.errors.len(), 1, "{:?}", tls.errors);
    drop(held);
}

/// A plain HTTP server on the TLS port: a TLS failure by reason, no panic.
#[test]
fn a_plain_http_server_on_the_tls_port_is_a_handshake_failure() {
    let f = TlsFault::start(|_conn, mut tcp| {
        let mut hello = [0u8; 512];
        let _ = tcp.read(&mut hello);
        let _ = tcp.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
    });
    let r = one_conn(&f, "300ms", &[]);
    assert_eq!(r.requests, 0);
    assert_eq!(r.errors.get("tls"), Some(&r.failed), "{:?}", r.errors);
    let tls = r.tls.as_ref().unwrap();
    assert!(tls.errors.contains_key("handshake_failure"), "{tls:?}");
}

/// A server that reads the ClientHello and closes: closed_in_handshake,
/// counted once per failed connection.
#[test]
fn a_close_mid_handshake_is_counted_once_per_connection() {
    let f = TlsFault::start(|_conn, mut tcp| {
        let mut hello = [0u8; 512];
        let _ = tcp.read(&mut hello);
    });
    let r = one_conn(&f, "300ms", &[]);
    assert_eq!(r.requests, 0);
    let tls = r.tls.as_ref().unwrap();
    let closed = tls.errors.get("closed_in_handshake").copied().unwrap_or(0);
    assert!(closed > 0, "{tls:?}");
    assert_eq!(tls.errors.len(), 1, "{tls:?}");
    // One reason per failed connection attempt.
    let attempts: u64 = r.connect_errors.values().sum();
    assert_eq!(closed, attempts, "{r:#?}");
}

/// Big requests (rustls' send buffer fills, write_vectored answers
/// WouldBlock, the rest goes on writable events) and big responses (many
/// records per read pass) complete without stalling to the timeout.
#[test]
fn large_bodies_both_ways_do_not_stall() {
    let s = tls_target(TargetConfig {
        body_size: 1 << 20,
        ..Default::default()
    });
    let files = PemFiles::new();
    let body = files.write("body.txt", &"x".repeat(3 << 20));
    let body_arg = format!("@{}", body.display());
    let r = run(
        &format!("https://localhost:{}/", s.handle.local_addr().port()),
        &[
            "-c",
            "2",
            "-t",
            "1",
            "-d",
            "500ms",
            "--timeout",
            "3s",
            "--cacert",
            s.ca_file.to_str().unwrap(),
            "-m",
            "POST",
            "--body",
            &body_arg,
        ],
    );
    assert_accounting(&r);
    assert!(r.requests > 0, "{r:#?}");
    assert_eq!(r.timed_out, 0, "{r:#?}");
    assert!(r.errors.is_empty(), "{:?}", r.errors);
}
