//! Server certificate verifiers.
//!
//! - [`RootsVerifier`] (the default): the WebPKI chain check against
//!   `--cacert` or the platform's roots, which also trusts a server
//!   certificate that is byte for byte one given with `--cacert` (the usual
//!   self-signed certificate, CA:TRUE included), and words the refusals a
//!   user acts on.
//! - [`NoVerification`] (`--insecure`): accepts any certificate. Handshake
//!   signatures are still checked, so the connection is encrypted to
//!   whoever holds the presented key; only who that is goes unchecked.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{verify_server_name, WebPkiServerVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::ParsedCertificate;
use rustls::{CertificateError, DigitallySignedStruct, Error, SignatureScheme};

use crate::vocab::tls_reason::{Refusal, TlsReason};

/// Accepts every server certificate.
#[derive(Debug)]
pub(super) struct NoVerification {
    provider: Arc<CryptoProvider>,
}

impl NoVerification {
    pub(super) fn new(provider: Arc<CryptoProvider>) -> NoVerification {
        NoVerification { provider }
    }
}

impl ServerCertVerifier for NoVerification {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// Verification against roots (`--cacert`, or the platform's), with two
/// additions to the WebPKI chain check that rustls does:
///
/// - A server certificate that is byte for byte one of the certificates
///   given with `--cacert` is trusted as it is, as curl does: most
///   self-signed certificates (`openssl req -x509`) say CA:TRUE, which
///   WebPKI refuses as a server certificate (`CaUsedAsEndEntity`) even when
///   it is the trust anchor itself. Its validity period and its names are
///   still checked, and the handshake signature proves the server holds its
///   key.
/// - A refusal users cannot act on by its rustls name (a self-signed CA
///   certificate nobody trusts, a certificate that `--cacert` does not
///   cover) is reported as an unknown issuer with words that say what to
///   pass (see [`Refusal`]).
#[derive(Debug)]
pub(super) struct RootsVerifier {
    inner: Arc<WebPkiServerVerifier>,
    /// The certificates of `--cacert`, each trusted as a server certificate.
    pinned: Vec<CertificateDer<'static>>,
    /// The `--cacert` file, for messages; `None` with the platform's roots.
    cacert: Option<PathBuf>,
}

impl RootsVerifier {
    pub(super) fn new(
        inner: Arc<WebPkiServerVerifier>,
        pinned: Vec<CertificateDer<'static>>,
        cacert: Option<PathBuf>,
    ) -> RootsVerifier {
        RootsVerifier {
            inner,
            pinned,
            cacert,
        }
    }

    /// A pinned certificate passes if it is valid now and names the server.
    fn verify_pinned(
        cert: &CertificateDer<'_>,
        server_name: &ServerName<'_>,
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        let fields = CertFields::parse(cert.as_ref())
            .ok_or(Error::InvalidCertificate(CertificateError::BadEncoding))?;
        let time = now.as_secs();
        if time < fields.not_before {
            return Err(Error::InvalidCertificate(
                CertificateError::NotValidYetContext {
                    time: now,
                    not_before: unix_time(fields.not_before),
                },
            ));
        }
        if time > fields.not_after {
            return Err(Error::InvalidCertificate(
                CertificateError::ExpiredContext {
                    time: now,
                    not_after: unix_time(fields.not_after),
                },
            ));
        }
        let parsed = ParsedCertificate::try_from(cert)?;
        verify_server_name(&parsed, server_name)?;
        Ok(ServerCertVerified::assertion())
    }

