//! The test's side of the simulated network: a [`Peer`] listens on an
//! address and answers the driver's connections (an in-memory HTTP server
//! or SMSC written for the test) through [`PeerConn`].

use super::wire::{Conn, ConnId};

/// What a peer does with a connection attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accept {
    /// The connect completes at once.
    Yes,
    /// Refused (a closed port: the connect fails with `ECONNREFUSED`).
    Refuse,
    /// Never answered (a black hole: the connect times out).
    Ignore,
}

/// A simulated server. Every call happens at the virtual time `now`.
pub trait Peer {
    /// The driver connects; by default the connect completes.
    fn on_connect(&mut self, _now: u64, _id: ConnId) -> Accept {
        Accept::Yes
    }
    /// The driver wrote: `conn.input()` holds every byte not yet consumed.
    fn on_input(&mut self, now: u64, conn: &mut PeerConn<'_>);
    /// The driver closed its socket.
    fn on_closed(&mut self, _now: u64, _id: ConnId) {}
}

/// One connection seen from the peer's side.
#[derive(Debug)]
pub struct PeerConn<'a> {
    pub(super) id: ConnId,
    pub(super) now: u64,
    pub(super) conn: &'a mut Conn,
}

impl PeerConn<'_> {
    /// The connection's number (attempts are numbered 0, 1, 2...).
    pub fn id(&self) -> ConnId {
        self.id
    }

    /// When the driver started the connection.
    pub fn opened_at(&self) -> u64 {
        self.conn.opened_at
    }

    /// What the driver wrote that the peer has not consumed.
    pub fn input(&self) -> &[u8] {
        &self.conn.input
    }

    /// Consumes the first `n` input bytes (frees window for the driver's
    /// writes).
    pub fn consume(&mut self, n: usize) {
        self.conn.consume(n);
    }

    /// Sends `data`, readable by the driver now.
    pub fn send(&mut self, data: &[u8]) {
        self.conn.send_at(self.now, data);
    }

    /// Sends `data`, readable by the driver `delay_ns` from now (bytes
    /// stay in order: never before what was sent earlier).
    pub fn send_after(&mut self, delay_ns: u64, data: &[u8]) {
        self.conn.send_at(self.now.saturating_add(delay_ns), data);
    }

    /// Closes the peer's side (FIN) after what was sent.
    pub fn close(&mut self) {
        self.conn.fin_at(self.now);
    }

    /// Closes the peer's side `delay_ns` from now.
    pub fn close_after(&mut self, delay_ns: u64) {
        self.conn.fin_at(self.now.saturating_add(delay_ns));
    }

    /// Resets the connection (RST): the driver's reads and writes fail.
    pub fn reset(&mut self) {
        self.conn.reset_at(self.now);
    }

    /// Holds at most `bytes` of unconsumed input: the driver's writes
    /// beyond it answer `WouldBlock` until the peer consumes.
    pub fn set_window(&mut self, bytes: usize) {
        self.conn.window = bytes;
    }
}
