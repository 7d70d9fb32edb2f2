//! rustls over non-blocking sockets, for hornet's mio event loops and for
//! the test servers that speak TLS back to it.
//!
//! rustls is sans-IO: it turns ciphertext into plaintext and back, and the
//! caller moves the bytes. [`TlsStream`] does that moving over any
//! non-blocking `Read + Write` socket without ever blocking or looping on
//! `WouldBlock`, so a session written against a plain socket runs unchanged
//! over TLS. [`pem`] loads certificates and keys with errors that name the
//! file.

#![warn(missing_docs)]

pub mod pem;
pub mod stream;

pub use rustls;
pub use stream::TlsStream;
