//! HTTPS end to end: a TLS target on 127.0.0.1:0, certificates made for
//! each test and a blocking rustls client (`StreamOwned` over a std
//! `TcpStream` with read timeouts, so a broken server fails a test instead
//! of hanging it), both from `hornet_testpki`.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hornet_target::tls::rustls::{self, ClientConfig, HandshakeKind, ProtocolVersion};
use hornet_target::tls::{server_config_der, TlsOptions, TlsVersions};
use hornet_target::{start, TargetConfig, TargetHandle};
use hornet_testpki::client::{self, connect, TIMEOUT};
use hornet_testpki::process::{tls_server, while_listening};
use hornet_testpki::{client_cert, leaf, Ca, Leaf, PemFiles, Validity, SERVER_NAMES};

const GET: &[u8] = b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";
const OK: &[u8] =
    b"HTTP/1.1 200 OK\r\nServer: hornet-target\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, world!";

/// A TLS target serving a certificate `ca` signed for [`SERVER_NAMES`],
/// requiring client certificates from `client_ca` if given.
fn tls_target(
    ca: &Ca,
    config: TargetConfig,
    client_ca: Option<&Ca>,
    options: &TlsOptions,
) -> TargetHandle {
    let server = leaf(ca, SERVER_NAMES, Validity::CURRENT);
    let client_roots = client_ca.map(Ca::roots);
    let tls = server_config_der(server.chain(), server.key_der(), client_roots, options).unwrap();
    let config = TargetConfig {
        tls: Some(tls),
        ..config
    };
    start("127.0.0.1:0".parse().unwrap(), config).expect("start target")
}

/// The usual test server: a fresh CA and a target serving HTTPS as the
/// binary does by default (ALPN http/1.1, TLS 1.2 and 1.3, no client
/// certificates).
fn https_target(config: TargetConfig) -> (Ca, TargetHandle) {
    let ca = Ca::new("ca");
    let server = tls_target(&ca, config, None, &TlsOptions::http1());
    (ca, server)
}

/// A client trusting `ca`, offering ALPN http/1.1, optionally with a
/// client certificate and a fixed protocol version.
fn client_config(
    ca: &Ca,
    cert: Option<&Leaf>,
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> Arc<ClientConfig> {
    let mut config = client::config(ca, cert, versions);
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Arc::new(config)
}

type Tls = client::Stream;

/// Connects with a client trusting `ca` (any TLS version, no client
/// certificate).
fn connect_trusting(addr: SocketAddr, ca: &Ca) -> Tls {
    connect(addr, &client_config(ca, None, rustls::DEFAULT_VERSIONS))
}

/// Completes the handshake (StreamOwned otherwise does it lazily).
fn handshake(tls: &mut Tls) -> std::io::Result<()> {
    while tls.conn.is_handshaking() {
        tls.conn.complete_io(&mut tls.sock)?;
    }
    Ok(())
}

fn read_n(tls: &mut Tls, n: usize) -> Vec<u8> {
    let mut buf = vec![0; n];
    tls.read_exact(&mut buf).expect("read response bytes");
    buf
}

/// One GET, answered with the canned response.
fn get_ok(tls: &mut Tls) {
    tls.write_all(GET).unwrap();
    assert_eq!(read_n(tls, OK.len()), OK);
}

/// Waits (bounded) until `f` holds; counters trail the bytes a client sees.
fn eventually(what: &str, f: impl Fn() -> bool) {
    let deadline = Instant::now() + TIMEOUT;
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn get_over_tls_keeps_alive() {
    let (ca, server) = https_target(TargetConfig::default());
    let mut tls = connect_trusting(server.local_addr(), &ca);
    for _ in 0..5 {
        get_ok(&mut tls);
    }
    assert_eq!(tls.conn.alpn_protocol(), Some(&b"http/1.1"[..]));
    assert_eq!(tls.conn.protocol_version(), Some(ProtocolVersion::TLSv1_3));
    eventually("5 requests", || server.requests() == 5);
    assert_eq!(server.connections(), 1);
}

#[test]
fn pipelined_requests_and_large_responses_arrive_whole() {
    // 256 KiB bodies overflow rustls' and the socket's buffers, so the
    // response is finished by records flushed on later writable events.
    let body = 256 * 1024;
    let (ca, server) = https_target(TargetConfig {
        body_size: body,
        threads: 2,
        ..Default::default()
    });
    let mut tls = connect_trusting(server.local_addr(), &ca);
    tls.write_all(&GET.repeat(8)).unwrap();
    for _ in 0..8 {
        let head = read_head(&mut tls);
        assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
        assert!(
            head.contains(&format!("Content-Length: {body}\r\n")),
            "{head}"
        );
        let got = read_n(&mut tls, body);
        assert!(got.starts_with(b"Hello, world!Hello"));
    }
    eventually("8 responses", || server.responses() == 8);
}

/// Reads a response head byte by byte (test code: simple over fast).
fn read_head(tls: &mut Tls) -> String {
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut byte = [0u8; 1];
        tls.read_exact(&mut byte).expect("read head");
        head.push(byte[0]);
    }
    String::from_utf8(head).unwrap()
}

#[test]
fn close_sends_close_notify_before_fin() {
    let (ca, server) = https_target(TargetConfig {
        close_every: Some(1),
        ..Default::default()
    });
    let mut tls = connect_trusting(server.local_addr(), &ca);
    tls.write_all(GET).unwrap();
    let mut all = Vec::new();
    // A FIN without close_notify would be an UnexpectedEof error here.
    tls.read_to_end(&mut all).expect("clean TLS end");
    assert!(all.starts_with(b"HTTP/1.1 200 OK\r\n"));
    assert!(all.ends_with(b"Connection: close\r\n\r\nHello, world!"));
}

#[test]
fn client_certificates_are_required_when_a_client_ca_is_set() {
    let ca = Ca::new("ca");
    let server = tls_target(
        &ca,
        TargetConfig::default(),
        Some(&ca),
        &TlsOptions::http1(),
    );
    let addr = server.local_addr();

    // No certificate: refused. In TLS 1.3 the client finishes its side
    // first, so the refusal may show on the handshake or on the first read.
    assert_refused(connect_trusting(addr, &ca));

    // A certificate from another CA: refused too.
    let stranger = client_cert(&Ca::new("other ca"), "client.test");
    let config = client_config(&ca, Some(&stranger), rustls::DEFAULT_VERSIONS);
    assert_refused(connect(addr, &config));

    // A certificate from the configured CA: served.
    let cert = client_cert(&ca, "client.test");
    let config = client_config(&ca, Some(&cert), rustls::DEFAULT_VERSIONS);
    get_ok(&mut connect(addr, &config));
    eventually("1 request", || server.requests() == 1);
    assert_eq!(server.connections(), 3);
}

/// The server refuses the handshake: no HTTP response comes back.
fn assert_refused(mut tls: Tls) {
    let _ = handshake(&mut tls);
    let _ = tls.write_all(GET);
    let mut buf = [0u8; 64];
    match tls.read(&mut buf) {
        Ok(0) => {}
        Ok(n) => panic!("got a response: {:?}", String::from_utf8_lossy(&buf[..n])),
        Err(e) => assert!(
            !matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut),
            "timed out instead of a refusal: {e}"
        ),
    }
}

