//! Building the rustls [`ServerConfig`] the test servers listen with, and
//! the command-line flags ([`TlsFlags`]) that ask for it.
//!
//! Both servers want the same shape of configuration: the aws-lc-rs
//! provider, TLS 1.2 and 1.3 (or just one of them, so client tests can meet
//! a server that refuses their version), session resumption both ways
//! (rustls' stateful cache plus stateless tickets, so resumption can be
//! benchmarked whichever mechanism the client uses), and, optionally,
//! client certificates verified against a CA (mutual TLS). Only the ALPN
//! list differs: the HTTP target advertises `http/1.1`, the SMSC nothing.
//!
//! Both servers also take the same TLS flags, so [`TlsFlags`] holds them
//! once, for each server's clap CLI to flatten in.
//!
//! Errors are strings meant for a human at a command line: they name the
//! file or setting at fault.

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use hornet_tls::rustls;
use hornet_tls::rustls::crypto::{aws_lc_rs, CryptoProvider};
use hornet_tls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use hornet_tls::rustls::server::WebPkiClientVerifier;
use hornet_tls::rustls::{version, RootCertStore, SupportedProtocolVersion};

pub use hornet_tls::rustls::ServerConfig;

/// The ALPN protocol id of HTTP/1.1.
pub const HTTP_1_1: &[u8] = b"http/1.1";

/// Which TLS versions the server accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TlsVersions {
    /// TLS 1.2 and 1.3 (the default).
    #[default]
    Both,
    /// TLS 1.2 only: a client that demands 1.3 fails with a protocol
    /// version error.
    Tls12Only,
    /// TLS 1.3 only.
    Tls13Only,
}

impl TlsVersions {
    fn versions(self) -> &'static [&'static SupportedProtocolVersion] {
        // Statics, not literals: rustls' versions are statics, and a slice
        // of references to them is not promoted to 'static on its own.
        static BOTH: [&SupportedProtocolVersion; 2] = [&version::TLS13, &version::TLS12];
        static TLS12_ONLY: [&SupportedProtocolVersion; 1] = [&version::TLS12];
        static TLS13_ONLY: [&SupportedProtocolVersion; 1] = [&version::TLS13];
        match self {
            TlsVersions::Both => &BOTH,
            TlsVersions::Tls12Only => &TLS12_ONLY,
            TlsVersions::Tls13Only => &TLS13_ONLY,
        }
    }
}

/// What, besides the certificates, the server's TLS configuration says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsOptions {
    /// ALPN protocols the server accepts, most preferred first. Empty (the
    /// default): ALPN is ignored. Non-empty: a client offering ALPN must
    /// offer one of these, or the handshake fails; a client offering none
    /// is still served.
    pub alpn: Vec<Vec<u8>>,
    /// Protocol versions; default both 1.2 and 1.3.
    pub versions: TlsVersions,
}

impl TlsOptions {
    /// The HTTP/1.1 target's options: ALPN `http/1.1`, TLS 1.2 and 1.3.
    pub fn http1() -> TlsOptions {
        TlsOptions {
            alpn: vec![HTTP_1_1.to_vec()],
            versions: TlsVersions::Both,
        }
    }
}

/// The `--tls-cert`, `--tls-key` and `--tls-client-ca` flags, for a
/// server's clap CLI to take in with `#[command(flatten)]`.
///
/// The `--tls-cert` help below is generic; a server whose TLS means more
/// to its users (HTTPS, SMPP over TLS) replaces it with
/// `#[command(mut_arg("tls_cert", |a| a.help(...)))]` on its CLI.
#[derive(Debug, Clone, Default, PartialEq, Eq, clap::Args)]
pub struct TlsFlags {
    /// Serve over TLS with this certificate chain (PEM, leaf first); needs
    /// --tls-key. TLS 1.2 and 1.3, session resumption.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The private key of --tls-cert (PEM: PKCS#8, PKCS#1 or SEC1).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Require client certificates signed by a CA in this PEM file (mutual
    /// TLS); clients without one are refused. Needs --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_client_ca: Option<PathBuf>,
}

impl TlsFlags {
    /// The server configuration these flags describe, with `options` (the
    /// server's ALPN and versions); `None` without `--tls-cert`. Reads the
    /// PEM files, so errors name the file at fault.
    pub fn server_config(&self, options: &TlsOptions) -> Result<Option<Arc<ServerConfig>>, String> {
        // clap's `requires` makes the two come together.
        let (Some(cert), Some(key)) = (&self.tls_cert, &self.tls_key) else {
            return Ok(None);
        };
        server_config(cert, key, self.tls_client_ca.as_deref(), options).map(Some)
    }
}

