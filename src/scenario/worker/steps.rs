//! A user's way through its steps: starting a task, advancing step by
//! step, and the end of a section (think time, parking, retiring).

use std::sync::atomic::Ordering;

use super::*;
use crate::profile::scenario::Step;
use crate::scenario::user::{Section, Wait};

impl Worker {
    /// Starts a task iteration; false if the user must stop instead.
    pub(super) fn start_task(&mut self, key: usize, now: u64) -> bool {
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

    pub(super) fn finish_user(&mut self, key: usize) {
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

    /// Moves a ready user forward until it waits for something. `sc` is
    /// the worker's scenario, lent by the turn (one `Arc` clone per turn,
    /// not two atomic operations per step).
    pub(super) fn advance(&mut self, sc: &Scenario, key: usize) {
        // One clock read per call: the steps taken here before a send
        // (ending a section, starting a task, a failed render) do no I/O,
        // so the time read on entry is still the time of the send.
        let now = self.s.clock.now();
        loop {
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
                    if !self.end_section(sc, key, now) {
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
                    if self.send(sc, key, step, now) {
                        return;
                    }
                }
                Some(Step::Smpp(step)) => {
                    if self.send_smpp(sc, key, step, now) {
                        return;
                    }
                }
            }
        }
    }

    /// The user ran out of steps in its section (or came back from a
    /// pause between tasks). Returns true if it should keep advancing now.
    pub(super) fn end_section(&mut self, sc: &Scenario, key: usize, now: u64) -> bool {
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
}
