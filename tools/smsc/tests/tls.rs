//! SMPP over TLS end to end: a TLS simulator on 127.0.0.1:0, certificates
//! made for each test and a blocking rustls client (`StreamOwned` over a
//! std `TcpStream` with read timeouts, so a broken server fails a test
//! instead of hanging it), both from `hornet_testpki`. PDUs are built and
//! parsed by `hornet_smpp`.

mod common;

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;

use common::{bind, eventually, submit_sm, Frame, TIMEOUT};
use hornet_smpp::{check_frame, encode, Body, CommandStatus, Pdu};
use hornet_smsc::tls::rustls;
use hornet_smsc::tls::{server_config_der, TlsOptions};
use hornet_smsc::{SmscConfig, SmscHandle};
use hornet_testpki::client::{self, connect};
use hornet_testpki::process::{tls_server, while_listening};
use hornet_testpki::{client_cert, leaf, Ca, Leaf, PemFiles, Validity, SERVER_NAMES};

/// A fresh CA and a TLS simulator serving a certificate it signed for
/// [`SERVER_NAMES`], requiring client certificates it signed when
/// `mutual`.
fn tls_smsc(config: SmscConfig, mutual: bool) -> (Ca, SmscHandle) {
    let ca = Ca::new("ca");
    let server = leaf(&ca, SERVER_NAMES, Validity::CURRENT);
    let client_roots = mutual.then(|| ca.roots());
    let tls = server_config_der(
        server.chain(),
        server.key_der(),
        client_roots,
        &TlsOptions::default(),
    )
    .unwrap();
    let config = SmscConfig {
        tls: Some(tls),
        ..config
    };
    let smsc = hornet_smsc::start("127.0.0.1:0".parse().unwrap(), config).expect("start");
    (ca, smsc)
}

/// A blocking SMPP-over-TLS client.
struct TlsClient {
    tls: client::Stream,
    buf: Vec<u8>,
    seq: u32,
}

impl TlsClient {
    /// Connects trusting `ca` (any TLS version, no ALPN: SMPP has no ALPN
    /// id), presenting `cert` when given.
    fn connect(addr: SocketAddr, ca: &Ca, cert: Option<&Leaf>) -> TlsClient {
        let config = Arc::new(client::config(ca, cert, rustls::DEFAULT_VERSIONS));
        TlsClient {
            tls: connect(addr, &config),
            buf: Vec::new(),
            seq: 0,
        }
    }

    /// [`TlsClient::connect`] without a client certificate, then a bind
    /// that must succeed.
    fn bound(addr: SocketAddr, ca: &Ca) -> TlsClient {
        let mut c = TlsClient::connect(addr, ca, None);
        assert_bound(&c.bind_trx());
        c
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
    let (ca, smsc) = tls_smsc(SmscConfig::default(), false);
    let mut c = TlsClient::bound(smsc.local_addr(), &ca);
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
    let (ca, smsc) = tls_smsc(SmscConfig::default(), false);
    let mut c = TlsClient::bound(smsc.local_addr(), &ca);
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
    let (ca, smsc) = tls_smsc(SmscConfig::default(), true);
    let addr = smsc.local_addr();

    let stranger = client_cert(&Ca::new("other ca"), "esme.test");
    for cert in [None, Some(&stranger)] {
        let mut c = TlsClient::connect(addr, &ca, cert);
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

    let cert = client_cert(&ca, "esme.test");
    let mut c = TlsClient::connect(addr, &ca, Some(&cert));
    assert_bound(&c.bind_trx());
    eventually("one bind", || smsc.counters().binds_ok == 1);
}

#[test]
fn a_server_close_ends_tls_cleanly() {
    let config = SmscConfig {
        drop_after: Some(1),
        ..Default::default()
    };
    let (ca, smsc) = tls_smsc(config, false);
    let mut c = TlsClient::bound(smsc.local_addr(), &ca);
    c.request(Body::SubmitSm(submit_sm(0)));
    assert_eq!(c.recv().status(), CommandStatus::ESME_ROK);
    // close_notify before the FIN: a clean end, not an UnexpectedEof error.
    assert!(c.recv_opt().expect("clean TLS end").is_none());
}

#[test]
fn plain_smpp_to_a_tls_port_is_closed_without_a_bind() {
    let (ca, smsc) = tls_smsc(SmscConfig::default(), false);
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
    TlsClient::bound(smsc.local_addr(), &ca);
}

#[test]
fn the_binary_speaks_tls_from_pem_files() {
    const BIN: &str = env!("CARGO_BIN_EXE_hornet-smsc");
    let ca = Ca::new("ca");
    let client = client_cert(&ca, "esme.test");
    let files = PemFiles::new();
    let (cert, key) = files.leaf("server", &leaf(&ca, SERVER_NAMES, Validity::CURRENT));
    let ca_file = files.ca("ca.pem", &ca);

    let mut command = tls_server(BIN, &cert, &key);
    command.arg("--tls-client-ca").arg(&ca_file);
    let (bound, line) = while_listening(&mut command, |addr| {
        let mut c = TlsClient::connect(addr, &ca, Some(&client));
        c.bind_trx().status()
    });
    assert_eq!(
        bound,
        Some(CommandStatus::ESME_ROK),
        "startup line {line:?}"
    );

    // A certificate file that holds no certificate: a clear error, exit 1.
    let out = tls_server(BIN, &key, &key).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no certificate"), "{err}");
}
