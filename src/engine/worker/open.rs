//! How the load model hands work to slots. Closed model: every slot is
//! kept as full as its session allows. Open model: requests fall due on the
//! schedule and go to idle slots; while every slot is busy and requests
//! wait, the pool grows one connection at a time up to its cap.

use super::slots::State;
use super::{Phase, Worker};
use crate::load::OpenSchedule;
use crate::proto::Session;

/// Open-model bookkeeping: requests `assigned..scheduled` are due and wait
/// for a connection; their intended times come from the schedule, so
/// nothing is stored per waiting request.
pub(super) struct OpenState {
    pub(super) schedule: OpenSchedule,
    pub(super) scheduled: u64,
    pub(super) assigned: u64,
    pub(super) idle: Vec<usize>,
}

impl<S: Session> Worker<S> {
    /// Closed model: the slot is kept as full as the session allows.
    pub(super) fn top_up_closed(&mut self, key: usize, now: u64) {
        if self.phase != Phase::Running {
            return;
        }
        let session = &mut self.slots[key].session;
        let n = session.room();
        for _ in 0..n {
            session.push(now);
        }
        self.rec.scheduled(n as u64);
    }

    /// The slot may have room for more work (responses freed it, a bind
    /// completed, a pause ended): the closed model fills it at once; the
    /// open model offers it to waiting requests.
    pub(super) fn offer(&mut self, key: usize, now: u64) {
        let slot = &mut self.slots[key];
        // The session works (connected, bound): the pool may grow past
        // it. Its backoff starts afresh only once it has proved itself
        // (see `HEALTHY_NS`).
        if !slot.ready && slot.state == State::Open && slot.session.ready() {
            slot.ready = true;
            slot.usable_at = now;
            slot.answers_at = slot.session.answered();
            self.unready -= 1;
        }
        if self.phase != Phase::Running {
            return;
        }
        match &mut self.open {
            None => self.top_up_closed(key, now),
            Some(open) => {
                let slot = &mut self.slots[key];
                if !slot.listed && slot.state == State::Open && slot.session.room() > 0 {
                    slot.listed = true;
                    open.idle.push(key);
                }
                self.assign_open(now);
            }
        }
    }

    /// Open model: turns due intended times into scheduled requests and hands
    /// them to free connections.
    pub(super) fn schedule_open(&mut self, now: u64) {
        let Some(open) = &mut self.open else {
            return;
        };
        let due = open.schedule.due(now);
        if due > open.scheduled {
            for k in open.scheduled..due {
                self.rec
                    .schedule_lag(now.saturating_sub(open.schedule.intended(k)));
            }
            self.rec.scheduled(due - open.scheduled);
            open.scheduled = due;
        }
        self.assign_open(now);
    }

    pub(super) fn assign_open(&mut self, now: u64) {
        loop {
            let Some(open) = self.open.as_mut() else {
                return;
            };
            if open.assigned >= open.scheduled {
                return;
            }
            let Some(key) = open.idle.pop() else {
                break;
            };
            let slot = &mut self.slots[key];
            slot.listed = false;
            if slot.state != State::Open {
                continue;
            }
            let n = (slot.session.room() as u64).min(open.scheduled - open.assigned);
            for _ in 0..n {
                slot.session.push(open.schedule.intended(open.assigned));
                open.assigned += 1;
            }
            if slot.session.room() > 0 {
                slot.listed = true;
                open.idle.push(key);
            }
            let Some(stream) = slot.stream.as_mut() else {
                continue;
            };
            if let Err(kind) = slot.session.flush(stream, now, &mut self.rec) {
                self.lost(key, kind);
            }
            self.rearm(key, 0);
        }
        // Every connection is busy and requests wait: grow the pool, one
        // connection attempt at a time, up to the cap; not while connects
        // are failing (that is a dead target, not a busy pool).
        if self.connecting == 0
            && self.backing_off == 0
            && self.unready == 0
            && self.slots.len() < self.max_slots
        {
            self.add_slot(now);
        }
    }
}