    /// Rewords a WebPKI refusal users could not act on by its name.
    fn explain(&self, err: Error, cert: &CertificateDer<'_>) -> Error {
        let Error::InvalidCertificate(kind) = &err else {
            return err;
        };
        let self_signed = CertFields::parse(cert.as_ref()).is_some_and(|f| f.issuer == f.subject);
        let ca_as_server = is_ca_used_as_end_entity(kind);
        let what = match (ca_as_server && self_signed, self_signed) {
            (true, _) => {
                "the server's certificate is a self-signed CA certificate \
                 (basicConstraints CA:TRUE, as `openssl req -x509` makes them)"
            }
            (false, true) => "the server's certificate is self-signed",
            (false, false) => "the server's certificate",
        };
        let text = match (&self.cacert, kind) {
            (Some(path), CertificateError::UnknownIssuer) => format!(
                "{what} and is neither one of the certificates in --cacert {} nor \
                 signed by one of them; pass the server's own certificate, or the CA \
                 that signed it, with --cacert",
                path.display()
            ),
            (Some(path), _) if ca_as_server && self_signed => format!(
                "{what} and is not one of the certificates in --cacert {}; pass that \
                 very certificate with --cacert to trust it",
                path.display()
            ),
            (None, _) if ca_as_server && self_signed => format!(
                "{what} that no trusted root vouches for; pass that very certificate \
                 with --cacert FILE to trust it, or --insecure to skip verification"
            ),
            // The rustls names of the other refusals say it well enough,
            // with the reason's explanation.
            _ => return err,
        };
        Refusal::error(TlsReason::UnknownIssuer, text)
    }
}

impl ServerCertVerifier for RootsVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        match self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
            Ok(verified) => Ok(verified),
            Err(err) => {
                if self
                    .pinned
                    .iter()
                    .any(|c| c.as_ref() == end_entity.as_ref())
                {
                    return Self::verify_pinned(end_entity, server_name, now);
                }
                Err(self.explain(err, end_entity))
            }
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }

    fn root_hint_subjects(&self) -> Option<&[rustls::DistinguishedName]> {
        self.inner.root_hint_subjects()
    }
}

/// WebPKI's `CaUsedAsEndEntity`, which rustls passes on only as an
/// `Other` error wrapping webpki's own error type (not a dependency of
/// hornet), so it is recognised by its name.
fn is_ca_used_as_end_entity(kind: &CertificateError) -> bool {
    matches!(kind, CertificateError::Other(other) if other.to_string() == "CaUsedAsEndEntity")
}

fn unix_time(secs: u64) -> UnixTime {
    UnixTime::since_unix_epoch(Duration::from_secs(secs))
}

/// The few fields of an X.509 certificate the pinned check needs, read
/// straight from its DER (rustls does not expose them).
#[derive(Debug, PartialEq, Eq)]
struct CertFields<'a> {
    /// The issuer Name, as encoded.
    issuer: &'a [u8],
    /// The subject Name, as encoded.
    subject: &'a [u8],
    /// Validity, in Unix seconds.
    not_before: u64,
    not_after: u64,
}

impl<'a> CertFields<'a> {
    /// Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0] version
    /// OPTIONAL, serialNumber, signature, issuer, validity SEQUENCE {
    /// notBefore, notAfter }, subject, ... }, ... }. `None` if malformed.
    fn parse(der: &'a [u8]) -> Option<CertFields<'a>> {
        let (tag, cert, _) = der_tlv(der)?;
        if tag != 0x30 {
            return None;
        }
        let (tag, tbs, _) = der_tlv(cert)?;
        if tag != 0x30 {
            return None;
        }
        let (mut tag, mut value, mut rest) = der_tlv(tbs)?;
        if tag == 0xA0 {
            (tag, value, rest) = der_tlv(rest)?;
        }
        let _serial = (tag == 0x02).then_some(value)?;
        let (tag, _signature, rest) = der_tlv(rest)?;
        if tag != 0x30 {
            return None;
        }
        let (issuer, rest) = der_whole(rest)?;
        let (tag, validity, rest) = der_tlv(rest)?;
        if tag != 0x30 {
            return None;
        }
        let (subject, _) = der_whole(rest)?;
        let (tag, not_before, validity) = der_tlv(validity)?;
        let not_before = der_time(tag, not_before)?;
        let (tag, not_after, _) = der_tlv(validity)?;
        let not_after = der_time(tag, not_after)?;
        Some(CertFields {
            issuer,
            subject,
            not_before,
            not_after,
        })
    }
}

/// One DER element: (tag, contents, what follows). Lengths up to 4 bytes.
fn der_tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, mut rest) = rest.split_first()?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let n = usize::from(first & 0x7F);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        rest = &rest[n..];
        len
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

