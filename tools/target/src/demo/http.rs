//! The demo's view of one HTTP exchange: an owned request (method, path,
//! query, bearer token, body) built from the parsed head, and a JSON
//! response serialized with the framing the connection asks for.
//!
//! Unlike the canned mode, nothing here is pre-serialized: every demo
//! response depends on state, so it is written straight into the
//! connection's output buffer when its turn comes.

use std::fmt;
use std::io::Write as _;

use serde_json::Value;

use super::state::State;
use crate::request::{self, Parsed, Refusal};
use crate::response::{reason, Persist};

/// Largest request body the demo reads; more is refused with 413 before a
/// byte of it is buffered.
pub(crate) const MAX_BODY: u64 = 1024 * 1024;
/// Longest path (query included) kept; longer request targets get 414.
const MAX_TARGET: usize = 8 * 1024;

/// The request methods the demo routes on; anything else is `Other` (404).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    /// GET, and HEAD (answered like GET without the body).
    Get,
    /// POST.
    Post,
    /// Any other method; no demo route takes it.
    Other,
}

/// One whole demo request, owned so it can wait in a connection's queue.
#[derive(Debug)]
pub(crate) struct DemoRequest {
    /// Routing method (HEAD maps to [`Method::Get`]).
    pub(crate) method: Method,
    /// HEAD request: answer without the body.
    pub(crate) head: bool,
    /// Path without the query string.
    pub(crate) path: String,
    /// Query string after `?`, empty if none.
    pub(crate) query: String,
    /// The token from `Authorization: Bearer <token>`, if any.
    pub(crate) bearer: Option<String>,
    /// The request body, filled in by the connection as it arrives.
    pub(crate) body: Vec<u8>,
    /// What the response must say about the connection.
    pub(crate) persist: Persist,
}

impl DemoRequest {
    /// The first value of query parameter `name` (no percent-decoding: the
    /// demo's parameters are numbers and ISO dates).
    pub(crate) fn query_param(&self, name: &str) -> Option<&str> {
        self.query.split('&').find_map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (key == name).then_some(value)
        })
    }

    /// Bytes a queued request holds on to, for the connection's backlog cap.
    pub(crate) fn weight(&self) -> usize {
        self.body.len() + self.path.len() + self.query.len()
    }
}

/// What [`parse`] found at the start of the input buffer.
#[derive(Debug)]
pub(crate) enum DemoHead {
    /// Not a whole head yet; read more.
    Partial,
    /// A head of `len` bytes; `body` body bytes follow, to be appended to
    /// `req.body`.
    Complete {
        len: usize,
        body: u64,
        req: Box<DemoRequest>,
    },
    /// Refused; the response closes the connection.
    Refused(Response),
}

/// Parses one request head for the demo router.
pub(crate) fn parse(buf: &[u8]) -> DemoHead {
    let parsed = request::parse_with(buf, |r| {
        let method = match r.method {
            Some("GET" | "HEAD") => Method::Get,
            Some("POST") => Method::Post,
            _ => Method::Other,
        };
        let target = r.path.unwrap_or("/");
        let bearer = r
            .headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case("authorization"))
            .and_then(|h| bearer_token(h.value));
        (
            method,
            target.len() <= MAX_TARGET,
            target.to_owned(),
            bearer,
        )
    });
    match parsed {
        Parsed::Partial => DemoHead::Partial,
        Parsed::Refused(Refusal::Malformed) => {
            DemoHead::Refused(Response::error(400, "malformed request"))
        }
        // Bodies must be framed by Content-Length so the demo can read them
        // whole before routing; 411 tells the client exactly that.
        Parsed::Refused(Refusal::Coded) => DemoHead::Refused(Response::error(
            411,
            "Transfer-Encoding is not supported; send Content-Length",
        )),
        Parsed::Complete { body, .. } if body > MAX_BODY => {
            DemoHead::Refused(Response::error(413, "request body larger than 1 MiB"))
        }
        Parsed::Complete {
            extra: (_, false, ..),
            ..
        } => DemoHead::Refused(Response::error(414, "request target too long")),
        Parsed::Complete {
            len,
            body,
            persist,
            head,
            extra: (method, true, target, bearer),
        } => {
            let (path, query) = match target.split_once('?') {
                Some((path, query)) => (path.to_owned(), query.to_owned()),
                None => (target, String::new()),
            };
            DemoHead::Complete {
                len,
                body,
                req: Box::new(DemoRequest {
                    method,
                    head,
                    path,
                    query,
                    bearer,
                    // Bounded by MAX_BODY above, so the cast cannot truncate.
                    body: Vec::with_capacity(body as usize),
                    persist,
                }),
            }
        }
    }
}

/// The token of an `Authorization: Bearer <token>` value.
fn bearer_token(value: &[u8]) -> Option<String> {
    let value = std::str::from_utf8(value).ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then(|| token.to_owned())
}

