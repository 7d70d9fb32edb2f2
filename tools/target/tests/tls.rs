//! HTTPS end to end: a TLS target on 127.0.0.1:0, certificates made by
//! rcgen for each test, and a blocking rustls client (`StreamOwned` over a
//! std `TcpStream` with read timeouts, so a broken server fails a test
//! instead of hanging it).

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hornet_target::tls::rustls::crypto::aws_lc_rs;
use hornet_target::tls::rustls::pki_types::{
    CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName,
};
use hornet_target::tls::rustls::{
    self, ClientConfig, ClientConnection, HandshakeKind, ProtocolVersion, RootCertStore,
    StreamOwned,
};
use hornet_target::tls::{server_config_der, TlsOptions, TlsVersions};
use hornet_target::{start, TargetConfig, TargetHandle};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};

const TIMEOUT: Duration = Duration::from_secs(5);
const GET: &[u8] = b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";
const OK: &[u8] =
    b"HTTP/1.1 200 OK\r\nServer: hornet-target\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, world!";

/// A throwaway PKI: a CA, and certificates it signs.
struct Pki {
    ca_der: CertificateDer<'static>,
    issuer: Issuer<'static, KeyPair>,
}

/// A certificate and its key, as DER and PEM.
struct Identity {
    cert: CertificateDer<'static>,
    key: PrivateKeyDer<'static>,
    cert_pem: String,
    key_pem: String,
}

impl Pki {
    fn new(name: &str) -> Pki {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let key = KeyPair::generate().unwrap();
        let ca_der = params.self_signed(&key).unwrap().der().clone();
        Pki {
            ca_der,
            issuer: Issuer::new(params, key),
        }
    }

    fn issue(&self, names: &[&str], usage: ExtendedKeyUsagePurpose) -> Identity {
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let mut params = CertificateParams::new(names).unwrap();
        params.distinguished_name.push(DnType::CommonName, "test");
        params.use_authority_key_identifier_extension = true;
        params.extended_key_usages = vec![usage];
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        Identity {
            cert: cert.der().clone(),
            key: PrivatePkcs8KeyDer::from(key.serialize_der()).into(),
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        }
    }

    fn server(&self) -> Identity {
        self.issue(
            &["localhost", "127.0.0.1"],
            ExtendedKeyUsagePurpose::ServerAuth,
        )
    }

    fn client(&self) -> Identity {
        self.issue(&["client.test"], ExtendedKeyUsagePurpose::ClientAuth)
    }

    fn roots(&self) -> RootCertStore {
        let mut roots = RootCertStore::empty();
        roots.add(self.ca_der.clone()).unwrap();
        roots
    }
}

/// A TLS target serving `id`, requiring client certificates from
/// `client_ca` if given.
fn tls_target(
    config: TargetConfig,
    id: Identity,
    client_ca: Option<RootCertStore>,
    options: &TlsOptions,
) -> TargetHandle {
    let tls = server_config_der(vec![id.cert], id.key, client_ca, options).unwrap();
    let config = TargetConfig {
        tls: Some(tls),
        ..config
    };
    start("127.0.0.1:0".parse().unwrap(), config).expect("start target")
}