#[test]
fn a_tls12_only_server_refuses_tls13_only_clients() {
    let ca = Ca::new("ca");
    let options = TlsOptions {
        versions: TlsVersions::Tls12Only,
        ..TlsOptions::http1()
    };
    let server = tls_target(&ca, TargetConfig::default(), None, &options);
    let addr = server.local_addr();
    let config = client_config(&ca, None, &[&rustls::version::TLS13]);
    let err = handshake(&mut connect(addr, &config)).unwrap_err();
    let tls_err = err
        .get_ref()
        .and_then(|e| e.downcast_ref::<rustls::Error>())
        .unwrap_or_else(|| panic!("not a TLS error: {err}"));
    assert!(
        matches!(
            tls_err,
            rustls::Error::AlertReceived(rustls::AlertDescription::ProtocolVersion)
                | rustls::Error::PeerIncompatible(_)
        ),
        "{tls_err:?}"
    );
    let mut tls = connect_trusting(addr, &ca);
    get_ok(&mut tls);
    assert_eq!(tls.conn.protocol_version(), Some(ProtocolVersion::TLSv1_2));
}

#[test]
fn sessions_resume() {
    let ca = Ca::new("ca");
    for versions in [TlsVersions::Tls13Only, TlsVersions::Tls12Only] {
        let options = TlsOptions {
            versions,
            ..TlsOptions::http1()
        };
        let server = tls_target(&ca, TargetConfig::default(), None, &options);
        // One client configuration for both rounds: it holds the session
        // cache the second connection resumes from.
        let config = client_config(&ca, None, rustls::DEFAULT_VERSIONS);
        for round in 0..2 {
            let mut tls = connect(server.local_addr(), &config);
            get_ok(&mut tls);
            let want = [HandshakeKind::Full, HandshakeKind::Resumed][round];
            assert_eq!(tls.conn.handshake_kind(), Some(want), "{versions:?}");
        }
    }
}

#[test]
fn garbage_instead_of_a_handshake_closes_only_that_connection() {
    let (ca, server) = https_target(TargetConfig::default());
    // Plain HTTP to the TLS port: the server answers with an alert (or
    // nothing) and closes; it is not a request.
    let mut plain = TcpStream::connect(server.local_addr()).unwrap();
    plain.set_read_timeout(Some(TIMEOUT)).unwrap();
    plain.write_all(GET).unwrap();
    let mut got = Vec::new();
    match plain.read_to_end(&mut got) {
        Ok(_) => assert!(!got.starts_with(b"HTTP"), "{got:?}"),
        Err(e) => assert_eq!(e.kind(), ErrorKind::ConnectionReset, "{e}"),
    }
    // A client that hangs up mid-handshake.
    drop(TcpStream::connect(server.local_addr()).unwrap());
    get_ok(&mut connect_trusting(server.local_addr(), &ca));
    eventually("1 request", || server.requests() == 1);
}

#[test]
fn the_binary_serves_https_from_pem_files() {
    const BIN: &str = env!("CARGO_BIN_EXE_hornet-target");
    let ca = Ca::new("ca");
    let files = PemFiles::new();
    let (cert, key) = files.leaf("server", &leaf(&ca, SERVER_NAMES, Validity::CURRENT));

    let (served, line) = while_listening(&mut tls_server(BIN, &cert, &key), |addr| {
        let mut tls = connect_trusting(addr, &ca);
        tls.write_all(GET).unwrap();
        read_n(&mut tls, OK.len())
    });
    assert_eq!(served.as_deref(), Some(OK), "startup line {line:?}");

    // A key file that holds no key: a clear error, exit status 1.
    let out = tls_server(BIN, &cert, &cert).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no private key"), "{err}");
}
