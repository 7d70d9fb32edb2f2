//! Connection state machines that drive the codecs. They own no socket and
//! read no clock: the worker hands them a stream and the current time.
//!
//! [`Session`] is the contract between a protocol and the worker: the worker
//! owns sockets, timers and the load model; a session owns the protocol
//! state of one connection slot and the requests assigned to it. A slot
//! outlives its sockets: on reconnect the worker calls `on_connected` again.

pub mod http;
pub mod smpp;

use std::io::{Read, Write};

use crate::metrics::{ErrorKind, Recorder};

/// What a read pass left the connection needing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadOutcome {
    /// Still usable.
    Open,
    /// The peer ended the connection cleanly (HTTP `Connection: close`, EOF
    /// with nothing outstanding, SMPP unbind): reconnect. Requests the peer
    /// never answered are queued again for the next socket.
    Closed,
    /// The peer refused the session (SMPP bind refused): close, and retry
    /// only after a backoff. No request was lost.
    Rejected,
    /// Still usable, but the pass stopped before the socket would block:
    /// it spent its [`READ_BUDGET`], or the session's output is backed up
    /// ([`Session::read_paused`]). Input may be waiting that no
    /// edge-triggered event will announce again, so the worker reads this
    /// connection again on a later loop turn, after it has looked at its
    /// clock, its timeouts, its stop flag and its writes.
    Yield,
}

/// Most bytes one read pass takes from a connection. A peer that sends
/// without pause (an endless chunked body, a deliver_sm storm) would
/// otherwise keep the pass going forever and starve everything else the
/// worker does. 256 KiB is two reads of the largest HTTP buffer: large
/// bodies still move in big syscalls, and one pass takes well under a
/// millisecond.
pub const READ_BUDGET: usize = 256 * 1024;

/// What [`Session::handle_timeout`] decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimerOutcome {
    /// Nothing to do, or the session queued bytes to write (keep-alive).
    Keep,
    /// The connection is unusable (e.g. a request timed out; the session
    /// already counted its requests): drop the socket and reconnect.
    Reconnect,
    /// The session never got going (e.g. a bind went unanswered): drop the
    /// socket and reconnect only after a backoff.
    Backoff,
}

/// One connection slot's protocol state. All times are run-clock ns.
pub trait Session {
    /// A new socket just connected: reset per-socket state and queue any
    /// handshake (e.g. an SMPP bind).
    fn on_connected(&mut self, now: u64);

    /// Closed model: the requests queued while the connection was being
    /// set up start now (their latency is measured from here).
    fn restart_waiting(&mut self, _now: u64) {}

    /// True once the connection is usable for requests (HTTP: connected;
    /// SMPP: bound). Until then the worker neither resets the slot's
    /// backoff nor grows the pool past it.
    fn ready(&self) -> bool {
        true
    }

    /// How many more requests the slot accepts now. A slot that is not ready
    /// (not bound, throttled) says 0; an HTTP slot accepts requests even
    /// while connecting, they wait for the socket.
    fn room(&self) -> usize;

    /// Assigns a request intended at `intended`.
    fn push(&mut self, intended: u64);

    /// Requests assigned and not settled yet.
    fn queued(&self) -> usize;

    /// True when bytes are waiting to be written.
    fn wants_write(&self) -> bool;

    /// True while the session's output is backed up (over its high-water
    /// mark, until it drains below its low-water mark): the worker stops
    /// reading, since every request read would queue one more answer the
    /// peer does not take (back-pressure).
    fn read_paused(&self) -> bool {
        false
    }

    /// How many answers to real work the session has received over its
    /// whole life (HTTP responses; SMPP submit_sm_resp, deliver_sm,
    /// enquire_link_resp). Never reset: the worker compares it with the
    /// count when the connection became usable to tell a connection that
    /// worked from one that failed right away (which backs off).
    fn answered(&self) -> u64 {
        0
    }

    /// Writes until done or the socket would block.
    fn flush<W: Write>(
        &mut self,
        io: &mut W,
        now: u64,
        rec: &mut Recorder,
    ) -> Result<(), ErrorKind>;

    /// Reads and handles input until the socket would block (or a short
    /// read, when `stop_on_short_read`), at most [`READ_BUDGET`] bytes
    /// ([`ReadOutcome::Yield`] past it). The stream is writable too, so
    /// answers to the peer's requests (SMPP) can go out at once.
    fn read<R: Read + Write, F: FnMut() -> u64>(
        &mut self,
        io: &mut R,
        stop_on_short_read: bool,
        now: &mut F,
        rec: &mut Recorder,
    ) -> Result<ReadOutcome, ErrorKind>;

    /// The socket failed with `kind`: count the requests lost with it and
    /// prepare for a new socket; unwritten requests stay queued.
    fn fail_in_flight(&mut self, kind: ErrorKind, rec: &mut Recorder) -> u64;

    /// A signal (Ctrl-C, SIGTERM) cut the drain short: count the requests
    /// still in flight as abandoned (neither answered nor failed: hornet
    /// stopped waiting for them) and drop them.
    fn abandon_in_flight(&mut self, rec: &mut Recorder);

    /// The peer closed cleanly: requests it never answered go out again
    /// where the protocol allows it, else they count as lost.
    fn requeue_unanswered(&mut self, rec: &mut Recorder);

    /// Connecting failed: fail up to `n` queued requests with `kind`.
    fn fail_queued(&mut self, kind: ErrorKind, n: usize, rec: &mut Recorder) -> u64;

    /// The run ended: drop requests not yet started, return how many.
    fn take_unwritten(&mut self) -> u64;

    /// When the session next needs [`Session::handle_timeout`] (run-clock
    /// ns), given the request timeout: its oldest request's timeout, a bind
    /// or unbind deadline, the end of a throttle pause, the next keep-alive.
    /// `None`: nothing is due until something happens on the connection.
    /// The worker keeps one timer per slot at this deadline, so the work
    /// per wake-up scales with the timers due, not with the connections
    /// open (quinn-proto's `poll_timeout` / `handle_timeout`). An early
    /// answer is harmless (the call finds nothing due); a late one is not.
    fn poll_timeout(&self, timeout_ns: u64) -> Option<u64>;

    /// The deadline from [`Session::poll_timeout`] (or an earlier one)
    /// passed: time out requests, send keep-alives, end pauses.
    fn handle_timeout(&mut self, now: u64, timeout_ns: u64, rec: &mut Recorder) -> TimerOutcome;

    /// The load phase is over and the in-flight requests settled: start a
    /// graceful goodbye (SMPP unbind) if the protocol has one.
    fn begin_close(&mut self, now: u64, rec: &mut Recorder);

    /// True when nothing more is expected on this slot (no request in
    /// flight, goodbye done or given up).
    fn settled(&self, now: u64) -> bool;

    /// The run is over: record anything still outstanding that is not a
    /// request (e.g. SMPP receipts never received).
    fn finish(&mut self, _rec: &mut Recorder) {}
}
