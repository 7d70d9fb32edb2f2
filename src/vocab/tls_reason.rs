//! Why a TLS connection failed, in the few reasons users act on, each with
//! the explanation the summary prints once.

use std::fmt;
use std::io;
use std::sync::Arc;

use rustls::{AlertDescription, CertificateError, Error, OtherError, PeerIncompatible};

/// A TLS failure's reason. Counted per reason; the requests it failed are
/// counted under the `tls` error kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TlsReason {
    /// The server's chain does not lead to a trusted root.
    UnknownIssuer = 0,
    /// The server's certificate has expired (or is not valid yet).
    Expired = 1,
    /// The certificate is not valid for the name hornet asked for.
    WrongHost = 2,
    /// No TLS version both sides accept.
    ProtocolVersion = 3,
    /// The server wanted a client certificate and got none, or refused ours.
    ClientCertRejected = 4,
    /// Any other certificate problem (revoked, bad signature, malformed,
    /// wrong purpose).
    BadCertificate = 5,
    /// The peer closed or reset the connection during the handshake.
    ClosedInHandshake = 6,
    /// Anything else: handshake_failure alert, no common cipher, a peer not
    /// speaking TLS, a corrupt record.
    HandshakeFailure = 7,
    /// TCP connected but the handshake did not finish within the connect
    /// timeout.
    HandshakeTimeout = 8,
}

impl TlsReason {
    /// Number of reasons: the length of per-reason counter arrays.
    pub const COUNT: usize = 9;

    /// Every reason in counter-array order.
    pub const ALL: [TlsReason; Self::COUNT] = [
        TlsReason::UnknownIssuer,
        TlsReason::Expired,
        TlsReason::WrongHost,
        TlsReason::ProtocolVersion,
        TlsReason::ClientCertRejected,
        TlsReason::BadCertificate,
        TlsReason::ClosedInHandshake,
        TlsReason::HandshakeFailure,
        TlsReason::HandshakeTimeout,
    ];

