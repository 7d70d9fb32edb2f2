//! The per-token request limit of seed 003's AI endpoint: at most N
//! requests per minute per bearer token, then 429 with `Retry-After`.
//!
//! A fixed window per token (starting at its first request) is enough to
//! reproduce "429s appear at ~20/min" and costs one map lookup.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// The limit's window.
pub(crate) const WINDOW: Duration = Duration::from_secs(60);
/// Past this many tracked tokens, expired windows are swept out, so a load
/// test logging in anew for every user cannot grow the map for ever.
const SWEEP_AT: usize = 10_000;

/// Request counts per token in the current window.
#[derive(Debug, Default)]
pub(crate) struct RateLimiter {
    windows: HashMap<String, (Instant, u32)>,
}

impl RateLimiter {
    /// Counts a request by `key`; `Err(seconds)` once `limit` requests were
    /// already counted in its window, with the seconds until it ends.
    pub(crate) fn check(&mut self, key: &str, limit: u32, now: Instant) -> Result<(), u64> {
        if self.windows.len() >= SWEEP_AT {
            self.windows
                .retain(|_, (start, _)| now.saturating_duration_since(*start) < WINDOW);
        }
        let (start, count) = self.windows.entry(key.to_owned()).or_insert((now, 0));
        if now.saturating_duration_since(*start) >= WINDOW {
            *start = now;
            *count = 0;
        }
        if *count >= limit {
            let left = WINDOW.saturating_sub(now.saturating_duration_since(*start));
            // Round up: "retry in 0 seconds" would invite an immediate 429.
            return Err(left.as_secs() + u64::from(left.subsec_nanos() > 0));
        }
        *count += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_per_key_and_window() {
        let mut rl = RateLimiter::default();
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(rl.check("a", 3, t0), Ok(()));
        }
        assert_eq!(rl.check("a", 3, t0 + Duration::from_millis(500)), Err(60));
        assert_eq!(rl.check("b", 3, t0), Ok(()), "other token");
        assert_eq!(rl.check("a", 3, t0 + WINDOW), Ok(()), "new window");
    }

    #[test]
    fn sweeps_expired_windows() {
        let mut rl = RateLimiter::default();
        let t0 = Instant::now();
        for i in 0..SWEEP_AT {
            rl.check(&i.to_string(), 1, t0).unwrap();
        }
        rl.check("new", 1, t0 + WINDOW).unwrap();
        assert_eq!(rl.windows.len(), 1);
    }
}
