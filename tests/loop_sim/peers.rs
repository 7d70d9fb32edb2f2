//! In-memory peers for the loop tests: an HTTP server and an SMSC that
//! answer, stay silent, refuse, close or throttle as each test asks, and
//! log when (in virtual time) they saw what.

use std::cell::RefCell;
use std::rc::Rc;

use hornet::engine::sim::{Accept, ConnId, Peer, PeerConn};

/// What an HTTP peer does with request number `n` (0-based, run-wide).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply {
    /// Answers `200 ok` this many ns after the request arrived.
    After(u64),
    /// Answers `200 ok` this many ns after the request arrived, then
    /// closes the connection (FIN) without saying so in a header.
    AfterThenClose(u64),
    /// Reads the request and never answers.
    Silent,
    /// Resets the connection when the request arrives.
    Reset,
}

/// What a peer saw, in virtual time (ns).
#[derive(Debug, Default)]
pub struct Log {
    /// Connection attempts: (connection, time).
    pub connects: Vec<(ConnId, u64)>,
    /// Requests (HTTP) or submit_sm (SMPP) received: (connection, time).
    pub requests: Vec<(ConnId, u64)>,
    /// Responses sent: (connection, time they become readable).
    pub answers: Vec<(ConnId, u64)>,
    /// Connections the driver closed: (connection, time).
    pub closes: Vec<(ConnId, u64)>,
}

pub type SharedLog = Rc<RefCell<Log>>;

const OK: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

/// An HTTP/1.1 server for bodiless requests (GET).
pub struct HttpPeer {
    pub log: SharedLog,
    /// Connection attempt `n` (0-based): accepted, refused or ignored.
    pub accept: Box<dyn FnMut(usize) -> Accept>,
    /// Request `n` (0-based).
    pub reply: Box<dyn FnMut(usize) -> Reply>,
}

impl HttpPeer {
    /// Accepts every connection and answers request `n` as `reply(n)`.
    pub fn new(reply: impl FnMut(usize) -> Reply + 'static) -> (HttpPeer, SharedLog) {
        let log = SharedLog::default();
        let peer = HttpPeer {
            log: log.clone(),
            accept: Box::new(|_| Accept::Yes),
            reply: Box::new(reply),
        };
        (peer, log)
    }
}

impl Peer for HttpPeer {
    fn on_connect(&mut self, now: u64, id: ConnId) -> Accept {
        let mut log = self.log.borrow_mut();
        log.connects.push((id, now));
        (self.accept)(log.connects.len() - 1)
    }

    fn on_input(&mut self, now: u64, conn: &mut PeerConn<'_>) {
        while let Some(end) = conn.input().windows(4).position(|w| w == b"\r\n\r\n") {
            conn.consume(end + 4);
            let mut log = self.log.borrow_mut();
            let n = log.requests.len();
            log.requests.push((conn.id(), now));
            match (self.reply)(n) {
                Reply::After(delay) => {
                    conn.send_after(delay, OK);
                    log.answers.push((conn.id(), now + delay));
                }
                Reply::AfterThenClose(delay) => {
                    conn.send_after(delay, OK);
                    conn.close_after(delay);
                    log.answers.push((conn.id(), now + delay));
                }
                Reply::Silent => {}
                Reply::Reset => conn.reset(),
            }
        }
    }

    fn on_closed(&mut self, now: u64, id: ConnId) {
        self.log.borrow_mut().closes.push((id, now));
    }
}

/// SMPP command ids and statuses the SMSC uses.
mod smpp {
    pub const BIND_RECEIVER: u32 = 0x01;
    pub const BIND_TRANSMITTER: u32 = 0x02;
    pub const SUBMIT_SM: u32 = 0x04;
    pub const UNBIND: u32 = 0x06;
    pub const BIND_TRANSCEIVER: u32 = 0x09;
    pub const ENQUIRE_LINK: u32 = 0x15;
    pub const RESP: u32 = 0x8000_0000;
    pub const ESME_ROK: u32 = 0;
}

pub use smpp::ESME_ROK;
/// ESME_RTHROTTLED: the SMSC asks the ESME to slow down.
pub const ESME_RTHROTTLED: u32 = 0x58;
/// ESME_RBINDFAIL: the bind is refused.
pub const ESME_RBINDFAIL: u32 = 0x0D;

/// One PDU: header and body.
fn pdu(command: u32, status: u32, seq: u32, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + body.len());
    out.extend_from_slice(&(16 + body.len() as u32).to_be_bytes());
    out.extend_from_slice(&command.to_be_bytes());
    out.extend_from_slice(&status.to_be_bytes());
    out.extend_from_slice(&seq.to_be_bytes());
    out.extend_from_slice(body);
    out
}

/// An SMSC: binds succeed, submit_sm `n` (0-based) is answered with
/// `status(n)` after `latency` ns, enquire_link and unbind are answered.
pub struct Smsc {
    pub log: SharedLog,
    pub latency: u64,
    pub status: Box<dyn FnMut(usize) -> u32>,
    /// The answer to bind `n` (0-based); by default every bind succeeds.
    pub bind_status: Box<dyn FnMut(usize) -> u32>,
    binds: usize,
}

impl Smsc {
    pub fn new(latency: u64, status: impl FnMut(usize) -> u32 + 'static) -> (Smsc, SharedLog) {
        let log = SharedLog::default();
        let smsc = Smsc {
            log: log.clone(),
            latency,
            status: Box::new(status),
            bind_status: Box::new(|_| ESME_ROK),
            binds: 0,
        };
        (smsc, log)
    }
}

impl Peer for Smsc {
    fn on_connect(&mut self, now: u64, id: ConnId) -> Accept {
        self.log.borrow_mut().connects.push((id, now));
        Accept::Yes
    }

    fn on_input(&mut self, now: u64, conn: &mut PeerConn<'_>) {
        use smpp::*;
        loop {
            let input = conn.input();
            if input.len() < 16 {
                return;
            }
            let word = |i: usize| u32::from_be_bytes(input[i..i + 4].try_into().unwrap());
            let (len, command, seq) = (word(0) as usize, word(4), word(12));
            if input.len() < len {
                return;
            }
            conn.consume(len);
            let answer = match command {
                BIND_RECEIVER | BIND_TRANSMITTER | BIND_TRANSCEIVER => {
                    self.binds += 1;
                    match (self.bind_status)(self.binds - 1) {
                        ESME_ROK => pdu(command | RESP, ESME_ROK, seq, b"smsc\0"),
                        status => pdu(command | RESP, status, seq, b""),
                    }
                }
                SUBMIT_SM => {
                    let mut log = self.log.borrow_mut();
                    let n = log.requests.len();
                    log.requests.push((conn.id(), now));
                    log.answers.push((conn.id(), now + self.latency));
                    match (self.status)(n) {
                        ESME_ROK => {
                            pdu(command | RESP, ESME_ROK, seq, format!("m{n}\0").as_bytes())
                        }
                        status => pdu(command | RESP, status, seq, b""),
                    }
                }
                ENQUIRE_LINK | UNBIND => pdu(command | RESP, ESME_ROK, seq, b""),
                _ => continue,
            };
            conn.send_after(self.latency, &answer);
        }
    }

    fn on_closed(&mut self, now: u64, id: ConnId) {
        self.log.borrow_mut().closes.push((id, now));
    }
}
