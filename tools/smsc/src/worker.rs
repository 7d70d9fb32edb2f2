//! One server thread: a `mio::Poll` with its listener, its sessions, its
//! timers and its queue of delayed responses and receipts. Kept thin: it
//! moves bytes between sockets and [`Session`]s, fires timers and routes
//! receipts to a bind that can take them.
//!
//! Fairness: a session reads at most [`READ_BUDGET`] bytes per turn of the
//! loop. One whose pass ended on the budget goes on the `again` list and is
//! read once more after the thread's other events, timers and writes, with
//! a zero poll timeout meanwhile; an edge-triggered poll would not report
//! the data it left in the kernel.

use std::io::ErrorKind;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use mio::event::Event;
use mio::net::TcpListener;
use mio::{Events, Poll, Token};
use slab::Slab;

use crate::counters::Counter;
use crate::session::{JobKind, ReceiptJob, Session, OUT_HIGH_WATER, READ_BUDGET};
use crate::settings::Rt;
use hornet_serverkit::tls::ServerConfig;
use hornet_serverkit::{accept_into, HandshakeStep, Stream, Timers};

/// Token of the thread's listening socket; connection tokens are slab keys.
pub(crate) const LISTENER: Token = Token(usize::MAX - 1);
/// Token of the thread's `mio::Waker`, used only for shutdown.
pub(crate) const WAKER: Token = Token(usize::MAX);

/// A connection's socket and protocol state.
struct Entry {
    stream: Stream,
    session: Session,
    /// Already in the worker's list of sessions to flush.
    dirty: bool,
    /// Already in the worker's list of sessions to read again.
    again: bool,
}

/// The receiver-capable binds of one system_id, for receipts submitted on
/// a transmitter bind.
#[derive(Debug)]
struct Receivers {
    system_id: Vec<u8>,
    keys: Vec<usize>,
    /// Round-robin position.
    next: usize,
}

/// One server thread's state; [`Worker::run`] is the thread body.
pub(crate) struct Worker<'a> {
    poll: Poll,
    listener: TcpListener,
    conns: Slab<Entry>,
    timers: Timers,
    rt: Rt<'a>,
    receivers: Vec<Receivers>,
    /// Sessions given output by timers, flushed once per loop.
    dirty: Vec<usize>,
    /// Sessions whose read pass ended on its budget, read again next turn.
    again: Vec<usize>,
    /// The `again` list being worked through (kept to reuse its memory).
    again_now: Vec<usize>,
    /// TLS for every accepted connection, if configured.
    tls: Option<Arc<ServerConfig>>,
    stop: &'a AtomicBool,
    /// This thread's index, for messages.
    index: usize,
    next_generation: u64,
}

