//! From the user's TLS options to a rustls client configuration.
//!
//! Built once per run (reading certificate files, loading roots), then
//! copied per worker with a session cache of its own: workers never share
//! a lock on the hot path, and each worker resumes the sessions it made.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use hornet_tls::pem::{load_certs, load_key, PemError};
use rustls::client::{Resumption, WebPkiServerVerifier};
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore};
use thiserror::Error;

use super::verify::{NoVerification, RootsVerifier};

/// Session tickets and ids kept per worker for resumption.
const SESSION_CACHE: usize = 256;

/// The lowest TLS version hornet offers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TlsVersion {
    /// TLS 1.2 and 1.3 (the default).
    #[default]
    V1_2,
    /// TLS 1.3 only.
    V1_3,
}

impl TlsVersion {
    /// Parses `1.2` or `1.3`.
    pub fn parse(s: &str) -> Result<TlsVersion, String> {
        match s {
            "1.2" => Ok(TlsVersion::V1_2),
            "1.3" => Ok(TlsVersion::V1_3),
            other => Err(format!("unsupported TLS version '{other}': use 1.2 or 1.3")),
        }
    }
}

impl fmt::Display for TlsVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TlsVersion::V1_2 => "1.2",
            TlsVersion::V1_3 => "1.3",
        })
    }
}

/// TLS options as the user gives them (flags or a profile's target).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsOptions {
    /// Trust only the CA certificates (or self-signed certificates) in this
    /// PEM file instead of the platform's roots. A server certificate that
    /// is byte for byte one of them is trusted as it is (CA:TRUE or not),
    /// its names and validity period still checked.
    pub cacert: Option<PathBuf>,
    /// Client certificate chain (PEM), for servers that require one.
    pub cert: Option<PathBuf>,
    /// The client certificate's private key (PEM).
    pub key: Option<PathBuf>,
    /// Skip certificate verification (signatures are still checked).
    pub insecure: bool,
    /// Server name to send and verify instead of the URL's host.
    pub sni: Option<String>,
    /// Lowest version offered.
    pub min_version: TlsVersion,
    /// Never resume sessions: every connection does a full handshake.
    pub no_resume: bool,
}

