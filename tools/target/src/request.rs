//! Request-head interpretation: httparse on the buffered bytes, reduced to
//! the few facts the server acts on. Header slots live on the stack; the
//! canned mode allocates nothing, the demo mode copies out method, path and
//! credentials through [`parse_with`].

use crate::response::{Persist, Reply};

/// Header slots per request; more headers than this is a 400.
const MAX_HEADERS: usize = 64;

/// What the buffered bytes hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Head {
    /// Not a whole head yet; read more.
    Partial,
    /// A whole, acceptable head of `len` bytes followed by `body` body bytes;
    /// `reply` answers it once the body has been received.
    Complete { len: usize, body: u64, reply: Reply },
    /// A request the server refuses; `reply` closes the connection.
    Refused(Reply),
}

/// Why a request head is refused; each mode answers it in its own format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Unparseable head, bad `Content-Length`, too many headers.
    Malformed,
    /// A `Transfer-Encoding` header: the body length is not given up front.
    Coded,
}

/// A parsed head with whatever the caller's `extract` pulled out of it.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Parsed<T> {
    /// Not a whole head yet; read more.
    Partial,
    /// A whole head of `len` bytes followed by `body` body bytes.
    Complete {
        len: usize,
        body: u64,
        persist: Persist,
        head: bool,
        extra: T,
    },
    /// A request the server refuses (and closes after answering).
    Refused(Refusal),
}

/// Parses one request head at the start of `buf`.
pub(crate) fn parse(buf: &[u8]) -> Head {
    // The canned mode needs no facts beyond the shared ones, so it extracts
    // nothing and stays allocation-free.
    match parse_with(buf, |_| ()) {
        Parsed::Partial => Head::Partial,
        Parsed::Complete {
            len,
            body,
            persist,
            head,
            extra: (),
        } => Head::Complete {
            len,
            body,
            reply: Reply::Ok { head, persist },
        },
        Parsed::Refused(Refusal::Malformed) => Head::Refused(Reply::BadRequest),
        Parsed::Refused(Refusal::Coded) => Head::Refused(Reply::NotImplemented),
    }
}

/// Parses one request head at the start of `buf`; for a complete,
/// acceptable head, `extract` reads what else the caller needs (method,
/// path, headers) while httparse's borrowed view is still alive.
pub(crate) fn parse_with<T>(
    buf: &[u8],
    extract: impl FnOnce(&httparse::Request<'_, '_>) -> T,
) -> Parsed<T> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut headers);
    let len = match req.parse(buf) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Parsed::Partial,
        Err(_) => return Parsed::Refused(Refusal::Malformed),
    };
    let mut body: Option<u64> = None;
    let mut close = false;
    let mut keep_alive = false;
    for header in req.headers.iter() {
        let name = header.name;
        if name.eq_ignore_ascii_case("content-length") {
            let Some(n) = parse_length(header.value) else {
                return Parsed::Refused(Refusal::Malformed);
            };
            // Repeated lengths are fine only if they agree (RFC 9112 6.3).
            if body.is_some_and(|b| b != n) {
                return Parsed::Refused(Refusal::Malformed);
            }
            body = Some(n);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            // Chunked (or any coded) request bodies are not worth decoding
            // here; hornet never sends them.
            return Parsed::Refused(Refusal::Coded);
        } else if name.eq_ignore_ascii_case("connection") {
            for token in header.value.split(|&b| b == b',') {
                let token = token.trim_ascii();
                close |= token.eq_ignore_ascii_case(b"close");
                keep_alive |= token.eq_ignore_ascii_case(b"keep-alive");
            }
        }
    }
    let persist = match (req.version, close, keep_alive) {
        (_, true, _) => Persist::Close,
        (Some(0), false, true) => Persist::KeepAliveExplicit,
        (Some(0), false, false) => Persist::Close,
        _ => Persist::KeepAlive,
    };
    let head = req.method == Some("HEAD");
    Parsed::Complete {
        len,
        body: body.unwrap_or(0),
        persist,
        head,
        extra: extract(&req),
    }
}

/// Strict `Content-Length` value: ASCII digits only, no sign, no overflow.
fn parse_length(value: &[u8]) -> Option<u64> {
    let value = value.trim_ascii();
    if value.is_empty() {
        return None;
    }
    value.iter().try_fold(0u64, |acc, &b| {
        if b.is_ascii_digit() {
            acc.checked_mul(10)?.checked_add(u64::from(b - b'0'))
        } else {
            None
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const fn ok(head: bool, persist: Persist) -> Reply {
        Reply::Ok { head, persist }
    }

    #[test]
    fn table() {
        use Persist::*;
        let cases: &[(&[u8], Head)] = &[
            (
                b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
                Head::Complete {
                    len: 27,
                    body: 0,
                    reply: ok(false, KeepAlive),
                },
            ),
            (
                b"HEAD / HTTP/1.1\r\n\r\n",
                Head::Complete {
                    len: 19,
                    body: 0,
                    reply: ok(true, KeepAlive),
                },
            ),
            (
                b"GET / HTTP/1.1\r\nConnection: Close\r\n\r\n",
                Head::Complete {
                    len: 37,
                    body: 0,
                    reply: ok(false, Close),
                },
            ),
            (
                b"GET / HTTP/1.0\r\n\r\n",
                Head::Complete {
                    len: 18,
                    body: 0,
                    reply: ok(false, Close),
                },
            ),
            (
                b"GET / HTTP/1.0\r\nConnection: x, Keep-Alive\r\n\r\n",
                Head::Complete {
                    len: 45,
                    body: 0,
                    reply: ok(false, KeepAliveExplicit),
                },
            ),
            (
                b"POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello",
                Head::Complete {
                    len: 38,
                    body: 5,
                    reply: ok(false, KeepAlive),
                },
            ),
            (
                b"POST / HTTP/1.1\r\nContent-Length: 5\r\ncontent-length: 5\r\n\r\n",
                Head::Complete {
                    len: 57,
                    body: 5,
                    reply: ok(false, KeepAlive),
                },
            ),
            (b"GET / HTTP/1.1\r\nHost: x\r\n", Head::Partial),
            (b"GET", Head::Partial),
            (b"", Head::Partial),
            (
                b"GET / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
                Head::Refused(Reply::BadRequest),
            ),
            (
                b"GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
                Head::Refused(Reply::BadRequest),
            ),
            (
                b"GET / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n",
                Head::Refused(Reply::BadRequest),
            ),
            (
                b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
                Head::Refused(Reply::NotImplemented),
            ),
            (b"GET / HTTP/2.0\r\n\r\n", Head::Refused(Reply::BadRequest)),
            (b"\x00\x01garbage\r\n\r\n", Head::Refused(Reply::BadRequest)),
        ];
        for (input, want) in cases {
            assert_eq!(parse(input), *want, "{}", String::from_utf8_lossy(input));
        }
    }

    #[test]
    fn too_many_headers_is_refused() {
        let mut req = b"GET / HTTP/1.1\r\n".to_vec();
        for i in 0..=MAX_HEADERS {
            req.extend_from_slice(format!("X-{i}: y\r\n").as_bytes());
        }
        req.extend_from_slice(b"\r\n");
        assert_eq!(parse(&req), Head::Refused(Reply::BadRequest));
    }
}
