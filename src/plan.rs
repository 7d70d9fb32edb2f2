//! The validated, ready-to-run description of a load test.
//!
//! Everything here is already parsed and checked: workers never see a
//! string they must interpret, and every value is in range. [`LoadPlan`] is
//! what every protocol shares (where, how many, how long, which model); each
//! protocol adds its own part ([`HttpPlan`] here).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hornet_http1::Limits;

use crate::load::LoadModel;
use crate::proto::smpp::{BindKind, SmppConfig};
use crate::tls::TlsClient;

/// The protocol-independent part of a run.
#[derive(Debug, Clone)]
pub struct LoadPlan {
    /// Resolved address to connect to.
    pub addr: SocketAddr,
    /// Worker threads.
    pub threads: usize,
    /// Connections (HTTP) or sessions (SMPP binds) opened at the start, over
    /// all workers.
    pub connections: usize,
    /// Open model: the most connections the pool may grow to when every
    /// connection is busy and requests are waiting.
    pub max_connections: usize,
    /// Closed or open model.
    pub model: LoadModel,
    /// How long requests are generated.
    pub duration: Duration,
    /// A request with no response this long after it was written times out.
    pub timeout: Duration,
    /// A connection not established in this long fails.
    pub connect_timeout: Duration,
    /// Snapshot and live-progress period.
    pub interval: Duration,
    /// TLS client configuration, for `https://` and `smpp --tls`.
    pub tls: Option<TlsClient>,
}

impl LoadPlan {
    /// How many of the connections and the pool cap worker `w` owns:
    /// an even split with the remainder going to the first workers.
    pub fn share(&self, worker: usize) -> (usize, usize) {
        (
            split(self.connections, self.threads, worker),
            split(self.max_connections, self.threads, worker),
        )
    }
}

/// What every worker needs to run its share of an HTTP test.
#[derive(Debug, Clone)]
pub struct HttpPlan {
    /// Where, how much, how long.
    pub load: LoadPlan,
    /// The URL as the user gave it (for reports).
    pub url: String,
    /// Request method (for reports).
    pub method: String,
    /// The complete serialized request, sent as-is on every exchange.
    pub request: Vec<u8>,
    /// True for HEAD: responses carry no body whatever their headers say.
    pub head_request: bool,
    /// Requests in flight per connection.
    pub pipeline: usize,
    /// One request per connection (`--new-conn`).
    pub new_conn: bool,
    /// Response decoder limits.
    pub limits: Limits,
}

/// What every worker needs to run its share of an SMPP test.
#[derive(Debug, Clone)]
pub struct SmppPlan {
    /// Where, how many sessions, how long.
    pub load: LoadPlan,
    /// HOST:PORT as given (for reports).
    pub endpoint: String,
    /// Text coding name (for reports).
    pub coding: String,
    /// What every session shares: credentials, window, message parts.
    pub session: Arc<SmppConfig>,
}

impl SmppPlan {
    /// The bind kind as written on the command line.
    pub fn bind_name(&self) -> &'static str {
        match self.session.bind {
            BindKind::Transceiver => "trx",
            BindKind::Transmitter => "tx",
            BindKind::Receiver => "rx",
        }
    }
}

/// Worker `i`'s part of `total` split `n` ways, remainder to the first.
pub fn split(total: usize, n: usize, i: usize) -> usize {
    total / n + usize::from(i < total % n)
}

#[cfg(test)]
mod tests {
    use super::split;

    #[test]
    fn split_loses_nothing() {
        for total in 0..50 {
            for n in 1..9 {
                let sum: usize = (0..n).map(|i| split(total, n, i)).sum();
                assert_eq!(sum, total);
            }
        }
    }
}
