//! SMPP-specific measurements: command_status counts, receipts, sessions.
//!
//! Kept apart from the HTTP counters and created only when an SMPP session
//! records something, so an HTTP run carries none of it.

use hdrhistogram::Histogram;

use super::merge::{add_histogram, add_slots};
use super::recorder::new_histogram;

/// Distinct command_status values tracked exactly; any further distinct
/// value is counted in `other_status`. Real SMSCs answer with a handful.
pub const STATUS_TABLE: usize = 32;
/// Receipt states: the ten SMPP message states plus "not a known state".
pub const RECEIPT_STATES: usize = 11;

/// Names of the receipt state slots, as written in receipts' `stat:` field.
pub const RECEIPT_STATE_NAMES: [&str; RECEIPT_STATES] = [
    "SCHEDUL", "ENROUTE", "DELIVRD", "EXPIRED", "DELETED", "UNDELIV", "ACCEPTD", "UNKNOWN",
    "REJECTD", "SKIPPED", "OTHER",
];

/// SMPP counters and the receipt latency histogram of one interval or run.
#[derive(Debug, Clone)]
pub struct SmppMetrics {
    /// (command_status, count) for submit_sm responses, first come first
    /// slotted; unused slots have count 0.
    pub status: [(u32, u64); STATUS_TABLE],
    /// Responses whose status did not fit the table.
    pub other_status: u64,
    /// submit_sm answered ESME_RTHROTTLED or ESME_RMSGQFUL.
    pub throttled: u64,
    /// Binds accepted.
    pub bound: u64,
    /// Binds refused (or unanswered).
    pub bind_failed: u64,
    /// Of `bind_failed`: binds with no bind_resp within the timeout (or
    /// before the load ended).
    pub bind_timeouts: u64,
    /// Of `bind_failed`: the connection closed or failed with the bind
    /// unanswered.
    pub bind_closed: u64,
    /// Last refusal's command_status (0 if none).
    pub last_bind_status: u32,
    /// Reconnects after a bound session was lost.
    pub reconnects: u64,
    /// unbind requests received from the server.
    pub unbinds_received: u64,
    /// generic_nack received.
    pub generic_nacks: u64,
    /// Responses to a sequence number with nothing outstanding.
    pub unknown_responses: u64,
    /// deliver_sm received (receipts and mobile-originated).
    pub deliver_sm: u64,
    /// Delivery receipts received.
    pub receipts: u64,
    /// Receipts matched to a submit of this run.
    pub receipts_matched: u64,
    /// Submits whose receipt had not arrived when the run ended.
    pub receipts_pending: u64,
    /// Submits answered ESME_ROK with an empty message_id while receipts
    /// were asked for: nothing a receipt could be matched by.
    pub receipts_unmatchable: u64,
    /// Receipts by state (see [`RECEIPT_STATE_NAMES`]).
    pub receipt_states: [u64; RECEIPT_STATES],
    /// enquire_link sent by hornet.
    pub enquire_links: u64,
    /// enquire_link received from the SMSC (each answered).
    pub enquire_links_received: u64,
    /// Submit-to-receipt latency, microseconds.
    pub receipt_latency: Histogram<u64>,
}

impl Default for SmppMetrics {
    fn default() -> Self {
        SmppMetrics {
            status: [(0, 0); STATUS_TABLE],
            other_status: 0,
            throttled: 0,
            bound: 0,
            bind_failed: 0,
            bind_timeouts: 0,
            bind_closed: 0,
            last_bind_status: 0,
            reconnects: 0,
            unbinds_received: 0,
            generic_nacks: 0,
            unknown_responses: 0,
            deliver_sm: 0,
            receipts: 0,
            receipts_matched: 0,
            receipts_pending: 0,
            receipts_unmatchable: 0,
            receipt_states: [0; RECEIPT_STATES],
            enquire_links: 0,
            enquire_links_received: 0,
            receipt_latency: new_histogram(),
        }
    }
}

impl SmppMetrics {
    /// Counts `n` responses with `status`.
    #[inline]
    pub fn count_status(&mut self, status: u32, n: u64) {
        for slot in self.status.iter_mut() {
            if slot.1 == 0 || slot.0 == status {
                slot.0 = status;
                slot.1 += n;
                return;
            }
        }
        self.other_status += n;
    }

    /// Adds `other` into `self`.
    pub fn merge(&mut self, other: &SmppMetrics) {
        for &(status, n) in other.status.iter().filter(|s| s.1 > 0) {
            self.count_status(status, n);
        }
        self.other_status += other.other_status;
        self.throttled += other.throttled;
        self.bound += other.bound;
        self.bind_failed += other.bind_failed;
        self.bind_timeouts += other.bind_timeouts;
        self.bind_closed += other.bind_closed;
        if other.last_bind_status != 0 {
            self.last_bind_status = other.last_bind_status;
        }
        self.reconnects += other.reconnects;
        self.unbinds_received += other.unbinds_received;
        self.generic_nacks += other.generic_nacks;
        self.unknown_responses += other.unknown_responses;
        self.deliver_sm += other.deliver_sm;
        self.receipts += other.receipts;
        self.receipts_matched += other.receipts_matched;
        self.receipts_pending += other.receipts_pending;
        self.receipts_unmatchable += other.receipts_unmatchable;
        add_slots(&mut self.receipt_states, &other.receipt_states);
        self.enquire_links += other.enquire_links;
        self.enquire_links_received += other.enquire_links_received;
        add_histogram(&mut self.receipt_latency, &other.receipt_latency);
    }

    /// Zeroes everything, keeping the histogram's allocation.
    pub fn reset(&mut self) {
        self.status = [(0, 0); STATUS_TABLE];
        self.other_status = 0;
        self.throttled = 0;
        self.bound = 0;
        self.bind_failed = 0;
        self.bind_timeouts = 0;
        self.bind_closed = 0;
        self.last_bind_status = 0;
        self.reconnects = 0;
        self.unbinds_received = 0;
        self.generic_nacks = 0;
        self.unknown_responses = 0;
        self.deliver_sm = 0;
        self.receipts = 0;
        self.receipts_matched = 0;
        self.receipts_pending = 0;
        self.receipts_unmatchable = 0;
        self.receipt_states = [0; RECEIPT_STATES];
        self.enquire_links = 0;
        self.enquire_links_received = 0;
        self.receipt_latency.reset();
    }

    /// Counted responses with `status`, wherever it is in the table.
    pub fn status_count(&self, status: u32) -> u64 {
        self.status
            .iter()
            .filter(|s| s.1 > 0 && s.0 == status)
            .map(|s| s.1)
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_table_counts_and_overflows() {
        let mut m = SmppMetrics::default();
        for s in 0..(STATUS_TABLE as u32 + 3) {
            m.count_status(s, 2);
        }
        m.count_status(0, 1);
        assert_eq!(m.status_count(0), 3);
        assert_eq!(m.other_status, 6);
        let mut total = SmppMetrics::default();
        total.merge(&m);
        total.merge(&m);
        assert_eq!(total.status_count(0), 6);
        assert_eq!(total.other_status, 12);
        total.reset();
        assert_eq!(total.status_count(0), 0);
        assert_eq!(total.receipt_latency.len(), 0);
        assert_eq!(total.receipt_latency.high(), new_histogram().high());
    }
}