/// A server configuration from PEM files: `cert_pem` holds the certificate
/// chain (leaf first), `key_pem` its private key (PKCS#8, PKCS#1 or SEC1),
/// and `client_ca`, when given, the CA certificates client certificates
/// must chain to; clients without one are then refused.
pub fn server_config(
    cert_pem: &Path,
    key_pem: &Path,
    client_ca: Option<&Path>,
    options: &TlsOptions,
) -> Result<Arc<ServerConfig>, String> {
    let chain = hornet_tls::pem::load_certs(cert_pem).map_err(|e| e.to_string())?;
    let key = hornet_tls::pem::load_key(key_pem).map_err(|e| e.to_string())?;
    let roots = match client_ca {
        Some(path) => {
            let certs = hornet_tls::pem::load_certs(path).map_err(|e| e.to_string())?;
            let mut roots = RootCertStore::empty();
            for cert in certs {
                roots
                    .add(cert)
                    .map_err(|e| format!("{}: not a usable CA certificate: {e}", path.display()))?;
            }
            Some(roots)
        }
        None => None,
    };
    server_config_der(chain, key, roots, options).map_err(|e| {
        format!(
            "TLS certificate {} with key {}: {e}",
            cert_pem.display(),
            key_pem.display()
        )
    })
}

/// [`server_config`] from certificates and key already in memory (DER), as
/// tests generate them. `client_ca_roots`: `Some` requires client
/// certificates that chain to one of these roots.
pub fn server_config_der(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    client_ca_roots: Option<RootCertStore>,
    options: &TlsOptions,
) -> Result<Arc<ServerConfig>, String> {
    // An explicit provider rather than the process default: nothing here
    // depends on which provider some other crate installed.
    let provider: Arc<CryptoProvider> = Arc::new(aws_lc_rs::default_provider());
    let builder = ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_protocol_versions(options.versions.versions())
        .map_err(|e| format!("TLS versions: {e}"))?;
    let builder = match client_ca_roots {
        Some(roots) => {
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .map_err(|e| format!("client CA: {e}"))?;
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let mut config = builder
        .with_single_cert(chain, key)
        .map_err(|e| e.to_string())?;
    config.alpn_protocols = options.alpn.clone();
    // The stateful session cache is on by default; tickets are not, and a
    // client that only resumes with tickets (the TLS 1.3 norm) would
    // otherwise do a full handshake every time.
    config.ticketer = aws_lc_rs::Ticketer::new().map_err(|e| format!("TLS tickets: {e}"))?;
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn self_signed() -> (CertificateDer<'static>, PrivateKeyDer<'static>) {
        let leaf = hornet_testpki::self_signed(&["localhost"]);
        (leaf.cert.clone(), leaf.key_der())
    }

    #[test]
    fn builds_with_and_without_client_auth() {
        let (cert, key) = self_signed();
        let config = server_config_der(
            vec![cert.clone()],
            key.clone_key(),
            None,
            &TlsOptions::http1(),
        )
        .unwrap();
        assert_eq!(config.alpn_protocols, vec![b"http/1.1".to_vec()]);
        assert!(config.ticketer.enabled());
        let mut roots = RootCertStore::empty();
        roots.add(cert.clone()).unwrap();
        let options = TlsOptions {
            versions: TlsVersions::Tls12Only,
            ..Default::default()
        };
        let config = server_config_der(vec![cert], key, Some(roots), &options).unwrap();
        assert!(config.alpn_protocols.is_empty());
    }

    #[test]
    fn errors_name_the_problem() {
        let (cert, _) = self_signed();
        let (_, other_key) = self_signed();
        let err =
            server_config_der(vec![cert], other_key, None, &TlsOptions::default()).unwrap_err();
        assert!(!err.is_empty());
        let dir = std::env::temp_dir().join(format!("hornet-serverkit-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let missing = dir.join("missing-cert.pem");
        let err = server_config(&missing, &missing, None, &TlsOptions::default()).unwrap_err();
        assert!(err.contains("missing-cert.pem"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A CLI with nothing but the TLS flags, as a server flattens them in.
    #[derive(Debug, clap::Parser)]
    struct Cli {
        #[command(flatten)]
        tls: TlsFlags,
    }

    fn parse(args: &[&str]) -> Result<TlsFlags, clap::Error> {
        use clap::Parser;
        let argv = std::iter::once("server").chain(args.iter().copied());
        Cli::try_parse_from(argv).map(|cli| cli.tls)
    }

    #[test]
    fn tls_flags() {
        let none = parse(&[]).unwrap();
        assert!(none
            .server_config(&TlsOptions::default())
            .unwrap()
            .is_none());
        let flags = parse(&[
            "--tls-cert",
            "/nonexistent/cert.pem",
            "--tls-key",
            "/nonexistent/key.pem",
            "--tls-client-ca",
            "/nonexistent/ca.pem",
        ])
        .unwrap();
        assert_eq!(
            flags.tls_client_ca.as_deref(),
            Some(Path::new("/nonexistent/ca.pem"))
        );
        let err = flags.server_config(&TlsOptions::http1()).unwrap_err();
        assert!(err.contains("/nonexistent/cert.pem"), "{err}");
    }

    #[test]
    fn tls_flags_come_together() {
        for args in [
            &["--tls-cert", "c.pem"][..],
            &["--tls-key", "k.pem"],
            &["--tls-client-ca", "ca.pem"],
            &["--tls-key", "k.pem", "--tls-client-ca", "ca.pem"],
        ] {
            assert!(parse(args).is_err(), "{args:?}");
        }
    }
}
