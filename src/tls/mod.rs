//! TLS for hornet's connections: the options users give (`--cacert`,
//! `--cert`/`--key`, `--insecure`, `--sni`, minimum version, resumption),
//! the rustls client configuration built from them, the socket that is
//! plain or TLS ([`Transport`]), and why a TLS connection failed
//! ([`TlsReason`]).

mod config;
mod transport;
mod verify;

pub use crate::vocab::tls_reason::{is_tls_error, TlsFailure, TlsReason};
pub use config::{TlsClient, TlsOptions, TlsSetupError, TlsVersion};

/// ALPN protocols hornet offers for HTTP.
pub const ALPN_HTTP1: &[&[u8]] = &[b"http/1.1"];

pub use transport::{Connect, ConnectFailure, Handshake, MemoryNet, MemorySocket, Net, Transport};