/// A demo response: status, body and the one optional header some need.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Response {
    /// Status code.
    pub(crate) status: u16,
    /// Serialized body.
    pub(crate) body: Vec<u8>,
    /// `Content-Type` of `body`.
    pub(crate) content_type: &'static str,
    /// `Retry-After` seconds, for 429.
    pub(crate) retry_after: Option<u64>,
}

impl Response {
    /// A JSON response.
    pub(crate) fn json(status: u16, value: &Value) -> Response {
        Response {
            status,
            // Serializing a `Value` cannot fail: its keys are strings.
            body: serde_json::to_vec(value).unwrap_or_default(),
            content_type: "application/json",
            retry_after: None,
        }
    }

    /// A JSON error, `{"detail": detail}`, as FastAPI and DRF shape theirs.
    pub(crate) fn error(status: u16, detail: &str) -> Response {
        Response::json(status, &serde_json::json!({ "detail": detail }))
    }

    /// Appends the whole response to `out`.
    pub(crate) fn write_to(&self, out: &mut Vec<u8>, persist: Persist, head: bool) {
        // Writing into a Vec cannot fail.
        let _ = write!(
            out,
            "HTTP/1.1 {} {}\r\nServer: hornet-target\r\nContent-Type: {}\r\nContent-Length: {}\r\n",
            self.status,
            reason(self.status),
            self.content_type,
            self.body.len()
        );
        if let Some(seconds) = self.retry_after {
            let _ = write!(out, "Retry-After: {seconds}\r\n");
        }
        match persist {
            Persist::KeepAlive => {}
            Persist::KeepAliveExplicit => out.extend_from_slice(b"Connection: keep-alive\r\n"),
            Persist::Close => out.extend_from_slice(b"Connection: close\r\n"),
        }
        out.extend_from_slice(b"\r\n");
        if !head {
            out.extend_from_slice(&self.body);
        }
    }
}

/// The second half of a racy read-modify-write: applies a write computed
/// from a stale read, and builds the response, once the race window ends.
pub(crate) struct Commit(Box<dyn FnOnce(&State) -> Response + Send>);

impl Commit {
    /// Wraps the deferred write.
    pub(crate) fn new(f: impl FnOnce(&State) -> Response + Send + 'static) -> Commit {
        Commit(Box::new(f))
    }

    /// Applies the write and returns the response.
    pub(crate) fn apply(self, state: &State) -> Response {
        (self.0)(state)
    }
}

impl fmt::Debug for Commit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Commit")
    }
}

/// What routing a request produced.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// Answer now.
    Now(Response),
    /// Racy mode: answer (and write) after the race window.
    Later(Commit),
}

impl From<Response> for Outcome {
    fn from(response: Response) -> Outcome {
        Outcome::Now(response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_route_facts() {
        let DemoHead::Complete { len, body, req } = parse(
            b"POST /api/x/?a=1&b HTTP/1.1\r\nAuthorization: bearer  tok.en \r\nContent-Length: 2\r\n\r\n{}",
        ) else {
            panic!("not complete");
        };
        assert_eq!((len, body), (82, 2));
        assert_eq!(req.method, Method::Post);
        assert_eq!(
            (req.path.as_str(), req.query.as_str()),
            ("/api/x/", "a=1&b")
        );
        assert_eq!(req.bearer.as_deref(), Some("tok.en"));
        assert_eq!(req.query_param("a"), Some("1"));
        assert_eq!(req.query_param("b"), Some(""));
        assert_eq!(req.query_param("c"), None);
    }

    #[test]
    fn refusals() {
        for (input, status) in [
            (
                &b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"[..],
                411,
            ),
            (b"POST / HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n", 413),
            (b"BAD\x01 / HTTP/1.1\r\n\r\n", 400),
        ] {
            match parse(input) {
                DemoHead::Refused(r) => assert_eq!(r.status, status),
                other => panic!("{other:?}"),
            }
        }
        let long = format!("GET /{} HTTP/1.1\r\n\r\n", "a".repeat(MAX_TARGET));
        assert!(matches!(parse(long.as_bytes()), DemoHead::Refused(r) if r.status == 414));
        assert!(matches!(parse(b"GET / HT"), DemoHead::Partial));
    }

    #[test]
    fn bearer_needs_the_scheme() {
        assert_eq!(bearer_token(b"Bearer abc"), Some("abc".into()));
        assert_eq!(bearer_token(b"Basic abc"), None);
        assert_eq!(bearer_token(b"Bearer "), None);
        assert_eq!(bearer_token(b"\xff"), None);
    }

    #[test]
    fn framing() {
        let r = Response::error(404, "not found");
        let mut out = Vec::new();
        r.write_to(&mut out, Persist::Close, false);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "HTTP/1.1 404 Not Found\r\nServer: hornet-target\r\nContent-Type: application/json\r\n\
             Content-Length: 22\r\nConnection: close\r\n\r\n{\"detail\":\"not found\"}"
        );
        let mut out = Vec::new();
        Response {
            retry_after: Some(7),
            ..Response::error(429, "x")
        }
        .write_to(&mut out, Persist::KeepAlive, true);
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("Retry-After: 7\r\n") && text.ends_with("\r\n\r\n"));
    }
}
