//! A connection slot's life: its state (connecting, open, backing off,
//! stopped) and the counts the worker keeps of it, the connect and the TLS
//! handshake, the doubling backoff after a failure, and the reconnect
//! after a socket is lost.
//!
//! A slot outlives its sockets: its session keeps the requests assigned to
//! it across reconnects, and the worker decides what happens to the ones
//! the old socket never answered.

use mio::Token;

use super::{Phase, Worker};
use crate::metrics::ErrorKind;
use crate::proto::Session;
use crate::tls::{Connect, Transport};

/// First reconnect delay after a failed connect; doubles up to the cap.
const BACKOFF_MIN_NS: u64 = 10_000_000;
const BACKOFF_MAX_NS: u64 = 1_000_000_000;
/// A connection that fails sooner than this after it became usable, having
/// received no answer to real work, counts as one that never worked: it
/// backs off instead of reconnecting at once. Otherwise a peer that accepts
/// and then breaks every connection (a malformed PDU right after the bind,
/// a client certificate rejected after the TLS 1.3 handshake) makes a storm
/// of thousands of reconnects a second. One second is long against any
/// handshake on a working link, and short against a run.
const HEALTHY_NS: u64 = 1_000_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum State {
    Connecting { deadline: u64 },
    Open,
    Backoff { retry_at: u64 },
    Stopped,
}

/// One connection slot: a session and its current socket.
pub(super) struct Slot<S> {
    pub(super) session: S,
    pub(super) stream: Option<Transport>,
    pub(super) state: State,
    pub(super) backoff_ns: u64,
    /// On the open model's idle list.
    pub(super) listed: bool,
    /// The graceful goodbye has been started (drain phase).
    pub(super) closing: bool,
    /// The current socket's session has accepted work (HTTP: connected;
    /// SMPP: bound and not throttled at least once).
    pub(super) ready: bool,
    /// When the current socket's session became ready, and its
    /// `answered()` count then: a connection proved itself once it got an
    /// answer since, or stayed up for `HEALTHY_NS`.
    pub(super) usable_at: u64,
    pub(super) answers_at: u64,
    /// The last read pass stopped before the socket would block: input may
    /// be waiting that no edge-triggered event will announce.
    pub(super) unread: bool,
    /// The key is on the worker's re-read list.
    pub(super) on_reread: bool,
    /// The poller reported the peer's FIN on this socket; every later pass
    /// must read to the end to see it.
    pub(super) peer_closed: bool,
    /// The deadline of the slot's live entry in the worker's timer heap
    /// (`u64::MAX`: none). Entries that do not match it are stale.
    pub(super) timer_at: u64,
}

impl<S: Session> Worker<S> {
    pub(super) fn add_slot(&mut self, now: u64) {
        let slot = Slot {
            session: (self.new_session)(),
            stream: None,
            state: State::Stopped,
            backoff_ns: 0,
            listed: false,
            closing: false,
            ready: false,
            usable_at: 0,
            answers_at: 0,
            unread: false,
            on_reread: false,
            peer_closed: false,
            timer_at: u64::MAX,
        };
        let key = self.slots.insert(slot);
        self.connect(key, now);
    }

    pub(super) fn connect(&mut self, key: usize, now: u64) {
        // Closed model: requests are scheduled as soon as the slot has room,
        // so a connect failure fails them (HTTP) rather than hiding it.
        if self.open.is_none() {
            self.top_up_closed(key, now);
        }
        let result = self
            .registry
            .connect(self.addr, self.tls.as_ref(), Token(key));
        match result {
            Ok(stream) => {
                self.slots[key].stream = Some(stream);
                let deadline = now + self.connect_timeout_ns;
                self.set_state(key, State::Connecting { deadline });
            }
            Err(e) => self.connect_failed(key, ErrorKind::from_connect_error(&e), now),
        }
    }

    pub(super) fn on_connect_ready(&mut self, key: usize) {
        let now = self.clock.now();
        let slot = &mut self.slots[key];
        let Some(stream) = slot.stream.as_mut() else {
            return;
        };
        match stream.poll_connect(now) {
            Ok(Connect::Pending) => return,
            Ok(Connect::Ready(handshake)) => {
                if let Some(h) = handshake {
                    let took = self.clock.now().saturating_sub(h.started);
                    self.rec.tls_handshake(took, h.resumed);
                }
            }
            Err(failure) => {
                if let Some(tls) = &failure.tls {
                    self.rec.tls_error(tls);
                }
                return self.connect_failed(key, failure.kind, now);
            }
        }
        let now = self.clock.now();
        let slot = &mut self.slots[key];
        slot.session.on_connected(now);
        if self.open.is_none() {
            // Closed model: the requests queued while connecting start
            // now. Connection setup (and the TLS handshake, which has its
            // own histogram) is not request latency; the open model keeps
            // its schedule's times, so its waits stay in the latency.
            slot.session.restart_waiting(now);
        }
        self.set_state(key, State::Open);
        self.rec.connected();
        self.offer(key, now);
        self.flush(key);
        // TLS: the Finished left queued for the first request goes now if
        // nothing was written (an idle connection must not stall the
        // server's handshake).
        let slot = &mut self.slots[key];
        let pending = match slot.stream.as_mut() {
            Some(stream) if slot.state == State::Open => stream.on_ready(false),
            _ => Ok(()),
        };
        if let Err(e) = pending {
            self.lost(key, ErrorKind::from_io_error(&e));
        }
    }

