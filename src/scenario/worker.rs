//! One scenario worker: a mio event loop driving its share of the virtual
//! users through their steps.
//!
//! Worker `w` of `n` owns users `w, w + n, w + 2n, ...` and, in the open
//! model, arrivals `w, w + n, ...` of the schedule, so the workers' shares
//! add up to the profile's numbers exactly. Users wait on one of three
//! things: a timer (think time, sleep, pacing, timeouts; one heap with
//! generation numbers so cancelled timers are skipped), a response, or an
//! arrival. Stats go to the coordinator once a second and at the end.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::io;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crossbeam_channel::Sender;
use mio::{Events, Registry, Token};
use slab::Slab;

use super::classes::ClassArrivals;
use super::conn::{HttpConn, ReadResult};
use super::exchange::{judge, render_request, Scratch, Sinks};
use super::failure::{ErrorDetail, Failure};
use super::smpp_conn::{user_config, SmppConn, SmppProgress};
use super::stats::RunStats;
use super::timeline::INTERVAL_NS;
use super::user::{Section, User, Wait};
use crate::engine::clock::{thread_cpu_time, Clock};
use crate::engine::reactor::{Driver, Reactor, TIMER};
use crate::load::OpenSchedule;
use crate::metrics::{ErrorKind, Recorder};
use crate::profile::scenario::{HttpStep, LoadModel, Scenario, SmppStep, Step};
use crate::profile::values::Value;
use crate::proto::smpp::SmppConfig;
use crate::tls::TlsClient;