/// Why TLS could not be set up (before any traffic).
#[derive(Debug, Error)]
pub enum TlsSetupError {
    /// A certificate or key file could not be used.
    #[error("{0}")]
    Pem(#[from] PemError),
    /// `--cacert` held no usable CA certificate.
    #[error("{path}: no usable CA certificate ({reason})")]
    Roots {
        /// The file.
        path: PathBuf,
        /// What rustls said.
        reason: String,
    },
    /// The server name is neither a DNS name nor an IP address.
    #[error("invalid TLS server name '{0}' (--sni or the URL's host)")]
    ServerName(String),
    /// `--cert` and `--key` must come together.
    #[error("a client certificate needs both --cert FILE and --key FILE")]
    ClientAuthPair,
    /// The client certificate and key do not go together.
    #[error("client certificate {cert} / key {key}: {reason}")]
    ClientAuth {
        /// The certificate file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
        /// What rustls said.
        reason: String,
    },
    /// rustls refused the configuration.
    #[error("TLS configuration: {0}")]
    Config(String),
}

/// A ready client configuration and the name to connect as.
#[derive(Debug, Clone)]
pub struct TlsClient {
    config: Arc<ClientConfig>,
    server_name: ServerName<'static>,
    no_resume: bool,
    min_version: TlsVersion,
    verify: &'static str,
}

impl TlsClient {
    /// Builds the configuration for a server reached as `host` (the URL's
    /// host or the SMPP endpoint's), offering `alpn` protocols.
    pub fn new(opts: &TlsOptions, host: &str, alpn: &[&[u8]]) -> Result<TlsClient, TlsSetupError> {
        let name = opts.sni.as_deref().unwrap_or(host);
        let name = name.trim_start_matches('[').trim_end_matches(']');
        let server_name = ServerName::try_from(name.to_string())
            .map_err(|_| TlsSetupError::ServerName(name.to_string()))?;
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let versions: &[&rustls::SupportedProtocolVersion] = match opts.min_version {
            TlsVersion::V1_2 => &[&rustls::version::TLS13, &rustls::version::TLS12],
            TlsVersion::V1_3 => &[&rustls::version::TLS13],
        };
        let builder = ClientConfig::builder_with_provider(Arc::clone(&provider))
            .with_protocol_versions(versions)
            .map_err(|e| TlsSetupError::Config(e.to_string()))?;
        let builder = if opts.insecure {
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(NoVerification::new(provider)))
        } else {
            let (roots, pinned) = roots(opts)?;
            let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .map_err(|e| TlsSetupError::Config(e.to_string()))?;
            let verifier = RootsVerifier::new(webpki, pinned, opts.cacert.clone());
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(verifier))
        };
        let mut config = match (&opts.cert, &opts.key) {
            (Some(cert), Some(key)) => {
                let chain = load_certs(cert)?;
                let private = load_key(key)?;
                builder.with_client_auth_cert(chain, private).map_err(|e| {
                    TlsSetupError::ClientAuth {
                        cert: cert.clone(),
                        key: key.clone(),
                        reason: e.to_string(),
                    }
                })?
            }
            (None, None) => builder.with_no_client_auth(),
            _ => return Err(TlsSetupError::ClientAuthPair),
        };
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        let verify = match (&opts.cacert, opts.insecure) {
            (_, true) => "none (--insecure)",
            (Some(_), false) => "--cacert",
            (None, false) => "system roots",
        };
        let client = TlsClient {
            config: Arc::new(config),
            server_name,
            no_resume: opts.no_resume,
            min_version: opts.min_version,
            verify,
        };
        Ok(client.for_worker())
    }

    /// A copy with a session cache of its own, for one worker thread.
    pub fn for_worker(&self) -> TlsClient {
        let mut config = (*self.config).clone();
        config.resumption = if self.no_resume {
            Resumption::disabled()
        } else {
            Resumption::in_memory_sessions(SESSION_CACHE)
        };
        TlsClient {
            config: Arc::new(config),
            server_name: self.server_name.clone(),
            ..*self
        }
    }

    /// A new client connection (nothing sent yet).
    pub fn connect(&self) -> Result<ClientConnection, rustls::Error> {
        ClientConnection::new(Arc::clone(&self.config), self.server_name.clone())
    }

    /// The name sent in SNI and verified (for reports).
    pub fn server_name(&self) -> String {
        self.server_name.to_str().into_owned()
    }

    /// Lowest version offered (for reports).
    pub fn min_version(&self) -> TlsVersion {
        self.min_version
    }

    /// How the server's certificate is verified (for reports).
    pub fn verify(&self) -> &'static str {
        self.verify
    }

    /// True when sessions are resumed on reconnect.
    pub fn resumes(&self) -> bool {
        !self.no_resume
    }
}

/// The roots to verify against: `--cacert` alone when given (as curl
/// does), else the platform's store, else the bundled Mozilla roots; and
/// the `--cacert` certificates themselves, each trusted as a server
/// certificate too.
fn roots(
    opts: &TlsOptions,
) -> Result<(RootCertStore, Vec<CertificateDer<'static>>), TlsSetupError> {
    let mut store = RootCertStore::empty();
    if let Some(path) = &opts.cacert {
        let certs = load_certs(path)?;
        let (added, _ignored) = store.add_parsable_certificates(certs.iter().cloned());
        if added == 0 {
            return Err(TlsSetupError::Roots {
                path: path.clone(),
                reason: "none of its certificates could be used as a trust anchor".into(),
            });
        }
        return Ok((store, certs));
    }
    let native = rustls_native_certs::load_native_certs();
    store.add_parsable_certificates(native.certs);
    if store.is_empty() {
        store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    }
    Ok((store, Vec::new()))
}
