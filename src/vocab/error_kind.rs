//! The closed set of ways a request can end badly.
//!
//! Errors are counted by variant in a fixed array, never by formatted
//! message: a failing target must not turn into an allocation storm.

use std::fmt;
use std::io;

/// Why a request failed or timed out. Each failed or timed-out request is
/// counted under exactly one kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum ErrorKind {
    /// The target actively refused the TCP connection (ECONNREFUSED).
    ConnectRefused = 0,
    /// The TCP connection was not established within the connect timeout.
    ConnectTimeout = 1,
    /// Any other error while connecting (unreachable, no route, ...).
    ConnectError = 2,
    /// The peer reset the connection while the request was in flight.
    Reset = 3,
    /// No response arrived within the request timeout.
    Timeout = 4,
    /// The response could not be parsed as HTTP/1.1.
    Parse = 5,
    /// The peer closed the connection before the response was complete.
    ClosedEarly = 6,
    /// Any other I/O error on an established connection.
    Io = 7,
    /// TLS failed: the handshake (certificate, version, alert) or a TLS
    /// record on an established connection. The reason is counted apart,
    /// see `TlsReason`.
    Tls = 8,
    /// hornet itself ran out of a local resource: open files (EMFILE,
    /// ENFILE), local ports (EADDRNOTAVAIL) or socket buffers (ENOBUFS,
    /// ENOMEM). Not the target's fault: counted apart so a report never
    /// blames the target for the generator's limits.
    LocalResource = 9,
}

impl ErrorKind {
    /// Number of variants: the length of per-kind counter arrays.
    pub const COUNT: usize = 10;

    /// Every variant in counter-array order.
    pub const ALL: [ErrorKind; Self::COUNT] = [
        ErrorKind::ConnectRefused,
        ErrorKind::ConnectTimeout,
        ErrorKind::ConnectError,
        ErrorKind::Reset,
        ErrorKind::Timeout,
        ErrorKind::Parse,
        ErrorKind::ClosedEarly,
        ErrorKind::Io,
        ErrorKind::Tls,
        ErrorKind::LocalResource,
    ];

    /// What to do about [`ErrorKind::LocalResource`], for reports.
    pub const LOCAL_RESOURCE_HINT: &'static str = "hornet ran out of open files, local ports or socket buffers on this machine (raise `ulimit -n`, use fewer connections, or widen net.ipv4.ip_local_port_range)";

    /// Stable snake_case name used in the JSON report and the summary.
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::ConnectRefused => "connect_refused",
            ErrorKind::ConnectTimeout => "connect_timeout",
            ErrorKind::ConnectError => "connect_error",
            ErrorKind::Reset => "reset",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Parse => "parse",
            ErrorKind::ClosedEarly => "closed_early",
            ErrorKind::Io => "io",
            ErrorKind::Tls => "tls",
            ErrorKind::LocalResource => "local_resource",
        }
    }

    /// True for errors that are this machine's limits, not the peer's:
    /// too many open files (process or system), no free local port, no
    /// buffer memory.
    fn is_local_resource(err: &io::Error) -> bool {
        matches!(
            err.raw_os_error(),
            Some(libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM | libc::EADDRNOTAVAIL)
        )
    }

    /// Classifies an I/O error seen while connecting.
    pub fn from_connect_error(err: &io::Error) -> ErrorKind {
        if super::tls_reason::is_tls_error(err) {
            return ErrorKind::Tls;
        }
        if Self::is_local_resource(err) {
            return ErrorKind::LocalResource;
        }
        match err.kind() {
            io::ErrorKind::ConnectionRefused => ErrorKind::ConnectRefused,
            io::ErrorKind::TimedOut => ErrorKind::ConnectTimeout,
            _ => ErrorKind::ConnectError,
        }
    }

    /// Classifies an I/O error seen on an established connection.
    pub fn from_io_error(err: &io::Error) -> ErrorKind {
        if super::tls_reason::is_tls_error(err) {
            return ErrorKind::Tls;
        }
        if Self::is_local_resource(err) {
            return ErrorKind::LocalResource;
        }
        match err.kind() {
            io::ErrorKind::ConnectionReset | io::ErrorKind::BrokenPipe => ErrorKind::Reset,
            io::ErrorKind::ConnectionAborted | io::ErrorKind::UnexpectedEof => {
                ErrorKind::ClosedEarly
            }
            io::ErrorKind::ConnectionRefused => ErrorKind::ConnectRefused,
            _ => ErrorKind::Io,
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_is_in_discriminant_order() {
        for (i, kind) in ErrorKind::ALL.iter().enumerate() {
            assert_eq!(*kind as usize, i);
        }
    }

    #[test]
    fn classifies_io_errors() {
        let refused = io::Error::from(io::ErrorKind::ConnectionRefused);
        assert_eq!(
            ErrorKind::from_connect_error(&refused),
            ErrorKind::ConnectRefused
        );
        let reset = io::Error::from(io::ErrorKind::ConnectionReset);
        assert_eq!(ErrorKind::from_io_error(&reset), ErrorKind::Reset);
        let other = io::Error::other("x");
        assert_eq!(ErrorKind::from_io_error(&other), ErrorKind::Io);
    }

    #[test]
    fn this_machines_limits_are_not_the_targets_errors() {
        for errno in [
            libc::EMFILE,
            libc::ENFILE,
            libc::ENOBUFS,
            libc::EADDRNOTAVAIL,
        ] {
            let e = io::Error::from_raw_os_error(errno);
            assert_eq!(ErrorKind::from_connect_error(&e), ErrorKind::LocalResource);
            assert_eq!(ErrorKind::from_io_error(&e), ErrorKind::LocalResource);
        }
        let refused = io::Error::from_raw_os_error(libc::ECONNREFUSED);
        assert_eq!(
            ErrorKind::from_connect_error(&refused),
            ErrorKind::ConnectRefused
        );
    }
}
