//! The demo API: JSON endpoints imitating the five systems of the seed
//! load-testing guides (`shared/seeds`), so example profiles have something
//! realistic to run against. See `tools/target/DEMO_API.md` for the table.
//!
//! Layout, one job per module: [`http`] turns parsed heads into owned
//! requests and serializes JSON responses; [`router`] maps method + path to
//! handlers; [`state`] holds the shared, locked state; [`json`] checks body
//! fields; [`token`] issues and verifies JWT-shaped tokens; [`limiter`] is
//! the per-token rate limit; [`finance`], [`shop`], [`zenzefi`],
//! [`workshop`] and [`messaging`] are the five systems.
//!
//! The point of the demo is [`DemoConfig::racy`]: balance and stock updates
//! are atomic by default and deliberately split into a stale read and a
//! late write when racy, so the seeds' race-condition checks can be shown to
//! pass and to fail.

mod finance;
mod http;
mod json;
mod limiter;
mod messaging;
mod router;
mod shop;
mod state;
mod token;
mod workshop;
mod zenzefi;

use std::io;
use std::time::Duration;

pub(crate) use http::{parse, Commit, DemoHead, DemoRequest, Outcome, Response};

/// Longest accepted race window; deadlines are `Instant`s and adding an
/// absurd duration to one would overflow.
const MAX_RACE_WINDOW: Duration = Duration::from_secs(60);

/// The demo API mode of the target; see `tools/target/DEMO_API.md`.
///
/// With `TargetConfig::demo` set, requests are routed by method and path,
/// JSON bodies are read (Content-Length only) and answered with JSON from
/// state shared by all server threads, instead of the canned response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoConfig {
    /// Split every balance and stock read-modify-write (finance
    /// transactions, Zenzefi top-up and purchase, shop orders): the value is
    /// read when the request arrives, and the write, computed from that
    /// stale read, is applied (and answered) `race_window` later. Concurrent
    /// requests then lose updates and oversell, even on one server thread.
    /// Default false: every update is atomic and nothing is delayed.
    pub racy: bool,
    /// How long a racy write waits after its read. Default 2 ms; at most
    /// 60 s. Only used when `racy` is set. The wait is timer-driven; the
    /// thread keeps serving meanwhile.
    pub race_window: Duration,
    /// Requests per minute per bearer token on `POST /api/ai/diagnose`
    /// (seed 003's rate-limited AI endpoint); more get 429 with
    /// `Retry-After`. Default `Some(20)`; `None` disables the limit;
    /// `Some(0)` is rejected.
    pub rate_limit: Option<u32>,
}

impl Default for DemoConfig {
    fn default() -> Self {
        DemoConfig {
            racy: false,
            race_window: Duration::from_millis(2),
            rate_limit: Some(20),
        }
    }
}

impl DemoConfig {
    /// Rejects settings the demo cannot honour.
    pub(crate) fn validate(&self) -> io::Result<()> {
        let invalid = |msg: &str| Err(io::Error::new(io::ErrorKind::InvalidInput, msg));
        if self.race_window > MAX_RACE_WINDOW {
            return invalid("race_window must be at most 60s");
        }
        if self.rate_limit == Some(0) {
            return invalid("rate_limit must be at least 1 (None disables it)");
        }
        Ok(())
    }
}

/// The demo API of one server, shared by its threads.
#[derive(Debug)]
pub(crate) struct Demo {
    state: state::State,
}

impl Demo {
    /// A demo with empty state.
    pub(crate) fn new(config: DemoConfig) -> Demo {
        Demo {
            state: state::State::new(config),
        }
    }

    /// Routes and answers one request, or defers its write (racy mode).
    pub(crate) fn handle(&self, req: &DemoRequest) -> Outcome {
        router::handle(&self.state, req)
    }

    /// Applies a deferred racy write and returns its response.
    pub(crate) fn commit(&self, commit: Commit) -> Response {
        commit.apply(&self.state)
    }

    /// How long a racy write waits after its read.
    pub(crate) fn race_window(&self) -> Duration {
        self.state.config.race_window
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_validation() {
        assert!(DemoConfig::default().validate().is_ok());
        for bad in [
            DemoConfig {
                race_window: Duration::from_secs(61),
                ..Default::default()
            },
            DemoConfig {
                rate_limit: Some(0),
                ..Default::default()
            },
        ] {
            assert!(bad.validate().is_err(), "{bad:?}");
        }
    }
}
