//! Per-request-name recording for `hornet run`: what a scenario worker
//! records on its hot path ([`RunStats`], one [`NameStats`] per request
//! name), sent once per interval and merged across workers and intervals
//! with the same exact merge as the engine's [`Metrics`](super::Metrics).
//! Check failures and error details are counted by typed ids
//! ([`Failure`], [`ErrorDetail`]), never by formatted words.
//!
//! Accounting per name: every request started ends in exactly one of
//! `passed`, `check_failed`, `errors` (transport, by kind) or
//! `interrupted` (still in flight when the run was cut), so
//! `requests == passed + check_failed + errors + interrupted`. Errors
//! include `bind_failed` (an SMPP submit whose bind was refused); of the
//! errors, `not_sent` never reached the peer (its connection or bind never
//! became usable), so they are not throughput.

use std::collections::BTreeMap;

use hdrhistogram::Histogram;

use super::merge::{add_histogram, add_slots, Merge};
use super::smpp::SmppMetrics;
use super::tls::TlsMetrics;
use super::{new_histogram, ErrorKind};
pub use crate::vocab::failure::{ErrorDetail, Failure};

/// One request name's results.
#[derive(Debug, Clone)]
pub struct NameStats {
    /// Requests started (written or queued to write).
    pub requests: u64,
    /// Responses whose checks passed.
    pub passed: u64,
    /// Responses whose checks failed.
    pub check_failed: u64,
    /// Transport errors and timeouts, by kind.
    pub errors: [u64; ErrorKind::COUNT],
    /// Requests in flight when the run ended.
    pub interrupted: u64,
    /// SMPP submits abandoned because the SMSC refused the bind (an
    /// error, not a failed check: nothing was sent).
    pub bind_failed: u64,
    /// Of the errors: requests that never reached the peer, because their
    /// connection (TCP, TLS) or bind failed before it was usable.
    pub not_sent: u64,
    /// Details of errors, as `kind: reason` (e.g. `bind_failed: bind
    /// refused: ESME_RINVPASWD`); a breakdown of `errors`, not more.
    pub error_reasons: BTreeMap<ErrorDetail, u64>,
    /// Responses by status code.
    pub status: BTreeMap<u16, u64>,
    /// Check failures by reason (put in words when results are rendered).
    pub reasons: BTreeMap<Failure, u64>,
    /// Latency of responses, corrected for coordinated omission in the
    /// open model (from the iteration's intended start), microseconds.
    pub latency: Histogram<u64>,
    /// Latency from the actual send, microseconds.
    pub service: Histogram<u64>,
    /// Response body bytes.
    pub bytes: u64,
}

impl Default for NameStats {
    fn default() -> Self {
        NameStats {
            requests: 0,
            passed: 0,
            check_failed: 0,
            errors: [0; ErrorKind::COUNT],
            interrupted: 0,
            bind_failed: 0,
            not_sent: 0,
            error_reasons: BTreeMap::new(),
            status: BTreeMap::new(),
            reasons: BTreeMap::new(),
            latency: new_histogram(),
            service: new_histogram(),
            bytes: 0,
        }
    }
}

impl NameStats {
    /// Transport errors, timeouts and refused binds.
    pub fn error_total(&self) -> u64 {
        self.errors.iter().sum::<u64>() + self.bind_failed
    }

    /// Requests that reached the peer (started, less those never sent):
    /// what throughput counts.
    pub fn sent(&self) -> u64 {
        self.requests - self.not_sent
    }

    /// Requests that ended in failure (checks or transport).
    pub fn failed(&self) -> u64 {
        self.check_failed + self.error_total()
    }

    /// Responses received.
    pub fn responses(&self) -> u64 {
        self.passed + self.check_failed
    }

    /// Adds `other` into `self`.
    pub fn merge(&mut self, other: &NameStats) {
        self.requests += other.requests;
        self.passed += other.passed;
        self.check_failed += other.check_failed;
        add_slots(&mut self.errors, &other.errors);
        self.interrupted += other.interrupted;
        self.bind_failed += other.bind_failed;
        self.not_sent += other.not_sent;
        for (k, v) in &other.error_reasons {
            *self.error_reasons.entry(*k).or_default() += v;
        }
        for (k, v) in &other.status {
            *self.status.entry(*k).or_default() += v;
        }
        for (k, v) in &other.reasons {
            *self.reasons.entry(k.clone()).or_default() += v;
        }
        add_histogram(&mut self.latency, &other.latency);
        add_histogram(&mut self.service, &other.service);
        self.bytes += other.bytes;
    }

