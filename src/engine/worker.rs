//! One worker: a thread pinned to a core, owning a `mio::Poll`, its
//! connection slots, its timers, its share of the load and its recorder.
//!
//! The loop is thin: wait for readiness or the next deadline, let each
//! session read and write until the socket would block, then let the load
//! model hand out work.
//!
//! No peer can hold the loop: a read pass takes at most
//! [`READ_BUDGET`](crate::proto::READ_BUDGET) bytes, and a session whose
//! output is backed up stops reading ([`Session::read_paused`]). Sockets
//! are edge-triggered, so a connection whose pass stopped early goes on
//! the re-read list and is read again on the next loop turn (which polls
//! without waiting while the list is not empty), after the clock, the
//! timeouts, the stop flag and the writes have had their turn.
//!
//! Time-driven work (request timeouts, connect deadlines, backoffs,
//! keep-alives, throttle pauses) runs off one timer per slot in a heap at
//! the deadline the slot's state or session asks for
//! ([`Session::poll_timeout`]), so a wake-up costs the timers due, not a
//! scan of every connection.
//!
//! The loop is generic over the protocol's [`Session`]: sockets,
//! reconnects, timers and the load model live here once, whatever the
//! protocol. The only cross-thread traffic is one snapshot per interval to
//! the collector.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use crossbeam_channel::Sender;
use mio::{Events, Interest, Poll, Token};
use slab::Slab;

use super::clock::{thread_cpu_time, Clock};
use super::timer::Timer;
use crate::load::{LoadModel, OpenSchedule};
use crate::metrics::{ErrorKind, Metrics, Recorder, Snapshot};
use crate::plan::LoadPlan;
use crate::proto::{ReadOutcome, Session, TimerOutcome};
use crate::tls::{Connect, TlsClient, Transport};

const TIMER: Token = Token(usize::MAX - 1);
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

/// What a worker is told at spawn.
pub struct WorkerSpec<S> {
    /// Index among the workers.
    pub index: usize,
    /// Number of workers.
    pub workers: usize,
    /// The protocol-independent plan, shared read-only.
    pub load: Arc<LoadPlan>,
    /// Makes a fresh session for a new connection slot.
    pub new_session: Arc<dyn Fn() -> S + Send + Sync>,
    /// The shared run clock.
    pub clock: Clock,
    /// Where interval snapshots go.
    pub snapshots: Sender<Snapshot>,
    /// Core to pin to, if pinning is possible.
    pub core: Option<core_affinity::CoreId>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Connecting { deadline: u64 },
    Open,
    Backoff { retry_at: u64 },
    Stopped,
}

struct Slot<S> {
    session: S,
    stream: Option<Transport>,
    state: State,
    backoff_ns: u64,
    /// On the open model's idle list.
    listed: bool,
    /// The graceful goodbye has been started (drain phase).
    closing: bool,
    /// The current socket's session has accepted work (HTTP: connected;
    /// SMPP: bound and not throttled at least once).
    ready: bool,
    /// When the current socket's session became ready, and its
    /// `answered()` count then: a connection proved itself once it got an
    /// answer since, or stayed up for `HEALTHY_NS`.
    usable_at: u64,
    answers_at: u64,
    /// The last read pass stopped before the socket would block: input may
    /// be waiting that no edge-triggered event will announce.
    unread: bool,
    /// The key is on the worker's re-read list.
    on_reread: bool,
    /// The poller reported the peer's FIN on this socket; every later pass
    /// must read to the end to see it.
    peer_closed: bool,
    /// The deadline of the slot's live entry in the worker's timer heap
    /// (`u64::MAX`: none). Entries that do not match it are stale.
    timer_at: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Running,
    Draining,
}

/// Open-model bookkeeping: requests `assigned..scheduled` are due and wait
/// for a connection; their intended times come from the schedule, so
/// nothing is stored per waiting request.
struct OpenState {
    schedule: OpenSchedule,
    scheduled: u64,
    assigned: u64,
    idle: Vec<usize>,
}

