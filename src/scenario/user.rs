//! A virtual user's state: where it is in its class's steps, its own
//! variables, random generator, data-feed rows and connection.

use std::sync::Arc;

use super::conn::HttpConn;
use super::failure::StepId;
use super::smpp_conn::SmppConn;
use crate::profile::scenario::{Class, Feed, Step, Think};
use crate::profile::template::{RenderCtx, Rng};
use crate::profile::values::Value;
use crate::vocab::{Backoff, BackoffPolicy};

/// Pause after a transport error before the user goes on, so a refused
/// connection does not become a busy loop: 50 ms, doubling with each
/// consecutive connection failure (no response in between) up to 0.8 s. A
/// session that breaks right after it became usable (a malformed PDU after
/// the bind, a client certificate rejected after the handshake) backs off
/// like one that never connected, and more each time.
const USER_BACKOFF: BackoffPolicy = BackoffPolicy {
    min_ns: 50_000_000,
    max_ns: 800_000_000,
};

/// Which list of steps the user is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    /// `on_start`.
    OnStart,
    /// Task `n`.
    Task(usize),
}

/// What the user waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    /// Nothing: it should advance now.
    Ready,
    /// A timer (think time, sleep, pacing, backoff).
    Timer,
    /// A response to a request it sent (or is sending).
    Response,
    /// Open model: an arrival to start its next task.
    Arrival,
    /// It has finished for good.
    Done,
}

/// One virtual user.
#[derive(Debug)]
pub struct User {
    /// Run-wide user number.
    pub id: u64,
    /// Class index.
    pub class: usize,
    /// Its variables (extract slots).
    pub vars: Vec<Value>,
    /// Its random generator.
    pub rng: Rng,
    /// Task iterations started.
    pub iteration: u64,
    /// Per feed: its current row.
    pub rows: Vec<usize>,
    /// Its HTTP connection, if open.
    pub http: Option<HttpConn>,
    /// Its SMPP session, if open.
    pub smpp: Option<SmppConn>,
    /// Current section and step.
    pub section: Section,
    /// Index of the current step in the section.
    pub step: usize,
    /// What it waits for.
    pub wait: Wait,
    /// When its pause (think time, sleep, pacing, back-off) ends, while it
    /// waits for a timer (`u64::MAX`: none).
    pub wake_at: u64,
    /// When the request in flight times out.
    pub deadline: Option<u64>,
    /// The deadline of its live entry in the worker's timer heap
    /// (`u64::MAX`: none); entries that do not match it are stale.
    pub timer_at: u64,
    /// Intended start of the current request (run-clock ns): its send time,
    /// or an open-model arrival's intended time for an iteration's first
    /// request.
    pub intended: u64,
    /// When the current request was handed to the socket.
    pub sent_at: u64,
    /// Open model: the current iteration's intended start, not yet used by
    /// a request.
    pub arrival: Option<u64>,
    /// When the current task started (pacing).
    pub task_started: u64,
    /// Next task for sequential classes.
    pub next_seq: usize,
    /// Leave at the next iteration boundary (ramp-down).
    pub retiring: bool,
    /// The current request is a HEAD request.
    pub head: bool,
    /// Connection failures since the last response (its back-off).
    pub conn_failures: Backoff,
    /// Closed model: no new connection before this (run-clock ns), after
    /// a connection failed.
    pub reconnect_at: u64,
}

impl User {
    /// A fresh user `id` of class `class`.
    pub fn new(id: u64, class: usize, vars: usize, feeds: &[usize], seed: u64) -> User {
        User {
            id,
            class,
            vars: vec![Value::default(); vars],
            rng: Rng::new(seed ^ id.wrapping_mul(0x9E37_79B9_7F4A_7C15)),
            iteration: 0,
            // Per-user cursors start at the user's number so users take
            // different rows.
            rows: feeds.iter().map(|&n| (id as usize) % n.max(1)).collect(),
            http: None,
            smpp: None,
            section: Section::OnStart,
            step: 0,
            wait: Wait::Ready,
            wake_at: u64::MAX,
            deadline: None,
            timer_at: u64::MAX,
            intended: 0,
            sent_at: 0,
            arrival: None,
            task_started: 0,
            next_seq: 0,
            retiring: false,
            head: false,
            conn_failures: Backoff::default(),
            reconnect_at: 0,
        }
    }

