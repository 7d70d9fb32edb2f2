//! `hornet-smsc`: a fast SMPP 3.4 / 5.0 SMSC simulator for hornet to
//! load-test.
//!
//! Hornet's demo, integration tests and benchmarks need an SMSC that is
//! cheaper than the load generator itself, answers predictably, and can
//! misbehave on request: response latency ([`SmscConfig::latency`], random
//! latencies reorder responses), throttling ([`SmscConfig::tps_limit`]),
//! injected errors ([`SmscConfig::error_ratio`]), delivery receipts with a
//! mix of final states and hex/decimal id forms, mobile-originated traffic,
//! server-side enquire_link, and connection drops or server unbinds after N
//! submits.
//!
//! With [`SmscConfig::tls`] set it speaks SMPP over TLS: the handshake runs
//! in the same event loop, and the sessions are the same over TLS as over
//! TCP. [`tls`] builds the rustls configuration from PEM files or DER.
//!
//! Each server thread owns a `mio::Poll`, its own listening socket (sharing
//! the port through `SO_REUSEPORT` on Linux), a slab of sessions, a timer
//! heap and a queue of delayed responses and receipts; threads share
//! nothing on the hot path but their own cache-padded counters and, once
//! per 1024 messages, the message id counter. All PDUs are encoded and
//! decoded by `hornet-smpp`, straight into and out of each connection's
//! buffers.
//!
//! ```no_run
//! let handle = hornet_smsc::start("127.0.0.1:0".parse().unwrap(), Default::default())?;
//! println!("SMSC on {}", handle.local_addr());
//! println!("{}", handle.counters().render());
//! handle.shutdown();
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! Protocol behaviour, in brief: a connection must bind first (any
//! interface_version up to 0x34, or 0x50; bind_resp carries system_id
//! `hornet-smsc` and sc_interface_version). Requests before a bind are
//! answered `ESME_RINVBNDSTS`, except enquire_link, which is answered in
//! any state (SMPP 5.0). A receiver bind may not submit. Unknown command
//! ids get a generic_nack `ESME_RINVCMDID`, undecodable requests a
//! generic_nack `ESME_RINVMSGLEN`; a `command_length` outside
//! `16..=max_pdu` a generic_nack `ESME_RINVCMDLEN`, and the connection
//! closes. Closing always sends FIN after the last byte and then waits up
//! to a second for the client's.

mod config;
mod counters;
mod ids;
mod server;
mod session;
mod settings;
mod timers;
mod worker;

pub use config::{IdFormat, Latency, SmscConfig};
pub use counters::SmscCounters;
pub use hornet_smpp::MessageState;
pub use server::{start, SmscHandle};

/// Building the TLS configuration: [`tls::server_config`] (PEM files) or
/// [`tls::server_config_der`], with default [`tls::TlsOptions`]; the
/// `--tls-*` flags ([`tls::TlsFlags`]); also re-exports `rustls`.
pub use hornet_serverkit::tls;
