//! The simulated network: in-memory connections between the driver's
//! sockets ([`MemorySocket`]) and the test's peers, with the readiness
//! edges a poller would report for them.
//!
//! Each connection carries bytes both ways. Bytes a peer sends become
//! readable at a virtual time (now, or later: a slow answer); the client's
//! writes wait in the peer's input until the peer consumes them, up to a
//! window (beyond it, writes answer `WouldBlock` and a writable edge comes
//! once the peer reads). Readiness is edge-triggered like mio's: one edge
//! per change, never repeated.
//!
//! The state sits behind one mutex shared by the network, its sockets and
//! the simulated reactor; everything runs on the test's thread, so the
//! lock is never contended (it only makes the sockets `Send`, as the
//! real ones are).

use std::collections::VecDeque;
use std::io::{self, IoSlice, Read, Write};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use mio::Token;

use crate::engine::reactor::Readiness;
use crate::tls::{MemoryNet, MemorySocket};

/// A connection's number on the simulated network, in the order attempts
/// were made (0, 1, 2...).
pub type ConnId = usize;

/// Client writes a peer holds unread before the client's writes block.
pub const DEFAULT_WINDOW: usize = 1 << 20;

/// The network: shared by the reactor, the driver's sockets and the peers.
#[derive(Debug, Clone, Default)]
pub struct Wire {
    state: Arc<Mutex<State>>,
}

#[derive(Debug, Default)]
pub(super) struct State {
    /// Virtual time, as the reactor last set it.
    pub(super) now: u64,
    pub(super) conns: Vec<Conn>,
    /// Attempts no peer has answered yet.
    pub(super) attempts: Vec<ConnId>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Phase {
    Connecting,
    Open,
    Refused,
}

/// Bytes a peer sent, readable from `at`.
#[derive(Debug)]
struct Segment {
    at: u64,
    data: Vec<u8>,
    /// Announced to the client as readable.
    announced: bool,
}

#[derive(Debug)]
pub(super) struct Conn {
    pub(super) addr: SocketAddr,
    pub(super) token: usize,
    pub(super) phase: Phase,
    /// When the attempt was made.
    pub(super) opened_at: u64,
    /// Peer to client, in order.
    down: VecDeque<Segment>,
    /// The peer's FIN and reset, and whether the client was told.
    fin_at: Option<u64>,
    reset_at: Option<u64>,
    fin_told: bool,
    reset_told: bool,
    /// Client to peer: written, not yet consumed by the peer.
    pub(super) input: Vec<u8>,
    /// Input bytes the peer has not been shown yet (its `on_input` is due).
    pub(super) unseen: bool,
    pub(super) window: usize,
    /// A client write found the window full: a writable edge is owed.
    write_blocked: bool,
    /// Edges waiting to be collected.
    connect_edge: bool,
    writable_edge: bool,
    /// The client dropped its socket; when, and whether the peer was told.
    pub(super) client_closed_at: Option<u64>,
    pub(super) close_told: bool,
}

impl Conn {
    fn new(addr: SocketAddr, token: usize, now: u64) -> Conn {
        Conn {
            addr,
            token,
            phase: Phase::Connecting,
            opened_at: now,
            down: VecDeque::new(),
            fin_at: None,
            reset_at: None,
            fin_told: false,
            reset_told: false,
            input: Vec::new(),
            unseen: false,
            window: DEFAULT_WINDOW,
            write_blocked: false,
            connect_edge: false,
            writable_edge: false,
            client_closed_at: None,
            close_told: false,
        }
    }

    /// The peer's side is gone (FIN or reset) for sending more.
    fn shut(&self) -> bool {
        self.fin_at.is_some() || self.reset_at.is_some()
    }

    /// The time the next segment, FIN or reset after those already
    /// queued would be readable: never before the last one (TCP is in
    /// order).
    fn in_order(&self, at: u64) -> u64 {
        self.down.back().map_or(at, |s| s.at.max(at))
    }

    pub(super) fn send_at(&mut self, at: u64, data: &[u8]) {
        if self.shut() || data.is_empty() || self.phase != Phase::Open {
            return;
        }
        let at = self.in_order(at);
        self.down.push_back(Segment {
            at,
            data: data.to_vec(),
            announced: false,
        });
    }

    pub(super) fn fin_at(&mut self, at: u64) {
        if !self.shut() && self.phase == Phase::Open {
            self.fin_at = Some(self.in_order(at));
        }
    }

    pub(super) fn reset_at(&mut self, at: u64) {
        if self.reset_at.is_none() && self.phase == Phase::Open {
            self.reset_at = Some(self.in_order(at));
        }
    }

