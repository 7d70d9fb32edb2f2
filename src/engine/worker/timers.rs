//! The slots' timers, in the worker's one [`TimerHeap`].
//!
//! [`TimerHeap`]: crate::engine::timers::TimerHeap
//!
//! Time-driven work (request timeouts, connect deadlines, backoffs,
//! keep-alives, throttle pauses) runs off one timer per slot in the heap at
//! the deadline the slot's state or session asks for
//! ([`Session::poll_timeout`]), so a wake-up costs the timers due, not a
//! scan of every connection.

use slab::Slab;

use super::slots::{Slot, State};
use super::{Phase, Worker};
use crate::engine::timers::Owners;
use crate::metrics::ErrorKind;
use crate::proto::{Session, TimerOutcome};
use crate::tls::Transport;

impl<S: Session> Worker<S> {
    /// Arms the slot's timer at its next deadline (not before `floor`) if
    /// that is earlier than the one armed.
    pub(super) fn rearm(&mut self, key: usize, floor: u64) {
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
            self.timers.arm(key, at, &mut slot.timer_at);
        }
    }

    /// Handles every slot timer due by `now`. A timer a handler arms for a
    /// time already past waits for the next loop turn (at least 1 ms), so
    /// a session that keeps asking for the clock cannot spin the loop.
    pub(super) fn fire_timers(&mut self, now: u64) {
        let mut due = std::mem::take(&mut self.due);
        while let Some(key) = self.timers.pop_due(now, &mut self.slots) {
            due.push(key);
        }
        for &key in &due {
            self.on_timer(key, now);
            self.rearm(key, now + 1_000_000);
        }
        due.clear();
        self.due = due;
    }

    /// The slot's timer fired: a connect that took too long, a backoff
    /// that ended, or whatever its session was waiting for.
    pub(super) fn on_timer(&mut self, key: usize, now: u64) {
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
}

impl<S> Owners for Slab<Slot<S>> {
    fn armed(&mut self, key: usize) -> Option<&mut u64> {
        self.get_mut(key).map(|slot| &mut slot.timer_at)
    }
}
