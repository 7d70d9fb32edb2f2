//! Per-worker recording: histograms and counters a worker updates on its hot
//! path, swapped out whole once per interval.
//!
//! Everything here is owned by one worker thread: no atomics, no locks, no
//! allocation per request. Histograms have fixed bounds (1 us .. 1 h, 3
//! significant digits) and never resize; values outside the bounds are
//! clamped and counted, never dropped.

use hdrhistogram::Histogram;

use super::merge::{add_histogram, add_slots, Merge};
use super::smpp::SmppMetrics;
use super::tls::TlsMetrics;
use crate::vocab::ErrorKind;
use crate::vocab::TlsFailure;

/// Smallest latency the histograms distinguish, in microseconds.
pub const LOWEST_US: u64 = 1;
/// Largest latency the histograms hold, in microseconds (one hour).
pub const HIGHEST_US: u64 = 3_600_000_000;
/// Significant decimal digits kept by every histogram.
pub const SIGFIG: u8 = 3;
/// Status codes are three digits; index 0..999 covers every code httparse
/// accepts.
pub const STATUS_SLOTS: usize = 1000;

/// A histogram with hornet's fixed bounds.
pub fn new_histogram() -> Histogram<u64> {
    let mut h = Histogram::new_with_bounds(LOWEST_US, HIGHEST_US, SIGFIG)
        .expect("constant histogram bounds are valid");
    h.auto(false);
    h
}

/// Request outcome counters. Every scheduled request ends in exactly one of
/// `completed`, `failed`, `timed_out`, `not_sent` or `abandoned`.
#[derive(Debug, Clone)]
pub struct Counters {
    /// Requests the load model asked for.
    pub scheduled: u64,
    /// Requests that got a complete response (any status).
    pub completed: u64,
    /// Requests that ended in a connection or parse error.
    pub failed: u64,
    /// Requests with no response within the request timeout.
    pub timed_out: u64,
    /// Requests scheduled but never written when the run ended.
    pub not_sent: u64,
    /// Requests written and still unanswered when a signal (Ctrl-C,
    /// SIGTERM) cut the drain short: neither answered nor failed, the run
    /// stopped waiting for them.
    pub abandoned: u64,
    /// Completed requests with a 2xx or 3xx status.
    pub ok: u64,
    /// Completed requests by status code.
    pub status: Box<[u64]>,
    /// Failed and timed-out requests by the kind of error that ended them.
    pub errors: [u64; ErrorKind::COUNT],
    /// Open-model requests whose send was more than one millisecond behind
    /// its intended time because the generator itself was late.
    pub late_sends: u64,
    /// Latency samples that exceeded the histogram range and were clamped.
    pub clamped: u64,
    /// TCP connections established.
    pub connects: u64,
    /// Failed connection attempts by kind: events, whether or not a request
    /// was waiting on them (an SMPP bind has no request to fail).
    pub connect_errors: [u64; ErrorKind::COUNT],
    /// Usable connections that failed with no request in flight (an idle
    /// keep-alive connection reset, a malformed PDU right after a bind),
    /// by kind: no request fails with them, but they are not hidden.
    pub connections_lost: [u64; ErrorKind::COUNT],
    /// Response body bytes (HTTP).
    pub body_bytes: u64,
}

impl Default for Counters {
    fn default() -> Self {
        Counters {
            scheduled: 0,
            completed: 0,
            failed: 0,
            timed_out: 0,
            not_sent: 0,
            abandoned: 0,
            ok: 0,
            status: vec![0; STATUS_SLOTS].into_boxed_slice(),
            errors: [0; ErrorKind::COUNT],
            late_sends: 0,
            clamped: 0,
            connects: 0,
            connect_errors: [0; ErrorKind::COUNT],
            connections_lost: [0; ErrorKind::COUNT],
            body_bytes: 0,
        }
    }
}

