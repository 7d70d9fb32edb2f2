//! The doubling pause after consecutive failures, for every place that
//! retries: a connection slot reconnecting after a failed connect or a
//! refused bind, an SMPP session throttled by its SMSC, a virtual user
//! whose connection failed.
//!
//! Each place keeps a [`Backoff`] (its consecutive failures) and names its
//! own [`BackoffPolicy`] (the first pause and the cap): the first failure
//! waits the minimum, each further one twice as long, up to the cap, and a
//! success starts over.

/// The first pause and the longest one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackoffPolicy {
    /// The pause after the first failure, ns.
    pub min_ns: u64,
    /// The longest pause, ns.
    pub max_ns: u64,
}

/// Consecutive failures since the last success.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Backoff {
    failures: u32,
}

impl Backoff {
    /// One more failure; returns the pause it calls for.
    pub fn failed(&mut self, policy: BackoffPolicy) -> u64 {
        self.failures = self.failures.saturating_add(1);
        self.delay(policy)
    }

    /// A success: the next failure waits the minimum again.
    pub fn reset(&mut self) {
        self.failures = 0;
    }

    /// Consecutive failures so far.
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// The pause the failures so far call for: the minimum for none or
    /// one, doubling with each further failure, never above the cap.
    pub fn delay(&self, policy: BackoffPolicy) -> u64 {
        let doublings = self.failures.saturating_sub(1).min(63);
        policy
            .min_ns
            .checked_mul(1u64 << doublings)
            .map_or(policy.max_ns, |ns| ns.min(policy.max_ns))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: BackoffPolicy = BackoffPolicy {
        min_ns: 10,
        max_ns: 100,
    };

    #[test]
    fn doubles_from_the_minimum_up_to_the_cap() {
        let mut b = Backoff::default();
        assert_eq!(b.delay(P), 10);
        let pauses: Vec<u64> = (0..6).map(|_| b.failed(P)).collect();
        assert_eq!(pauses, vec![10, 20, 40, 80, 100, 100]);
        assert_eq!(b.failures(), 6);
        b.reset();
        assert_eq!(b.failed(P), 10);
    }

    #[test]
    fn many_failures_never_overflow() {
        let mut b = Backoff::default();
        for _ in 0..1000 {
            b.failed(P);
        }
        assert_eq!(b.delay(P), 100);
    }
}
