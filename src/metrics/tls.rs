//! TLS measurements: handshakes (full and resumed), their duration in a
//! histogram of its own, and TLS failures by reason.
//!
//! Kept apart from request latency: a handshake is connection setup, and
//! mixing it into request latency would hide both. Created only when a TLS
//! connection records something, so a plain run carries none of it.

use hdrhistogram::Histogram;

use super::merge::{add_histogram, add_slots};
use super::recorder::new_histogram;
use crate::vocab::{TlsFailure, TlsReason};

/// TLS counters and the handshake histogram of one interval or run.
#[derive(Debug, Clone)]
pub struct TlsMetrics {
    /// Handshakes completed.
    pub handshakes: u64,
    /// Of those, resumed (abbreviated) handshakes.
    pub resumed: u64,
    /// TLS failures by reason (handshake or established connection).
    pub errors: [u64; TlsReason::COUNT],
    /// The first failure's text for each reason (an example for the
    /// summary).
    pub examples: [Option<Box<str>>; TlsReason::COUNT],
    /// Handshake duration, from TCP connected to handshake complete,
    /// microseconds.
    pub handshake: Histogram<u64>,
}

impl Default for TlsMetrics {
    fn default() -> Self {
        TlsMetrics {
            handshakes: 0,
            resumed: 0,
            errors: [0; TlsReason::COUNT],
            examples: [const { None }; TlsReason::COUNT],
            handshake: new_histogram(),
        }
    }
}

impl TlsMetrics {
    /// Adds `other` into `self` exactly.
    pub fn merge(&mut self, other: &TlsMetrics) {
        self.handshakes += other.handshakes;
        self.resumed += other.resumed;
        add_slots(&mut self.errors, &other.errors);
        for (a, b) in self.examples.iter_mut().zip(other.examples.iter()) {
            if a.is_none() {
                a.clone_from(b);
            }
        }
        add_histogram(&mut self.handshake, &other.handshake);
    }

    /// Zeroes everything, keeping allocations.
    pub fn reset(&mut self) {
        self.handshakes = 0;
        self.resumed = 0;
        self.errors = [0; TlsReason::COUNT];
        self.examples = [const { None }; TlsReason::COUNT];
        self.handshake.reset();
    }

    /// A handshake completed in `ns`. Returns true if the duration was
    /// clamped to the histogram's top.
    pub fn record_handshake(&mut self, ns: u64, resumed: bool) -> bool {
        let (us, clamped) = super::recorder::to_us(ns);
        self.handshakes += 1;
        self.resumed += u64::from(resumed);
        let _ = self.handshake.record(us);
        clamped
    }

    /// Counts a failure, keeping its text if it is the first of its reason.
    pub fn record_error(&mut self, failure: &TlsFailure) {
        let i = failure.reason as usize;
        self.errors[i] += 1;
        if self.examples[i].is_none() {
            self.examples[i] = Some(failure.detail.as_str().into());
        }
    }

    /// TLS failures of every reason.
    pub fn error_total(&self) -> u64 {
        self.errors.iter().sum()
    }
}
