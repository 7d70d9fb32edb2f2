//! Per-thread event counters and their server-wide sum.
//!
//! Each server thread writes only its own cache-line-aligned block, so the
//! hot path never bounces a shared line between cores; readers sum all
//! blocks. A block has exactly one writer, so an increment is a plain load
//! and store (no locked read-modify-write); relaxed ordering suffices
//! because the counts order nothing else.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

macro_rules! counters {
    ($( $(#[$doc:meta])* $field:ident / $variant:ident, )*) => {
        /// Server-wide event counts, from [`SmscHandle::counters`](crate::SmscHandle::counters).
        ///
        /// Requests are counted when processed and PDUs the server sends
        /// when queued for writing.
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
        pub struct SmscCounters {
            $( $(#[$doc])* pub $field: u64, )*
        }

        /// Names one counter of a [`ThreadCounters`] block.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        #[repr(usize)]
        pub(crate) enum Counter {
            $( $variant, )*
        }

        /// Number of counters.
        const COUNT: usize = [$(Counter::$variant),*].len();

        impl SmscCounters {
            /// `(name, value)` for every counter, in declaration order.
            pub fn fields(&self) -> [(&'static str, u64); COUNT] {
                [$( (stringify!($field), self.$field), )*]
            }

            fn from_array(v: &[u64; COUNT]) -> SmscCounters {
                SmscCounters { $( $field: v[Counter::$variant as usize], )* }
            }
        }
    };
}

counters! {
    /// TCP connections accepted.
    connections / Connections,
    /// Successful binds (any kind).
    binds_ok / BindsOk,
    /// Binds refused (credentials, bad interface_version, already bound).
    binds_failed / BindsFailed,
    /// submit_sm received on a bound session (throttled and failed included).
    submit_sm / SubmitSm,
    /// submit_sm answered `ESME_ROK`.
    submit_ok / SubmitOk,
    /// submit_sm answered `ESME_RTHROTTLED` by the tps limit.
    throttled / Throttled,
    /// submit_sm answered with the configured error status.
    errors_injected / ErrorsInjected,
    /// Delivery receipts (deliver_sm, esm_class 0x04) sent.
    receipts_sent / ReceiptsSent,
    /// deliver_sm_resp received for receipts.
    receipts_acked / ReceiptsAcked,
    /// Receipts dropped: no receiver-capable bind of the system_id was left.
    receipts_undeliverable / ReceiptsUndeliverable,
    /// Mobile-originated deliver_sm sent.
    mo_sent / MoSent,
    /// deliver_sm_resp received for mobile-originated messages.
    mo_acked / MoAcked,
    /// enquire_link received from clients.
    enquire_link_received / EnquireLinkReceived,
    /// enquire_link sent by the server.
    enquire_link_sent / EnquireLinkSent,
    /// unbind received from clients.
    unbinds_received / UnbindsReceived,
    /// unbind sent by the server.
    unbinds_sent / UnbindsSent,
    /// generic_nack sent.
    generic_nacks_sent / GenericNacksSent,
    /// generic_nack received.
    generic_nacks_received / GenericNacksReceived,
    /// Receipts dropped because their receiver bind did not read: more
    /// than a few thousand were already held for it.
    receipts_dropped / ReceiptsDropped,
    /// Times a session stopped reading requests because its client did not
    /// read the answers (output over its high-water mark).
    read_pauses / ReadPauses,
    /// Responses that match no request the server sent on that connection.
    unknown_responses / UnknownResponses,
}

impl SmscCounters {
    /// One `name: value` line per counter, names padded to align the
    /// values; what the binary prints on exit.
    pub fn render(&self) -> String {
        let fields = self.fields();
        let width = fields.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
        let mut s = String::new();
        for (name, value) in fields {
            // Writing to a String cannot fail.
            let _ = writeln!(
                s,
                "{:width$} {value}",
                format!("{name}:"),
                width = width + 1
            );
        }
        s
    }
}

/// One thread's counters, padded to their own cache lines (128 bytes covers
/// adjacent-line prefetching on x86 and the 128-byte lines of Apple cores).
#[derive(Debug, Default)]
#[repr(align(128))]
pub(crate) struct ThreadCounters {
    counts: [AtomicU64; COUNT],
    /// The most output bytes any one session of this thread has had queued
    /// for its peer: a gauge (kept as a maximum), not a count.
    out_peak: AtomicU64,
}

impl ThreadCounters {
    /// Adds `n` to counter `c`. Only the owning thread may call this.
    #[inline]
    pub(crate) fn add(&self, c: Counter, n: u64) {
        let cell = &self.counts[c as usize];
        cell.store(cell.load(Relaxed).wrapping_add(n), Relaxed);
    }

    /// The current value of counter `c` (for unit tests).
    #[cfg(test)]
    pub(crate) fn get(&self, c: Counter) -> u64 {
        self.counts[c as usize].load(Relaxed)
    }

    /// Records that a session has `bytes` of output queued, keeping the
    /// largest such value. Only the owning thread may call this.
    #[inline]
    pub(crate) fn note_out(&self, bytes: usize) {
        let bytes = bytes as u64;
        if bytes > self.out_peak.load(Relaxed) {
            self.out_peak.store(bytes, Relaxed);
        }
    }

    /// Adds one to counter `c`. Only the owning thread may call this.
    #[inline]
    pub(crate) fn inc(&self, c: Counter) {
        self.add(c, 1);
    }
}

/// Server-wide totals over all threads' counters.
pub(crate) fn total(all: &[ThreadCounters]) -> SmscCounters {
    let mut sum = [0u64; COUNT];
    for block in all {
        for (s, cell) in sum.iter_mut().zip(block.counts.iter()) {
            *s += cell.load(Relaxed);
        }
    }
    SmscCounters::from_array(&sum)
}

/// The largest output backlog any session of any thread has had, in bytes.
pub(crate) fn out_peak(all: &[ThreadCounters]) -> u64 {
    all.iter()
        .map(|block| block.out_peak.load(Relaxed))
        .max()
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_and_pads() {
        assert!(std::mem::align_of::<ThreadCounters>() >= 128);
        let all: Vec<ThreadCounters> = (0..3).map(|_| ThreadCounters::default()).collect();
        all[0].add(Counter::SubmitSm, 2);
        all[2].add(Counter::SubmitSm, 3);
        all[1].inc(Counter::UnknownResponses);
        all[1].inc(Counter::Connections);
        all[2].inc(Counter::Connections);
        let t = total(&all);
        assert_eq!(
            t,
            SmscCounters {
                connections: 2,
                submit_sm: 5,
                unknown_responses: 1,
                ..Default::default()
            }
        );
    }

    #[test]
    fn renders_every_counter_aligned() {
        let c = SmscCounters {
            submit_ok: 42,
            ..Default::default()
        };
        let text = c.render();
        assert_eq!(text.lines().count(), COUNT);
        assert!(text.starts_with("connections:            0\n"), "{text}");
        assert!(text.contains("\nsubmit_ok:              42\n"), "{text}");
        assert!(text.ends_with("unknown_responses:      0\n"), "{text}");
    }
}