    /// Stable snake_case name for reports.
    pub fn name(self) -> &'static str {
        match self {
            TlsReason::UnknownIssuer => "unknown_issuer",
            TlsReason::Expired => "expired",
            TlsReason::WrongHost => "wrong_host",
            TlsReason::ProtocolVersion => "protocol_version",
            TlsReason::ClientCertRejected => "client_cert_rejected",
            TlsReason::BadCertificate => "bad_certificate",
            TlsReason::ClosedInHandshake => "closed_in_handshake",
            TlsReason::HandshakeFailure => "handshake_failure",
            TlsReason::HandshakeTimeout => "handshake_timeout",
        }
    }

    /// What it means and what to do about it, printed once per reason.
    pub fn explain(self) -> &'static str {
        match self {
            TlsReason::UnknownIssuer => {
                "the server's certificate does not chain to a trusted root (nor is it one \
                 of the --cacert certificates); pass --cacert FILE with the CA that signed \
                 it or with the server's own certificate (self-signed ones included), or \
                 --insecure to skip verification"
            }
            TlsReason::Expired => {
                "the server's certificate is expired or not yet valid, even if --cacert \
                 names it (renew it on the server, or check both clocks)"
            }
            TlsReason::WrongHost => {
                "the server's certificate is not valid for the host name hornet verified \
                 (its subjectAltName entries are checked, never the common name: a \
                 certificate made with `openssl req -x509` needs -addext \
                 \"subjectAltName=DNS:NAME\"); use a name the certificate was issued \
                 for in the URL, or --sni NAME"
            }
            TlsReason::ProtocolVersion => {
                "client and server share no TLS version (see --tls-min; hornet speaks TLS \
                 1.2 and 1.3)"
            }
            TlsReason::ClientCertRejected => {
                "the server requires a client certificate and got none or refused it; pass \
                 --cert FILE --key FILE signed by a CA the server trusts"
            }
            TlsReason::BadCertificate => {
                "the server's certificate was rejected for another reason (revoked, bad \
                 signature, wrong key usage or malformed)"
            }
            TlsReason::ClosedInHandshake => {
                "the server closed the connection during the TLS handshake; is it speaking \
                 TLS on this port, and does it accept hornet's ciphers and SNI?"
            }
            TlsReason::HandshakeFailure => {
                "TLS failed: a handshake_failure alert, no common cipher suite, a peer not \
                 speaking TLS, or a corrupt record on an established connection"
            }
            TlsReason::HandshakeTimeout => {
                "TCP connected but the TLS handshake did not finish within --connect-timeout \
                 (an overloaded server, or one waiting for something other than TLS)"
            }
        }
    }

    /// Classifies a rustls error.
    pub fn of(err: &Error) -> TlsReason {
        use CertificateError as C;
        if let Some(refusal) = Refusal::of(err) {
            return refusal.reason;
        }
        match err {
            Error::InvalidCertificate(C::UnknownIssuer) => TlsReason::UnknownIssuer,
            Error::InvalidCertificate(
                C::Expired
                | C::ExpiredContext { .. }
                | C::NotValidYet
                | C::NotValidYetContext { .. },
            ) => TlsReason::Expired,
            Error::InvalidCertificate(C::NotValidForName | C::NotValidForNameContext { .. }) => {
                TlsReason::WrongHost
            }
            Error::InvalidCertificate(_) => TlsReason::BadCertificate,
            Error::AlertReceived(AlertDescription::ProtocolVersion) => TlsReason::ProtocolVersion,
            Error::AlertReceived(
                AlertDescription::CertificateRequired
                | AlertDescription::BadCertificate
                | AlertDescription::UnknownCA
                | AlertDescription::CertificateUnknown
                | AlertDescription::CertificateExpired
                | AlertDescription::CertificateRevoked
                | AlertDescription::UnsupportedCertificate
                | AlertDescription::AccessDenied,
            ) => TlsReason::ClientCertRejected,
            Error::PeerIncompatible(
                PeerIncompatible::ServerDoesNotSupportTls12Or13
                | PeerIncompatible::ServerTlsVersionIsDisabledByOurConfig
                | PeerIncompatible::SupportedVersionsExtensionRequired
                | PeerIncompatible::Tls12NotOffered
                | PeerIncompatible::Tls12NotOfferedOrEnabled
                | PeerIncompatible::Tls13RequiredForQuic,
            ) => TlsReason::ProtocolVersion,
            _ => TlsReason::HandshakeFailure,
        }
    }

    /// Classifies a connection error seen during a TLS handshake: a TLS
    /// error by its reason, anything else (EOF, reset) as closed.
    pub fn of_handshake_io(err: &io::Error) -> TlsReason {
        match tls_error(err) {
            Some(e) => TlsReason::of(e),
            None => TlsReason::ClosedInHandshake,
        }
    }
}

/// A TLS failure: its reason and what rustls (or the socket) said, kept
/// as an example for the summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFailure {
    /// Why, in the terms users act on.
    pub reason: TlsReason,
    /// The underlying error's text, e.g. `invalid peer certificate:
    /// UnknownIssuer`.
    pub detail: String,
}

impl TlsFailure {
    /// From a rustls error.
    pub fn of(err: &Error) -> TlsFailure {
        let detail = match Refusal::of(err) {
            Some(refusal) => format!("invalid peer certificate: {}", refusal.text),
            None => err.to_string(),
        };
        TlsFailure {
            reason: TlsReason::of(err),
            detail,
        }
    }

    /// From an error seen during the handshake (see
    /// [`TlsReason::of_handshake_io`]).
    pub fn of_handshake_io(err: &io::Error) -> TlsFailure {
        match tls_error(err) {
            Some(e) => TlsFailure::of(e),
            None => TlsFailure {
                reason: TlsReason::ClosedInHandshake,
                detail: err.to_string(),
            },
        }
    }
}

/// A certificate refusal worded by hornet's own verifier (see
/// `verify::RootsVerifier`), for cases whose rustls name alone would not
/// tell a user what to do. It travels through rustls as
/// `CertificateError::Other` and is classified and printed by its own
/// reason and text.
#[derive(Debug)]
pub(crate) struct Refusal {
    /// The reason it counts under.
    pub(crate) reason: TlsReason,
    /// What happened and what to pass instead.
    pub(crate) text: String,
}