/// How often the closed model re-reads its user target while ramping.
const CONTROL_NS: u64 = 10_000_000;
/// Pause after a transport error before the user goes on, so a refused
/// connection does not become a busy loop.
pub(crate) const ERROR_BACKOFF_NS: u64 = 50_000_000;
/// Consecutive connection failures of a user (no response in between)
/// double its pause, up to `ERROR_BACKOFF_NS << MAX_BACKOFF_SHIFT` (0.8 s):
/// a session that breaks right after it became usable (a malformed PDU
/// after the bind, a client certificate rejected after the handshake)
/// backs off like one that never connected, and more each time.
pub(crate) const MAX_BACKOFF_SHIFT: u32 = 4;
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
    /// Registers the users' sockets with the reactor's poll.
    registry: Registry,
    /// When the next interval report and the next look at the wanted
    /// user count are due.
    next_interval: u64,
    next_control: u64,
    users: Slab<User>,
    /// Active (not retiring) users in spawn order, for ramp-down.
    active: Vec<usize>,
    /// (deadline, user key, generation). Generations come from one counter
    /// per worker, so an entry left by a removed user can never match the
    /// user that later reuses its key.
    timers: BinaryHeap<Reverse<(u64, usize, u64)>>,
    next_gen: u64,
    /// Request timeouts: (deadline, user key, user id), at most one entry
    /// per user. A response does not remove its entry; when the entry comes
    /// due it is dropped or moved to the user's current deadline, so the
    /// heap never grows with the request rate.
    deadlines: BinaryHeap<Reverse<(u64, usize, u64)>>,
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
    /// Takes the SMPP client's protocol counts (binds, deliver_sm...),
    /// which profile results do not report yet.
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
    let mut reactor = Reactor::new()?;
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
        registry: reactor.registry()?,
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
        timers: BinaryHeap::new(),
        next_gen: 0,
        deadlines: BinaryHeap::new(),
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
    let result = reactor.run(&clock, &mut w);
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
        self.fire_deadlines(now);
        while let Some(key) = self.ready.pop_front() {
            self.advance(key);
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
        if let Some(Reverse((t, _, _))) = self.timers.peek() {
            wake = wake.min(*t);
        }
        if let Some(Reverse((t, _, _))) = self.deadlines.peek() {
            wake = wake.min(*t);
        }
        wake
    }

    fn busy(&self) -> bool {
        !self.ready.is_empty() || !self.again.is_empty()
    }

    /// Open-model arrivals less than 2 ms away: epoll_wait would round up
    /// to a whole millisecond.
    fn precise(&self, wait_ns: u64) -> bool {
        self.schedule.is_some() && wait_ns > 0 && wait_ns < 2_000_000
    }

    fn on_events(&mut self, events: &Events) {
        // Passes cut short last turn resume now, after the loop has seen
        // its clock, timeouts and stop flag.
        let mut again = std::mem::take(&mut self.again);
        for ev in events.iter() {
            if ev.token() == TIMER {
                continue;
            }
            self.on_token(
                ev.token(),
                ev.is_readable() || ev.is_read_closed() || ev.is_error(),
            );
        }
        for token in again.drain(..) {
            self.on_token(token, true);
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
        let stats = std::mem::replace(&mut self.stats, RunStats::new(self.s.scenario.names.len()));
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
    fn on_token(&mut self, token: Token, readable: bool) {
        let (key, smpp) = (token.0 / 2, token.0 % 2 == 1);
        if smpp {
            self.on_smpp_event(key);
        } else {
            self.on_event(key, readable);
        }
    }

    /// How long requests in flight may settle after Ctrl-C.
    fn interrupt_grace(&self) -> u64 {
        crate::interrupt::GRACE_NS.min(self.s.scenario.timeout.as_nanos() as u64)
    }

    /// Closed model: spawn or retire users to follow the shape. Open model:
    /// nothing (users are spawned on demand by `dispatch`).
    fn control(&mut self, now: u64) {
        let LoadModel::Closed { shape } = &self.s.scenario.load.model else {
            return;
        };
        if self.cap_reached() {
            return;
        }
        let want_total = shape.level_at(now as f64).round().max(0.0) as u64;
        let (n, w) = (self.s.workers as u64, self.s.index as u64);
        let want = if want_total > w {
            (want_total - w - 1) / n + 1
        } else {
            0
        };
        while (self.active.len() as u64) < want {
            self.spawn(now, None);
        }
        while (self.active.len() as u64) > want {
            let key = self.active.pop().expect("non-empty");
            self.retire(key);
        }
    }

    /// No user is mid-iteration (all done, or idle waiting for arrivals).
    fn all_parked(&self) -> bool {
        // Nothing in flight is necessary; check it first so the scan over
        // users runs only at the very end.
        self.in_flight == 0
            && self.ready.is_empty()
            && self.users.iter().all(|(_, u)| {
                matches!(u.wait, Wait::Done | Wait::Arrival)
                    || (u.wait == Wait::Timer && u.step == usize::MAX)
                    // Still retrying on_start: it would never start a task.
                    || (u.section == Section::OnStart && u.wait != Wait::Response)
            })
    }

    fn cap_reached(&self) -> bool {
        self.s
            .scenario
            .load
            .iterations
            .is_some_and(|cap| self.s.shared.iterations.load(Ordering::Relaxed) >= cap)
    }

    /// Starts a user: of the class its number gets (closed model), or of
    /// `class` (open model: the class whose arrival is waiting).
    fn spawn(&mut self, now: u64, class: Option<usize>) -> usize {
        let id = self.s.index as u64 + self.next_local * self.s.workers as u64;
        self.next_local += 1;
        let class = class.unwrap_or_else(|| self.s.plan.class_of(id));
        let user = User::new(
            id,
            class,
            self.s.scenario.user_vars.len(),
            &self.feed_sizes,
            self.s.scenario.load.seed,
        );
        let key = self.users.insert(user);
        self.active.push(key);
        self.stats.users_started += 1;
        self.stats.class_mut(class).users += 1;
        self.starting[class] += 1;
        self.class_users[class] += 1;
        let u = &mut self.users[key];
        u.task_started = now;
        self.ready.push_back(key);
        key
    }

    /// Open model: the user waits between iterations for an arrival of its
    /// class.
    fn park(&mut self, key: usize) {
        let class = self.users[key].class;
        self.users[key].wait = Wait::Arrival;
        self.idle[class].push_back(key);
        // Its class's due arrival can start now: wake for it.
        self.blocked[class] = false;
    }

    fn retire(&mut self, key: usize) {
        let u = &mut self.users[key];
        u.retiring = true;
        // Leave now only between tasks (thinking, idle, or retrying
        // on_start); mid-task users finish their task first.
        let between = u.wait == Wait::Arrival
            || (u.wait == Wait::Timer && (u.step == usize::MAX || u.section == Section::OnStart));
        if between {
            self.remove(key);
        }
    }

    fn remove(&mut self, key: usize) {
        let u = self.users.remove(key);
        if u.section == Section::OnStart && u.wait != Wait::Done {
            self.starting[u.class] = self.starting[u.class].saturating_sub(1);
        }
        self.class_users[u.class] = self.class_users[u.class].saturating_sub(1);
        if let Some(c) = u.http {
            c.close(&self.registry, &mut self.stats.http_tls);
        }
        if let Some(c) = u.smpp {
            c.close(&self.registry, &mut self.stats.smpp_tls);
        }
        // Retiring users already left `active`; only idle users are queued
        // in `idle`. Skipping the scans keeps ramp-down and the end linear.
        if !u.retiring {
            self.active.retain(|&k| k != key);
        }
        if u.wait == Wait::Arrival {
            self.idle[u.class].retain(|&k| k != key);
        }
        // Room for a user of a blocked class.
        self.blocked.iter_mut().for_each(|b| *b = false);
    }

    /// Open model: the earliest intended start among the classes whose
    /// next arrival could start (a blocked class waits for a user of it to
    /// free, which wakes the loop anyway).
    fn next_arrival(&self) -> Option<u64> {
        let s = self.schedule.as_ref()?;
        let a = self.arrivals.as_ref()?;
        (0..self.blocked.len())
            .filter(|&c| !self.blocked[c])
            .filter_map(|c| a.next(c))
            .map(|k| s.intended(k))
            .min()
    }

    /// Open model: hand due arrivals to idle users of the arrival's class,
    /// spawning users of that class (up to the cap) when none is idle. Each
    /// class walks its own arrivals, in order, so a class short of users
    /// does not hold back the others.
    fn dispatch(&mut self, now: u64) {
        let (Some(s), Some(_)) = (&self.schedule, &self.arrivals) else {
            return;
        };
        let due = s.due(now).min(s.total());
        let mut behind = false;
        for class in 0..self.idle.len() {
            self.blocked[class] = false;
            while let Some(k) = self.arrivals.as_ref().and_then(|a| a.next(class)) {
                if k >= due {
                    break;
                }
                if self.cap_reached() {
                    return;
                }
                let Some(key) = self.idle[class].pop_front() else {
                    let plan = &self.s.plan;
                    let starting = self.starting[class];
                    let arrivals = self.arrivals.as_ref().expect("open");
                    let more = starting < arrivals.pending(plan, class, due, starting + 1);
                    let full = self.class_users[class] >= self.class_cap[class];
                    if more && !full {
                        self.spawn(now, Some(class));
                        continue;
                    }
                    // Every allowed user is busy: what waits now is late
                    // because of the cap, not because of the generator.
                    self.starved |= full;
                    self.blocked[class] = true;
                    behind = true;
                    break;
                };
                let intended = self.schedule.as_ref().expect("open").intended(k);
                if let Some(a) = self.arrivals.as_mut() {
                    a.advance(&self.s.plan, class);
                }
                self.dispatched += 1;
                if now.saturating_sub(intended) > LATE_NS {
                    if self.starved {
                        self.stats.starved_starts += 1;
                    } else {
                        self.stats.late_starts += 1;
                    }
                }
                let u = &mut self.users[key];
                u.arrival = Some(intended);
                if self.start_task(key, now) {
                    self.ready.push_back(key);
                }
            }
        }
        if !behind {
            self.starved = false;
        }
    }

    fn arm(&mut self, key: usize, at: u64) {
        self.next_gen += 1;
        self.users[key].timer_gen = self.next_gen;
        self.timers.push(Reverse((at, key, self.next_gen)));
    }

    fn arm_timeout(&mut self, key: usize, at: u64) {
        let u = &mut self.users[key];
        u.deadline = Some(at);
        if !u.deadline_queued {
            u.deadline_queued = true;
            self.deadlines.push(Reverse((at, key, u.id)));
        }
    }

    fn fire_deadlines(&mut self, now: u64) {
        while let Some(Reverse((t, key, id))) = self.deadlines.peek().copied() {
            if t > now {
                break;
            }
            self.deadlines.pop();
            let Some(u) = self.users.get_mut(key).filter(|u| u.id == id) else {
                continue;
            };
            u.deadline_queued = false;
            match u.deadline {
                Some(d) if d <= now => {
                    u.deadline = None;
                    if u.wait == Wait::Response {
                        self.fail(key, ErrorKind::Timeout, now);
                    }
                }
                Some(d) => {
                    u.deadline_queued = true;
                    self.deadlines.push(Reverse((d, key, id)));
                }
                None => {}
            }
        }
    }

    fn fire_timers(&mut self, now: u64) {
        while let Some(Reverse((t, key, gen))) = self.timers.peek().copied() {
            if t > now {
                break;
            }
            self.timers.pop();
            let Some(u) = self.users.get_mut(key) else {
                continue;
            };
            if u.timer_gen != gen {
                continue;
            }
            if u.wait == Wait::Timer {
                u.wait = Wait::Ready;
                self.ready.push_back(key);
            }
        }
    }

    /// Starts a task iteration; false if the user must stop instead.
    fn start_task(&mut self, key: usize, now: u64) -> bool {
        if let Some(cap) = self.s.scenario.load.iterations {
            if self.s.shared.iterations.fetch_add(1, Ordering::Relaxed) >= cap {
                self.s.shared.iterations.fetch_sub(1, Ordering::Relaxed);
                self.finish_user(key);
                return false;
            }
        }
        let sc = &self.s.scenario;
        let u = &mut self.users[key];
        let class = &sc.classes[u.class];
        // Values from the last iteration must not reach this one.
        for &v in &class.iteration_vars {
            u.vars[v].unset();
        }
        let t = u.pick_task(class);
        u.section = Section::Task(t);
        u.step = 0;
        u.wait = Wait::Ready;
        u.task_started = now;
        for (f, feed) in sc.feeds.iter().enumerate() {
            let n = feed.rows.len();
            u.rows[f] = if feed.shared {
                self.s.shared.cursors[f].fetch_add(1, Ordering::Relaxed) % n
            } else {
                (u.id as usize).wrapping_add(u.iteration as usize) % n
            };
        }
        u.iteration += 1;
        self.stats.iterations += 1;
        self.stats.class_mut(u.class).iterations += 1;
        true
    }

    fn finish_user(&mut self, key: usize) {
        let u = &mut self.users[key];
        u.wait = Wait::Done;
        if let Some(c) = u.http.take() {
            c.close(&self.registry, &mut self.stats.http_tls);
        }
        if let Some(c) = u.smpp.take() {
            c.close(&self.registry, &mut self.stats.smpp_tls);
        }
        // Only called once the iteration cap is reached or the run drains:
        // `control` no longer reads `active` then, so no scan is needed.
    }

    /// Moves a ready user forward until it waits for something.
    fn advance(&mut self, key: usize) {
        let sc = self.s.scenario.clone();
        loop {
            let now = self.s.clock.now();
            let Some(u) = self.users.get_mut(key) else {
                return;
            };
            if u.wait != Wait::Ready {
                return;
            }
            if self.draining {
                self.finish_user(key);
                return;
            }
            let class = &sc.classes[u.class];
            match u.current(class) {
                None => {
                    if !self.end_section(key, now) {
                        return;
                    }
                }
                Some(Step::Sleep(d)) => {
                    u.step += 1;
                    // A deliberate pause is not lateness: the first request
                    // after it is intended that much later.
                    if let Some(a) = u.arrival.as_mut() {
                        *a = a.saturating_add(d.as_nanos() as u64);
                    }
                    u.wait = Wait::Timer;
                    let at = now.saturating_add(d.as_nanos() as u64);
                    self.arm(key, at);
                    return;
                }
                Some(Step::Http(step)) => {
                    if self.send(key, step, now) {
                        return;
                    }
                }
                Some(Step::Smpp(step)) => {
                    if self.send_smpp(key, step, now) {
                        return;
                    }
                }
            }
        }
    }

    /// The user ran out of steps in its section (or came back from a
    /// pause between tasks). Returns true if it should keep advancing now.
    fn end_section(&mut self, key: usize, now: u64) -> bool {
        let sc = self.s.scenario.clone();
        let open = self.schedule.is_some();
        let u = &mut self.users[key];
        // `step == usize::MAX` marks "between tasks": the iteration was
        // already counted (or abandoned) and any pause has passed.
        let between = u.step == usize::MAX;
        if u.section == Section::OnStart {
            self.starting[u.class] = self.starting[u.class].saturating_sub(1);
            u.section = Section::Task(0);
            u.step = usize::MAX;
        } else if !between {
            self.stats.iterations_done += 1;
            self.stats.class_mut(u.class).iterations_done += 1;
            u.step = usize::MAX;
            // The open model's users wait for their next arrival, the
            // closed model's think: buffers are freed over a pause that
            // dwarfs allocating them again (not between back-to-back
            // iterations).
            let pause = if open {
                u64::MAX
            } else {
                u.think_ns(sc.classes[u.class].think, u.task_started, now)
            };
            if pause >= IDLE_TRIM_NS {
                if let Some(c) = u.http.as_mut() {
                    c.trim();
                }
                if let Some(c) = u.smpp.as_mut() {
                    c.trim();
                }
            }
            if !open && pause > 0 && !u.retiring {
                u.wait = Wait::Timer;
                self.arm(key, now.saturating_add(pause));
                return false;
            }
        }
        if u.retiring {
            self.remove(key);
            return false;
        }
        if open {
            self.park(key);
            return false;
        }
        self.start_task(key, now)
    }

    /// Renders and sends an HTTP step. Returns true if the user now waits.
    fn send(&mut self, key: usize, step: &HttpStep, now: u64) -> bool {
        let sc = self.s.scenario.clone();
        let target = sc
            .http
            .as_ref()
            .expect("compile requires a host for HTTP steps");
        if self.users[key].http.is_none() {
            if self.wait_to_reconnect(key, now) {
                return true;
            }
            let tls = self.http_tls.as_ref();
            match HttpConn::connect(target.addr, tls, &self.registry, Token(key * 2)) {
                Ok(c) => self.users[key].http = Some(c),
                Err(e) => return self.connect_failed(key, step.name, &e, now),
            }
        }
        let u = &mut self.users[key];
        let seq = &self.s.shared.seq;
        let next_seq = || seq.fetch_add(1, Ordering::Relaxed) + 1;
        // The connection leaves the user while the user lends its
        // variables to the render.
        let mut conn = u.http.take().expect("just connected");
        let mut ctx = u.render_ctx(&self.s.globals, &sc.feeds, &next_seq);
        if let Some(var) = step.missing(&ctx) {
            u.http = Some(conn);
            let need = step
                .needs
                .iter()
                .position(|(_, n)| &**n == var)
                .unwrap_or(0);
            return self.skip(key, step.name, need, now);
        }
        let name = &mut self.stats.names[step.name];
        name.requests += 1;
        let rendered = render_request(step, target, &mut ctx, &mut self.scratch, conn.out());
        let conn = u.http.insert(conn);
        if let Err(e) = rendered {
            conn.out().clear();
            name.check_failed += 1;
            *name.reasons.entry(Failure::Render(e.0.into())).or_default() += 1;
            self.stats.render_errors += 1;
            u.step += 1;
            return false;
        }
        u.intended = u.arrival.take().unwrap_or(now);
        conn.capture().start(step);
        conn.queue(u.intended, &*step.method == "HEAD");
        u.sent_at = now;
        u.wait = Wait::Response;
        self.in_flight += 1;
        let flushed = if conn.connected {
            conn.flush(now)
        } else {
            Ok(())
        };
        let at = now.saturating_add(sc.timeout.as_nanos() as u64);
        self.arm_timeout(key, at);
        if let Err(kind) = flushed {
            self.fail(key, kind, now);
        }
        true
    }

    /// Closed model: a user whose last connection failed moments ago waits
    /// out its back-off before connecting again (true: it now waits). The
    /// open model's arrivals pace its connects already.
    fn wait_to_reconnect(&mut self, key: usize, now: u64) -> bool {
        let u = &mut self.users[key];
        if self.schedule.is_some() || now >= u.reconnect_at {
            return false;
        }
        let at = u.reconnect_at;
        u.wait = Wait::Timer;
        self.arm(key, at);
        true
    }

    /// The step (request name `name`) needs `var`, which this iteration did
    /// not capture (or the capture found nothing): it is not sent, and the
    /// iteration ends there, as a Locust task that raises. It counts as a
    /// request of its name whose check failed, with the reason
    /// `skipped: missing VAR`. Returns true (the user waits: for its pause,
    /// the next arrival, or an `on_start` retry).
    fn skip(&mut self, key: usize, name: usize, need: usize, now: u64) -> bool {
        let failure = Failure::Skipped {
            step: self.users[key].step_id(),
            need: u16::try_from(need).unwrap_or(u16::MAX),
        };
        let n = &mut self.stats.names[name];
        n.requests += 1;
        n.check_failed += 1;
        *n.reasons.entry(failure).or_default() += 1;
        self.abandon(key, now);
        true
    }

    /// A socket could not even be created for request name `name`: the
    /// request counts as started and failed. Returns true (the user waits).
    fn connect_failed(&mut self, key: usize, name: usize, e: &io::Error, now: u64) -> bool {
        self.stats.names[name].requests += 1;
        self.fail(key, ErrorKind::from_connect_error(e), now);
        true
    }

    /// Renders and queues an SMPP submit. Returns true if the user now
    /// waits.
    fn send_smpp(&mut self, key: usize, step: &SmppStep, now: u64) -> bool {
        let sc = self.s.scenario.clone();
        let target = sc
            .smpp
            .as_ref()
            .expect("compile requires [target.smpp] for smpp steps");
        if self.users[key].smpp.is_none() {
            if self.wait_to_reconnect(key, now) {
                return true;
            }
            let tls = self.smpp_tls.as_ref();
            let config = self.smpp_config.as_ref().expect("set with [target.smpp]");
            let token = Token(key * 2 + 1);
            match SmppConn::connect(target, config, tls, &self.registry, token) {
                Ok(c) => self.users[key].smpp = Some(c),
                Err(e) => return self.connect_failed(key, step.name, &e, now),
            }
        }
        let u = &mut self.users[key];
        let seq = &self.s.shared.seq;
        let next_seq = || seq.fetch_add(1, Ordering::Relaxed) + 1;
        let conn = u.smpp.take().expect("just connected");
        let mut ctx = u.render_ctx(&self.s.globals, &sc.feeds, &next_seq);
        if let Some(var) = step.missing(&ctx) {
            u.smpp = Some(conn);
            let need = step
                .needs
                .iter()
                .position(|(_, n)| &**n == var)
                .unwrap_or(0);
            return self.skip(key, step.name, need, now);
        }
        let [src, dst, text, enc] = &mut self.smpp_scratch;
        src.clear();
        dst.clear();
        text.clear();
        step.source.render(&mut ctx, src);
        step.destination.render(&mut ctx, dst);
        step.text.render(&mut ctx, text);
        let conn = u.smpp.insert(conn);
        let name = &mut self.stats.names[step.name];
        name.requests += 1;
        let queued = match std::str::from_utf8(text) {
            Ok(t) if src.len() <= 20 && dst.len() <= 20 => {
                conn.submit(now, now, src, dst, t, step.registered_delivery, enc)
            }
            Ok(_) => Err("source or destination longer than 20 characters".into()),
            Err(_) => Err("the text is not UTF-8".into()),
        };
        if let Err(e) = queued {
            name.check_failed += 1;
            *name.reasons.entry(Failure::Render(e.into())).or_default() += 1;
            self.stats.render_errors += 1;
            u.step += 1;
            return false;
        }
        u.intended = u.arrival.take().unwrap_or(now);
        u.sent_at = now;
        u.wait = Wait::Response;
        self.in_flight += 1;
        let at = now.saturating_add(sc.timeout.as_nanos() as u64);
        self.arm_timeout(key, at);
        // Writes now if the socket is up and bound; else on its event.
        self.on_smpp_event(key);
        true
    }

    fn on_smpp_event(&mut self, key: usize) {
        let now = self.s.clock.now();
        let sc = self.s.scenario.clone();
        let Some(u) = self.users.get_mut(key) else {
            return;
        };
        let waiting = u.wait == Wait::Response
            && matches!(u.current(&sc.classes[u.class]), Some(Step::Smpp(_)));
        let Some(conn) = u.smpp.as_mut() else {
            return;
        };
        // SMPP sessions read on every event, so every event counts as
        // readable (for TLS: the socket may hold new records).
        let clock = self.s.clock;
        let tls = &mut self.stats.smpp_tls;
        let progress = match conn.on_ready(true, &|| clock.now(), tls, &mut self.smpp_rec) {
            Ok((p, again)) => {
                if again {
                    self.again.push(Token(key * 2 + 1));
                }
                Ok(p)
            }
            Err(e) => Err(e),
        };
        if conn.take_just_bound() && waiting {
            // The submit staged behind the bind goes out now: connection
            // setup and the bind are not its latency.
            u.sent_at = clock.now();
        }
        match progress {
            Ok(SmppProgress::Pending) => {}
            Ok(SmppProgress::Answered(status)) if waiting => {
                self.in_flight -= 1;
                u.deadline = None;
                let Some(Step::Smpp(step)) = u.current(&sc.classes[u.class]) else {
                    return;
                };
                let n = &mut self.stats.names[step.name];
                n.record_latency(
                    now.saturating_sub(u.intended),
                    now.saturating_sub(u.sent_at),
                );
                u.conn_failures = 0;
                if status.is_ok() {
                    n.passed += 1;
                } else {
                    n.check_failed += 1;
                    *n.reasons.entry(Failure::SubmitResp(status.0)).or_default() += 1;
                }
                u.step += 1;
                u.wait = Wait::Ready;
                self.ready.push_back(key);
            }
            Ok(SmppProgress::Answered(_)) => {}
            Ok(SmppProgress::BindRefused(status)) => {
                if let Some(c) = u.smpp.take() {
                    c.close(&self.registry, &mut self.stats.smpp_tls);
                }
                u.conn_failed(now);
                if waiting {
                    let Some(Step::Smpp(step)) = u.current(&sc.classes[u.class]) else {
                        return;
                    };
                    // The submit never left: an error (the run got no
                    // answer), not a failed check, and no throughput.
                    let n = &mut self.stats.names[step.name];
                    n.bind_failed += 1;
                    n.not_sent += 1;
                    *n.error_reasons
                        .entry(ErrorDetail::BindRefused(status.0))
                        .or_default() += 1;
                    self.in_flight -= 1;
                    self.abandon(key, now);
                }
            }
            Err(kind) => {
                if waiting {
                    self.fail(key, kind, now);
                } else if let Some(c) = u.smpp.take() {
                    // The session broke between submits (a malformed PDU,
                    // a reset): the next submit reconnects only after the
                    // back-off, so a session that breaks at once is not
                    // rebound in a busy loop.
                    c.close(&self.registry, &mut self.stats.smpp_tls);
                    u.conn_failed(now);
                }
            }
        }
    }

    fn on_event(&mut self, key: usize, readable: bool) {
        let now = self.s.clock.now();
        let sc = self.s.scenario.clone();
        let Some(u) = self.users.get_mut(key) else {
            return;
        };
        let waiting = u.wait == Wait::Response
            && matches!(u.current(&sc.classes[u.class]), Some(Step::Http(_)));
        let Some(conn) = u.http.as_mut() else {
            return;
        };
        // Connect, flush and read; the first failure decides.
        let outcome: Result<Option<ReadResult>, ErrorKind> = (|| {
            let was_connected = conn.connected;
            let clock = self.s.clock;
            if !conn.on_ready(readable, &|| clock.now(), &mut self.stats.http_tls)? {
                return Ok(None);
            }
            if !was_connected {
                self.stats.connects += 1;
                if waiting {
                    // The request goes out now, after TCP and TLS: setting
                    // up the connection is not its service time.
                    u.sent_at = clock.now();
                }
            }
            if conn.wants_write() {
                conn.flush(clock.now())?;
            }
            if !readable {
                return Ok(None);
            }
            if !waiting {
                // The server closed an idle keep-alive connection (or sent
                // bytes nobody asked for): the next request opens a new one.
                return Err(ErrorKind::ClosedEarly);
            }
            conn.read(&mut || clock.now()).map(Some)
        })();
        match outcome {
            Ok(None) | Ok(Some(ReadResult::Pending)) => {}
            Ok(Some(ReadResult::More)) => self.again.push(Token(key * 2)),
            Ok(Some(ReadResult::Done {
                keep_alive,
                body_len,
            })) => self.complete(key, keep_alive, body_len),
            Err(kind) => self.fail_or_drop(key, kind, now),
        }
    }

    fn fail_or_drop(&mut self, key: usize, kind: ErrorKind, now: u64) {
        let sc = self.s.scenario.clone();
        let u = &self.users[key];
        if u.wait == Wait::Response
            && matches!(u.current(&sc.classes[u.class]), Some(Step::Http(_)))
        {
            self.fail(key, kind, now);
        } else {
            self.drop_conn(key);
        }
    }

    fn drop_conn(&mut self, key: usize) {
        if let Some(c) = self.users[key].http.take() {
            c.close(&self.registry, &mut self.stats.http_tls);
        }
    }

    fn complete(&mut self, key: usize, keep_alive: bool, body_len: u64) {
        let now = self.s.clock.now();
        let sc = self.s.scenario.clone();
        let u = &mut self.users[key];
        let Some(Step::Http(step)) = u.current(&sc.classes[u.class]) else {
            return;
        };
        self.in_flight -= 1;
        u.deadline = None;
        u.conn_failures = 0;
        let id = u.step_id();
        let Some(conn) = u.http.as_mut() else {
            return;
        };
        let cap = conn.capture();
        let n = &mut self.stats.names[step.name];
        n.record_latency(
            now.saturating_sub(u.intended),
            now.saturating_sub(u.sent_at),
        );
        *n.status.entry(cap.status).or_default() += 1;
        n.bytes += body_len;
        let mut sinks = Sinks {
            globals: &mut [],
            teardown: &mut [],
            user: &mut u.vars,
        };
        match judge(step, id, cap, &mut sinks) {
            None => n.passed += 1,
            Some(reason) => {
                n.check_failed += 1;
                *n.reasons.entry(reason).or_default() += 1;
            }
        }
        if !keep_alive {
            if let Some(c) = u.http.take() {
                c.close(&self.registry, &mut self.stats.http_tls);
            }
        }
        u.step += 1;
        u.wait = Wait::Ready;
        self.ready.push_back(key);
    }

    /// The request in flight (or being connected) failed with `kind`: count
    /// it, drop the connection, abandon the rest of the iteration.
    fn fail(&mut self, key: usize, kind: ErrorKind, now: u64) {
        let sc = self.s.scenario.clone();
        let u = &mut self.users[key];
        // Whether the request reached the peer: its connection (for SMPP,
        // its bind) was usable. A connection that never came up sent
        // nothing.
        let http_up = u.http.as_ref().is_some_and(|c| c.connected);
        let smpp_up = u.smpp.as_ref().is_some_and(|c| c.is_bound());
        let binding = u.smpp.is_some() && !smpp_up;
        let (smpp_step, name) = match u.current(&sc.classes[u.class]) {
            Some(Step::Http(step)) => (false, Some(step.name)),
            Some(Step::Smpp(step)) => (true, Some(step.name)),
            _ => (false, None),
        };
        if let Some(name) = name {
            let n = &mut self.stats.names[name];
            n.errors[kind as usize] += 1;
            // (`fail` is only called for a request that was started.)
            if !(if smpp_step { smpp_up } else { http_up }) {
                n.not_sent += 1;
                if smpp_step && binding && kind == ErrorKind::Timeout {
                    *n.error_reasons
                        .entry(ErrorDetail::BindUnanswered)
                        .or_default() += 1;
                }
            }
        }
        if kind != ErrorKind::Timeout {
            // A timeout took its time already; a fast failure backs off.
            u.conn_failed(now);
        }
        if u.wait == Wait::Response {
            self.in_flight -= 1;
        }
        if smpp_step {
            if let Some(c) = u.smpp.take() {
                c.close(&self.registry, &mut self.stats.smpp_tls);
            }
        } else if let Some(c) = u.http.take() {
            c.close(&self.registry, &mut self.stats.http_tls);
        }
        self.abandon(key, now);
    }

    /// The current step failed so that the rest of the section cannot run:
    /// retry `on_start` from the top after a pause, or drop the task and go
    /// on after the usual think time (at least a short back-off, so a
    /// refused connection is not a busy loop), or wait for the next arrival.
    fn abandon(&mut self, key: usize, now: u64) {
        let sc = self.s.scenario.clone();
        let open = self.schedule.is_some();
        let u = &mut self.users[key];
        u.arrival = None;
        u.timer_gen = 0;
        u.deadline = None;
        if self.draining {
            self.finish_user(key);
            return;
        }
        let backoff = u.backoff_ns();
        if u.section == Section::OnStart {
            u.step = 0;
            u.wait = Wait::Timer;
            self.arm(key, now + backoff);
            return;
        }
        u.step = usize::MAX;
        if u.retiring {
            self.remove(key);
            return;
        }
        if open {
            self.park(key);
            return;
        }
        let think = sc.classes[u.class].think;
        let pause = u.think_ns(think, u.task_started, now).max(backoff);
        u.wait = Wait::Timer;
        self.arm(key, now.saturating_add(pause));
    }

    fn begin_drain(&mut self, now: u64) {
        self.draining = true;
        self.users_at_drain = self
            .users
            .iter()
            .filter(|(_, u)| u.wait != Wait::Done)
            .count() as u64;
        // No ramping from here on: nobody needs the spawn order.
        self.active.clear();
        self.drain_deadline = now + self.s.scenario.timeout.as_nanos() as u64;
        let keys: Vec<usize> = self.users.iter().map(|(k, _)| k).collect();
        for key in keys {
            if self.users[key].wait != Wait::Response {
                self.finish_user(key);
            }
        }
        if let Some(s) = &self.schedule {
            let due = s.due(self.end_ns.min(now)).min(s.total());
            self.stats.not_started += due.saturating_sub(self.dispatched);
        }
    }

    fn finish(&mut self) {
        let sc = self.s.scenario.clone();
        self.active.clear();
        self.idle.iter_mut().for_each(VecDeque::clear);
        let keys: Vec<usize> = self.users.iter().map(|(k, _)| k).collect();
        for key in keys {
            let u = &self.users[key];
            if u.wait == Wait::Response {
                match u.current(&sc.classes[u.class]) {
                    Some(Step::Http(step)) => self.stats.names[step.name].interrupted += 1,
                    Some(Step::Smpp(step)) => self.stats.names[step.name].interrupted += 1,
                    _ => {}
                }
            }
            self.remove(key);
        }
        let stats = std::mem::take(&mut self.stats);
        let _ = self.s.tx.send(Report::Done {
            worker: self.s.index,
            index: self.open_interval,
            stats: Box::new(stats),
            cpu: thread_cpu_time(),
            users: self.users_at_drain,
        });
    }
}
