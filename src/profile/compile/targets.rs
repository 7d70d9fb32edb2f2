//! `[target]`: the HTTP host (resolved, with its TLS client for
//! `https://`) and the SMSC endpoint with its bind and TLS.

use crate::tls::{TlsClient, TlsOptions, TlsVersion};

use toml::Spanned;

use super::{Compiler, Overrides, Phase};
use crate::profile::error::ProfileError;
use crate::profile::model::{RawProfile, RawTls};
use crate::profile::scenario::*;
use crate::profile::template::Escape;

impl Compiler<'_> {
    pub(super) fn http_target(
        &self,
        raw: &RawProfile,
        ov: &Overrides,
    ) -> Result<Option<HttpTarget>, ProfileError> {
        let (url, span) = match (&ov.host, &raw.target.host) {
            (Some(h), _) => (h.clone(), None),
            (None, Some(h)) => (h.get_ref().clone(), Some(h.span())),
            (None, None) => return Ok(None),
        };
        let t = crate::target::resolve_http_target(&url).map_err(|e| match &span {
            Some(s) => self.err(s.clone(), format!("target.host: {e}")),
            None => self.loc.whole(format!("--host: {e}")),
        })?;
        let mut base_path = t.path_and_query.clone();
        if base_path.contains('?') {
            let msg = "target.host: the base URL cannot have a query";
            return Err(match &span {
                Some(s) => self.err(s.clone(), msg),
                None => self.loc.whole(msg),
            });
        }
        while base_path.ends_with('/') {
            base_path.pop();
        }
        let tls = match (&raw.target.tls, t.tls) {
            (Some(opts), false) => {
                return Err(self.err(
                    opts.span(),
                    "target.tls: the host is http://; use an https:// URL for TLS",
                ))
            }
            (opts, true) => Some(self.tls_client(
                opts.as_ref(),
                "target.tls",
                &t.host,
                crate::tls::ALPN_HTTP1,
            )?),
            (None, false) => None,
        };
        Ok(Some(HttpTarget {
            url,
            addr: t.addr,
            host_header: t.host_header,
            base_path,
            tls,
        }))
    }

    /// Builds a TLS client from a `tls` table (`None`: all defaults).
    /// Certificate paths are relative to the profile's directory.
    pub(super) fn tls_client(
        &self,
        raw: Option<&Spanned<RawTls>>,
        key: &str,
        host: &str,
        alpn: &[&[u8]],
    ) -> Result<TlsClient, ProfileError> {
        let empty = RawTls::default();
        let r = raw.map_or(&empty, |t| t.get_ref());
        let path = |p: &Option<Spanned<String>>| p.as_ref().map(|p| self.dir.join(p.get_ref()));
        let min_version = match &r.min_version {
            None => TlsVersion::default(),
            Some(v) => TlsVersion::parse(v.get_ref())
                .map_err(|e| self.err(v.span(), format!("{key}.min_version: {e}")))?,
        };
        let at = |field: &Option<Spanned<String>>| {
            field
                .as_ref()
                .map(|f| f.span())
                .or_else(|| raw.map(|t| t.span()))
        };
        if r.cert.is_some() != r.key.is_some() {
            let span = at(&r.cert).or_else(|| at(&r.key)).unwrap_or(0..0);
            return Err(self.err(span, format!("{key}: cert and key go together")));
        }
        if r.insecure && r.cacert.is_some() {
            let span = at(&r.cacert).unwrap_or(0..0);
            return Err(self.err(
                span,
                format!("{key}: insecure and cacert exclude each other"),
            ));
        }
        let opts = TlsOptions {
            cacert: path(&r.cacert),
            cert: path(&r.cert),
            key: path(&r.key),
            insecure: r.insecure,
            sni: r.sni.as_ref().map(|s| s.get_ref().clone()),
            min_version,
            no_resume: r.resume == Some(false),
        };
        TlsClient::new(&opts, host, alpn).map_err(|e| {
            let span = raw.map(|t| t.span()).unwrap_or(0..0);
            self.err(span, format!("{key}: {e}"))
        })
    }

    pub(super) fn smpp_target(
        &self,
        raw: &RawProfile,
        ov: &Overrides,
    ) -> Result<Option<SmppTarget>, ProfileError> {
        let Some(s) = &raw.target.smpp else {
            return Ok(None);
        };
        let r = s.get_ref();
        let endpoint = ov
            .smpp_endpoint
            .clone()
            .unwrap_or_else(|| r.endpoint.get_ref().clone());
        let addr = crate::target::resolve_endpoint(&endpoint)
            .map_err(|e| self.err(r.endpoint.span(), format!("target.smpp.endpoint: {e}")))?;
        let constant = |t: &Spanned<String>, key: &str| -> Result<String, ProfileError> {
            let tpl = self.template(t, Escape::Raw, Phase::Setup)?;
            if !tpl.is_static() {
                return Err(self.err(
                    t.span(),
                    format!("target.smpp.{key}: only constants and env variables may be used here"),
                ));
            }
            let mut out = Vec::new();
            let seq = || 0;
            let mut rng = crate::profile::template::Rng::new(0);
            tpl.render(
                &mut crate::profile::template::RenderCtx {
                    globals: &[],
                    user: &[],
                    feeds: &[],
                    rows: &[],
                    user_id: 0,
                    iteration: 0,
                    seq: &seq,
                    rng: &mut rng,
                },
                &mut out,
            );
            Ok(String::from_utf8_lossy(&out).into_owned())
        };
        let system_id = constant(&r.system_id, "system_id")?;
        if system_id.len() > 15 {
            return Err(self.err(
                r.system_id.span(),
                "target.smpp.system_id: at most 15 characters",
            ));
        }
        let password = match &r.password {
            Some(p) => constant(p, "password")?,
            None => String::new(),
        };
        if password.len() > 8 {
            return Err(self.err(
                r.password.as_ref().expect("set").span(),
                "target.smpp.password: at most 8 characters",
            ));
        }
        let tls = match &r.tls {
            None => None,
            Some(opts) => {
                let host = endpoint
                    .rsplit_once(':')
                    .map_or(endpoint.as_str(), |(host, _)| host);
                Some(self.tls_client(Some(opts), "target.smpp.tls", host, &[])?)
            }
        };
        Ok(Some(SmppTarget {
            addr,
            endpoint,
            system_id,
            password,
            system_type: r.system_type.clone().unwrap_or_default(),
            tls,
        }))
    }
}
