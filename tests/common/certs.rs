//! TLS test servers for hornet's tests: hornet-target and hornet-smsc
//! serving TLS with certificates made fresh by rcgen in each test (no
//! checked-in keys to expire or leak).
//!
//! The certificates themselves ([`Ca`], [`leaf`], [`expired_leaf`],
//! [`self_signed`], [`client_cert`], [`PemFiles`], ...) come from the
//! `hornet-testpki` crate, which the test servers' own suites share; they
//! are re-exported here so hornet's tests find everything TLS in one place.
//!
//! - [`tls_target`] / [`tls_smsc`]: hornet-target and hornet-smsc serving
//!   TLS on 127.0.0.1:0 with a fresh CA and a certificate for `localhost`
//!   and `127.0.0.1`; the `_with` forms take the certificate, a client CA
//!   (mutual TLS) and the TLS options (e.g. TLS 1.2 only);
//!   [`with_fresh_ca`] does the same for any server, hand-written ones too.

use std::path::PathBuf;
use std::sync::Arc;

use hornet_smsc::{SmscConfig, SmscHandle};
use hornet_target::tls::{server_config_der, ServerConfig, TlsOptions};
use hornet_target::{TargetConfig, TargetHandle};
// Every test binary compiles this module and uses its own share of it:
// what one leaves unused is not dead (mod.rs allows dead code likewise).
#[allow(unused_imports)]
pub use hornet_testpki::{
    client_cert, expired_leaf, leaf, self_signed, write_pem, Ca, Leaf, PemFiles, Validity,
    SERVER_NAMES,
};

/// A rustls server configuration serving `leaf`, requiring client
/// certificates from `client_ca` when given.
pub fn server_tls(leaf: &Leaf, client_ca: Option<&Ca>, options: &TlsOptions) -> Arc<ServerConfig> {
    server_config_der(
        leaf.chain(),
        leaf.key_der(),
        client_ca.map(Ca::roots),
        options,
    )
    .expect("server TLS config")
}

/// A running TLS test server, with the CA its certificate chains to and
/// that CA as a PEM file (for hornet's `--cacert`).
pub struct TlsServer<H> {
    /// The server; dropping it stops it.
    pub handle: H,
    /// The CA that signed the server's certificate.
    pub ca: Ca,
    /// Holds `ca.pem` (the CA certificate).
    pub files: PemFiles,
    /// Path of the CA certificate PEM file in `files`.
    pub ca_file: PathBuf,
}

/// hornet-target serving HTTPS (ALPN http/1.1, TLS 1.2 and 1.3) on
/// 127.0.0.1:0, with a certificate for [`SERVER_NAMES`] from a fresh CA.
/// `config.tls` is replaced.
pub fn tls_target(config: TargetConfig) -> TlsServer<TargetHandle> {
    with_fresh_ca(|server| tls_target_with(config, server, None, &TlsOptions::http1()))
}

/// hornet-target on 127.0.0.1:0 serving `server` over TLS with `options`;
/// with `client_ca`, clients must present a certificate it signed.
pub fn tls_target_with(
    config: TargetConfig,
    server: &Leaf,
    client_ca: Option<&Ca>,
    options: &TlsOptions,
) -> TargetHandle {
    let config = TargetConfig {
        tls: Some(server_tls(server, client_ca, options)),
        ..config
    };
    hornet_target::start("127.0.0.1:0".parse().expect("literal"), config)
        .expect("TLS target starts")
}

/// hornet-smsc speaking SMPP over TLS (TLS 1.2 and 1.3, no ALPN) on
/// 127.0.0.1:0, with a certificate for [`SERVER_NAMES`] from a fresh CA.
/// `config.tls` is replaced.
pub fn tls_smsc(config: SmscConfig) -> TlsServer<SmscHandle> {
    with_fresh_ca(|server| tls_smsc_with(config, server, None, &TlsOptions::default()))
}

/// hornet-smsc on 127.0.0.1:0 serving `server` over TLS with `options`;
/// with `client_ca`, clients must present a certificate it signed.
pub fn tls_smsc_with(
    config: SmscConfig,
    server: &Leaf,
    client_ca: Option<&Ca>,
    options: &TlsOptions,
) -> SmscHandle {
    let config = SmscConfig {
        tls: Some(server_tls(server, client_ca, options)),
        ..config
    };
    hornet_smsc::start("127.0.0.1:0".parse().expect("literal"), config).expect("TLS SMSC starts")
}

/// A fresh CA and a certificate from it for [`SERVER_NAMES`], served by
/// what `start` starts (any TLS server, hand-written ones too); the CA is
/// written out for `--cacert`.
pub fn with_fresh_ca<H>(start: impl FnOnce(&Leaf) -> H) -> TlsServer<H> {
    let ca = Ca::new("hornet test CA");
    let handle = start(&leaf(&ca, SERVER_NAMES, Validity::CURRENT));
    let files = PemFiles::new();
    let ca_file = files.ca("ca.pem", &ca);
    TlsServer {
        handle,
        ca,
        files,
        ca_file,
    }
}
