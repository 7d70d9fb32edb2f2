//! What the target answers and how it misbehaves.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use hornet_serverkit::tls::ServerConfig;

use crate::DemoConfig;

/// Longest accepted [`TargetConfig::delay`]; deadlines are `Instant`s and
/// adding an absurd duration to one would overflow.
const MAX_DELAY: Duration = Duration::from_secs(24 * 60 * 60);

/// Configuration of a target server; see [`crate::start`].
#[derive(Debug, Clone)]
pub struct TargetConfig {
    /// Server threads, each with its own `mio::Poll` and listening socket.
    /// Default 1; 0 is rejected.
    pub threads: usize,
    /// Response body length in bytes: `Hello, world!` repeated or truncated.
    /// Default 13.
    pub body_size: usize,
    /// Response status code (100..=999). Default 200. The reason phrase comes
    /// from a small table, `Unknown` otherwise. 1xx, 204 and 304 responses
    /// carry no body, as HTTP requires.
    pub status: u16,
    /// Each response is sent `delay` after its request was fully received,
    /// driven by a per-thread timer so the thread never blocks; responses on
    /// a connection stay in request order. Default zero (respond at once).
    pub delay: Duration,
    /// `Some(n)`: every n-th response on a connection carries
    /// `Connection: close` and the server closes the connection after writing
    /// it. `None` (or `Some(0)`) never closes on its own.
    pub close_every: Option<u64>,
    /// A one-off server pause, like a GC pause; see [`Stall`].
    pub stall: Option<Stall>,
    /// `Some`: serve the demo API (JSON endpoints with shared state, see
    /// [`DemoConfig`]) instead of the canned response; `body_size` and
    /// `status` are then unused, while `delay`, `close_every` and `stall`
    /// still apply. `None` (the default): the canned response.
    pub demo: Option<DemoConfig>,
    /// `Some`: every accepted connection is TLS, handshaking inside the
    /// thread's event loop before HTTP starts; a failed handshake just
    /// closes that connection. Build the config with
    /// [`crate::tls::server_config`] and [`crate::tls::TlsOptions::http1`]
    /// (ALPN `http/1.1`). Response counts then mean "handed to TLS": a
    /// response is counted once rustls has taken it, possibly before its
    /// last record reaches the socket. `None` (the default): plain TCP.
    pub tls: Option<Arc<ServerConfig>>,
}

/// Once the server-wide request count reaches `after`, the thread that
/// received that request blocks (`std::thread::sleep`) for `duration` before
/// continuing. With one thread this delays every in-flight response.
#[derive(Debug, Clone, Copy)]
pub struct Stall {
    /// Server-wide request number (1-based) that triggers the pause; 0 acts as 1.
    pub after: u64,
    /// How long the receiving thread sleeps.
    pub duration: Duration,
}

impl Default for TargetConfig {
    fn default() -> Self {
        TargetConfig {
            threads: 1,
            body_size: 13,
            status: 200,
            delay: Duration::ZERO,
            close_every: None,
            stall: None,
            demo: None,
            tls: None,
        }
    }
}

impl TargetConfig {
    /// Rejects settings the server cannot honour, before any socket is bound.
    pub(crate) fn validate(&self) -> io::Result<()> {
        let invalid = |msg: &str| Err(io::Error::new(io::ErrorKind::InvalidInput, msg));
        if self.threads == 0 {
            return invalid("threads must be at least 1");
        }
        if !(100..=999).contains(&self.status) {
            return invalid("status must be a three-digit code (100..=999)");
        }
        if self.delay > MAX_DELAY {
            return invalid("delay must be at most 24h");
        }
        match &self.demo {
            Some(demo) => demo.validate(),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        let c = TargetConfig::default();
        assert_eq!((c.threads, c.body_size, c.status), (1, 13, 200));
        assert!(c.validate().is_ok());
    }

    #[test]
    fn rejects_nonsense() {
        for c in [
            TargetConfig {
                threads: 0,
                ..Default::default()
            },
            TargetConfig {
                status: 99,
                ..Default::default()
            },
            TargetConfig {
                status: 1000,
                ..Default::default()
            },
            TargetConfig {
                delay: Duration::from_secs(u64::MAX),
                ..Default::default()
            },
            TargetConfig {
                demo: Some(DemoConfig {
                    rate_limit: Some(0),
                    ..Default::default()
                }),
                ..Default::default()
            },
        ] {
            assert_eq!(
                c.validate().unwrap_err().kind(),
                io::ErrorKind::InvalidInput
            );
        }
    }
}
