//! A scenario worker's timers: users' pauses (think time, sleeps, pacing,
//! back-offs; a heap with generation numbers so cancelled timers are
//! skipped) and request timeouts (at most one heap entry per user).

use std::cmp::Reverse;

use super::*;
use crate::metrics::ErrorKind;
use crate::scenario::user::Wait;

impl Worker {
    pub(super) fn arm(&mut self, key: usize, at: u64) {
        self.next_gen += 1;
        self.users[key].timer_gen = self.next_gen;
        self.timers.push(Reverse((at, key, self.next_gen)));
    }

    pub(super) fn arm_timeout(&mut self, key: usize, at: u64) {
        let u = &mut self.users[key];
        u.deadline = Some(at);
        if !u.deadline_queued {
            u.deadline_queued = true;
            self.deadlines.push(Reverse((at, key, u.id)));
        }
    }

    pub(super) fn fire_deadlines(&mut self, now: u64) {
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

    pub(super) fn fire_timers(&mut self, now: u64) {
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
}