    pub(super) fn accept(&mut self) {
        if self.phase == Phase::Connecting {
            self.phase = Phase::Open;
            self.connect_edge = true;
        }
    }

    pub(super) fn refuse(&mut self) {
        if self.phase == Phase::Connecting {
            self.phase = Phase::Refused;
            self.connect_edge = true;
        }
    }

    /// The peer consumed `n` bytes of its input.
    pub(super) fn consume(&mut self, n: usize) {
        let n = n.min(self.input.len());
        self.input.drain(..n);
        if self.write_blocked && self.input.len() < self.window {
            self.write_blocked = false;
            self.writable_edge = true;
        }
    }

    /// The edges due at `now`, if any (marked as told).
    fn edges(&mut self, now: u64) -> Option<Readiness> {
        if self.client_closed_at.is_some() {
            return None;
        }
        let mut r = Readiness {
            token: self.token,
            ..Readiness::default()
        };
        if std::mem::take(&mut self.connect_edge) {
            r.writable = true;
            if self.phase == Phase::Refused {
                r.error = true;
            }
        }
        if std::mem::take(&mut self.writable_edge) {
            r.writable = true;
        }
        for seg in self.down.iter_mut().take_while(|s| s.at <= now) {
            if !seg.announced {
                seg.announced = true;
                r.readable = true;
            }
        }
        if !self.fin_told && self.fin_at.is_some_and(|t| t <= now) {
            self.fin_told = true;
            r.readable = true;
            r.read_closed = true;
        }
        if !self.reset_told && self.reset_at.is_some_and(|t| t <= now) {
            self.reset_told = true;
            r.readable = true;
            r.read_closed = true;
            r.error = true;
        }
        (r.readable || r.writable || r.error).then_some(r)
    }

    /// The next time something queued becomes readable (after `now`).
    fn next_change(&self, now: u64) -> Option<u64> {
        let seg = self.down.iter().map(|s| s.at).find(|&t| t > now);
        [seg, self.fin_at, self.reset_at]
            .into_iter()
            .flatten()
            .filter(|&t| t > now)
            .min()
    }
}

impl Wire {
    pub(super) fn lock(&self) -> MutexGuard<'_, State> {
        // A test that panicked mid-step poisons nothing worth keeping.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(super) fn set_now(&self, now: u64) {
        self.lock().now = now;
    }

    /// Pushes the readiness due at `now` onto `out`.
    pub(super) fn collect(&self, now: u64, out: &mut Vec<Readiness>) {
        let mut state = self.lock();
        for conn in &mut state.conns {
            if let Some(r) = conn.edges(now) {
                out.push(r);
            }
        }
    }

    /// The next time a peer's queued bytes, FIN or reset become readable.
    pub(super) fn next_change(&self, now: u64) -> Option<u64> {
        let state = self.lock();
        state.conns.iter().filter_map(|c| c.next_change(now)).min()
    }
}

impl MemoryNet for Wire {
    fn connect(&self, addr: SocketAddr, token: Token) -> io::Result<Box<dyn MemorySocket>> {
        let mut state = self.lock();
        let id = state.conns.len();
        let now = state.now;
        state.conns.push(Conn::new(addr, token.0, now));
        state.attempts.push(id);
        Ok(Box::new(Socket {
            wire: self.clone(),
            id,
        }))
    }
}

/// The client end of a simulated connection.
#[derive(Debug)]
struct Socket {
    wire: Wire,
    id: ConnId,
}

impl MemorySocket for Socket {
    fn connected(&mut self) -> io::Result<bool> {
        match self.wire.lock().conns[self.id].phase {
            Phase::Connecting => Ok(false),
            Phase::Open => Ok(true),
            Phase::Refused => Err(io::ErrorKind::ConnectionRefused.into()),
        }
    }
}

impl Read for Socket {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut state = self.wire.lock();
        let now = state.now;
        let conn = &mut state.conns[self.id];
        if conn.reset_at.is_some_and(|t| t <= now) {
            return Err(io::ErrorKind::ConnectionReset.into());
        }
        let mut n = 0;
        while n < buf.len() {
            let Some(seg) = conn.down.front_mut().filter(|s| s.at <= now) else {
                break;
            };
            let take = seg.data.len().min(buf.len() - n);
            buf[n..n + take].copy_from_slice(&seg.data[..take]);
            seg.data.drain(..take);
            n += take;
            if seg.data.is_empty() {
                conn.down.pop_front();
            }
        }
        if n > 0 || buf.is_empty() {
            return Ok(n);
        }
        let at_end = conn.fin_at.is_some_and(|t| t <= now)
            && !matches!(conn.down.front(), Some(s) if s.at <= now);
        if at_end {
            Ok(0)
        } else {
            Err(io::ErrorKind::WouldBlock.into())
        }
    }
}

