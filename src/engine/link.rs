//! A socket's life as every worker sees it, whatever drives the worker: a
//! connection slot of `hornet http`/`hornet smpp` or a virtual user's
//! connection in a profile run.
//!
//! [`open`] starts a non-blocking connect registered with the worker's
//! poll (or, in loop tests, on the simulated network: [`Net`]); [`advance`] moves it on at each readiness event, TCP first and
//! then the TLS handshake, timing the handshake and naming a TLS failure;
//! [`close`] drops it, saying goodbye over TLS and counting the TLS
//! failure that broke it. Where the counts go differs ([`LinkMetrics`]):
//! the engine's recorder, or a profile run's TLS stats. How long to wait
//! before the next attempt is [`crate::vocab::Backoff`].

use std::io;
use std::net::SocketAddr;

use mio::Token;

use crate::metrics::tls::TlsMetrics;
use crate::metrics::{ErrorKind, Recorder};
use crate::tls::{Connect, Net, TlsClient, Transport};
use crate::vocab::TlsFailure;

/// Where a connection's TLS measurements go.
pub trait LinkMetrics {
    /// A TLS handshake completed in `ns` (TCP connected to handshake
    /// done); `resumed` when an earlier session was resumed.
    fn handshake(&mut self, ns: u64, resumed: bool);
    /// A TLS failure, by reason.
    fn tls_failed(&mut self, failure: &TlsFailure);
}

impl LinkMetrics for Recorder {
    fn handshake(&mut self, ns: u64, resumed: bool) {
        self.tls_handshake(ns, resumed);
    }

    fn tls_failed(&mut self, failure: &TlsFailure) {
        self.tls_error(failure);
    }
}

impl LinkMetrics for TlsMetrics {
    fn handshake(&mut self, ns: u64, resumed: bool) {
        self.record_handshake(ns, resumed);
    }

    fn tls_failed(&mut self, failure: &TlsFailure) {
        self.record_error(failure);
    }
}

/// Starts a non-blocking connect to `addr` (TLS when `tls` is given),
/// registered with the worker's poll under `token` for reads and writes.
pub fn open(
    addr: SocketAddr,
    tls: Option<&TlsClient>,
    net: &Net,
    token: Token,
) -> io::Result<Transport> {
    net.connect(addr, tls, token)
}

/// Moves a pending connect on at a readiness event: `Ok(false)` while TCP
/// or TLS is still under way, `Ok(true)` once the connection is usable (the
/// handshake, if any, recorded), or the kind the requests waiting on it
/// fail with (a TLS failure recorded by reason).
pub fn advance(
    stream: &mut Transport,
    now: impl Fn() -> u64,
    metrics: &mut impl LinkMetrics,
) -> Result<bool, ErrorKind> {
    match stream.poll_connect(now()) {
        Ok(Connect::Pending) => Ok(false),
        Ok(Connect::Ready(handshake)) => {
            if let Some(h) = handshake {
                // Read after `poll_connect`: certificate verification
                // inside it counts.
                metrics.handshake(now().saturating_sub(h.started), h.resumed);
            }
            Ok(true)
        }
        Err(failure) => {
            if let Some(tls) = &failure.tls {
                metrics.tls_failed(tls);
            }
            Err(failure.kind)
        }
    }
}

/// Deregisters and drops the socket (a TLS one says goodbye first),
/// counting the TLS failure that broke it, if one did.
pub fn close(stream: Transport, net: &Net, metrics: &mut impl LinkMetrics) {
    if let Some(failure) = stream.close(net) {
        metrics.tls_failed(&failure);
    }
}