/// A client trusting `pki`'s CA, offering ALPN http/1.1, optionally with a
/// client certificate and a fixed protocol version.
fn client_config(
    pki: &Pki,
    client_cert: Option<Identity>,
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> Arc<ClientConfig> {
    let builder = ClientConfig::builder_with_provider(Arc::new(aws_lc_rs::default_provider()))
        .with_protocol_versions(versions)
        .unwrap()
        .with_root_certificates(pki.roots());
    let mut config = match client_cert {
        Some(id) => builder
            .with_client_auth_cert(vec![id.cert], id.key)
            .unwrap(),
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Arc::new(config)
}

type Tls = StreamOwned<ClientConnection, TcpStream>;

fn connect(addr: SocketAddr, config: &Arc<ClientConfig>) -> Tls {
    let sock = TcpStream::connect(addr).expect("connect");
    sock.set_read_timeout(Some(TIMEOUT)).unwrap();
    sock.set_write_timeout(Some(TIMEOUT)).unwrap();
    let conn = ClientConnection::new(
        Arc::clone(config),
        ServerName::try_from("localhost").unwrap(),
    )
    .unwrap();
    StreamOwned::new(conn, sock)
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
    let pki = Pki::new("ca");
    let server = tls_target(
        TargetConfig::default(),
        pki.server(),
        None,
        &TlsOptions::http1(),
    );
    let config = client_config(&pki, None, rustls::DEFAULT_VERSIONS);
    let mut tls = connect(server.local_addr(), &config);
    for _ in 0..5 {
        tls.write_all(GET).unwrap();
        assert_eq!(read_n(&mut tls, OK.len()), OK);
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
    let pki = Pki::new("ca");
    let server = tls_target(
        TargetConfig {
            body_size: body,
            threads: 2,
            ..Default::default()
        },
        pki.server(),
        None,
        &TlsOptions::http1(),
    );
    let config = client_config(&pki, None, rustls::DEFAULT_VERSIONS);
    let mut tls = connect(server.local_addr(), &config);
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
    let pki = Pki::new("ca");
    let server = tls_target(
        TargetConfig {
            close_every: Some(1),
            ..Default::default()
        },
        pki.server(),
        None,
        &TlsOptions::http1(),
    );
    let config = client_config(&pki, None, rustls::DEFAULT_VERSIONS);
    let mut tls = connect(server.local_addr(), &config);
    tls.write_all(GET).unwrap();
    let mut all = Vec::new();
    // A FIN without close_notify would be an UnexpectedEof error here.
    tls.read_to_end(&mut all).expect("clean TLS end");
    assert!(all.starts_with(b"HTTP/1.1 200 OK\r\n"));
    assert!(all.ends_with(b"Connection: close\r\n\r\nHello, world!"));
}

#[test]
fn client_certificates_are_required_when_a_client_ca_is_set() {
    let pki = Pki::new("ca");
    let server = tls_target(
        TargetConfig::default(),
        pki.server(),
        Some(pki.roots()),
        &TlsOptions::http1(),
    );
    let addr = server.local_addr();

    // No certificate: refused. In TLS 1.3 the client finishes its side
    // first, so the refusal may show on the handshake or on the first read.
    let config = client_config(&pki, None, rustls::DEFAULT_VERSIONS);
    assert_refused(connect(addr, &config));

    // A certificate from another CA: refused too.
    let stranger = Pki::new("other ca");
    let config = client_config(&pki, Some(stranger.client()), rustls::DEFAULT_VERSIONS);
    assert_refused(connect(addr, &config));

    // A certificate from the configured CA: served.
    let config = client_config(&pki, Some(pki.client()), rustls::DEFAULT_VERSIONS);
    let mut tls = connect(addr, &config);
    tls.write_all(GET).unwrap();
    assert_eq!(read_n(&mut tls, OK.len()), OK);
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
    let pki = Pki::new("ca");
    let options = TlsOptions {
        versions: TlsVersions::Tls12Only,
        ..TlsOptions::http1()
    };
    let server = tls_target(TargetConfig::default(), pki.server(), None, &options);
    let addr = server.local_addr();
    let config = client_config(&pki, None, &[&rustls::version::TLS13]);
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
    let config = client_config(&pki, None, rustls::DEFAULT_VERSIONS);
    let mut tls = connect(addr, &config);
    tls.write_all(GET).unwrap();
    assert_eq!(read_n(&mut tls, OK.len()), OK);
    assert_eq!(tls.conn.protocol_version(), Some(ProtocolVersion::TLSv1_2));
}

#[test]
fn sessions_resume() {
    let pki = Pki::new("ca");
    for versions in [TlsVersions::Tls13Only, TlsVersions::Tls12Only] {
        let options = TlsOptions {
            versions,
            ..TlsOptions::http1()
        };
        let server = tls_target(TargetConfig::default(), pki.server(), None, &options);
        let config = client_config(&pki, None, rustls::DEFAULT_VERSIONS);
        for round in 0..2 {
            let mut tls = connect(server.local_addr(), &config);
            tls.write_all(GET).unwrap();
            assert_eq!(read_n(&mut tls, OK.len()), OK);
            let want = [HandshakeKind::Full, HandshakeKind::Resumed][round];
            assert_eq!(tls.conn.handshake_kind(), Some(want), "{versions:?}");
        }
    }
}

#[test]
fn garbage_instead_of_a_handshake_closes_only_that_connection() {
    let pki = Pki::new("ca");
    let server = tls_target(
        TargetConfig::default(),
        pki.server(),
        None,
        &TlsOptions::http1(),
    );
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
    let config = client_config(&pki, None, rustls::DEFAULT_VERSIONS);
    let mut tls = connect(server.local_addr(), &config);
    tls.write_all(GET).unwrap();
    assert_eq!(read_n(&mut tls, OK.len()), OK);
    eventually("1 request", || server.requests() == 1);
}

#[test]
fn the_binary_serves_https_from_pem_files() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    let pki = Pki::new("ca");
    let id = pki.server();
    let dir = tempfile::tempdir().unwrap();
    let cert = dir.path().join("cert.pem");
    let key = dir.path().join("key.pem");
    std::fs::write(&cert, &id.cert_pem).unwrap();
    std::fs::write(&key, &id.key_pem).unwrap();

    let mut child = Command::new(env!("CARGO_BIN_EXE_hornet-target"))
        .args(["--listen", "127.0.0.1:0", "--tls-cert"])
        .arg(&cert)
        .arg("--tls-key")
        .arg(&key)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let served = line
        .strip_prefix("listening on ")
        .and_then(|a| a.trim().parse().ok())
        .map(|addr: SocketAddr| {
            let config = client_config(&pki, None, rustls::DEFAULT_VERSIONS);
            let mut tls = connect(addr, &config);
            tls.write_all(GET).unwrap();
            read_n(&mut tls, OK.len())
        });
    // Our own child, by handle; it may already have exited.
    let _ = child.kill();
    child.wait().unwrap();
    assert_eq!(served.as_deref(), Some(OK), "startup line {line:?}");

    // A key file that holds no key: a clear error, exit status 1.
    let out = Command::new(env!("CARGO_BIN_EXE_hornet-target"))
        .args(["--listen", "127.0.0.1:0", "--tls-cert"])
        .arg(&cert)
        .arg("--tls-key")
        .arg(&cert)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no private key"), "{err}");
}
