//! One scenario worker: a [`Driver`] of the engine's event loop
//! ([`crate::engine::reactor`], the same loop, poll and timer as `hornet
//! http`), taking its share of the virtual users through their steps.
//!
//! Worker `w` of `n` owns users `w, w + n, w + 2n, ...` and, in the open
//! model, arrivals `w, w + n, ...` of the schedule, so the workers' shares
//! add up to the profile's numbers exactly. Users wait on one of three
//! things: a timer (think time, sleep, pacing, timeouts; one entry per
//! user in the engine's timer heap), a response, or an arrival. Stats go to the coordinator once a second and at the end.
//!
//! One job per file: this one, the worker's state and its turn; `users.rs`
//! spawning, retiring and parking users and handing out arrivals;
//! `timers.rs` pauses and request timeouts; `steps.rs` a user's way
//! through its steps; `http.rs` and `smpp.rs` its requests of each
//! protocol; `end.rs` failures, abandoned iterations, the drain and the
//! final report.

mod end;
mod http;
mod smpp;
mod steps;
mod timers;
mod users;

use std::collections::VecDeque;
use std::io;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crossbeam_channel::Sender;
use mio::Token;
use slab::Slab;

use super::classes::ClassArrivals;
use super::exchange::Scratch;
use super::smpp_conn::user_config;
use super::user::{User, Wait};
use crate::engine::clock::Clock;
use crate::engine::reactor::{Driver, EventLoop, Reactor, Readiness};
use crate::engine::timers::TimerHeap;
use crate::load::OpenSchedule;
use crate::metrics::timeline::INTERVAL_NS;
use crate::metrics::{Recorder, RunStats};
use crate::profile::scenario::{LoadModel, Scenario};
use crate::profile::values::Value;
use crate::proto::smpp::SmppConfig;
use crate::tls::{Net, TlsClient};

/// How often the closed model re-reads its user target while ramping.
const CONTROL_NS: u64 = 10_000_000;
/// Users pausing at least this long between iterations free their
/// connection's buffers meanwhile.
const IDLE_TRIM_NS: u64 = 10_000_000;
/// Open-model iterations started this late count as late.
const LATE_NS: u64 = 1_000_000;

/// State every worker shares.
#[derive(Debug)]
pub struct Shared {
    /// `seq()` source.
    pub seq: AtomicU64,
    /// Task iterations started, run-wide (for `iterations`).
    pub iterations: AtomicU64,
    /// Stop now (abort, or the iteration cap was reached).
    pub stop: AtomicBool,
    /// Shared feed cursors.
    pub cursors: Vec<AtomicUsize>,
}

pub use super::classes::ClassPlan;

/// What a worker tells the coordinator.
#[derive(Debug)]
pub enum Report {
    /// Stats of the interval that just ended, and the worker's users now.
    Interval {
        /// Worker index.
        worker: usize,
        /// Interval number: the stats cover up to the end of second
        /// `index + 1` of the run.
        index: u64,
        /// The interval's stats.
        stats: Box<RunStats>,
        /// Users alive (not finished) at the end of the interval.
        users: u64,
    },
    /// The worker finished: its last stats (in interval `index`) and its
    /// CPU time.
    Done {
        /// Worker index.
        worker: usize,
        /// The (partial) interval the last stats belong to.
        index: u64,
        /// The stats since the last interval report.
        stats: Box<RunStats>,
        /// Worker CPU time.
        cpu: Duration,
        /// Users alive when the load ended.
        users: u64,
    },
}

/// Everything a worker needs.
#[derive(Debug)]
pub struct WorkerSetup {
    /// Worker index.
    pub index: usize,
    /// Worker count.
    pub workers: usize,
    /// The scenario.
    pub scenario: Arc<Scenario>,
    /// Setup captures (read-only during the load).
    pub globals: Arc<Vec<Value>>,
    /// Shared counters.
    pub shared: Arc<Shared>,
    /// Class assignment.
    pub plan: Arc<ClassPlan>,
    /// The run clock.
    pub clock: Clock,
    /// Core to pin to, if pinning is possible (as the engine's workers).
    pub core: Option<core_affinity::CoreId>,
    /// Where reports go.
    pub tx: Sender<Report>,
}