impl<'a> Worker<'a> {
    /// A worker over a `poll` in which `listener` is registered as [`LISTENER`].
    pub(crate) fn new(
        poll: Poll,
        listener: TcpListener,
        rt: Rt<'a>,
        tls: Option<Arc<ServerConfig>>,
        stop: &'a AtomicBool,
        index: usize,
    ) -> Worker<'a> {
        Worker {
            poll,
            listener,
            conns: Slab::new(),
            timers: Timers::default(),
            rt,
            receivers: Vec::new(),
            dirty: Vec::new(),
            again: Vec::new(),
            again_now: Vec::new(),
            tls,
            stop,
            index,
            next_generation: 0,
        }
    }

    /// Serves until `stop` is set and the waker fires.
    pub(crate) fn run(mut self) {
        let mut events = Events::with_capacity(1024);
        loop {
            let next = match (self.timers.next_deadline(), self.rt.jobs.next_deadline()) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            let timeout = if self.again.is_empty() {
                next.map(|deadline| deadline.saturating_duration_since(self.rt.now))
            } else {
                // Input is waiting in the kernel: only collect new events.
                Some(std::time::Duration::ZERO)
            };
            if let Err(e) = self.poll.poll(&mut events, timeout) {
                if e.kind() == ErrorKind::Interrupted {
                    continue;
                }
                // A failing epoll cannot recover; spinning on it would burn a core.
                eprintln!("hornet-smsc: poll failed, thread {} stops: {e}", self.index);
                return;
            }
            if self.stop.load(Ordering::Acquire) {
                return;
            }
            self.rt.tick();
            for event in events.iter() {
                match event.token() {
                    WAKER => {}
                    LISTENER => self.accept(),
                    Token(key) => self.on_event(key, event),
                }
            }
            self.rt.tick();
            self.fire_timers();
            self.fire_jobs();
            while let Some(key) = self.dirty.pop() {
                if let Some(entry) = self.conns.get_mut(key) {
                    entry.dirty = false;
                    self.drive(key, false, false);
                }
            }
            self.read_again();
        }
    }

    /// Reads once more from the sessions whose last pass ended on its
    /// budget. Sessions that use up this budget too go on the next list.
    fn read_again(&mut self) {
        std::mem::swap(&mut self.again, &mut self.again_now);
        let mut keys = std::mem::take(&mut self.again_now);
        for &key in &keys {
            if let Some(entry) = self.conns.get_mut(key) {
                entry.again = false;
                // The session may have closed and its slot been reused: a
                // read pass on a fresh session finds nothing and costs one
                // `WouldBlock`.
                self.drive(key, true, false);
            }
        }
        keys.clear();
        self.again_now = keys;
    }

    /// Accepts every waiting connection into the slab.
    fn accept(&mut self) {
        let next_generation = &mut self.next_generation;
        let tls = self.tls.as_ref();
        let added = accept_into(
            &self.listener,
            self.poll.registry(),
            &mut self.conns,
            LISTENER.0,
            |key, sock| {
                *next_generation += 1;
                Some(Entry {
                    stream: Stream::new(sock, tls).ok()?,
                    session: Session::new(key, *next_generation),
                    dirty: false,
                    again: false,
                })
            },
        );
        for _ in 0..added {
            self.rt.counters.inc(Counter::Connections);
        }
    }

    fn on_event(&mut self, key: usize, event: &Event) {
        // Stale tokens (a connection closed earlier in this batch) are ignored.
        let Some(entry) = self.conns.get_mut(key) else {
            return;
        };
        let read_closed = event.is_read_closed() || event.is_error();
        let readable = event.is_readable() || read_closed;
        if readable {
            entry.stream.readable();
        }
        self.drive(key, readable, !read_closed);
    }

    fn fire_timers(&mut self) {
        while let Some((key, generation)) = self.timers.pop_due(self.rt.now) {
            let Some(entry) = self.conns.get_mut(key) else {
                continue;
            };
            if entry.session.generation() != generation {
                continue;
            }
            entry.session.on_timer(&mut self.rt);
            self.drive(key, false, false);
        }
    }

    /// Writes due delayed responses and routes due receipts.
    fn fire_jobs(&mut self) {
        while let Some(job) = self.rt.jobs.pop_due(self.rt.now) {
            let mut origin = self
                .conns
                .get_mut(job.key)
                .filter(|e| e.session.generation() == job.generation);
            match job.kind {
                JobKind::Resp(r) => match origin {
                    Some(entry) => {
                        entry.session.emit_resp(r, &mut self.rt);
                        mark_dirty(&mut self.dirty, job.key, entry);
                    }
                    None => {
                        // The connection is gone; its receipt still goes out
                        // to a sibling bind, if there is one.
                        if let Some(receipt) = r.receipt {
                            let at = self.rt.now + self.rt.settings.receipt_delay;
                            self.rt.jobs.push(
                                at,
                                crate::session::Job {
                                    kind: JobKind::Receipt(receipt),
                                    ..job
                                },
                            );
                        }
                    }
                },
                JobKind::Receipt(receipt) => {
                    if let Some(entry) = origin.as_deref_mut() {
                        // A submitter paused on its queued receipts may
                        // resume: the drive after the jobs checks.
                        if entry.session.receipt_fired() {
                            mark_dirty(&mut self.dirty, job.key, entry);
                        }
                    }
                    let target = match origin {
                        Some(entry) if entry.session.can_receive() => Some(job.key),
                        Some(entry) => {
                            entry.session.note_receipt_state(receipt.state);
                            None
                        }
                        None => None,
                    };
                    self.deliver_receipt(target, &receipt);
                }
            }
        }
    }

    /// Sends a receipt on `target`, or failing that on another receiver
    /// bind of its system_id; counts it undeliverable if there is none.
    fn deliver_receipt(&mut self, target: Option<usize>, receipt: &ReceiptJob) {
        let key = target.or_else(|| {
            let group = self
                .receivers
                .iter_mut()
                .find(|g| g.system_id == receipt.system_id.as_bytes())?;
            let n = group.keys.len();
            // Round robin over the binds that can take it, preferring one
            // whose client keeps up (a bind over its high-water mark would
            // only hold the receipt).
            let pick = |keep_up: bool| {
                (0..n).find(|&i| {
                    let key = group.keys[(group.next + i) % n];
                    self.conns.get(key).is_some_and(|e| {
                        e.session.can_receive()
                            && (!keep_up || e.session.out_pending() <= OUT_HIGH_WATER)
                    })
                })
            };
            let i = pick(true).or_else(|| pick(false))?;
            let key = group.keys[(group.next + i) % n];
            group.next = (group.next + i + 1) % n;
            Some(key)
        });
        match key.and_then(|k| self.conns.get_mut(k).map(|e| (k, e))) {
            Some((key, entry)) => {
                entry.session.emit_receipt(receipt, &mut self.rt);
                mark_dirty(&mut self.dirty, key, entry);
            }
            None => self.rt.counters.inc(Counter::ReceiptsUndeliverable),
        }
    }

    /// Reads (if `read`), writes, and settles the session's close and timer
    /// state.
    fn drive(&mut self, key: usize, mut read: bool, mut short_read_drains: bool) {
        let Some(entry) = self.conns.get_mut(key) else {
            return;
        };
        match entry.stream.advance_handshake() {
            HandshakeStep::NotHandshaking => {}
            HandshakeStep::Pending => return,
            // PDUs may have come with the handshake: read them now.
            HandshakeStep::Completed => {
                read = true;
                short_read_drains = false;
            }
            // Refused or broken handshake: close. Nothing was bound and no
            // PDU was handled, so there is nothing to undo.
            HandshakeStep::Failed => {
                self.remove(key);
                return;
            }
        }
        // Over TLS a short read does not prove the socket drained.
        short_read_drains &= entry.stream.short_read_drains();
        // Shared by every read pass of this call: resuming after
        // back-pressure does not restart it.
        let mut budget = READ_BUDGET;
        loop {
            if read {
                entry.session.read_from(
                    &mut entry.stream,
                    &mut self.rt,
                    short_read_drains,
                    &mut budget,
                );
            }
            entry.session.release_held(&mut self.rt);
            self.rt.counters.note_out(entry.session.out_pending());
            entry.session.write_to(&mut entry.stream);
            // Back-pressure lifted: the socket may hold unread requests that
            // no new edge will announce, so read again (now, or next turn
            // once this turn's budget is spent).
            if entry.session.resume_reading() {
                read = budget > 0;
                short_read_drains = false;
                if read {
                    continue;
                }
                mark_again(&mut self.again, key, entry);
            }
            // Held receipts the socket took room for: send more of them.
            if entry.session.out_pending() == 0 && entry.session.release_held(&mut self.rt) {
                read = false;
                continue;
            }
            break;
        }
        if entry.session.take_read_more() {
            mark_again(&mut self.again, key, entry);
        }
        if entry.session.take_newly_bound() {
            let system_id = entry.session.system_id();
            match self.receivers.iter_mut().find(|g| g.system_id == system_id) {
                Some(group) => group.keys.push(key),
                None => self.receivers.push(Receivers {
                    system_id: system_id.to_vec(),
                    keys: vec![key],
                    next: 0,
                }),
            }
        }
        // TLS records the socket had no room for when the PDUs were handed
        // over go out on this (writable) event.
        if entry.stream.flush_pending().is_err() {
            self.remove(key);
            return;
        }
        if entry.session.half_close_due(self.rt.now) {
            // FIN after the last response (over TLS, after close_notify and
            // the last record); the peer's FIN (or the linger timer) then
            // ends the connection without a data-losing RST.
            let _ = entry.stream.shutdown_write();
        }
        if entry.session.is_dead() {
            self.remove(key);
            return;
        }
        if let Some(deadline) = entry.session.timer_to_arm() {
            self.timers.push(deadline, key, entry.session.generation());
        }
    }

    /// Drops a connection (closing its socket, which also removes it from
    /// epoll) and forgets it as a receipt receiver.
    fn remove(&mut self, key: usize) {
        let mut entry = self.conns.remove(key);
        if entry.session.is_receiver() {
            let system_id = entry.session.system_id();
            if let Some(i) = self.receivers.iter().position(|g| g.system_id == system_id) {
                let group = &mut self.receivers[i];
                group.keys.retain(|&k| k != key);
                if group.keys.is_empty() {
                    self.receivers.swap_remove(i);
                }
            }
        }
        // Receipts held for a client that stopped reading go to another
        // bind of its system_id, if there is one (else they are counted
        // undeliverable).
        for receipt in entry.session.take_held() {
            self.deliver_receipt(None, &receipt);
        }
    }
}

fn mark_again(again: &mut Vec<usize>, key: usize, entry: &mut Entry) {
    if !entry.again {
        entry.again = true;
        again.push(key);
    }
}

fn mark_dirty(dirty: &mut Vec<usize>, key: usize, entry: &mut Entry) {
    if !entry.dirty {
        entry.dirty = true;
        dirty.push(key);
    }
}
