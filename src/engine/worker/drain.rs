//! The end of a worker's run: the drain after the load (cut short by a
//! signal), the interval snapshots sent to the collector on the way, and
//! the final snapshot.

use super::slots::State;
use super::{Phase, Worker};
use crate::engine::clock::thread_cpu_time;
use crate::metrics::{Metrics, Snapshot};
use crate::proto::Session;

impl<S: Session> Worker<S> {
    /// The load phase is over: nothing new is scheduled; requests not yet
    /// written are counted as not sent; written ones get until their timeout.
    pub(super) fn begin_drain(&mut self) {
        self.phase = Phase::Draining;
        if let Some(open) = &mut self.open {
            self.rec.not_sent(open.scheduled - open.assigned);
            open.assigned = open.scheduled;
            open.idle.clear();
        }
        for key in 0..self.slots.capacity() {
            let Some(slot) = self.slots.get_mut(key) else {
                continue;
            };
            let n = slot.session.take_unwritten();
            self.rec.not_sent(n);
            if slot.state != State::Open {
                self.close_stream(key);
                self.set_state(key, State::Stopped);
            }
        }
    }

    /// One loop turn of the drain: a signal cuts it short; true once the
    /// worker is done (every slot settled, or the grace after a signal
    /// over).
    pub(super) fn drain_turn(&mut self, now: u64) -> bool {
        if self.cut_at.is_none() && crate::interrupt::requested() {
            self.on_signal(now);
        }
        if self.drained(now) {
            return true;
        }
        if self.cut_at.is_some_and(|cut| now >= cut) {
            self.abandon_in_flight();
            return true;
        }
        false
    }

    /// A signal, before or during the drain: in-flight requests get a short
    /// grace, not their whole timeout, so the run stops within a second.
    fn on_signal(&mut self, now: u64) {
        let grace = crate::interrupt::GRACE_NS.min(self.timeout_ns);
        self.cut_at = Some(now.saturating_add(grace));
        // Sessions waiting on a long timer (receipts still due
        // under --dlr-wait) see the signal now: one pass.
        for key in 0..self.slots.capacity() {
            if self.slots.contains(key) {
                self.on_timer(key, now);
                self.rearm(key, 0);
            }
        }
    }

    /// Drain progress: once a slot's requests are settled it says goodbye
    /// (if its protocol has one); the worker is done when every slot is.
    fn drained(&mut self, now: u64) -> bool {
        let mut done = true;
        for key in 0..self.slots.capacity() {
            let Some(slot) = self.slots.get_mut(key) else {
                continue;
            };
            if slot.state == State::Open && !slot.closing && slot.session.queued() == 0 {
                slot.closing = true;
                slot.session.begin_close(now, &mut self.rec);
                self.flush(key);
            }
            let slot = &self.slots[key];
            if slot.state == State::Open && !slot.session.settled(now) {
                done = false;
            }
        }
        done
    }

    /// The grace after a signal is over: every request still in flight is
    /// counted as abandoned (goodbyes still unanswered are given up too).
    fn abandon_in_flight(&mut self) {
        for key in 0..self.slots.capacity() {
            if let Some(slot) = self.slots.get_mut(key) {
                slot.session.abandon_in_flight(&mut self.rec);
            }
        }
    }

    /// Sends one snapshot per interval boundary passed (empty ones for any
    /// boundary a stalled loop skipped, so the collector's series has no
    /// holes).
    pub(super) fn tick(&mut self, now: u64) {
        while now >= self.next_tick {
            let metrics = self.rec.swap(Metrics::default());
            let snapshot = Snapshot {
                worker: self.index,
                interval: self.tick_index,
                is_final: false,
                open_connections: self.open_count as u64,
                cpu: None,
                metrics,
            };
            // Blocking send: the channel is bounded, and losing a snapshot
            // would lose results. The collector only merges, so it keeps up.
            let _ = self.snapshots.send(snapshot);
            self.tick_index += 1;
            self.next_tick += self.interval_ns;
        }
    }

    pub(super) fn finish(&mut self) {
        for key in 0..self.slots.capacity() {
            if !self.slots.contains(key) {
                continue;
            }
            self.close_stream(key);
            self.slots[key].session.finish(&mut self.rec);
        }
        let metrics = self.rec.swap(Metrics::default());
        let _ = self.snapshots.send(Snapshot {
            worker: self.index,
            interval: self.tick_index,
            is_final: true,
            open_connections: 0,
            cpu: Some(thread_cpu_time()),
            metrics,
        });
    }
}
