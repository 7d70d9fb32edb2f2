//! `hornet-target`: a small, fast HTTP/1.1 server for hornet to shoot at.
//!
//! Hornet's demo, integration tests and benchmarks need a target that is
//! cheaper than the load generator itself, answers byte-for-byte predictably,
//! and can misbehave on request: slow responses ([`TargetConfig::delay`]),
//! connection churn ([`TargetConfig::close_every`]) and a one-off server
//! pause ([`TargetConfig::stall`]).
//!
//! With [`TargetConfig::demo`] set it serves instead a small JSON "demo
//! API" imitating the systems of the seed load-testing guides (finance,
//! shop, token purchase, workshop, bulk SMS) with shared state, optionally
//! racy ([`DemoConfig::racy`]) so race-condition checks can be seen to fail;
//! the endpoints are listed in `tools/target/DEMO_API.md`.
//!
//! With [`TargetConfig::tls`] set it serves HTTPS: the handshake runs in
//! the same event loop, and the HTTP code is the same over TLS as over TCP.
//! [`tls`] builds the rustls configuration from PEM files or DER.
//!
//! Each server thread owns a `mio::Poll`, its own listening socket (sharing
//! the port through `SO_REUSEPORT` on Linux), a slab of connections and a
//! timer heap; threads share nothing on the hot path but their own
//! cache-padded counters.
//!
//! ```no_run
//! let handle = hornet_target::start("127.0.0.1:0".parse().unwrap(), Default::default())?;
//! println!("serving on {}", handle.local_addr());
//! handle.shutdown();
//! # Ok::<(), std::io::Error>(())
//! ```

mod config;
mod conn;
mod counters;
mod demo;
mod request;
mod response;
mod server;
mod stall;
mod worker;

pub use config::{Stall, TargetConfig};
pub use demo::DemoConfig;
pub use server::{start, TargetHandle};

/// Building the TLS configuration: [`tls::server_config`] (PEM files) or
/// [`tls::server_config_der`], with [`tls::TlsOptions::http1`]; the
/// `--tls-*` flags ([`tls::TlsFlags`]); also re-exports `rustls`.
pub use hornet_serverkit::tls;
