//! SMPP over TLS end to end: a TLS simulator on 127.0.0.1:0, certificates
//! made by rcgen for each test, and a blocking rustls client
//! (`StreamOwned` over a std `TcpStream` with read timeouts, so a broken
//! server fails a test instead of hanging it). PDUs are built and parsed by
//! `hornet_smpp`.

mod common;

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;

use common::{bind, eventually, submit_sm, Frame, TIMEOUT};
use hornet_smpp::{check_frame, encode, Body, CommandStatus, Pdu};
use hornet_smsc::tls::rustls::crypto::aws_lc_rs;
use hornet_smsc::tls::rustls::pki_types::{
    CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName,
};
use hornet_smsc::tls::rustls::{self, ClientConfig, ClientConnection, RootCertStore, StreamOwned};
use hornet_smsc::tls::{server_config_der, TlsOptions};
use hornet_smsc::{SmscConfig, SmscHandle};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};

/// A throwaway PKI: a CA, and certificates it signs.
struct Pki {
    ca_der: CertificateDer<'static>,
    ca_pem: String,
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
        let ca = params.self_signed(&key).unwrap();
        Pki {
            ca_der: ca.der().clone(),
            ca_pem: ca.pem(),
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
        self.issue(&["esme.test"], ExtendedKeyUsagePurpose::ClientAuth)
    }

    fn roots(&self) -> RootCertStore {
        let mut roots = RootCertStore::empty();
        roots.add(self.ca_der.clone()).unwrap();
        roots
    }
}

/// A TLS simulator serving `id`, requiring client certificates from
/// `client_ca` if given.
fn tls_smsc(config: SmscConfig, id: Identity, client_ca: Option<RootCertStore>) -> SmscHandle {
    let tls = server_config_der(vec![id.cert], id.key, client_ca, &TlsOptions::default()).unwrap();
    let config = SmscConfig {
        tls: Some(tls),
        ..config
    };
    hornet_smsc::start("127.0.0.1:0".parse().unwrap(), config).expect("start")
}

