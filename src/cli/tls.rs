//! TLS flags shared by `hornet http` (for `https://` URLs) and
//! `hornet smpp --tls`.

use std::path::PathBuf;

use clap::Args;

use super::ConfigError;
pub use crate::tls::ALPN_HTTP1;
use crate::tls::{TlsClient, TlsOptions, TlsVersion};

/// TLS flags.
#[derive(Debug, Clone, Default, Args)]
pub struct TlsArgs {
    /// Trust only the CA certificates (or self-signed certificates) in this
    /// PEM file instead of the platform's roots.
    #[arg(long, value_name = "FILE", help_heading = "TLS")]
    pub cacert: Option<PathBuf>,
    /// Client certificate chain (PEM), for servers that require one; needs --key.
    #[arg(long, value_name = "FILE", requires = "key", help_heading = "TLS")]
    pub cert: Option<PathBuf>,
    /// Private key (PEM) of --cert.
    #[arg(long, value_name = "FILE", requires = "cert", help_heading = "TLS")]
    pub key: Option<PathBuf>,
    /// Do not verify the server's certificate (an explicit opt-out; the
    /// handshake's signatures are still checked).
    #[arg(short = 'k', long, conflicts_with = "cacert", help_heading = "TLS")]
    pub insecure: bool,
    /// Server name to send (SNI) and verify, instead of the target's host.
    #[arg(long, value_name = "NAME", help_heading = "TLS")]
    pub sni: Option<String>,
    /// Lowest TLS version offered: 1.2 or 1.3.
    #[arg(long, value_name = "VERSION", default_value = "1.2", value_parser = TlsVersion::parse, help_heading = "TLS")]
    pub tls_min: TlsVersion,
    /// Never resume TLS sessions: every connection does a full handshake.
    #[arg(long, help_heading = "TLS")]
    pub no_resume: bool,
}

impl TlsArgs {
    /// The options as the TLS layer takes them.
    pub fn options(&self) -> TlsOptions {
        TlsOptions {
            cacert: self.cacert.clone(),
            cert: self.cert.clone(),
            key: self.key.clone(),
            insecure: self.insecure,
            sni: self.sni.clone(),
            min_version: self.tls_min,
            no_resume: self.no_resume,
        }
    }

    /// The first TLS flag given, if any (to refuse them on a plain target
    /// instead of silently ignoring them).
    pub fn first_given(&self) -> Option<&'static str> {
        [
            (self.cacert.is_some(), "--cacert"),
            (self.cert.is_some(), "--cert"),
            (self.key.is_some(), "--key"),
            (self.insecure, "--insecure"),
            (self.sni.is_some(), "--sni"),
            (self.tls_min != TlsVersion::default(), "--tls-min"),
            (self.no_resume, "--no-resume"),
        ]
        .into_iter()
        .find_map(|(given, flag)| given.then_some(flag))
    }

    /// The TLS client for `host` when `tls` is on; an error when TLS flags
    /// were given for a plain target (`plain_hint` says how to turn TLS on).
    pub fn client(
        &self,
        tls: bool,
        host: &str,
        alpn: &[&[u8]],
        plain_hint: &'static str,
    ) -> Result<Option<TlsClient>, ConfigError> {
        if !tls {
            return match self.first_given() {
                Some(flag) => Err(ConfigError::TlsFlag {
                    flag,
                    hint: plain_hint,
                }),
                None => Ok(None),
            };
        }
        Ok(Some(TlsClient::new(&self.options(), host, alpn)?))
    }
}