    /// Records a latency pair (ns), clamped into the histogram range.
    pub fn record_latency(&mut self, corrected_ns: u64, service_ns: u64) {
        let clamp = |ns: u64| (ns / 1000).clamp(1, crate::metrics::HIGHEST_US);
        let _ = self.latency.record(clamp(corrected_ns));
        let _ = self.service.record(clamp(service_ns));
    }
}

/// What one user class did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClassStats {
    /// Users started.
    pub users: u64,
    /// Task iterations started.
    pub iterations: u64,
    /// Task iterations completed.
    pub iterations_done: u64,
}

/// Everything a worker recorded in one interval (or a whole run, merged).
#[derive(Debug, Clone, Default)]
pub struct RunStats {
    /// Per request name, indexed like `Scenario::names`.
    pub names: Vec<NameStats>,
    /// Task iterations started.
    pub iterations: u64,
    /// Task iterations completed (every step ran).
    pub iterations_done: u64,
    /// Open model: iterations that started more than 1 ms after their
    /// intended time while users were free: the generator was late.
    pub late_starts: u64,
    /// Open model: iterations that started over 1 ms late because every
    /// allowed user (`load.users`) was busy.
    pub starved_starts: u64,
    /// Open model: iterations due but never started when the run ended.
    pub not_started: u64,
    /// Users started.
    pub users_started: u64,
    /// TCP connections established.
    pub connects: u64,
    /// Requests that could not be rendered (counted in `check_failed` of
    /// their name too).
    pub render_errors: u64,
    /// Per user class (indexed like `Scenario::classes`; shorter when the
    /// last classes recorded nothing).
    pub classes: Vec<ClassStats>,
    /// TLS handshakes and failures of HTTP connections.
    pub http_tls: TlsMetrics,
    /// TLS handshakes and failures of SMPP connections.
    pub smpp_tls: TlsMetrics,
    /// The users' SMPP sessions' own counts (binds, deliver_sm,
    /// enquire_link, generic_nack, command_status...), recorded by the
    /// same SMPP client as `hornet smpp`; `None` until one records.
    pub smpp: Option<Box<SmppMetrics>>,
}

impl RunStats {
    /// Empty stats for `names` request names.
    pub fn new(names: usize) -> RunStats {
        RunStats {
            names: (0..names).map(|_| NameStats::default()).collect(),
            ..RunStats::default()
        }
    }

    /// Class `c`'s counters, grown on first use (once per interval).
    pub fn class_mut(&mut self, c: usize) -> &mut ClassStats {
        if self.classes.len() <= c {
            self.classes.resize(c + 1, ClassStats::default());
        }
        &mut self.classes[c]
    }

    /// Adds `other` into `self`.
    pub fn merge(&mut self, other: &RunStats) {
        for (c, o) in other.classes.iter().enumerate() {
            let m = self.class_mut(c);
            m.users += o.users;
            m.iterations += o.iterations;
            m.iterations_done += o.iterations_done;
        }
        if self.names.len() < other.names.len() {
            self.names
                .resize_with(other.names.len(), NameStats::default);
        }
        for (a, b) in self.names.iter_mut().zip(&other.names) {
            a.merge(b);
        }
        self.iterations += other.iterations;
        self.iterations_done += other.iterations_done;
        self.late_starts += other.late_starts;
        self.starved_starts += other.starved_starts;
        self.not_started += other.not_started;
        self.users_started += other.users_started;
        self.connects += other.connects;
        self.render_errors += other.render_errors;
        self.http_tls.merge(&other.http_tls);
        self.smpp_tls.merge(&other.smpp_tls);
        if let Some(theirs) = &other.smpp {
            self.smpp.get_or_insert_with(Box::default).merge(theirs);
        }
    }

    /// All names together.
    pub fn total(&self) -> NameStats {
        let mut t = NameStats::default();
        for n in &self.names {
            t.merge(n);
        }
        t
    }
}

impl Merge for RunStats {
    fn merge_from(&mut self, other: &RunStats) {
        self.merge(other);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_adds_everything() {
        let mut a = RunStats::new(2);
        a.names[0].requests = 3;
        a.names[0].passed = 2;
        a.names[0].errors[0] = 1;
        *a.names[0].status.entry(201).or_default() += 2;
        a.names[0].record_latency(5_000_000, 1_000_000);
        let mut b = RunStats::new(2);
        b.names[0].requests = 1;
        b.names[0].check_failed = 1;
        *b.names[0].reasons.entry(Failure::NotJson).or_default() += 1;
        b.iterations = 4;
        a.merge(&b);
        let n = &a.names[0];
        assert_eq!(n.requests, 4);
        assert_eq!(
            n.passed + n.check_failed + n.error_total() + n.interrupted,
            4
        );
        assert_eq!(n.latency.len(), 1);
        assert_eq!(a.iterations, 4);
        assert_eq!(a.total().requests, 4);
    }
}
