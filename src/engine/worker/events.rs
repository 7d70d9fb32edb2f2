//! Readiness events: a connect that completed, input to read, room to
//! write.
//!
//! No peer can hold the loop: a read pass takes at most
//! [`READ_BUDGET`](crate::proto::READ_BUDGET) bytes, and a session whose
//! output is backed up stops reading ([`Session::read_paused`]). Sockets
//! are edge-triggered, so a connection whose pass stopped early goes on
//! the re-read list and is read again on the next loop turn (which polls
//! without waiting while the list is not empty), after the clock, the
//! timeouts, the stop flag and the writes have had their turn.

use super::slots::State;
use super::Worker;
use crate::metrics::ErrorKind;
use crate::proto::{ReadOutcome, Session};

impl<S: Session> Worker<S> {
    pub(super) fn on_event(&mut self, key: usize, readable: bool, read_closed: bool) {
        let Some(slot) = self.slots.get_mut(key) else {
            return;
        };
        match slot.state {
            State::Connecting { .. } => self.on_connect_ready(key),
            State::Open => {
                // TLS: records queued while the socket was full go now.
                let pending = slot
                    .stream
                    .as_mut()
                    .map_or(Ok(()), |s| s.on_ready(readable));
                if let Err(e) = pending {
                    return self.lost(key, ErrorKind::from_io_error(&e));
                }
                if readable {
                    slot.peer_closed |= read_closed;
                    let closed = slot.peer_closed;
                    self.on_readable(key, closed);
                }
                self.flush(key);
            }
            State::Backoff { .. } | State::Stopped => {}
        }
    }

    fn on_readable(&mut self, key: usize, read_closed: bool) {
        let clock = self.clock;
        let slot = &mut self.slots[key];
        let Some(stream) = slot.stream.as_mut() else {
            return;
        };
        slot.unread = false;
        let stop_on_short_read = !read_closed && stream.short_read_ends_pass();
        let outcome = slot.session.read(
            stream,
            stop_on_short_read,
            &mut || clock.now(),
            &mut self.rec,
        );
        let now = clock.now();
        match outcome {
            Ok(ReadOutcome::Open) => self.offer(key, now),
            Ok(ReadOutcome::Closed) => {
                self.slots[key].session.requeue_unanswered(&mut self.rec);
                self.reconnect(key, now);
            }
            Ok(ReadOutcome::Rejected) => self.rejected(key, now),
            Ok(ReadOutcome::Yield) => {
                self.mark_unread(key);
                self.offer(key, now);
            }
            Err(kind) => self.lost(key, kind),
        }
    }

    /// The slot's last pass stopped before the socket would block: read it
    /// again on the next loop turn, unless its output is backed up (then
    /// `flush` puts it back once the output drains).
    fn mark_unread(&mut self, key: usize) {
        let slot = &mut self.slots[key];
        slot.unread = true;
        if !slot.on_reread && !slot.session.read_paused() {
            slot.on_reread = true;
            self.reread.push(key);
        }
    }

    /// Reads again every slot whose last pass stopped early (one bounded
    /// pass each, then back to the loop).
    pub(super) fn read_again(&mut self) {
        if self.reread.is_empty() {
            return;
        }
        std::mem::swap(&mut self.reread, &mut self.spare);
        let keys = std::mem::take(&mut self.spare);
        for &key in &keys {
            let slot = &mut self.slots[key];
            slot.on_reread = false;
            if slot.state == State::Open && slot.unread && !slot.session.read_paused() {
                let closed = slot.peer_closed;
                self.on_readable(key, closed);
                self.flush(key);
            }
        }
        let mut keys = keys;
        keys.clear();
        self.spare = keys;
    }

    /// Writes what the slot has queued, then re-arms its timer: writes
    /// start request timeouts, and reads that came before changed what the
    /// session waits for.
    pub(super) fn flush(&mut self, key: usize) {
        self.write_out(key);
        self.rearm(key, 0);
    }

    fn write_out(&mut self, key: usize) {
        let slot = &mut self.slots[key];
        if slot.state != State::Open || !slot.session.wants_write() {
            return;
        }
        let Some(stream) = slot.stream.as_mut() else {
            return;
        };
        let now = self.clock.now();
        if let Err(kind) = slot.session.flush(stream, now, &mut self.rec) {
            return self.lost(key, kind);
        }
        // Output drained below its low-water mark: reading resumes; the
        // input waiting in the kernel raises no new event, so read it on
        // the next turn.
        if slot.unread && !slot.on_reread && !slot.session.read_paused() {
            slot.on_reread = true;
            self.reread.push(key);
        }
    }
}