impl Refusal {
    /// The rustls error carrying a refusal.
    pub(crate) fn error(reason: TlsReason, text: String) -> Error {
        Error::InvalidCertificate(CertificateError::Other(OtherError(Arc::new(Refusal {
            reason,
            text,
        }))))
    }

    /// The refusal inside a rustls error, if it carries one.
    fn of(err: &Error) -> Option<&Refusal> {
        match err {
            Error::InvalidCertificate(CertificateError::Other(other)) => {
                other.0.downcast_ref::<Refusal>()
            }
            _ => None,
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::error::Error for Refusal {}

/// The rustls error inside an `io::Error`, if it is one.
fn tls_error(err: &io::Error) -> Option<&Error> {
    err.get_ref().and_then(|e| e.downcast_ref::<Error>())
}

/// True if `err` carries a rustls error (a TLS failure, not a socket one).
pub fn is_tls_error(err: &io::Error) -> bool {
    tls_error(err).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_is_in_discriminant_order() {
        for (i, reason) in TlsReason::ALL.iter().enumerate() {
            assert_eq!(*reason as usize, i);
        }
    }

    #[test]
    fn classifies_the_reasons_users_act_on() {
        let cases = [
            (
                Error::InvalidCertificate(CertificateError::UnknownIssuer),
                TlsReason::UnknownIssuer,
            ),
            (
                Error::InvalidCertificate(CertificateError::Expired),
                TlsReason::Expired,
            ),
            (
                Error::InvalidCertificate(CertificateError::NotValidForName),
                TlsReason::WrongHost,
            ),
            (
                Error::AlertReceived(AlertDescription::ProtocolVersion),
                TlsReason::ProtocolVersion,
            ),
            (
                Error::AlertReceived(AlertDescription::CertificateRequired),
                TlsReason::ClientCertRejected,
            ),
            (
                Error::AlertReceived(AlertDescription::HandshakeFailure),
                TlsReason::HandshakeFailure,
            ),
            (
                Error::InvalidCertificate(CertificateError::Revoked),
                TlsReason::BadCertificate,
            ),
        ];
        for (err, want) in cases {
            assert_eq!(TlsReason::of(&err), want, "{err}");
            assert_eq!(TlsFailure::of(&err).detail, err.to_string());
            let io = io::Error::new(io::ErrorKind::InvalidData, err);
            assert!(is_tls_error(&io));
            assert_eq!(TlsReason::of_handshake_io(&io), want);
        }
        let eof = io::Error::from(io::ErrorKind::UnexpectedEof);
        assert!(!is_tls_error(&eof));
        assert_eq!(
            TlsReason::of_handshake_io(&eof),
            TlsReason::ClosedInHandshake
        );
    }

    #[test]
    fn a_refusal_counts_under_its_reason_with_its_own_words() {
        let err = Refusal::error(TlsReason::UnknownIssuer, "not in --cacert a.pem".into());
        assert_eq!(TlsReason::of(&err), TlsReason::UnknownIssuer);
        let failure = TlsFailure::of(&err);
        assert_eq!(failure.reason, TlsReason::UnknownIssuer);
        assert_eq!(
            failure.detail,
            "invalid peer certificate: not in --cacert a.pem"
        );
        let io = io::Error::new(io::ErrorKind::InvalidData, err);
        assert_eq!(TlsReason::of_handshake_io(&io), TlsReason::UnknownIssuer);
        assert_eq!(
            TlsFailure::of_handshake_io(&io).detail,
            "invalid peer certificate: not in --cacert a.pem"
        );
        // Another error under CertificateError::Other stays a bad certificate.
        let other = Error::InvalidCertificate(CertificateError::Other(OtherError(Arc::new(
            io::Error::other("x"),
        ))));
        assert_eq!(TlsReason::of(&other), TlsReason::BadCertificate);
    }
}