    /// When the user next needs its timer: the end of its pause while it
    /// waits for one, its request's timeout while it waits for a response.
    pub fn next_due(&self) -> Option<u64> {
        match self.wait {
            Wait::Timer => Some(self.wake_at),
            Wait::Response => self.deadline,
            _ => None,
        }
    }

    /// A connection of this user failed (or broke soon after it became
    /// usable) at `now`: the next pause and the next connect back off.
    pub fn conn_failed(&mut self, now: u64) {
        let pause = self.conn_failures.failed(USER_BACKOFF);
        self.reconnect_at = now.saturating_add(pause);
    }

    /// The pause after a failure: 50 ms, doubling with each consecutive
    /// connection failure up to 0.8 s.
    pub fn backoff_ns(&self) -> u64 {
        self.conn_failures.delay(USER_BACKOFF)
    }

    /// What the user's templates read: its variables, rows, number,
    /// iteration and random generator, beside the run's globals.
    pub fn render_ctx<'a>(
        &'a mut self,
        globals: &'a [Value],
        feeds: &'a [Arc<Feed>],
        seq: &'a dyn Fn() -> u64,
    ) -> RenderCtx<'a> {
        self.render_ctx_http(globals, feeds, seq).0
    }

    /// [`render_ctx`](Self::render_ctx) beside the user's HTTP
    /// connection, so a request renders straight into the connection's
    /// output buffer with the connection left in place (moving an
    /// `HttpConn` out of its `Option` and back copies the whole struct).
    pub fn render_ctx_http<'a>(
        &'a mut self,
        globals: &'a [Value],
        feeds: &'a [Arc<Feed>],
        seq: &'a dyn Fn() -> u64,
    ) -> (RenderCtx<'a>, &'a mut Option<HttpConn>) {
        let ctx = RenderCtx {
            globals,
            user: &self.vars,
            feeds,
            rows: &self.rows,
            user_id: self.id,
            iteration: self.iteration.saturating_sub(1),
            seq,
            rng: &mut self.rng,
        };
        (ctx, &mut self.http)
    }

    /// Where the user's current step sits in the profile.
    pub fn step_id(&self) -> StepId {
        StepId {
            class: u16::try_from(self.class).unwrap_or(u16::MAX),
            section: match self.section {
                Section::OnStart => 0,
                Section::Task(t) => u16::try_from(t + 1).unwrap_or(u16::MAX),
            },
            step: u16::try_from(self.step).unwrap_or(u16::MAX),
        }
    }

    /// The step the user is at, if any is left in its section.
    pub fn current<'c>(&self, class: &'c Class) -> Option<&'c Step> {
        match self.section {
            Section::OnStart => class.on_start.get(self.step),
            Section::Task(t) => class.tasks[t].steps.get(self.step),
        }
    }

    /// Picks the next task: in order, or by weight.
    pub fn pick_task(&mut self, class: &Class) -> usize {
        if class.sequential {
            let t = self.next_seq % class.tasks.len();
            self.next_seq = t + 1;
            return t;
        }
        let mut r = self.rng.next_u64() % class.total_weight.max(1);
        for (i, t) in class.tasks.iter().enumerate() {
            let w = u64::from(t.weight);
            if r < w {
                return i;
            }
            r -= w;
        }
        class.tasks.len() - 1
    }

    /// The pause after a task that started at `started` and ended at `now`.
    pub fn think_ns(&mut self, think: Think, started: u64, now: u64) -> u64 {
        match think {
            Think::None => 0,
            Think::Constant(d) => d.as_nanos() as u64,
            Think::Between(a, b) => {
                let (a, b) = (a.as_nanos() as f64, b.as_nanos() as f64);
                (a + (b - a) * self.rng.unit()) as u64
            }
            Think::Pacing(p) => (started + p.as_nanos() as u64).saturating_sub(now),
        }
    }
}