fn client_config(pki: &Pki, client_cert: Option<Identity>) -> Arc<ClientConfig> {
    let builder = ClientConfig::builder_with_provider(Arc::new(aws_lc_rs::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(pki.roots());
    Arc::new(match client_cert {
        Some(id) => builder
            .with_client_auth_cert(vec![id.cert], id.key)
            .unwrap(),
        None => builder.with_no_client_auth(),
    })
}

/// A blocking SMPP-over-TLS client.
struct TlsClient {
    tls: StreamOwned<ClientConnection, TcpStream>,
    buf: Vec<u8>,
    seq: u32,
}

impl TlsClient {
    fn connect(addr: SocketAddr, config: &Arc<ClientConfig>) -> TlsClient {
        let sock = TcpStream::connect(addr).expect("connect");
        sock.set_read_timeout(Some(TIMEOUT)).unwrap();
        sock.set_write_timeout(Some(TIMEOUT)).unwrap();
        let name = ServerName::try_from("localhost").unwrap();
        let conn = ClientConnection::new(Arc::clone(config), name).unwrap();
        TlsClient {
            tls: StreamOwned::new(conn, sock),
            buf: Vec::new(),
            seq: 0,
        }
    }

    /// Sends requests with fresh sequence numbers, in one write; returns
    /// the first number.
    fn request_all(&mut self, bodies: &[Body<'_>]) -> std::io::Result<u32> {
        let first = self.seq + 1;
        let mut out = Vec::new();
        for body in bodies {
            self.seq += 1;
            encode(&Pdu::new(self.seq, *body), &mut out).expect("encode");
        }
        self.tls.write_all(&out)?;
        Ok(first)
    }

    fn request(&mut self, body: Body<'_>) -> u32 {
        self.request_all(&[body]).expect("write")
    }

    /// The next PDU, `Ok(None)` on a clean TLS end (close_notify), an error
    /// on anything else.
    fn recv_opt(&mut self) -> std::io::Result<Option<Frame>> {
        loop {
            if let Some(len) = check_frame(&self.buf, 1 << 20).expect("frame") {
                return Ok(Some(Frame(self.buf.drain(..len).collect())));
            }
            let mut chunk = [0u8; 16 * 1024];
            match self.tls.read(&mut chunk)? {
                0 => {
                    assert!(self.buf.is_empty(), "EOF inside a PDU");
                    return Ok(None);
                }
                n => self.buf.extend_from_slice(&chunk[..n]),
            }
        }
    }

    fn recv(&mut self) -> Frame {
        self.recv_opt().expect("read").expect("connection closed")
    }

    fn bind_trx(&mut self) -> Frame {
        let seq = self.request(Body::BindTransceiver(bind("test", "pw")));
        let resp = self.recv();
        assert_eq!(resp.seq(), seq);
        resp
    }
}

fn assert_bound(resp: &Frame) {
    match resp.pdu().body {
        Body::BindTransceiverResp(r) => assert_eq!(r.system_id, b"hornet-smsc"),
        other => panic!("not a bind_transceiver_resp: {other:?}"),
    }
    assert_eq!(resp.status(), CommandStatus::ESME_ROK);
}

#[test]
fn bind_submit_and_receipt_over_tls() {
    let pki = Pki::new("ca");
    let smsc = tls_smsc(SmscConfig::default(), pki.server(), None);
    let mut c = TlsClient::connect(smsc.local_addr(), &client_config(&pki, None));
    assert_bound(&c.bind_trx());
    let seq = c.request(Body::SubmitSm(submit_sm(1)));
    let resp = c.recv();
    assert_eq!((resp.seq(), resp.status()), (seq, CommandStatus::ESME_ROK));
    let id = resp.message_id();
    let receipt = c.recv();
    match receipt.pdu().body {
        Body::DeliverSm(d) => {
            let text = String::from_utf8_lossy(d.short_message).into_owned();
            assert!(text.starts_with(&format!("id:{id} ")), "{text}");
        }
        other => panic!("not a receipt: {other:?}"),
    }
    let seq = c.request(Body::EnquireLink);
    assert_eq!(c.recv().seq(), seq);
    assert_eq!(
        c.tls.conn.protocol_version(),
        Some(rustls::ProtocolVersion::TLSv1_3)
    );
    // No ALPN is configured for SMPP: none is negotiated.
    assert_eq!(c.tls.conn.alpn_protocol(), None);
    eventually("counters", || {
        let n = smsc.counters();
        n.binds_ok == 1 && n.submit_ok == 1
    });
}

#[test]
fn a_window_of_pipelined_submits_is_answered_in_full() {
    // 2000 submit_sm in one write: the responses outgrow rustls' and the
    // socket's buffers, so some records leave on later writable events.
    let pki = Pki::new("ca");
    let smsc = tls_smsc(SmscConfig::default(), pki.server(), None);
    let mut c = TlsClient::connect(smsc.local_addr(), &client_config(&pki, None));
    assert_bound(&c.bind_trx());
    let bodies = vec![Body::SubmitSm(submit_sm(0)); 2000];
    let first = c.request_all(&bodies).unwrap();
    for i in 0..2000 {
        let resp = c.recv();
        assert_eq!(
            (resp.seq(), resp.status()),
            (first + i, CommandStatus::ESME_ROK)
        );
    }
    eventually("2000 submits", || smsc.counters().submit_ok == 2000);
}

#[test]
fn client_certificates_are_required_when_a_client_ca_is_set() {
    let pki = Pki::new("ca");
    let smsc = tls_smsc(SmscConfig::default(), pki.server(), Some(pki.roots()));
    let addr = smsc.local_addr();

    for config in [
        client_config(&pki, None),
        client_config(&pki, Some(Pki::new("other ca").client())),
    ] {
        let mut c = TlsClient::connect(addr, &config);
        // TLS 1.3 clients finish their side first, so the refusal shows on
        // the write or on the first read.
        let _ = c.request_all(&[Body::BindTransceiver(bind("test", "pw"))]);
        match c.recv_opt() {
            Ok(None) => {}
            Ok(Some(frame)) => panic!("served without a valid certificate: {frame:?}"),
            Err(e) => assert!(
                !matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut),
                "timed out instead of a refusal: {e}"
            ),
        }
    }

    let mut c = TlsClient::connect(addr, &client_config(&pki, Some(pki.client())));
    assert_bound(&c.bind_trx());
    eventually("one bind", || smsc.counters().binds_ok == 1);
}

#[test]
fn a_server_close_ends_tls_cleanly() {
    let pki = Pki::new("ca");
    let smsc = tls_smsc(
        SmscConfig {
            drop_after: Some(1),
            ..Default::default()
        },
        pki.server(),
        None,
    );
    let mut c = TlsClient::connect(smsc.local_addr(), &client_config(&pki, None));
    assert_bound(&c.bind_trx());
    c.request(Body::SubmitSm(submit_sm(0)));
    assert_eq!(c.recv().status(), CommandStatus::ESME_ROK);
    // close_notify before the FIN: a clean end, not an UnexpectedEof error.
    assert!(c.recv_opt().expect("clean TLS end").is_none());
}

#[test]
fn plain_smpp_to_a_tls_port_is_closed_without_a_bind() {
    let pki = Pki::new("ca");
    let smsc = tls_smsc(SmscConfig::default(), pki.server(), None);
    let mut plain = TcpStream::connect(smsc.local_addr()).unwrap();
    plain.set_read_timeout(Some(TIMEOUT)).unwrap();
    let mut out = Vec::new();
    encode(
        &Pdu::new(1, Body::BindTransceiver(bind("test", "pw"))),
        &mut out,
    )
    .unwrap();
    plain.write_all(&out).unwrap();
    let mut got = Vec::new();
    match plain.read_to_end(&mut got) {
        // At most a TLS alert record (content type 21), never a PDU.
        Ok(_) => assert!(got.is_empty() || got[0] == 21, "{got:02x?}"),
        Err(e) => assert_eq!(e.kind(), ErrorKind::ConnectionReset, "{e}"),
    }
    assert_eq!(smsc.counters().binds_ok, 0);
    // The server goes on serving TLS clients.
    let mut c = TlsClient::connect(smsc.local_addr(), &client_config(&pki, None));
    assert_bound(&c.bind_trx());
}

#[test]
fn the_binary_speaks_tls_from_pem_files() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    let pki = Pki::new("ca");
    let id = pki.server();
    let client = pki.client();
    let dir = tempfile::tempdir().unwrap();
    let (cert, key, ca) = (
        dir.path().join("cert.pem"),
        dir.path().join("key.pem"),
        dir.path().join("ca.pem"),
    );
    std::fs::write(&cert, &id.cert_pem).unwrap();
    std::fs::write(&key, &id.key_pem).unwrap();
    std::fs::write(&ca, &pki.ca_pem).unwrap();

    let mut child = Command::new(env!("CARGO_BIN_EXE_hornet-smsc"))
        .args(["--listen", "127.0.0.1:0", "--tls-cert"])
        .arg(&cert)
        .arg("--tls-key")
        .arg(&key)
        .arg("--tls-client-ca")
        .arg(&ca)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let bound = line
        .strip_prefix("listening on ")
        .and_then(|a| a.trim().parse().ok())
        .map(|addr: SocketAddr| {
            let mut c = TlsClient::connect(addr, &client_config(&pki, Some(client)));
            c.bind_trx().status()
        });
    // Our own child, by handle; it may already have exited.
    let _ = child.kill();
    child.wait().unwrap();
    assert_eq!(
        bound,
        Some(CommandStatus::ESME_ROK),
        "startup line {line:?}"
    );

    // A certificate file that holds no certificate: a clear error, exit 1.
    let out = Command::new(env!("CARGO_BIN_EXE_hornet-smsc"))
        .args(["--listen", "127.0.0.1:0", "--tls-cert"])
        .arg(&key)
        .arg("--tls-key")
        .arg(&key)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no certificate"), "{err}");
}
