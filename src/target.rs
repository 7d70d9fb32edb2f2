//! Turning a URL into something to connect to: scheme check, host
//! resolution, the Host header and the request target.

use std::net::{SocketAddr, ToSocketAddrs};

use thiserror::Error;
use url::Url;

/// A resolved HTTP target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpTarget {
    /// Where to connect.
    pub addr: SocketAddr,
    /// Host header value: host, plus the port when it is not the default.
    pub host_header: String,
    /// Origin-form request target: path plus `?query`.
    pub path_and_query: String,
    /// The host as written, without brackets (TLS server name).
    pub host: String,
    /// `https://`: TLS on.
    pub tls: bool,
}

/// Why a URL cannot be load-tested.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum TargetError {
    /// Not a URL at all.
    #[error("malformed URL '{url}': {reason}")]
    Malformed {
        /// The URL given.
        url: String,
        /// The parser's complaint.
        reason: String,
    },
    /// Some other scheme.
    #[error(
        "unsupported scheme '{scheme}' in '{url}': only http:// and https:// URLs are supported"
    )]
    Scheme {
        /// The scheme given.
        scheme: String,
        /// The URL given.
        url: String,
    },
    /// No host in the URL.
    #[error("URL '{0}' has no host")]
    NoHost(String),
    /// DNS (or the hosts file) has no address for the host.
    #[error("cannot resolve host '{host}': {reason}")]
    Resolve {
        /// The host.
        host: String,
        /// Why.
        reason: String,
    },
}

/// Parses and resolves an `http://` or `https://` URL.
pub fn resolve_http_target(input: &str) -> Result<HttpTarget, TargetError> {
    let url = Url::parse(input).map_err(|e| TargetError::Malformed {
        url: input.to_string(),
        reason: e.to_string(),
    })?;
    let tls = match url.scheme() {
        "http" => false,
        "https" => true,
        other => {
            return Err(TargetError::Scheme {
                scheme: other.to_string(),
                url: input.to_string(),
            })
        }
    };
    let host = url
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| TargetError::NoHost(input.to_string()))?;
    let port = url
        .port_or_known_default()
        .unwrap_or(if tls { 443 } else { 80 });
    // `host_str` keeps IPv6 brackets; the resolver wants them off.
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let addr = (bare, port)
        .to_socket_addrs()
        .map_err(|e| TargetError::Resolve {
            host: host.to_string(),
            reason: e.to_string(),
        })?
        .next()
        .ok_or_else(|| TargetError::Resolve {
            host: host.to_string(),
            reason: "no addresses".to_string(),
        })?;
    let host_header = match url.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_string(),
    };
    let mut path_and_query = url.path().to_string();
    if let Some(q) = url.query() {
        path_and_query.push('?');
        path_and_query.push_str(q);
    }
    Ok(HttpTarget {
        addr,
        host_header,
        path_and_query,
        host: bare.to_string(),
        tls,
    })
}

/// Why an SMSC `HOST:PORT` cannot be connected to. Worded the same for the
/// CLI (`hornet smpp`) and profiles (`target.smpp.endpoint`).
#[derive(Debug, Error, PartialEq, Eq)]
#[error("invalid SMSC address '{endpoint}': {reason} (expected HOST:PORT)")]
pub struct EndpointError {
    /// The address given.
    pub endpoint: String,
    /// Why.
    pub reason: String,
}

/// Resolves an SMSC `HOST:PORT` to its first address.
pub fn resolve_endpoint(endpoint: &str) -> Result<SocketAddr, EndpointError> {
    endpoint
        .to_socket_addrs()
        .map_err(|e| EndpointError {
            endpoint: endpoint.to_string(),
            reason: e.to_string(),
        })?
        .next()
        .ok_or_else(|| EndpointError {
            endpoint: endpoint.to_string(),
            reason: "no addresses".into(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_loopback_urls() {
        let t = resolve_http_target("http://127.0.0.1:8080/a/b?c=d&e").unwrap();
        assert_eq!(t.addr, "127.0.0.1:8080".parse().unwrap());
        assert_eq!(t.host_header, "127.0.0.1:8080");
        assert_eq!(t.path_and_query, "/a/b?c=d&e");
        let t = resolve_http_target("http://[::1]:9/").unwrap();
        assert_eq!(t.addr, "[::1]:9".parse().unwrap());
        assert_eq!(t.host_header, "[::1]:9");
        let t = resolve_http_target("http://localhost").unwrap();
        assert_eq!(t.addr.port(), 80);
        assert_eq!(t.host_header, "localhost");
        assert_eq!(t.path_and_query, "/");
        assert!(!t.tls);
        let t = resolve_http_target("https://localhost/x").unwrap();
        assert_eq!(t.addr.port(), 443);
        assert_eq!(t.host_header, "localhost");
        assert_eq!(t.host, "localhost");
        assert!(t.tls);
        let t = resolve_http_target("https://[::1]:8443/").unwrap();
        assert_eq!(t.host, "::1");
        assert_eq!(t.host_header, "[::1]:8443");
    }

    #[test]
    fn rejects_bad_urls_with_clear_errors() {
        assert!(matches!(
            resolve_http_target("not a url"),
            Err(TargetError::Malformed { .. })
        ));
        assert!(matches!(
            resolve_http_target("ftp://127.0.0.1/"),
            Err(TargetError::Scheme { .. })
        ));
        assert!(matches!(
            resolve_http_target("http://no-such-host.invalid/"),
            Err(TargetError::Resolve { .. })
        ));
    }
}