impl Counters {
    /// Adds `other` into `self`.
    pub fn merge(&mut self, other: &Counters) {
        self.scheduled += other.scheduled;
        self.completed += other.completed;
        self.failed += other.failed;
        self.timed_out += other.timed_out;
        self.not_sent += other.not_sent;
        self.abandoned += other.abandoned;
        self.ok += other.ok;
        add_slots(&mut self.status, &other.status);
        add_slots(&mut self.errors, &other.errors);
        self.late_sends += other.late_sends;
        self.clamped += other.clamped;
        self.connects += other.connects;
        self.body_bytes += other.body_bytes;
        add_slots(&mut self.connect_errors, &other.connect_errors);
        add_slots(&mut self.connections_lost, &other.connections_lost);
    }

    /// Zeroes every counter, keeping the allocation.
    pub fn reset(&mut self) {
        let status = std::mem::take(&mut self.status);
        *self = Counters {
            status,
            ..Counters::default_without_status()
        };
        self.status.fill(0);
    }

    fn default_without_status() -> Counters {
        Counters {
            scheduled: 0,
            completed: 0,
            failed: 0,
            timed_out: 0,
            not_sent: 0,
            abandoned: 0,
            ok: 0,
            status: Box::new([]),
            errors: [0; ErrorKind::COUNT],
            late_sends: 0,
            clamped: 0,
            connects: 0,
            connect_errors: [0; ErrorKind::COUNT],
            connections_lost: [0; ErrorKind::COUNT],
            body_bytes: 0,
        }
    }

    /// Requests that reached a final bucket so far.
    pub fn settled(&self) -> u64 {
        self.completed + self.failed + self.timed_out + self.not_sent + self.abandoned
    }
}

/// One interval's (or a whole run's) measurements.
#[derive(Debug, Clone)]
pub struct Metrics {
    /// Outcome counters.
    pub counters: Counters,
    /// Latency from the intended start time (coordinated-omission
    /// corrected), microseconds.
    pub latency: Histogram<u64>,
    /// Latency from the moment the request was written, microseconds.
    pub latency_uncorrected: Histogram<u64>,
    /// Open model: how late the generator noticed each send was due,
    /// microseconds. Large values mean the generator was the bottleneck.
    pub schedule_lag: Histogram<u64>,
    /// SMPP-only measurements; `None` until an SMPP session records one.
    pub smpp: Option<Box<SmppMetrics>>,
    /// TLS-only measurements; `None` until a TLS connection records one.
    pub tls: Option<Box<TlsMetrics>>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            counters: Counters::default(),
            latency: new_histogram(),
            latency_uncorrected: new_histogram(),
            schedule_lag: new_histogram(),
            smpp: None,
            tls: None,
        }
    }
}

impl Metrics {
    /// Adds `other` into `self` exactly (histogram addition loses nothing:
    /// both sides share bounds and precision).
    pub fn merge(&mut self, other: &Metrics) {
        self.counters.merge(&other.counters);
        add_histogram(&mut self.latency, &other.latency);
        add_histogram(&mut self.latency_uncorrected, &other.latency_uncorrected);
        add_histogram(&mut self.schedule_lag, &other.schedule_lag);
        if let Some(theirs) = &other.smpp {
            self.smpp.get_or_insert_with(Box::default).merge(theirs);
        }
        if let Some(theirs) = &other.tls {
            self.tls.get_or_insert_with(Box::default).merge(theirs);
        }
    }

    /// Zeroes everything, keeping allocations for reuse.
    pub fn reset(&mut self) {
        self.counters.reset();
        self.latency.reset();
        self.latency_uncorrected.reset();
        self.schedule_lag.reset();
        if let Some(smpp) = &mut self.smpp {
            smpp.reset();
        }
        if let Some(tls) = &mut self.tls {
            tls.reset();
        }
    }
}

impl Merge for Metrics {
    fn merge_from(&mut self, other: &Metrics) {
        self.merge(other);
    }
}

/// Converts nanoseconds to whole microseconds, rounding to nearest and
/// clamping into the histogram range. Returns the value and whether it had
/// to be clamped from above.
#[inline]
pub(crate) fn to_us(ns: u64) -> (u64, bool) {
    let us = ns.saturating_add(500) / 1000;
    if us > HIGHEST_US {
        (HIGHEST_US, true)
    } else {
        (us.max(LOWEST_US), false)
    }
}

