//! TLS for hornet's connections: the options users give (`--cacert`,
//! `--cert`/`--key`, `--insecure`, `--sni`, minimum version, resumption),
//! the rustls client configuration built from them, the socket that is
//! plain or TLS ([`Transport`]), and why a TLS connection failed
//! ([`TlsReason`]).

mod config;
mod reason;
mod transport;
mod verify;

pub use config::{TlsClient, TlsOptions, TlsSetupError, TlsVersion};
pub use reason::{is_tls_error, TlsFailure, TlsReason};
pub use transport::{Connect, ConnectFailure, Handshake, Transport};