impl Write for Socket {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_vectored(&[IoSlice::new(buf)])
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        let mut state = self.wire.lock();
        let now = state.now;
        let conn = &mut state.conns[self.id];
        if conn.reset_at.is_some_and(|t| t <= now) {
            return Err(io::ErrorKind::ConnectionReset.into());
        }
        if conn.phase != Phase::Open {
            return Err(io::ErrorKind::NotConnected.into());
        }
        let total: usize = bufs.iter().map(|b| b.len()).sum();
        let room = conn.window.saturating_sub(conn.input.len());
        if total > 0 && room == 0 {
            conn.write_blocked = true;
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let mut left = room.min(total);
        let n = left;
        for b in bufs {
            let take = b.len().min(left);
            conn.input.extend_from_slice(&b[..take]);
            left -= take;
        }
        if n < total {
            conn.write_blocked = true;
        }
        conn.unseen |= n > 0;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        let mut state = self.wire.lock();
        let now = state.now;
        let conn = &mut state.conns[self.id];
        conn.client_closed_at.get_or_insert(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr() -> SocketAddr {
        "127.0.0.1:9".parse().unwrap()
    }

    #[test]
    fn bytes_become_readable_at_their_time_with_one_edge_each() {
        let wire = Wire::default();
        let mut sock = wire.connect(addr(), Token(7)).unwrap();
        assert!(!sock.connected().unwrap());
        let mut out = Vec::new();
        {
            let mut s = wire.lock();
            s.conns[0].accept();
            s.conns[0].send_at(5, b"hello");
            s.conns[0].fin_at(0);
        }
        wire.collect(0, &mut out);
        assert_eq!(out.len(), 1);
        assert!(out[0].writable && !out[0].readable && out[0].token == 7);
        assert!(sock.connected().unwrap());
        let mut buf = [0u8; 16];
        assert_eq!(
            sock.read(&mut buf).unwrap_err().kind(),
            io::ErrorKind::WouldBlock
        );
        assert_eq!(wire.next_change(0), Some(5));
        wire.set_now(5);
        out.clear();
        wire.collect(5, &mut out);
        assert!(out[0].readable && out[0].read_closed, "FIN kept in order");
        out.clear();
        wire.collect(5, &mut out);
        assert!(out.is_empty(), "edges are not repeated");
        assert_eq!(sock.read(&mut buf).unwrap(), 5);
        assert_eq!(&buf[..5], b"hello");
        assert_eq!(sock.read(&mut buf).unwrap(), 0);
    }

    #[test]
    fn a_full_window_blocks_writes_until_the_peer_reads() {
        let wire = Wire::default();
        let mut sock = wire.connect(addr(), Token(1)).unwrap();
        {
            let mut s = wire.lock();
            s.conns[0].accept();
            s.conns[0].window = 4;
        }
        let mut out = Vec::new();
        wire.collect(0, &mut out);
        assert_eq!(sock.write(b"abcdef").unwrap(), 4);
        assert_eq!(
            sock.write(b"ef").unwrap_err().kind(),
            io::ErrorKind::WouldBlock
        );
        wire.lock().conns[0].consume(2);
        out.clear();
        wire.collect(0, &mut out);
        assert!(out[0].writable);
        assert_eq!(sock.write(b"ef").unwrap(), 2);
        assert_eq!(wire.lock().conns[0].input, b"cdef");
    }

    #[test]
    fn refused_and_reset_connections_fail_like_sockets() {
        let wire = Wire::default();
        let mut refused = wire.connect(addr(), Token(1)).unwrap();
        let mut reset = wire.connect(addr(), Token(2)).unwrap();
        {
            let mut s = wire.lock();
            s.conns[0].refuse();
            s.conns[1].accept();
            s.conns[1].reset_at(0);
        }
        let mut out = Vec::new();
        wire.collect(0, &mut out);
        assert!(out[0].error && out[0].token == 1);
        assert!(out[1].error && out[1].read_closed);
        assert_eq!(
            refused.connected().unwrap_err().kind(),
            io::ErrorKind::ConnectionRefused
        );
        let mut buf = [0u8; 4];
        assert_eq!(
            reset.read(&mut buf).unwrap_err().kind(),
            io::ErrorKind::ConnectionReset
        );
        drop(reset);
        assert_eq!(wire.lock().conns[1].client_closed_at, Some(0));
    }
}