struct Worker {
    s: WorkerSetup,
    /// This worker's TLS clients (own session caches), for TLS targets.
    http_tls: Option<TlsClient>,
    smpp_tls: Option<TlsClient>,
    /// Opens the users' sockets, registered with the loop's poll.
    registry: Net,
    /// When the next interval report and the next look at the wanted
    /// user count are due.
    next_interval: u64,
    next_control: u64,
    users: Slab<User>,
    /// Active (not retiring) users in spawn order, for ramp-down.
    active: Vec<usize>,
    /// One timer per user, at its pause's end or its request's timeout
    /// (see `timers.rs`).
    timers: TimerHeap,
    ready: VecDeque<usize>,
    /// Open model: per class, users between iterations waiting for an
    /// arrival of their class.
    idle: Vec<VecDeque<usize>>,
    stats: RunStats,
    scratch: Scratch,
    /// Rendered source, destination and text of an SMPP step, and its
    /// encoded text.
    smpp_scratch: [Vec<u8>; 4],
    /// The SMPP client configuration every user shares.
    smpp_config: Option<Arc<SmppConfig>>,
    /// Takes the SMPP client's protocol counts (binds, deliver_sm...);
    /// they go out with each interval's stats.
    smpp_rec: Recorder,
    next_local: u64,
    /// Per class: users running `on_start`.
    starting: Vec<u64>,
    /// Users waiting for a response.
    in_flight: u64,
    schedule: Option<OpenSchedule>,
    /// Open model: each class's next arrival (arrivals go to classes by
    /// weight, see `classes`).
    arrivals: Option<ClassArrivals>,
    /// Open model: per class, its due arrival found no user at the last
    /// dispatch (its time is not a wake-up until a user of it frees).
    blocked: Vec<bool>,
    dispatched: u64,
    /// Open model: per class, the most users it may have on this worker
    /// (the worker's share of `load.users`, split by class weight).
    class_cap: Vec<u64>,
    /// Per class: users alive on this worker.
    class_users: Vec<u64>,
    end_ns: u64,
    draining: bool,
    drain_deadline: u64,
    /// The last dispatch ran out of users at the cap.
    starved: bool,
    /// The interval the stats being recorded belong to.
    open_interval: u64,
    /// Users alive when the drain began.
    users_at_drain: u64,
    feed_sizes: Vec<usize>,
    /// Tokens whose last read pass stopped at its budget (or was held back
    /// by a full output buffer that has drained since): sockets are
    /// edge-triggered, so no new event would come for the bytes left; they
    /// are read again on the next loop turn, which polls without waiting
    /// while any are listed.
    again: Vec<Token>,
}

/// Runs worker `setup.index` to the end of the run.
pub fn run(setup: WorkerSetup) -> io::Result<()> {
    if let Some(core) = setup.core {
        core_affinity::set_for_current(core);
    }
    run_on(setup, &mut Reactor::new()?)
}

/// Runs worker `setup.index` on `event_loop`: the worker's own reactor,
/// or the loop tests' simulated one ([`crate::engine::sim::Sim`], with
/// `setup.clock` its clock).
pub fn run_on(setup: WorkerSetup, event_loop: &mut impl EventLoop) -> io::Result<()> {
    let sc = setup.scenario.clone();
    let (schedule, max_users) = match &sc.load.model {
        LoadModel::Open { shape, max_users } => {
            let share = (*max_users + (setup.workers as u64 - 1 - setup.index as u64))
                / setup.workers as u64;
            (
                Some(OpenSchedule::new(setup.index, setup.workers, shape.clone())),
                share.max(1),
            )
        }
        LoadModel::Closed { .. } => (None, u64::MAX),
    };
    let classes = sc.classes.len();
    let class_cap = setup.plan.split_users(max_users);
    let arrivals = schedule
        .as_ref()
        .map(|s| ClassArrivals::new(&setup.plan, setup.index, setup.workers, s.total()));
    let mut w = Worker {
        registry: event_loop.net()?,
        next_interval: INTERVAL_NS,
        next_control: 0,
        stats: RunStats::new(sc.names.len()),
        end_ns: sc.load.run_time.as_nanos() as u64,
        feed_sizes: sc.feeds.iter().map(|f| f.rows.len()).collect(),
        http_tls: sc
            .http
            .as_ref()
            .and_then(|t| t.tls.as_ref())
            .map(TlsClient::for_worker),
        smpp_tls: sc
            .smpp
            .as_ref()
            .and_then(|t| t.tls.as_ref())
            .map(TlsClient::for_worker),
        s: setup,
        users: Slab::new(),
        active: Vec::new(),
        timers: TimerHeap::default(),
        ready: VecDeque::new(),
        idle: vec![VecDeque::new(); classes],
        scratch: Scratch::default(),
        smpp_scratch: Default::default(),
        smpp_config: sc
            .smpp
            .as_ref()
            .map(|t| user_config(t, sc.timeout.as_nanos() as u64)),
        smpp_rec: Recorder::new(),
        next_local: 0,
        starting: vec![0; classes],
        in_flight: 0,
        schedule,
        arrivals,
        blocked: vec![false; classes],
        dispatched: 0,
        class_cap,
        class_users: vec![0; classes],
        draining: false,
        drain_deadline: 0,
        starved: false,
        open_interval: 0,
        users_at_drain: 0,
        again: Vec::new(),
    };
    let clock = w.s.clock;
    let result = event_loop.run(&clock, &mut w);
    if result.is_err() {
        // Count what is in flight and hand over the stats even so.
        w.finish();
    }
    result
}

