//! Shared vocabulary: the small closed sets and bounds that several layers
//! speak (the CLI and profiles, the engine and the metrics, TLS and the
//! reports). Nothing here depends on another hornet module, so any module
//! may use it without an import cycle.
//!
//! - [`Backoff`]: the doubling pause after consecutive failures.
//! - [`ErrorKind`]: the ways a request can end badly, counted by variant.
//! - [`TlsReason`] / [`TlsFailure`]: why a TLS connection failed.
//! - [`failure`]: why a profile request failed, as typed ids.
//! - [`limits`]: the most connections, threads, rate and run time accepted.
//! - [`redact`]: which names and values are secrets, and how outputs hide them.

pub mod backoff;
pub mod error_kind;
pub mod failure;
pub mod limits;
pub mod redact;
pub mod tls_reason;

pub use backoff::{Backoff, BackoffPolicy};
pub use error_kind::ErrorKind;
pub use tls_reason::{is_tls_error, TlsFailure, TlsReason};
