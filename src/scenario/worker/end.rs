//! How a user's request or iteration ends badly (a failure, an abandoned
//! iteration) and how the worker ends: the drain and the final report.

use std::collections::VecDeque;

use super::*;
use crate::engine::clock::thread_cpu_time;
use crate::metrics::ErrorKind;
use crate::profile::scenario::Step;
use crate::scenario::failure::ErrorDetail;
use crate::scenario::user::{Section, Wait};

impl Worker {
    /// The request in flight (or being connected) failed with `kind`: count
    /// it, drop the connection, abandon the rest of the iteration.
    pub(super) fn fail(&mut self, key: usize, kind: ErrorKind, now: u64) {
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
    pub(super) fn abandon(&mut self, key: usize, now: u64) {
        let sc = self.s.scenario.clone();
        let open = self.schedule.is_some();
        let u = &mut self.users[key];
        u.arrival = None;
        u.wake_at = u64::MAX;
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

    pub(super) fn begin_drain(&mut self, now: u64) {
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

    pub(super) fn finish(&mut self) {
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
        let mut stats = std::mem::take(&mut self.stats);
        stats.smpp = self.smpp_rec.take_smpp();
        let _ = self.s.tx.send(Report::Done {
            worker: self.s.index,
            index: self.open_interval,
            stats: Box::new(stats),
            cpu: thread_cpu_time(),
            users: self.users_at_drain,
        });
    }
}
