//! Certificates for TLS tests, made fresh by rcgen in each test (no
//! checked-in keys to expire or leak), shared by the test suites of hornet,
//! hornet-target and hornet-smsc so that all of them build certificates the
//! same way.
//!
//! - [`Ca::new`]: a test CA; [`leaf`] signs a server certificate for DNS
//!   names and/or IP addresses with a chosen [`Validity`];
//!   [`expired_leaf`], [`self_signed`], [`self_signed_ca`] (CA:TRUE, as
//!   `openssl req -x509` makes them) and [`client_cert`] make the other
//!   certificates a client's or server's checks need to meet.
//! - [`PemFiles`]: any of these as PEM files in a tempdir, for the `--cacert`,
//!   `--cert`, `--key` and `--tls-*` flags of hornet and its test servers.
//! - [`client`]: a blocking rustls client trusting a test CA, for tests that
//!   talk to a TLS server directly rather than through hornet.
//! - [`process`]: a server binary started with such PEM files, talked to
//!   while it listens.
//!
//! Everything panics on failure: these are test fixtures, and a failure to
//! make a certificate is a broken test, not a case to handle.

pub mod client;
pub mod process;

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::RootCertStore;
use tempfile::TempDir;

/// The names a test server's certificate covers: what tests connect to.
pub const SERVER_NAMES: &[&str] = &["localhost", "127.0.0.1"];

/// A test certificate authority: its certificate (DER and PEM) and the
/// key that signs leaves.
#[derive(Debug)]
pub struct Ca {
    /// The CA certificate.
    pub cert: CertificateDer<'static>,
    /// The CA certificate as PEM (what `--cacert` / `--tls-client-ca` read).
    pub pem: String,
    issuer: Issuer<'static, KeyPair>,
}

impl Ca {
    /// A fresh self-signed CA named `name`, valid from yesterday for a year.
    pub fn new(name: &str) -> Ca {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("no names");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        Validity::CURRENT.apply(&mut params);
        let key = KeyPair::generate().expect("key generation");
        let cert = params.self_signed(&key).expect("self-sign CA");
        Ca {
            cert: cert.der().clone(),
            pem: cert.pem(),
            issuer: Issuer::new(params, key),
        }
    }

    /// A root store trusting only this CA (for rustls clients and for a
    /// server's client-certificate check).
    pub fn roots(&self) -> RootCertStore {
        let mut roots = RootCertStore::empty();
        roots.add(self.cert.clone()).expect("CA certificate parses");
        roots
    }
}

/// A certificate with its private key, as DER and PEM.
#[derive(Debug)]
pub struct Leaf {
    /// The certificate.
    pub cert: CertificateDer<'static>,
    /// Its private key (PKCS#8).
    pub key: PrivatePkcs8KeyDer<'static>,
    /// The certificate as PEM (what `--cert` / `--tls-cert` read).
    pub cert_pem: String,
    /// The key as PEM (what `--key` / `--tls-key` read).
    pub key_pem: String,
}

impl Leaf {
    /// The certificate as a one-certificate chain, the form rustls configs
    /// take.
    pub fn chain(&self) -> Vec<CertificateDer<'static>> {
        vec![self.cert.clone()]
    }

    /// The private key in the form rustls configs take.
    pub fn key_der(&self) -> PrivateKeyDer<'static> {
        PrivateKeyDer::Pkcs8(self.key.clone_key())
    }
}

/// When a certificate is valid, in whole days relative to today (UTC
/// midnights, so "-1" is at least a day ago and "+1" still ahead).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Validity {
    /// First valid day, relative to today.
    pub not_before_days: i64,
    /// Last valid moment: midnight starting this day, relative to today.
    pub not_after_days: i64,
}

impl Validity {
    /// Valid now: from yesterday for a year.
    pub const CURRENT: Validity = Validity {
        not_before_days: -1,
        not_after_days: 365,
    };
    /// Expired: valid for a month, ending yesterday.
    pub const EXPIRED: Validity = Validity {
        not_before_days: -30,
        not_after_days: -1,
    };
    /// Not valid yet: from tomorrow.
    pub const NOT_YET_VALID: Validity = Validity {
        not_before_days: 1,
        not_after_days: 365,
    };

    fn apply(self, params: &mut CertificateParams) {
        let (y, m, d) = utc_date(self.not_before_days);
        params.not_before = rcgen::date_time_ymd(y, m, d);
        let (y, m, d) = utc_date(self.not_after_days);
        params.not_after = rcgen::date_time_ymd(y, m, d);
    }
}

/// A server certificate signed by `ca` for `names` (DNS names, or IP
/// addresses such as `127.0.0.1`, which become IP SANs).
pub fn leaf(ca: &Ca, names: &[&str], validity: Validity) -> Leaf {
    issue(
        names,
        server_cn(names),
        validity,
        ExtendedKeyUsagePurpose::ServerAuth,
        Some(&ca.issuer),
    )
}

/// A server certificate signed by `ca` for `names` whose validity ended
/// yesterday.
pub fn expired_leaf(ca: &Ca, names: &[&str]) -> Leaf {
    leaf(ca, names, Validity::EXPIRED)
}