impl Driver for Worker {
    fn turn(&mut self, now: u64) -> io::Result<bool> {
        if !self.draining
            && (now >= self.end_ns
                || self.s.shared.stop.load(Ordering::Relaxed)
                || crate::interrupt::requested())
        {
            self.begin_drain(now);
        }
        if self.draining && crate::interrupt::requested() {
            // Ctrl-C during the drain shortens it too.
            self.drain_deadline = self
                .drain_deadline
                .min(now.saturating_add(self.interrupt_grace()));
        }
        if self.draining && (self.in_flight == 0 || now >= self.drain_deadline) {
            return Ok(false);
        }
        if !self.draining && self.cap_reached() && self.all_parked() {
            self.begin_drain(now);
            // Once more as a draining worker (it may be done already).
            return self.turn(now);
        }
        if !self.draining && now >= self.next_control {
            self.control(now);
            self.next_control = now + CONTROL_NS;
        }
        if !self.draining {
            self.dispatch(now);
        }
        self.fire_timers(now);
        // One `Arc` clone per turn, lent to every step taken in it.
        let sc = Arc::clone(&self.s.scenario);
        while let Some(key) = self.ready.pop_front() {
            self.advance(&sc, key);
        }
        if now >= self.next_interval {
            self.report_interval(now);
        }
        Ok(true)
    }

    fn next_deadline(&self, now: u64) -> u64 {
        let mut wake = self.next_interval.min(if self.draining {
            self.drain_deadline
        } else {
            self.end_ns
        });
        if !self.draining {
            wake = wake.min(self.next_control.max(now + 1));
            if let Some(t) = self.next_arrival() {
                wake = wake.min(t);
            }
        }
        if let Some(t) = self.timers.next() {
            wake = wake.min(t);
        }
        wake
    }

    /// Also once the drain is over (its last request timed out in this
    /// turn, after the turn's check): the next turn ends the worker at
    /// once rather than at the next interval.
    fn busy(&self) -> bool {
        !self.ready.is_empty() || !self.again.is_empty() || (self.draining && self.in_flight == 0)
    }

    /// Open-model arrivals less than 2 ms away: epoll_wait would round up
    /// to a whole millisecond.
    fn precise(&self, wait_ns: u64) -> bool {
        self.schedule.is_some() && wait_ns > 0 && wait_ns < 2_000_000
    }

    fn on_events(&mut self, events: &[Readiness]) {
        // Passes cut short last turn resume now, after the loop has seen
        // its clock, timeouts and stop flag.
        let mut again = std::mem::take(&mut self.again);
        for ev in events {
            let closed = ev.closed();
            self.on_token(Token(ev.token), ev.readable || closed, closed);
        }
        for token in again.drain(..) {
            self.on_token(token, true, false);
        }
        // Keep the allocation for the next turn.
        if self.again.is_empty() {
            self.again = again;
        }
    }

    fn finish(&mut self) {
        Worker::finish(self);
    }
}

impl Worker {
    /// Sends the stats of the interval that just ended to the coordinator.
    fn report_interval(&mut self, now: u64) {
        let mut stats =
            std::mem::replace(&mut self.stats, RunStats::new(self.s.scenario.names.len()));
        stats.smpp = self.smpp_rec.take_smpp();
        let users = self
            .users
            .iter()
            .filter(|(_, u)| u.wait != Wait::Done)
            .count() as u64;
        // Blocking send on the bounded channel: a lost report would lose
        // results.
        let _ = self.s.tx.send(Report::Interval {
            worker: self.s.index,
            index: self.next_interval / INTERVAL_NS - 1,
            stats: Box::new(stats),
            users,
        });
        self.next_interval += INTERVAL_NS * ((now - self.next_interval) / INTERVAL_NS + 1);
        self.open_interval = self.next_interval / INTERVAL_NS - 1;
    }

    /// Dispatches a socket's readiness (or a resumed read pass). Token 2k:
    /// user k's HTTP connection; 2k + 1: its SMPP session.
    fn on_token(&mut self, token: Token, readable: bool, read_closed: bool) {
        let (key, smpp) = (token.0 / 2, token.0 % 2 == 1);
        if smpp {
            self.on_smpp_event(key);
        } else {
            self.on_event(key, readable, read_closed);
        }
    }

    /// How long requests in flight may settle after Ctrl-C.
    fn interrupt_grace(&self) -> u64 {
        crate::interrupt::GRACE_NS.min(self.s.scenario.timeout.as_nanos() as u64)
    }
}