struct Worker<S> {
    index: usize,
    addr: SocketAddr,
    /// This worker's TLS client (its own session cache), for TLS runs.
    tls: Option<TlsClient>,
    new_session: Arc<dyn Fn() -> S + Send + Sync>,
    clock: Clock,
    snapshots: Sender<Snapshot>,
    poll: Poll,
    timer: Timer,
    slots: Slab<Slot<S>>,
    rec: Recorder,
    phase: Phase,
    end_ns: u64,
    timeout_ns: u64,
    connect_timeout_ns: u64,
    /// One timer per slot: (deadline, slot key), earliest first. A slot
    /// whose deadline moves earlier pushes a new entry and the old one goes
    /// stale; one whose deadline moves later keeps the early entry, which
    /// fires, finds nothing due and re-arms. No loop scans the slots.
    timers: BinaryHeap<Reverse<(u64, usize)>>,
    /// Slot keys whose timers are being handled (reused buffer).
    due: Vec<usize>,
    interval_ns: u64,
    next_tick: u64,
    tick_index: u64,
    max_slots: usize,
    /// Slots in `State::Connecting` and `State::Open`, kept by `set_state`
    /// so the hot path never scans the slab.
    connecting: usize,
    open_count: usize,
    /// Slots waiting out a backoff: while any is, the target is failing and
    /// the open-model pool does not grow.
    backing_off: usize,
    /// Open slots whose session has not yet accepted work (an SMPP bind
    /// waiting for bind_resp): the pool does not grow past them.
    unready: usize,
    open: Option<OpenState>,
    /// Slots to read again on the next loop turn (see the module docs);
    /// `spare` is the other buffer, swapped in while the list is worked.
    reread: Vec<usize>,
    spare: Vec<usize>,
    /// Once a signal arrived: when the drain is cut short and requests
    /// still in flight count as abandoned (see [`crate::interrupt::GRACE_NS`]).
    cut_at: Option<u64>,
}

/// Runs a worker to completion: its share of the load, then the drain, then
/// the final snapshot.
pub fn run<S: Session>(spec: WorkerSpec<S>) -> io::Result<()> {
    if let Some(core) = spec.core {
        core_affinity::set_for_current(core);
    }
    let mut worker = Worker::new(spec)?;
    worker.run()
}

impl<S: Session> Worker<S> {
    fn new(spec: WorkerSpec<S>) -> io::Result<Worker<S>> {
        let load = &spec.load;
        let poll = Poll::new()?;
        let timer = Timer::new(poll.registry(), TIMER)?;
        let (connections, max_slots) = load.share(spec.index);
        let timeout_ns = load.timeout.as_nanos() as u64;
        let connect_timeout_ns = load.connect_timeout.as_nanos() as u64;
        let end_ns = load.duration.as_nanos() as u64;
        let open = match &load.model {
            LoadModel::Open { shape } => Some(OpenState {
                schedule: OpenSchedule::new(spec.index, spec.workers, Arc::clone(shape)),
                scheduled: 0,
                assigned: 0,
                idle: Vec::with_capacity(max_slots),
            }),
            LoadModel::Closed => None,
        };
        let interval_ns = load.interval.as_nanos() as u64;
        let mut worker = Worker {
            index: spec.index,
            addr: load.addr,
            tls: load.tls.as_ref().map(TlsClient::for_worker),
            new_session: spec.new_session,
            clock: spec.clock,
            snapshots: spec.snapshots,
            poll,
            timer,
            slots: Slab::with_capacity(max_slots),
            rec: Recorder::new(),
            phase: Phase::Running,
            end_ns,
            timeout_ns,
            connect_timeout_ns,
            timers: BinaryHeap::with_capacity(max_slots),
            due: Vec::with_capacity(max_slots),
            interval_ns,
            next_tick: interval_ns,
            tick_index: 0,
            max_slots,
            connecting: 0,
            open_count: 0,
            backing_off: 0,
            unready: 0,
            open,
            reread: Vec::with_capacity(max_slots),
            spare: Vec::with_capacity(max_slots),
            cut_at: None,
        };
        let now = worker.clock.now();
        for _ in 0..connections {
            worker.add_slot(now);
        }
        Ok(worker)
    }