/// Records into one worker's current interval.
#[derive(Debug, Default)]
pub struct Recorder {
    current: Metrics,
}

impl Recorder {
    /// A recorder with empty metrics.
    pub fn new() -> Self {
        Recorder::default()
    }

    /// The interval accumulated so far.
    pub fn current(&self) -> &Metrics {
        &self.current
    }

    /// `n` more requests were scheduled.
    #[inline]
    pub fn scheduled(&mut self, n: u64) {
        self.current.counters.scheduled += n;
    }

    /// Body bytes of a response just recorded.
    #[inline]
    pub fn body_bytes(&mut self, n: u64) {
        self.current.counters.body_bytes += n;
    }

    /// A response arrived. Times are nanoseconds on the run clock.
    #[inline]
    pub fn completed(&mut self, status: u16, intended_ns: u64, sent_ns: u64, now_ns: u64) {
        let c = &mut self.current.counters;
        c.completed += 1;
        if (200..400).contains(&status) {
            c.ok += 1;
        }
        c.status[usize::from(status).min(STATUS_SLOTS - 1)] += 1;
        let (corrected, clamped_a) = to_us(now_ns.saturating_sub(intended_ns));
        let (uncorrected, clamped_b) = to_us(now_ns.saturating_sub(sent_ns));
        c.clamped += u64::from(clamped_a) + u64::from(clamped_b);
        // In range by construction, so recording cannot fail.
        let _ = self.current.latency.record(corrected);
        let _ = self.current.latency_uncorrected.record(uncorrected);
    }

    /// `n` requests failed with `kind` (a timeout counts as timed out).
    #[inline]
    pub fn failed(&mut self, kind: ErrorKind, n: u64) {
        if n == 0 {
            return;
        }
        let c = &mut self.current.counters;
        c.errors[kind as usize] += n;
        if kind == ErrorKind::Timeout {
            c.timed_out += n;
        } else {
            c.failed += n;
        }
    }

    /// `n` requests were still unwritten when the run ended.
    pub fn not_sent(&mut self, n: u64) {
        self.current.counters.not_sent += n;
    }

    /// `n` written requests were still unanswered when a signal cut the
    /// drain short.
    pub fn abandoned(&mut self, n: u64) {
        self.current.counters.abandoned += n;
    }

    /// The generator noticed an open-model send `lag_ns` after it was due.
    #[inline]
    pub fn schedule_lag(&mut self, lag_ns: u64) {
        if lag_ns > 1_000_000 {
            self.current.counters.late_sends += 1;
        }
        let (us, clamped) = to_us(lag_ns);
        self.current.counters.clamped += u64::from(clamped);
        let _ = self.current.schedule_lag.record(us);
    }

    /// A connection attempt failed with `kind`.
    #[inline]
    pub fn connect_failed(&mut self, kind: ErrorKind) {
        self.current.counters.connect_errors[kind as usize] += 1;
    }

    /// A usable connection failed with `kind` and no request in flight.
    #[inline]
    pub fn connection_lost(&mut self, kind: ErrorKind) {
        self.current.counters.connections_lost[kind as usize] += 1;
    }

    /// A TCP connection was established.
    #[inline]
    pub fn connected(&mut self) {
        self.current.counters.connects += 1;
    }

    /// TLS measurements of the current interval, created on first use.
    pub fn tls(&mut self) -> &mut TlsMetrics {
        self.current.tls.get_or_insert_with(Box::default)
    }

    /// A TLS handshake completed in `ns` (TCP connected to handshake done).
    pub fn tls_handshake(&mut self, ns: u64, resumed: bool) {
        let clamped = self.tls().record_handshake(ns, resumed);
        self.current.counters.clamped += u64::from(clamped);
    }

    /// A TLS failure, by reason (the requests it failed are counted under
    /// the `tls` error kind by whoever failed them).
    pub fn tls_error(&mut self, failure: &TlsFailure) {
        self.tls().record_error(failure);
    }

    /// SMPP counters of the current interval (created on first use).
    #[inline]
    pub fn smpp(&mut self) -> &mut SmppMetrics {
        self.current.smpp.get_or_insert_with(Box::default)
    }

