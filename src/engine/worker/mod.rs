//! One worker: a thread pinned to a core, owning a `mio::Poll`, its
//! connection slots, its timers, its share of the load and its recorder.
//!
//! The loop is thin: wait for readiness or the next deadline, let each
//! session read and write until the socket would block, then let the load
//! model hand out work.
//!
//! The loop is generic over the protocol's [`Session`]: sockets,
//! reconnects, timers and the load model live here once, whatever the
//! protocol. The only cross-thread traffic is one snapshot per interval to
//! the collector.
//!
//! One job per file:
//! - this file: the spec, the worker's state and its turn as a [`Driver`]
//!   of the event loop (`engine/reactor.rs`, shared with profile runs);
//! - `slots.rs`: a connection slot's life (connect, backoff, reconnect,
//!   its state and the counts kept of it);
//! - `events.rs`: readiness events, bounded reads and the re-read list, writes;
//! - `open.rs`: how the load model hands work to slots (closed: keep each
//!   slot full; open: due requests to idle slots, and the pool's growth);
//! - `timers.rs`: the slots' timers (in the worker's one
//!   [`TimerHeap`](super::timers::TimerHeap));
//! - `drain.rs`: the end of the load, the drain, interval snapshots and the
//!   final one.

mod drain;
mod events;
mod open;
mod slots;
mod timers;

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use crossbeam_channel::Sender;
use slab::Slab;

use super::clock::Clock;
use super::reactor::{Driver, EventLoop, Reactor, Readiness};
use super::timers::TimerHeap;
use crate::load::{LoadModel, OpenSchedule};
use crate::metrics::{Recorder, Snapshot};
use crate::plan::LoadPlan;
use crate::proto::Session;
use crate::tls::{Net, TlsClient};
use open::OpenState;
use slots::Slot;

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

impl<S> std::fmt::Debug for WorkerSpec<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkerSpec")
            .field("index", &self.index)
            .field("workers", &self.workers)
            .field("core", &self.core)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Running,
    Draining,
}

struct Worker<S> {
    index: usize,
    addr: SocketAddr,
    /// This worker's TLS client (its own session cache), for TLS runs.
    tls: Option<TlsClient>,
    new_session: Arc<dyn Fn() -> S + Send + Sync>,
    clock: Clock,
    snapshots: Sender<Snapshot>,
    /// Opens the slots' sockets, registered with the loop's poll.
    registry: Net,
    slots: Slab<Slot<S>>,
    rec: Recorder,
    phase: Phase,
    end_ns: u64,
    timeout_ns: u64,
    connect_timeout_ns: u64,
    /// One timer per slot at its earliest deadline (see
    /// [`TimerHeap`]): no loop scans the slots.
    timers: TimerHeap,
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
    /// Slots to read again on the next loop turn (see `events.rs`);
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
    run_on(spec, &mut Reactor::new()?)
}

/// Runs a worker to completion on `event_loop`: the worker's own reactor,
/// or the loop tests' simulated one ([`crate::engine::sim::Sim`], with
/// `spec.clock` its clock).
pub fn run_on<S: Session>(spec: WorkerSpec<S>, event_loop: &mut impl EventLoop) -> io::Result<()> {
    let clock = spec.clock;
    let mut worker = Worker::new(spec, event_loop.net()?);
    event_loop.run(&clock, &mut worker)
}

impl<S: Session> Worker<S> {
    fn new(spec: WorkerSpec<S>, registry: Net) -> Worker<S> {
        let load = &spec.load;
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
            registry,
            slots: Slab::with_capacity(max_slots),
            rec: Recorder::new(),
            phase: Phase::Running,
            end_ns,
            timeout_ns,
            connect_timeout_ns,
            timers: TimerHeap::with_capacity(max_slots),
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
        worker
    }

    fn next_deadline(&self) -> u64 {
        let mut d = self.next_tick;
        if let Some(at) = self.timers.next() {
            d = d.min(at);
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
}

impl<S: Session> Driver for Worker<S> {
    fn turn(&mut self, now: u64) -> io::Result<bool> {
        self.fire_timers(now);
        if self.phase == Phase::Running {
            // Schedule before checking the end: requests intended before
            // the end that fell due while the loop was late still belong
            // to the run (and count as not sent if the drain starts right
            // after).
            self.schedule_open(now);
            // Ctrl-C ends the load early like the end of the duration:
            // in-flight requests settle and every count is reported.
            if now >= self.end_ns || crate::interrupt::requested() {
                self.begin_drain();
            }
        }
        if self.phase == Phase::Draining && self.drain_turn(now) {
            return Ok(false);
        }
        if now >= self.next_tick {
            self.tick(now);
        }
        Ok(true)
    }

    fn next_deadline(&self, _now: u64) -> u64 {
        Worker::next_deadline(self)
    }

    /// Connections waiting to be read again must not wait for an event.
    fn busy(&self) -> bool {
        !self.reread.is_empty()
    }

    /// Open-model sends are due at exact times; the timerfd wakes for
    /// every deadline.
    fn precise(&self, _wait_ns: u64) -> bool {
        true
    }

    fn on_events(&mut self, events: &[Readiness]) {
        for event in events {
            let closed = event.closed();
            self.on_event(event.token, event.readable || closed, closed);
        }
        self.read_again();
    }

    fn finish(&mut self) {
        Worker::finish(self);
    }
}