    pub(super) fn connect_failed(&mut self, key: usize, kind: ErrorKind, now: u64) {
        self.rec.connect_failed(kind);
        self.close_stream(key);
        let slot = &mut self.slots[key];
        let failed = slot.session.fail_queued(kind, usize::MAX, &mut self.rec);
        // Open model: requests waiting for a connection were waiting for
        // this one; the failure is theirs. One per attempt, so a dead target
        // shows up as errors at the reconnect rate, not as silence.
        if let Some(open) = &mut self.open {
            if failed == 0 && open.assigned < open.scheduled {
                open.assigned += 1;
                self.rec.failed(kind, 1);
            }
        }
        self.back_off(key, now);
    }

    /// The peer refused the session (e.g. an SMPP bind): drop the socket and
    /// retry after the same doubling backoff as a failed connect.
    pub(super) fn rejected(&mut self, key: usize, now: u64) {
        self.close_stream(key);
        // `listed` stays: the key may still be on the idle list, which
        // skips slots that are not open when it pops them.
        self.back_off(key, now);
    }

    /// Waits a doubling delay (10 ms .. 1 s) before the slot reconnects, or
    /// stops it if the run is draining.
    pub(super) fn back_off(&mut self, key: usize, now: u64) {
        let slot = &mut self.slots[key];
        slot.backoff_ns = (slot.backoff_ns * 2).clamp(BACKOFF_MIN_NS, BACKOFF_MAX_NS);
        let next = if self.phase == Phase::Running {
            State::Backoff {
                retry_at: now + slot.backoff_ns,
            }
        } else {
            State::Stopped
        };
        self.set_state(key, next);
    }

    /// Changes a slot's state, keeping the connecting and open counts.
    pub(super) fn set_state(&mut self, key: usize, next: State) {
        let slot = &mut self.slots[key];
        match slot.state {
            State::Connecting { .. } => self.connecting -= 1,
            State::Open => {
                self.open_count -= 1;
                self.unready -= usize::from(!slot.ready);
            }
            State::Backoff { .. } => self.backing_off -= 1,
            State::Stopped => {}
        }
        match next {
            State::Connecting { .. } => {
                self.connecting += 1;
                slot.ready = false;
            }
            State::Open => {
                self.open_count += 1;
                self.unready += usize::from(!slot.ready);
            }
            State::Backoff { .. } => self.backing_off += 1,
            State::Stopped => {}
        }
        slot.state = next;
        self.rearm(key, 0);
    }

    /// The socket failed with `kind`: the requests in flight on it are lost,
    /// and the slot reconnects.
    pub(super) fn lost(&mut self, key: usize, kind: ErrorKind) {
        let now = self.clock.now();
        let slot = &mut self.slots[key];
        // Usable: ready for work, even if the pass that made it so (a
        // bind_resp) also read what broke it.
        let usable = slot.ready || slot.session.ready();
        let failed = slot.session.fail_in_flight(kind, &mut self.rec);
        if failed == 0 && usable {
            // Nothing was in flight to fail with it: still counted, so a
            // peer that breaks usable connections is not hidden.
            self.rec.connection_lost(kind);
        }
        self.reconnect(key, now);
    }

    /// Drops the slot's socket (saying goodbye if TLS), counting the TLS
    /// failure that broke it, if one did.
    pub(super) fn close_stream(&mut self, key: usize) {
        let slot = &mut self.slots[key];
        // A new socket raises its own events.
        slot.unread = false;
        slot.peer_closed = false;
        if let Some(stream) = slot.stream.take() {
            if let Some(failure) = stream.close(&self.registry) {
                self.rec.tls_error(&failure);
            }
        }
    }

    /// Drops the slot's socket and, while running, opens a new one. During
    /// the drain, requests the old socket never delivered are not sent.
    pub(super) fn reconnect(&mut self, key: usize, now: u64) {
        self.close_stream(key);
        let slot = &mut self.slots[key];
        // `listed` stays: the key may still be on the idle list, which
        // skips slots that are not open when it pops them.
        if self.phase == Phase::Running {
            let proved = slot.session.answered() > slot.answers_at
                || now.saturating_sub(slot.usable_at) >= HEALTHY_NS;
            if slot.ready && proved {
                slot.backoff_ns = 0;
                self.connect(key, now);
            } else {
                // The socket died before its session ever worked (e.g. the
                // SMSC closes instead of answering the bind), or right
                // after it became usable without doing any work (a
                // malformed PDU after the bind, a client certificate
                // rejected after the handshake): back off rather than
                // reconnect in a tight loop.
                self.back_off(key, now);
            }
        } else {
            let n = slot.session.take_unwritten();
            self.rec.not_sent(n);
            self.set_state(key, State::Stopped);
        }
    }
}
