//! A minimal blocking SMPP client for the integration tests: std sockets
//! with read timeouts, PDUs built and parsed by `hornet_smpp`.

#![allow(dead_code)]

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use hornet_smpp::{
    check_frame, decode, encode, tag, Bind, Body, CommandStatus, MessageIdResp, Pdu, SubmitSm, Tlvs,
};
use hornet_smsc::{SmscConfig, SmscHandle};

/// Longest any single wait in a test may take.
pub const TIMEOUT: Duration = Duration::from_secs(5);

/// Starts a simulator on an ephemeral port.
pub fn server(config: SmscConfig) -> SmscHandle {
    hornet_smsc::start("127.0.0.1:0".parse().unwrap(), config).expect("start")
}

/// One received PDU, owned.
#[derive(Clone)]
pub struct Frame(pub Vec<u8>);

impl Frame {
    pub fn pdu(&self) -> Pdu<'_> {
        decode(&self.0).unwrap_or_else(|e| panic!("undecodable PDU {:02x?}: {e}", self.0))
    }

    pub fn seq(&self) -> u32 {
        self.pdu().sequence_number
    }

    pub fn status(&self) -> CommandStatus {
        self.pdu().command_status
    }

    /// The message id of a submit_sm_resp.
    pub fn message_id(&self) -> String {
        match self.pdu().body {
            Body::SubmitSmResp(r) => String::from_utf8(r.message_id.to_vec()).unwrap(),
            other => panic!("not a submit_sm_resp: {other:?}"),
        }
    }
}

impl std::fmt::Debug for Frame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match decode(&self.0) {
            Ok(p) => write!(f, "{p:?}"),
            Err(_) => write!(f, "{:02x?}", self.0),
        }
    }
}

pub struct Client {
    pub stream: TcpStream,
    buf: Vec<u8>,
    pub seq: u32,
}

impl Client {
    pub fn connect(addr: SocketAddr) -> Client {
        let stream = TcpStream::connect(addr).expect("connect");
        stream.set_read_timeout(Some(TIMEOUT)).unwrap();
        stream.set_nodelay(true).unwrap();
        Client {
            stream,
            buf: Vec::new(),
            seq: 0,
        }
    }

    pub fn next_seq(&mut self) -> u32 {
        self.seq += 1;
        self.seq
    }

    /// Encodes and sends one PDU.
    pub fn send(&mut self, pdu: &Pdu<'_>) {
        let mut out = Vec::new();
        encode(pdu, &mut out).expect("encode");
        self.stream.write_all(&out).expect("write");
    }

    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("write");
    }

    /// Sends a request with a fresh sequence number; returns the number.
    pub fn request(&mut self, body: Body<'_>) -> u32 {
        let seq = self.next_seq();
        self.send(&Pdu::new(seq, body));
        seq
    }

    /// The next PDU, or `None` on EOF. Panics after [`TIMEOUT`].
    pub fn recv_opt(&mut self) -> Option<Frame> {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Some(len) = check_frame(&self.buf, 1 << 20).expect("frame") {
                let frame = self.buf.drain(..len).collect();
                return Some(Frame(frame));
            }
            assert!(Instant::now() < deadline, "timed out waiting for a PDU");
            let mut chunk = [0u8; 64 * 1024];
            match self.stream.read(&mut chunk) {
                Ok(0) => {
                    assert!(self.buf.is_empty(), "EOF inside a PDU");
                    return None;
                }
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) if e.kind() == ErrorKind::ConnectionReset => return None,
                Err(e) => panic!("read: {e}"),
            }
        }
    }

    pub fn recv(&mut self) -> Frame {
        self.recv_opt().expect("connection closed")
    }

    /// Asserts that nothing arrives within `wait`.
    pub fn expect_silence(&mut self, wait: Duration) {
        self.stream.set_read_timeout(Some(wait)).unwrap();
        let mut chunk = [0u8; 1024];
        match self.stream.read(&mut chunk) {
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Ok(n) => panic!("unexpected {n} bytes: {:02x?}", &chunk[..n]),
            Err(e) => panic!("read: {e}"),
        }
        self.stream.set_read_timeout(Some(TIMEOUT)).unwrap();
        assert!(self.buf.is_empty());
    }

    /// Asserts the server closes the connection (after any PDUs, which
    /// are returned).
    pub fn expect_close(&mut self) -> Vec<Frame> {
        let mut frames = Vec::new();
        while let Some(f) = self.recv_opt() {
            frames.push(f);
            assert!(frames.len() < 10_000, "no close");
        }
        frames
    }

    /// Binds with `body` (a bind PDU) and returns the response.
    pub fn bind_with(&mut self, body: Body<'_>) -> Frame {
        let seq = self.request(body);
        let resp = self.recv();
        assert_eq!(resp.seq(), seq);
        resp
    }

    /// Binds as a transceiver with system_id "test" and asserts success.
    pub fn bind_trx(&mut self) {
        self.bind_ok(Body::BindTransceiver(bind("test", "pw")));
    }

    pub fn bind_ok(&mut self, body: Body<'_>) {
        let resp = self.bind_with(body);
        assert_eq!(resp.status(), CommandStatus::ESME_ROK, "{resp:?}");
    }

    /// Sends a submit_sm; returns its sequence number.
    pub fn submit(&mut self, registered_delivery: u8) -> u32 {
        self.request(Body::SubmitSm(submit_sm(registered_delivery)))
    }

    /// Answers a deliver_sm.
    pub fn ack_deliver(&mut self, seq: u32) {
        self.send(&Pdu::new(
            seq,
            Body::DeliverSmResp(MessageIdResp::default()),
        ));
    }
}

pub fn bind<'a>(system_id: &'a str, password: &'a str) -> Bind<'a> {
    Bind {
        system_id: system_id.as_bytes(),
        password: password.as_bytes(),
        ..Bind::default()
    }
}

pub fn submit_sm(registered_delivery: u8) -> SubmitSm<'static> {
    SubmitSm {
        source_addr_ton: 5,
        source_addr: b"hornet",
        dest_addr_ton: 1,
        dest_addr_npi: 1,
        destination_addr: b"447700900123",
        registered_delivery,
        short_message: b"Hello from the hornet load generator",
        tlvs: Tlvs::EMPTY,
        ..SubmitSm::default()
    }
}

/// Polls `f` until true; panics after [`TIMEOUT`].
pub fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + TIMEOUT;
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// The value of a TLV in a PDU's TLVs.
pub fn tlv<'a>(tlvs: &Tlvs<'a>, t: u16) -> Option<&'a [u8]> {
    tlvs.get(t)
}

#[allow(unused_imports)]
pub use tag::{MESSAGE_STATE, RECEIPTED_MESSAGE_ID, SC_INTERFACE_VERSION};