    /// An SMPP response arrived: timed like any completed request, and
    /// counted by command_status; throttling statuses apart.
    #[inline]
    pub fn completed_smpp(
        &mut self,
        status: u32,
        throttled: bool,
        intended_ns: u64,
        sent_ns: u64,
        now_ns: u64,
    ) {
        let c = &mut self.current.counters;
        c.completed += 1;
        if status == 0 {
            c.ok += 1;
        }
        let (corrected, clamped_a) = to_us(now_ns.saturating_sub(intended_ns));
        let (uncorrected, clamped_b) = to_us(now_ns.saturating_sub(sent_ns));
        c.clamped += u64::from(clamped_a) + u64::from(clamped_b);
        let _ = self.current.latency.record(corrected);
        let _ = self.current.latency_uncorrected.record(uncorrected);
        let smpp = self.smpp();
        smpp.count_status(status, 1);
        if throttled {
            smpp.throttled += 1;
        }
    }

    /// A delivery receipt for a submit sent at `sent_ns` arrived at `now_ns`.
    #[inline]
    pub fn receipt_latency(&mut self, sent_ns: u64, now_ns: u64) {
        let (us, clamped) = to_us(now_ns.saturating_sub(sent_ns));
        self.current.counters.clamped += u64::from(clamped);
        let _ = self.smpp().receipt_latency.record(us);
    }

    /// Takes the SMPP counts recorded since the last call (`None` if
    /// nothing SMPP was recorded) and starts the next interval afresh:
    /// for a recorder whose other measurements are kept elsewhere (a
    /// profile's users time their submits per request name).
    pub fn take_smpp(&mut self) -> Option<Box<SmppMetrics>> {
        self.swap(Metrics::default()).smpp
    }

    /// Swaps the current interval out for `fresh` (which must be reset) and
    /// returns the finished interval.
    pub fn swap(&mut self, fresh: Metrics) -> Metrics {
        std::mem::replace(&mut self.current, fresh)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completed_records_both_latencies() {
        let mut r = Recorder::new();
        r.scheduled(1);
        r.completed(200, 0, 4_000_000, 5_000_000);
        let m = r.current();
        assert_eq!(m.counters.completed, 1);
        assert_eq!(m.counters.ok, 1);
        assert_eq!(m.counters.status[200], 1);
        assert_eq!(m.latency.max(), m.latency.highest_equivalent(5000));
        assert_eq!(
            m.latency_uncorrected.max(),
            m.latency_uncorrected.highest_equivalent(1000)
        );
    }

    #[test]
    fn sub_microsecond_and_huge_values_are_kept() {
        let mut r = Recorder::new();
        r.completed(500, 10, 10, 10);
        r.completed(200, 0, 0, u64::MAX);
        let m = r.current();
        assert_eq!(m.latency.len(), 2);
        assert_eq!(m.counters.clamped, 2);
        assert_eq!(m.counters.ok, 1);
    }

    #[test]
    fn timeout_counts_as_timed_out() {
        let mut r = Recorder::new();
        r.failed(ErrorKind::Timeout, 2);
        r.failed(ErrorKind::Reset, 3);
        let c = &r.current().counters;
        assert_eq!(c.timed_out, 2);
        assert_eq!(c.failed, 3);
        assert_eq!(c.errors[ErrorKind::Timeout as usize], 2);
    }

    #[test]
    fn merge_is_exact_and_reset_clears() {
        let mut a = Metrics::default();
        let mut r = Recorder::new();
        for i in 0..1000u64 {
            r.scheduled(1);
            r.completed(200, 0, 0, i * 1000);
        }
        let m = r.swap(Metrics::default());
        a.merge(&m);
        a.merge(&m);
        assert_eq!(a.latency.len(), 2000);
        assert_eq!(a.counters.completed, 2000);
        a.reset();
        assert_eq!(a.latency.len(), 0);
        assert_eq!(a.counters.status.len(), STATUS_SLOTS);
        assert_eq!(a.counters.settled(), 0);
    }
}