    fn run(&mut self) -> io::Result<()> {
        let mut events = Events::with_capacity(1024);
        loop {
            let now = self.clock.now();
            self.fire_timers(now);
            if self.phase == Phase::Running {
                // Schedule before checking the end: requests intended
                // before the end that fell due while the loop was late
                // still belong to the run (and count as not sent if the
                // drain starts right after).
                self.schedule_open(now);
                // Ctrl-C ends the load early like the end of the duration:
                // in-flight requests settle and every count is reported.
                if now >= self.end_ns || crate::interrupt::requested() {
                    self.begin_drain();
                }
            }
            if self.phase == Phase::Draining {
                if self.cut_at.is_none() && crate::interrupt::requested() {
                    // A signal, before or during the drain: in-flight
                    // requests get a short grace, not their whole timeout,
                    // so the run stops within a second.
                    let grace = crate::interrupt::GRACE_NS.min(self.timeout_ns);
                    self.cut_at = Some(now.saturating_add(grace));
                    // Sessions waiting on a long timer (receipts still due
                    // under --dlr-wait) see the signal now: one pass.
                    for key in 0..self.slots.capacity() {
                        if self.slots.contains(key) {
                            self.on_timer(key, now);
                            self.rearm(key, 0);
                        }
                    }
                }
                if self.drained(now) {
                    break;
                }
                if self.cut_at.is_some_and(|cut| now >= cut) {
                    self.abandon_in_flight();
                    break;
                }
            }
            if now >= self.next_tick {
                self.tick(now);
            }
            let deadline = self.next_deadline();
            self.timer.arm(&self.clock, deadline)?;
            // The timerfd wakes us precisely; the coarse timeout is only a
            // safety net in case a wake-up is ever missed. Connections
            // waiting to be read again must not wait for an event.
            let fallback = deadline.saturating_sub(now) / 1_000_000 + 2;
            let wait = if self.reread.is_empty() {
                fallback.min(1000)
            } else {
                0
            };
            match self
                .poll
                .poll(&mut events, Some(std::time::Duration::from_millis(wait)))
            {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
            for event in events.iter() {
                let token = event.token();
                if token == TIMER {
                    self.timer.fired();
                    continue;
                }
                let closed = event.is_read_closed() || event.is_error();
                self.on_event(token.0, event.is_readable() || closed, closed);
            }
            self.read_again();
        }
        self.finish();
        Ok(())
    }

    fn next_deadline(&self) -> u64 {
        let mut d = self.next_tick;
        if let Some(Reverse((at, _))) = self.timers.peek() {
            d = d.min(*at);
        }
        if let Some(cut) = self.cut_at {
            d = d.min(cut);
        }
        if self.phase == Phase::Running {
            d = d.min(self.end_ns);
            if let Some(open) = &self.open {
                if open.scheduled < open.schedule.total() {
                    d = d.min(open.schedule.intended(open.scheduled));
                }
            }
        }
        d
    }

    fn add_slot(&mut self, now: u64) {
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

    fn connect(&mut self, key: usize, now: u64) {
        // Closed model: requests are scheduled as soon as the slot has room,
        // so a connect failure fails them (HTTP) rather than hiding it.
        if self.open.is_none() {
            self.top_up_closed(key, now);
        }
        let result = Transport::connect(self.addr, self.tls.as_ref()).and_then(|mut stream| {
            self.poll.registry().register(
                &mut stream,
                Token(key),
                Interest::READABLE | Interest::WRITABLE,
            )?;
            Ok(stream)
        });
        match result {
            Ok(stream) => {
                self.slots[key].stream = Some(stream);
                let deadline = now + self.connect_timeout_ns;
                self.set_state(key, State::Connecting { deadline });
            }
            Err(e) => self.connect_failed(key, ErrorKind::from_connect_error(&e), now),
        }
    }

    /// Closed model: the slot is kept as full as the session allows.
    fn top_up_closed(&mut self, key: usize, now: u64) {
        if self.phase != Phase::Running {
            return;
        }
        let session = &mut self.slots[key].session;
        let n = session.room();
        for _ in 0..n {
            session.push(now);
        }
        self.rec.scheduled(n as u64);
    }

    fn connect_failed(&mut self, key: usize, kind: ErrorKind, now: u64) {
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
    fn rejected(&mut self, key: usize, now: u64) {
        self.close_stream(key);
        // `listed` stays: the key may still be on the idle list, which
        // skips slots that are not open when it pops them.
        self.back_off(key, now);
    }

    /// Waits a doubling delay (10 ms .. 1 s) before the slot reconnects, or
    /// stops it if the run is draining.
    fn back_off(&mut self, key: usize, now: u64) {
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
    fn set_state(&mut self, key: usize, next: State) {
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

    /// Arms the slot's timer at its next deadline (not before `floor`) if
    /// that is earlier than the one armed.
    fn rearm(&mut self, key: usize, floor: u64) {
        let Some(slot) = self.slots.get_mut(key) else {
            return;
        };
        let due = match slot.state {
            State::Connecting { deadline } => Some(deadline),
            State::Backoff { retry_at } => Some(retry_at),
            State::Open => slot.session.poll_timeout(self.timeout_ns),
            State::Stopped => None,
        };
        if let Some(at) = due.map(|d| d.max(floor)) {
            if at < slot.timer_at {
                slot.timer_at = at;
                self.timers.push(Reverse((at, key)));
            }
        }
    }

    /// Handles every slot timer due by `now`. A timer a handler arms for a
    /// time already past waits for the next loop turn (at least 1 ms), so
    /// a session that keeps asking for the clock cannot spin the loop.
    fn fire_timers(&mut self, now: u64) {
        let mut due = std::mem::take(&mut self.due);
        while let Some(&Reverse((at, key))) = self.timers.peek() {
            if at > now {
                break;
            }
            self.timers.pop();
            if let Some(slot) = self.slots.get_mut(key) {
                if slot.timer_at == at {
                    slot.timer_at = u64::MAX;
                    due.push(key);
                }
            }
        }
        for &key in &due {
            self.on_timer(key, now);
            self.rearm(key, now + 1_000_000);
        }
        due.clear();
        self.due = due;
    }

    fn on_event(&mut self, key: usize, readable: bool, read_closed: bool) {
        let Some(slot) = self.slots.get_mut(key) else {
            return;
        };
        match slot.state {
            State::Connecting { .. } => self.on_connect_ready(key),
            State::Open => {
                // TLS: records queued while the socket was full go now.
                let pending = slot
                    .stream
                    .as_mut()
                    .map_or(Ok(()), |s| s.on_ready(readable));
                if let Err(e) = pending {
                    return self.lost(key, ErrorKind::from_io_error(&e));
                }
                if readable {
                    slot.peer_closed |= read_closed;
                    let closed = slot.peer_closed;
                    self.on_readable(key, closed);
                }
                self.flush(key);
            }
            State::Backoff { .. } | State::Stopped => {}
        }
    }

    fn on_connect_ready(&mut self, key: usize) {
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

    fn on_readable(&mut self, key: usize, read_closed: bool) {
        let clock = self.clock;
        let slot = &mut self.slots[key];
        let Some(stream) = slot.stream.as_mut() else {
            return;
        };
        slot.unread = false;
        let stop_on_short_read = !read_closed && stream.short_read_ends_pass();
        let outcome = slot.session.read(
            stream,
            stop_on_short_read,
            &mut || clock.now(),
            &mut self.rec,
        );
        let now = clock.now();
        match outcome {
            Ok(ReadOutcome::Open) => self.offer(key, now),
            Ok(ReadOutcome::Closed) => {
                self.slots[key].session.requeue_unanswered(&mut self.rec);
                self.reconnect(key, now);
            }
            Ok(ReadOutcome::Rejected) => self.rejected(key, now),
            Ok(ReadOutcome::Yield) => {
                self.mark_unread(key);
                self.offer(key, now);
            }
            Err(kind) => self.lost(key, kind),
        }
    }

    /// The slot's last pass stopped before the socket would block: read it
    /// again on the next loop turn, unless its output is backed up (then
    /// `flush` puts it back once the output drains).
    fn mark_unread(&mut self, key: usize) {
        let slot = &mut self.slots[key];
        slot.unread = true;
        if !slot.on_reread && !slot.session.read_paused() {
            slot.on_reread = true;
            self.reread.push(key);
        }
    }

    /// Reads again every slot whose last pass stopped early (one bounded
    /// pass each, then back to the loop).
    fn read_again(&mut self) {
        if self.reread.is_empty() {
            return;
        }
        std::mem::swap(&mut self.reread, &mut self.spare);
        let keys = std::mem::take(&mut self.spare);
        for &key in &keys {
            let slot = &mut self.slots[key];
            slot.on_reread = false;
            if slot.state == State::Open && slot.unread && !slot.session.read_paused() {
                let closed = slot.peer_closed;
                self.on_readable(key, closed);
                self.flush(key);
            }
        }
        let mut keys = keys;
        keys.clear();
        self.spare = keys;
    }

    /// The socket failed with `kind`: the requests in flight on it are lost,
    /// and the slot reconnects.
    fn lost(&mut self, key: usize, kind: ErrorKind) {
        let now = self.clock.now();
        self.slots[key].session.fail_in_flight(kind, &mut self.rec);
        self.reconnect(key, now);
    }

    /// Drops the slot's socket (saying goodbye if TLS), counting the TLS
    /// failure that broke it, if one did.
    fn close_stream(&mut self, key: usize) {
        let slot = &mut self.slots[key];
        // A new socket raises its own events.
        slot.unread = false;
        slot.peer_closed = false;
        if let Some(stream) = slot.stream.take() {
            if let Some(failure) = stream.close(self.poll.registry()) {
                self.rec.tls_error(&failure);
            }
        }
    }

    /// The slot may have room for more work (responses freed it, a bind
    /// completed, a pause ended): the closed model fills it at once; the
    /// open model offers it to waiting requests.
    fn offer(&mut self, key: usize, now: u64) {
        let slot = &mut self.slots[key];
        // The session works (connected, bound): the pool may grow past
        // it. Its backoff starts afresh only once it has proved itself
        // (see `HEALTHY_NS`).
        if !slot.ready && slot.state == State::Open && slot.session.ready() {
            slot.ready = true;
            slot.usable_at = now;
            slot.answers_at = slot.session.answered();
            self.unready -= 1;
        }
        if self.phase != Phase::Running {
            return;
        }
        match &mut self.open {
            None => self.top_up_closed(key, now),
            Some(open) => {
                let slot = &mut self.slots[key];
                if !slot.listed && slot.state == State::Open && slot.session.room() > 0 {
                    slot.listed = true;
                    open.idle.push(key);
                }
                self.assign_open(now);
            }
        }
    }

    /// Writes what the slot has queued, then re-arms its timer: writes
    /// start request timeouts, and reads that came before changed what the
    /// session waits for.
    fn flush(&mut self, key: usize) {
        self.write_out(key);
        self.rearm(key, 0);
    }

    fn write_out(&mut self, key: usize) {
        let slot = &mut self.slots[key];
        if slot.state != State::Open || !slot.session.wants_write() {
            return;
        }
        let Some(stream) = slot.stream.as_mut() else {
            return;
        };
        let now = self.clock.now();
        if let Err(kind) = slot.session.flush(stream, now, &mut self.rec) {
            slot.session.fail_in_flight(kind, &mut self.rec);
            return self.reconnect(key, now);
        }
        // Output drained below its low-water mark: reading resumes; the
        // input waiting in the kernel raises no new event, so read it on
        // the next turn.
        if slot.unread && !slot.on_reread && !slot.session.read_paused() {
            slot.on_reread = true;
            self.reread.push(key);
        }
    }

    /// Drops the slot's socket and, while running, opens a new one. During
    /// the drain, requests the old socket never delivered are not sent.
    fn reconnect(&mut self, key: usize, now: u64) {
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

    /// Open model: turns due intended times into scheduled requests and hands
    /// them to free connections.
    fn schedule_open(&mut self, now: u64) {
        let Some(open) = &mut self.open else {
            return;
        };
        let due = open.schedule.due(now);
        if due > open.scheduled {
            for k in open.scheduled..due {
                self.rec
                    .schedule_lag(now.saturating_sub(open.schedule.intended(k)));
            }
            self.rec.scheduled(due - open.scheduled);
            open.scheduled = due;
        }
        self.assign_open(now);
    }

    fn assign_open(&mut self, now: u64) {
        loop {
            let Some(open) = self.open.as_mut() else {
                return;
            };
            if open.assigned >= open.scheduled {
                return;
            }
            let Some(key) = open.idle.pop() else {
                break;
            };
            let slot = &mut self.slots[key];
            slot.listed = false;
            if slot.state != State::Open {
                continue;
            }
            let n = (slot.session.room() as u64).min(open.scheduled - open.assigned);
            for _ in 0..n {
                slot.session.push(open.schedule.intended(open.assigned));
                open.assigned += 1;
            }
            if slot.session.room() > 0 {
                slot.listed = true;
                open.idle.push(key);
            }
            let Some(stream) = slot.stream.as_mut() else {
                continue;
            };
            if let Err(kind) = slot.session.flush(stream, now, &mut self.rec) {
                slot.session.fail_in_flight(kind, &mut self.rec);
                self.reconnect(key, now);
            }
            self.rearm(key, 0);
        }
        // Every connection is busy and requests wait: grow the pool, one
        // connection attempt at a time, up to the cap; not while connects
        // are failing (that is a dead target, not a busy pool).
        if self.connecting == 0
            && self.backing_off == 0
            && self.unready == 0
            && self.slots.len() < self.max_slots
        {
            self.add_slot(now);
        }
    }

    /// The slot's timer fired: a connect that took too long, a backoff
    /// that ended, or whatever its session was waiting for.
    fn on_timer(&mut self, key: usize, now: u64) {
        let Some(slot) = self.slots.get_mut(key) else {
            return;
        };
        match slot.state {
            State::Connecting { deadline } if now >= deadline => {
                // TCP is up but TLS never finished: a TLS failure with its
                // own reason, not a TCP connect timeout.
                let kind = match slot.stream.as_ref().and_then(Transport::handshake_timeout) {
                    Some(failure) => {
                        self.rec.tls_error(&failure);
                        ErrorKind::Tls
                    }
                    None => ErrorKind::ConnectTimeout,
                };
                self.connect_failed(key, kind, now);
            }
            State::Open => {
                match slot
                    .session
                    .handle_timeout(now, self.timeout_ns, &mut self.rec)
                {
                    TimerOutcome::Keep => {
                        self.offer(key, now);
                        self.flush(key);
                    }
                    TimerOutcome::Reconnect => self.reconnect(key, now),
                    TimerOutcome::Backoff => self.rejected(key, now),
                }
            }
            State::Backoff { retry_at } if now >= retry_at => {
                if self.phase == Phase::Running {
                    self.connect(key, now);
                } else {
                    self.set_state(key, State::Stopped);
                }
            }
            _ => {}
        }
    }

    /// The load phase is over: nothing new is scheduled; requests not yet
    /// written are counted as not sent; written ones get until their timeout.
    fn begin_drain(&mut self) {
        self.phase = Phase::Draining;
        if let Some(open) = &mut self.open {
            self.rec.not_sent(open.scheduled - open.assigned);
            open.assigned = open.scheduled;
            open.idle.clear();
        }
        for key in 0..self.slots.capacity() {
            let Some(slot) = self.slots.get_mut(key) else {
                continue;
            };
            let n = slot.session.take_unwritten();
            self.rec.not_sent(n);
            if slot.state != State::Open {
                self.close_stream(key);
                self.set_state(key, State::Stopped);
            }
        }
    }

    /// Drain progress: once a slot's requests are settled it says goodbye
    /// (if its protocol has one); the worker is done when every slot is.
    fn drained(&mut self, now: u64) -> bool {
        let mut done = true;
        for key in 0..self.slots.capacity() {
            let Some(slot) = self.slots.get_mut(key) else {
                continue;
            };
            if slot.state == State::Open && !slot.closing && slot.session.queued() == 0 {
                slot.closing = true;
                slot.session.begin_close(now, &mut self.rec);
                self.flush(key);
            }
            let slot = &self.slots[key];
            if slot.state == State::Open && !slot.session.settled(now) {
                done = false;
            }
        }
        done
    }

    /// The grace after a signal is over: every request still in flight is
    /// counted as abandoned (goodbyes still unanswered are given up too).
    fn abandon_in_flight(&mut self) {
        for key in 0..self.slots.capacity() {
            if let Some(slot) = self.slots.get_mut(key) {
                slot.session.abandon_in_flight(&mut self.rec);
            }
        }
    }

    /// Sends one snapshot per interval boundary passed (empty ones for any
    /// boundary a stalled loop skipped, so the collector's series has no
    /// holes).
    fn tick(&mut self, now: u64) {
        while now >= self.next_tick {
            let metrics = self.rec.swap(Metrics::default());
            let snapshot = Snapshot {
                worker: self.index,
                interval: self.tick_index,
                is_final: false,
                open_connections: self.open_count as u64,
                cpu: None,
                metrics,
            };
            // Blocking send: the channel is bounded, and losing a snapshot
            // would lose results. The collector only merges, so it keeps up.
            let _ = self.snapshots.send(snapshot);
            self.tick_index += 1;
            self.next_tick += self.interval_ns;
        }
    }

    fn finish(&mut self) {
        for key in 0..self.slots.capacity() {
            if !self.slots.contains(key) {
                continue;
            }
            self.close_stream(key);
            self.slots[key].session.finish(&mut self.rec);
        }
        let metrics = self.rec.swap(Metrics::default());
        let _ = self.snapshots.send(Snapshot {
            worker: self.index,
            interval: self.tick_index,
            is_final: true,
            open_connections: 0,
            cpu: Some(thread_cpu_time()),
            metrics,
        });
    }
}
