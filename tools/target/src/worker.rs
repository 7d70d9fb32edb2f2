//! One server thread: a `mio::Poll` with its listener, its connections and
//! its timers. Kept thin: it moves bytes between sockets and [`Conn`]s and
//! arms the timers the connections ask for.
//!
//! Fairness: a connection whose read pass ended on its budget goes on the
//! `again` list and is read once more after the thread's other events and
//! timers, with a zero poll timeout meanwhile; an edge-triggered poll would
//! not report the data it left in the kernel.

use std::io::ErrorKind;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use mio::event::Event;
use mio::net::TcpListener;
use mio::{Events, Poll, Token};
use slab::Slab;

use crate::conn::{Conn, Settings};
use crate::counters::ThreadCounters;
use crate::stall::StallGate;
use hornet_serverkit::tls::ServerConfig;
use hornet_serverkit::{accept_into, HandshakeStep, Stream, Timers};

/// Token of the thread's listening socket; connection tokens are slab keys.
pub(crate) const LISTENER: Token = Token(usize::MAX - 1);
/// Token of the thread's `mio::Waker`, used only for shutdown.
pub(crate) const WAKER: Token = Token(usize::MAX);

/// State shared by all threads of one server.
#[derive(Debug)]
pub(crate) struct Shared {
    /// What to answer.
    pub(crate) settings: Settings,
    /// One block per thread, indexed by thread number.
    pub(crate) counters: Box<[ThreadCounters]>,
    /// The configured one-off pause, if any.
    pub(crate) stall: Option<StallGate>,
    /// TLS for every accepted connection, if configured.
    pub(crate) tls: Option<Arc<ServerConfig>>,
    /// Set by the handle before waking the threads to stop them.
    pub(crate) stop: AtomicBool,
}

/// A connection's socket and protocol state.
struct Entry {
    stream: Stream,
    conn: Conn,
    /// Already in the worker's list of connections to read again.
    again: bool,
}

/// One server thread's state; [`Worker::run`] is the thread body.
pub(crate) struct Worker {
    poll: Poll,
    listener: TcpListener,
    conns: Slab<Entry>,
    timers: Timers,
    /// Connections whose read pass ended on its budget, read again next
    /// turn.
    again: Vec<usize>,
    /// The `again` list being worked through (kept to reuse its memory).
    again_now: Vec<usize>,
    shared: Arc<Shared>,
    /// This thread's index into `shared.counters`.
    index: usize,
    next_generation: u64,
}

impl Worker {
    /// A worker over a `poll` in which `listener` is registered as [`LISTENER`].
    pub(crate) fn new(
        poll: Poll,
        listener: TcpListener,
        shared: Arc<Shared>,
        index: usize,
    ) -> Worker {
        Worker {
            poll,
            listener,
            conns: Slab::new(),
            timers: Timers::default(),
            again: Vec::new(),
            again_now: Vec::new(),
            shared,
            index,
            next_generation: 0,
        }
    }

    /// Serves until `shared.stop` is set and the waker fires.
    pub(crate) fn run(mut self) {
        let mut events = Events::with_capacity(1024);
        loop {
            let timeout = if self.again.is_empty() {
                self.timers
                    .next_deadline()
                    .map(|deadline| deadline.saturating_duration_since(Instant::now()))
            } else {
                // Input is waiting in the kernel: only collect new events.
                Some(std::time::Duration::ZERO)
            };
            if let Err(e) = self.poll.poll(&mut events, timeout) {
                if e.kind() == ErrorKind::Interrupted {
                    continue;
                }
                // A failing epoll cannot recover; spinning on it would burn a core.
                eprintln!(
                    "hornet-target: poll failed, thread {} stops: {e}",
                    self.index
                );
                return;
            }
            if self.shared.stop.load(Ordering::Acquire) {
                return;
            }
            for event in events.iter() {
                match event.token() {
                    WAKER => {}
                    LISTENER => self.accept(),
                    Token(key) => self.on_event(key, event),
                }
            }
            self.fire_timers();
            self.read_again();
        }
    }