/// One DER element with its tag and length (a Name, compared as encoded),
/// and what follows.
fn der_whole(input: &[u8]) -> Option<(&[u8], &[u8])> {
    let (_, _, rest) = der_tlv(input)?;
    Some(input.split_at(input.len() - rest.len()))
}

/// An X.509 Time (UTCTime `YYMMDDHHMMSSZ` or GeneralizedTime
/// `YYYYMMDDHHMMSSZ`) in Unix seconds; `None` if malformed or before 1970.
fn der_time(tag: u8, value: &[u8]) -> Option<u64> {
    let (year, rest) = match (tag, value.len()) {
        (0x17, 13) => {
            let yy = digits(&value[..2])?;
            // RFC 5280: UTCTime years 50-99 are 19xx, 00-49 are 20xx.
            (if yy >= 50 { 1900 + yy } else { 2000 + yy }, &value[2..])
        }
        (0x18, 15) => (digits(&value[..4])?, &value[4..]),
        _ => return None,
    };
    if rest[10] != b'Z' {
        return None;
    }
    let month = digits(&rest[0..2])?;
    let day = digits(&rest[2..4])?;
    let hour = digits(&rest[4..6])?;
    let minute = digits(&rest[6..8])?;
    let second = digits(&rest[8..10])?;
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
        return None;
    }
    // Days from civil (H. Hinnant), for the proleptic Gregorian calendar.
    let y = i64::from(year) - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + i64::from(hour) * 3_600 + i64::from(minute) * 60 + i64::from(second);
    u64::try_from(secs).ok()
}

/// ASCII decimal digits as a number.
fn digits(s: &[u8]) -> Option<u32> {
    s.iter().try_fold(0u32, |acc, &b| {
        b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_x509_times() {
        assert_eq!(der_time(0x17, b"700101000000Z"), Some(0));
        assert_eq!(der_time(0x17, b"000229120000Z"), Some(951_825_600));
        assert_eq!(der_time(0x18, b"20380119031408Z"), Some(2_147_483_648));
        assert_eq!(der_time(0x18, b"99991231235959Z"), Some(253_402_300_799));
        assert_eq!(der_time(0x17, b"491231235959Z"), Some(2_524_607_999));
        assert_eq!(der_time(0x17, b"500101000000Z"), None, "1950: before 1970");
        assert_eq!(der_time(0x17, b"7001010000001"), None);
        assert_eq!(der_time(0x17, b"701301000000Z"), None);
        assert_eq!(der_time(0x18, b"700101000000Z"), None);
        assert_eq!(der_time(0x17, b"70010100000Z"), None);
    }

    #[test]
    fn reads_der_lengths_and_rejects_truncation() {
        assert_eq!(
            der_tlv(&[0x30, 0x01, 0xAA, 0xBB]),
            Some((0x30, &[0xAA][..], &[0xBB][..]))
        );
        let mut long = vec![0x04, 0x82, 0x01, 0x00];
        long.extend(std::iter::repeat_n(7u8, 256));
        assert_eq!(
            der_tlv(&long).map(|(_, v, r)| (v.len(), r.len())),
            Some((256, 0))
        );
        assert_eq!(der_tlv(&[0x30, 0x02, 0xAA]), None);
        assert_eq!(der_tlv(&[0x30, 0x85, 1, 1, 1, 1, 1]), None);
        assert_eq!(der_tlv(&[0x30]), None);
        assert_eq!(CertFields::parse(&[0x30, 0x00]), None);
        assert_eq!(CertFields::parse(b""), None);
    }
}