/// A currently valid server certificate for `names` that signs itself (no
/// CA vouches for it).
pub fn self_signed(names: &[&str]) -> Leaf {
    issue(
        names,
        // Not the host name: a self-signed certificate's subject is its
        // issuer, and system stores may hold a snakeoil certificate with
        // subject CN=localhost, which would make verification report a
        // mismatched signature instead of an unknown issuer.
        "hornet self-signed test server",
        Validity::CURRENT,
        ExtendedKeyUsagePurpose::ServerAuth,
        None,
    )
}

/// A self-signed server certificate for `names` made the way `openssl req
/// -x509` makes one by default: basicConstraints CA:TRUE, no key usage or
/// extended key usage, subject and issuer the same. WebPKI refuses such a
/// certificate as a server's own (`CaUsedAsEndEntity`) unless the client
/// trusts it as it is.
pub fn self_signed_ca(names: &[&str], validity: Validity) -> Leaf {
    let sans: Vec<String> = names.iter().map(|n| (*n).to_string()).collect();
    let mut params = CertificateParams::new(sans).expect("valid DNS names or IP addresses");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    // Not the host name: see `self_signed`.
    params.distinguished_name.push(
        DnType::CommonName,
        "hornet openssl-style self-signed server",
    );
    validity.apply(&mut params);
    let key = KeyPair::generate().expect("key generation");
    let cert = params.self_signed(&key).expect("self-sign");
    Leaf {
        cert: cert.der().clone(),
        key: PrivatePkcs8KeyDer::from(key.serialize_der()),
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    }
}

/// A client certificate (extended key usage clientAuth) signed by `ca`,
/// with common name `name`, for mutual TLS.
pub fn client_cert(ca: &Ca, name: &str) -> Leaf {
    issue(
        &[],
        name,
        Validity::CURRENT,
        ExtendedKeyUsagePurpose::ClientAuth,
        Some(&ca.issuer),
    )
}

/// A server certificate's common name: its first name (clients go by the
/// SANs; the CN only helps a human reading the certificate).
fn server_cn<'a>(names: &[&'a str]) -> &'a str {
    names.first().copied().unwrap_or("hornet test server")
}

fn issue(
    names: &[&str],
    common_name: &str,
    validity: Validity,
    usage: ExtendedKeyUsagePurpose,
    issuer: Option<&Issuer<'static, KeyPair>>,
) -> Leaf {
    let sans: Vec<String> = names.iter().map(|n| (*n).to_string()).collect();
    let mut params = CertificateParams::new(sans).expect("valid DNS names or IP addresses");
    params
        .distinguished_name
        .push(DnType::CommonName, common_name);
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![usage];
    params.use_authority_key_identifier_extension = issuer.is_some();
    validity.apply(&mut params);
    let key = KeyPair::generate().expect("key generation");
    let cert = match issuer {
        Some(issuer) => params.signed_by(&key, issuer),
        None => params.self_signed(&key),
    }
    .expect("sign certificate");
    Leaf {
        cert: cert.der().clone(),
        key: PrivatePkcs8KeyDer::from(key.serialize_der()),
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    }
}

/// PEM files in a temporary directory (removed on drop).
#[derive(Debug)]
pub struct PemFiles {
    /// The directory; keep the `PemFiles` alive while the paths are used.
    pub dir: TempDir,
}

impl PemFiles {
    /// A fresh, empty directory.
    pub fn new() -> PemFiles {
        PemFiles {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    /// Writes `pem` as `file_name` in the directory; returns its path.
    pub fn write(&self, file_name: &str, pem: &str) -> PathBuf {
        write_pem(self.dir.path(), file_name, pem)
    }

    /// Writes the CA certificate as `file_name` (for `--cacert`).
    pub fn ca(&self, file_name: &str, ca: &Ca) -> PathBuf {
        self.write(file_name, &ca.pem)
    }

    /// Writes a leaf as `<stem>.crt.pem` and `<stem>.key.pem` (for `--cert`
    /// and `--key`); returns (certificate path, key path).
    pub fn leaf(&self, stem: &str, leaf: &Leaf) -> (PathBuf, PathBuf) {
        (
            self.write(&format!("{stem}.crt.pem"), &leaf.cert_pem),
            self.write(&format!("{stem}.key.pem"), &leaf.key_pem),
        )
    }
}

impl Default for PemFiles {
    fn default() -> Self {
        PemFiles::new()
    }
}

/// Writes `pem` to `dir/file_name`; returns the path.
pub fn write_pem(dir: &Path, file_name: &str, pem: &str) -> PathBuf {
    let path = dir.join(file_name);
    std::fs::write(&path, pem).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    path
}

/// The UTC date (year, month, day) `days` from today, for rcgen's validity
/// fields. Computed from the system clock with the civil-from-days
/// algorithm (H. Hinnant) rather than a date crate for one conversion.
fn utc_date(days: i64) -> (i32, u8, u8) {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970");
    let z = (now.as_secs() / 86_400) as i64 + days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year as i32, month as u8, day as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_date_agrees_with_the_calendar() {
        // 1970-01-01 is day 0; the algorithm is exact on any day, so checking
        // offsets from today against a second path through the epoch is
        // enough.
        let today = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64
            / 86_400;
        assert_eq!(utc_date(-today), (1970, 1, 1));
        assert_eq!(utc_date(-today + 59), (1970, 3, 1));
        assert_eq!(utc_date(-today + 11_016), (2000, 2, 29));
        assert_eq!(utc_date(-today + 19_723), (2024, 1, 1));
    }
}