    /// Reads once more from the connections whose last pass ended on its
    /// budget. Those that use up this budget too go on the next list.
    fn read_again(&mut self) {
        std::mem::swap(&mut self.again, &mut self.again_now);
        let mut keys = std::mem::take(&mut self.again_now);
        let now = Instant::now();
        for &key in &keys {
            if let Some(entry) = self.conns.get_mut(key) {
                entry.again = false;
                // The connection may have closed and its slot been reused:
                // a read pass on a fresh one costs one `WouldBlock`.
                self.drive(key, true, false, now);
            }
        }
        keys.clear();
        self.again_now = keys;
    }

    /// Accepts every waiting connection into the slab.
    fn accept(&mut self) {
        let next_generation = &mut self.next_generation;
        let tls = self.shared.tls.as_ref();
        let added = accept_into(
            &self.listener,
            self.poll.registry(),
            &mut self.conns,
            LISTENER.0,
            |_key, sock| {
                *next_generation += 1;
                Some(Entry {
                    stream: Stream::new(sock, tls).ok()?,
                    conn: Conn::new(*next_generation),
                    again: false,
                })
            },
        );
        for _ in 0..added {
            self.shared.counters[self.index].add_connection();
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
        self.drive(key, readable, !read_closed, Instant::now());
    }

    fn fire_timers(&mut self) {
        let now = Instant::now();
        while let Some((key, generation)) = self.timers.pop_due(now) {
            let Some(entry) = self.conns.get_mut(key) else {
                continue;
            };
            if entry.conn.generation() != generation {
                continue;
            }
            entry.conn.on_timer(now, &self.shared.settings);
            self.drive(key, false, false, now);
        }
    }

    /// Reads (if `read`), writes, and settles the connection's close and
    /// timer state.
    fn drive(&mut self, key: usize, mut read: bool, mut short_read_drains: bool, now: Instant) {
        let shared = &*self.shared;
        let counters = &shared.counters[self.index];
        let Some(entry) = self.conns.get_mut(key) else {
            return;
        };
        match entry.stream.advance_handshake() {
            HandshakeStep::NotHandshaking => {}
            HandshakeStep::Pending => return,
            // Requests may have come with the handshake: read them now.
            HandshakeStep::Completed => {
                read = true;
                short_read_drains = false;
            }
            // Refused or broken handshake: close, counting no request.
            HandshakeStep::Failed => {
                self.conns.remove(key);
                return;
            }
        }
        // Over TLS a short read does not prove the socket drained.
        short_read_drains &= entry.stream.short_read_drains();
        // Reading resumes at most once per call after back-pressure, so that
        // a client reading as fast as it floods cannot hold the thread.
        let mut resumed = false;
        loop {
            if read {
                let n = entry.conn.read_from(
                    &mut entry.stream,
                    now,
                    &shared.settings,
                    short_read_drains,
                );
                if n > 0 {
                    counters.add_requests(n);
                    if let Some(stall) = &shared.stall {
                        stall.observe(n);
                    }
                }
            }
            counters.note_out(entry.conn.out_pending());
            let written = entry.conn.write_to(&mut entry.stream);
            if written > 0 {
                counters.add_responses(written);
            }
            // Back-pressure lifted: the socket may hold unread requests that
            // no new edge will announce, so read again (now, or next turn).
            if entry.conn.resume_reading() {
                if !resumed {
                    resumed = true;
                    read = true;
                    short_read_drains = false;
                    continue;
                }
                mark_again(&mut self.again, key, entry);
            }
            break;
        }
        if entry.conn.take_read_more() {
            mark_again(&mut self.again, key, entry);
        }
        // TLS records the socket had no room for when the response was
        // handed over go out on this (writable) event.
        if entry.stream.flush_pending().is_err() {
            self.conns.remove(key);
            return;
        }
        if entry.conn.half_close_due(now) {
            // FIN after the last response (over TLS, after close_notify and
            // the last record); the peer's FIN (or the linger timer) then
            // ends the connection without a data-losing RST.
            let _ = entry.stream.shutdown_write();
        }
        if entry.conn.is_dead() {
            // Dropping the stream closes it, which also removes it from epoll.
            self.conns.remove(key);
            return;
        }
        if let Some(deadline) = entry.conn.timer_to_arm() {
            self.timers.push(deadline, key, entry.conn.generation());
        }
    }
}

fn mark_again(again: &mut Vec<usize>, key: usize, entry: &mut Entry) {
    if !entry.again {
        entry.again = true;
        again.push(key);
    }
}
