//! Users of a scenario worker: spawning and retiring them to follow the
//! closed model's shape, parking them between open-model arrivals, and
//! handing due arrivals to users of the arrival's class.

use std::sync::atomic::Ordering;

use super::*;
use crate::profile::scenario::LoadModel;
use crate::scenario::user::{Section, User, Wait};

impl Worker {
    /// Closed model: spawn or retire users to follow the shape. Open model:
    /// nothing (users are spawned on demand by `dispatch`).
    pub(super) fn control(&mut self, now: u64) {
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
    pub(super) fn all_parked(&self) -> bool {
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

    pub(super) fn cap_reached(&self) -> bool {
        self.s
            .scenario
            .load
            .iterations
            .is_some_and(|cap| self.s.shared.iterations.load(Ordering::Relaxed) >= cap)
    }

    /// Starts a user: of the class its number gets (closed model), or of
    /// `class` (open model: the class whose arrival is waiting).
    pub(super) fn spawn(&mut self, now: u64, class: Option<usize>) -> usize {
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
    pub(super) fn park(&mut self, key: usize) {
        let class = self.users[key].class;
        self.users[key].wait = Wait::Arrival;
        self.idle[class].push_back(key);
        // Its class's due arrival can start now: wake for it.
        self.blocked[class] = false;
    }

    pub(super) fn retire(&mut self, key: usize) {
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

    pub(super) fn remove(&mut self, key: usize) {
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
    pub(super) fn next_arrival(&self) -> Option<u64> {
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
    pub(super) fn dispatch(&mut self, now: u64) {
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
}
