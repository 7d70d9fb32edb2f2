//! A scenario worker's timers: each user's pause (think time, sleep,
//! pacing, back-off) and its request timeout, one live entry per user in
//! the worker's one
//! [`TimerHeap`](crate::engine::timers::TimerHeap) (the engine's), at whichever the user
//! waits for.
//!
//! Nothing is cancelled in the heap: a user whose pause ends early (it is
//! abandoned, it retires) or whose response came keeps its entry, which
//! fires, finds nothing due and is dropped or moved to the user's current
//! deadline. So the heap never grows with the request rate.

use slab::Slab;

use super::*;
use crate::engine::timers::Owners;
use crate::metrics::ErrorKind;
use crate::scenario::user::Wait;

impl Worker {
    /// The user pauses until `at` (the caller sets `Wait::Timer`).
    pub(super) fn arm(&mut self, key: usize, at: u64) {
        let u = &mut self.users[key];
        u.wake_at = at;
        self.timers.arm(key, at, &mut u.timer_at);
    }

    /// The user's request in flight times out at `at`.
    pub(super) fn arm_timeout(&mut self, key: usize, at: u64) {
        let u = &mut self.users[key];
        u.deadline = Some(at);
        self.timers.arm(key, at, &mut u.timer_at);
    }

    /// Handles every user timer due by `now`: a pause that ended makes its
    /// user ready, a request that outlived its timeout fails.
    pub(super) fn fire_timers(&mut self, now: u64) {
        while let Some(key) = self.timers.pop_due(now, &mut self.users) {
            let u = &mut self.users[key];
            match u.wait {
                Wait::Timer if u.wake_at <= now => {
                    u.wake_at = u64::MAX;
                    u.wait = Wait::Ready;
                    self.ready.push_back(key);
                }
                Wait::Response if u.deadline.is_some_and(|d| d <= now) => {
                    u.deadline = None;
                    self.fail(key, ErrorKind::Timeout, now);
                }
                _ => {}
            }
            // Whatever the user waits for now (a later pause, the next
            // request's timeout, or nothing).
            if let Some(u) = self.users.get_mut(key) {
                if let Some(at) = u.next_due() {
                    self.timers.arm(key, at.max(now), &mut u.timer_at);
                }
            }
        }
    }
}

impl Owners for Slab<User> {
    fn armed(&mut self, key: usize) -> Option<&mut u64> {
        self.get_mut(key).map(|u| &mut u.timer_at)
    }
}
