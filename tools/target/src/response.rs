//! Canned response bytes, built once per server so answering a request is a
//! single `extend_from_slice` into the connection's write buffer.

/// The body pattern, repeated or truncated to the configured size.
const BODY_PATTERN: &[u8] = b"Hello, world!";

/// How the response tells the client about the connection's future.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Persist {
    /// HTTP/1.1 default: no `Connection` header, the connection stays open.
    KeepAlive,
    /// An HTTP/1.0 client asked for keep-alive, so it must be told explicitly.
    KeepAliveExplicit,
    /// `Connection: close`; the server closes after writing the response.
    Close,
}

/// Which canned response to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reply {
    /// The configured response; `head` leaves the body out.
    Ok { head: bool, persist: Persist },
    /// 400 for a malformed request; always closes.
    BadRequest,
    /// 501 for a request with `Transfer-Encoding`; always closes.
    NotImplemented,
}

impl Reply {
    /// Whether the connection ends after this response.
    pub(crate) fn closes(self) -> bool {
        !matches!(
            self,
            Reply::Ok {
                persist: Persist::KeepAlive | Persist::KeepAliveExplicit,
                ..
            }
        )
    }
}

/// Every response the server can send, fully serialized.
#[derive(Debug)]
pub(crate) struct Canned {
    /// Indexed by `[persist as usize][head as usize]`.
    ok: [[Box<[u8]>; 2]; 3],
    bad_request: Box<[u8]>,
    not_implemented: Box<[u8]>,
}

impl Canned {
    /// Serializes the configured response in all its variants.
    pub(crate) fn new(status: u16, body_size: usize) -> Canned {
        let body: Vec<u8> = BODY_PATTERN
            .iter()
            .copied()
            .cycle()
            .take(body_size)
            .collect();
        let ok = |persist, head| build(status, &body, persist, head);
        Canned {
            ok: [
                [ok(Persist::KeepAlive, false), ok(Persist::KeepAlive, true)],
                [
                    ok(Persist::KeepAliveExplicit, false),
                    ok(Persist::KeepAliveExplicit, true),
                ],
                [ok(Persist::Close, false), ok(Persist::Close, true)],
            ],
            bad_request: build(400, &[], Persist::Close, false),
            not_implemented: build(501, &[], Persist::Close, false),
        }
    }

    /// The bytes of `reply`.
    pub(crate) fn bytes(&self, reply: Reply) -> &[u8] {
        match reply {
            Reply::Ok { head, persist } => &self.ok[persist as usize][usize::from(head)],
            Reply::BadRequest => &self.bad_request,
            Reply::NotImplemented => &self.not_implemented,
        }
    }
}

/// Serializes one response. Header order is fixed so tests can compare bytes.
fn build(status: u16, body: &[u8], persist: Persist, head: bool) -> Box<[u8]> {
    // 1xx, 204 and 304 responses never have a body (RFC 9110 6.4.1); 1xx and
    // 204 must not even announce a length.
    let bodiless = status < 200 || status == 204 || status == 304;
    let mut out = format!("HTTP/1.1 {status} {}\r\n", reason(status));
    out.push_str("Server: hornet-target\r\nContent-Type: text/plain\r\n");
    if !(status < 200 || status == 204) {
        let len = if bodiless { 0 } else { body.len() };
        out.push_str(&format!("Content-Length: {len}\r\n"));
    }
    match persist {
        Persist::KeepAlive => {}
        Persist::KeepAliveExplicit => out.push_str("Connection: keep-alive\r\n"),
        Persist::Close => out.push_str("Connection: close\r\n"),
    }
    out.push_str("\r\n");
    let mut bytes = out.into_bytes();
    if !head && !bodiless {
        bytes.extend_from_slice(body);
    }
    bytes.into_boxed_slice()
}

/// Reason phrase for the status codes a load test is likely to configure.
pub(crate) fn reason(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        413 => "Content Too Large",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(c: &Canned, r: Reply) -> String {
        String::from_utf8(c.bytes(r).to_vec()).unwrap()
    }

    #[test]
    fn default_response_is_byte_exact() {
        let c = Canned::new(200, 13);
        let r = Reply::Ok {
            head: false,
            persist: Persist::KeepAlive,
        };
        assert_eq!(
            text(&c, r),
            "HTTP/1.1 200 OK\r\nServer: hornet-target\r\nContent-Type: text/plain\r\n\
             Content-Length: 13\r\n\r\nHello, world!"
        );
    }

    #[test]
    fn variants() {
        let c = Canned::new(503, 20);
        let close_head = text(
            &c,
            Reply::Ok {
                head: true,
                persist: Persist::Close,
            },
        );
        assert!(close_head.starts_with("HTTP/1.1 503 Service Unavailable\r\n"));
        assert!(close_head.ends_with("Content-Length: 20\r\nConnection: close\r\n\r\n"));
        let ka = text(
            &c,
            Reply::Ok {
                head: false,
                persist: Persist::KeepAliveExplicit,
            },
        );
        assert!(ka.ends_with("Connection: keep-alive\r\n\r\nHello, world!Hello, "));
        assert!(text(&c, Reply::BadRequest).starts_with("HTTP/1.1 400 Bad Request\r\n"));
        assert!(text(&c, Reply::NotImplemented).contains("Content-Length: 0\r\nConnection: close"));
        assert!(text(&Canned::new(299, 0), Reply::BadRequest).contains("400"));
        assert!(text(
            &Canned::new(299, 1),
            Reply::Ok {
                head: false,
                persist: Persist::KeepAlive
            }
        )
        .starts_with("HTTP/1.1 299 Unknown\r\n"));
    }

    #[test]
    fn bodiless_statuses() {
        let c = Canned::new(204, 13);
        let t = text(
            &c,
            Reply::Ok {
                head: false,
                persist: Persist::KeepAlive,
            },
        );
        assert!(!t.contains("Content-Length") && t.ends_with("\r\n\r\n"));
        let c = Canned::new(304, 13);
        assert!(text(
            &c,
            Reply::Ok {
                head: false,
                persist: Persist::KeepAlive
            }
        )
        .ends_with("Content-Length: 0\r\n\r\n"));
    }

    #[test]
    fn closes() {
        assert!(Reply::BadRequest.closes() && Reply::NotImplemented.closes());
        assert!(Reply::Ok {
            head: false,
            persist: Persist::Close
        }
        .closes());
        assert!(!Reply::Ok {
            head: true,
            persist: Persist::KeepAliveExplicit
        }
        .closes());
    }
}
