//! Encoder for HTTP/1.1 requests.
//!
//! Validates first, then appends in one go into the caller's buffer, so a
//! failed call leaves the buffer untouched and a successful one grows it at
//! most once. The encoder owns message framing (`Content-Length`); callers
//! cannot supply framing headers that could contradict it.

use crate::EncodeError;

/// A request to encode.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// Method, e.g. `GET`; must be a token (RFC 9110 section 9.1).
    pub method: &'a str,
    /// Origin-form path and query, e.g. `/a?b=1`, or `*`.
    pub target: &'a str,
    /// `host` or `host:port`, sent as the `Host` header unless `headers`
    /// has one.
    pub host: &'a str,
    /// Extra header fields, sent in order after `Host`.
    pub headers: &'a [(&'a str, &'a str)],
    /// Body, sent with a `Content-Length`.
    pub body: &'a [u8],
}

/// Appends the encoded request to `out`, returns the number of bytes
/// appended. On error nothing is appended (truncate back).
///
/// Layout: `METHOD target HTTP/1.1`, then `Host` (the caller's own `Host`
/// field, if given, takes its place at the front), then the caller's headers
/// in order, then `Content-Length` when the body is non-empty or the method
/// is POST, PUT or PATCH (which servers expect to carry one even when
/// empty), then the body.
pub fn encode_request(req: &Request<'_>, out: &mut Vec<u8>) -> Result<usize, EncodeError> {
    if req.method.is_empty() || !req.method.bytes().all(is_tchar) {
        return Err(EncodeError::InvalidMethod);
    }
    let target_ok = (req.target == "*" || req.target.starts_with('/')) && all_visible(req.target);
    if !target_ok {
        return Err(EncodeError::InvalidTarget);
    }

    let mut host_field: Option<usize> = None;
    let mut fields_len = 0;
    for (i, &(name, value)) in req.headers.iter().enumerate() {
        if name.is_empty() || !name.bytes().all(is_tchar) {
            return Err(EncodeError::InvalidHeaderName);
        }
        if !safe_value(value) {
            return Err(EncodeError::InvalidHeaderValue);
        }
        if name.eq_ignore_ascii_case("content-length")
            || name.eq_ignore_ascii_case("transfer-encoding")
        {
            return Err(EncodeError::FramingHeader);
        }
        if name.eq_ignore_ascii_case("host") {
            if host_field.is_some() {
                return Err(EncodeError::DuplicateHost);
            }
            host_field = Some(i);
        }
        fields_len += name.len() + 2 + value.len() + 2;
    }
    let host_len = match host_field {
        // Already counted among the caller's fields.
        Some(_) => 0,
        None => {
            if !all_visible(req.host) {
                return Err(EncodeError::InvalidHost);
            }
            HOST.len() + req.host.len() + 2
        }
    };

    let send_length = !req.body.is_empty() || matches!(req.method, "POST" | "PUT" | "PATCH");
    let mut digits = [0u8; 20];
    let length = if send_length {
        format_u64(req.body.len() as u64, &mut digits)
    } else {
        &[]
    };
    let length_len = if send_length {
        CONTENT_LENGTH.len() + length.len() + 2
    } else {
        0
    };

    let total = req.method.len()
        + 1
        + req.target.len()
        + VERSION.len()
        + host_len
        + fields_len
        + length_len
        + 2
        + req.body.len();
    out.reserve(total);
    let start = out.len();

    out.extend_from_slice(req.method.as_bytes());
    out.push(b' ');
    out.extend_from_slice(req.target.as_bytes());
    out.extend_from_slice(VERSION);
    match host_field {
        Some(i) => {
            let (name, value) = req.headers[i];
            push_field(out, name, value);
        }
        None => {
            out.extend_from_slice(HOST);
            out.extend_from_slice(req.host.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
    }
    for (i, &(name, value)) in req.headers.iter().enumerate() {
        if Some(i) != host_field {
            push_field(out, name, value);
        }
    }
    if send_length {
        out.extend_from_slice(CONTENT_LENGTH);
        out.extend_from_slice(length);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(req.body);

    debug_assert_eq!(out.len() - start, total);
    Ok(total)
}

const VERSION: &[u8] = b" HTTP/1.1\r\n";
const HOST: &[u8] = b"Host: ";
const CONTENT_LENGTH: &[u8] = b"Content-Length: ";

/// Appends `name: value\r\n`.
fn push_field(out: &mut Vec<u8>, name: &str, value: &str) {
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b": ");
    out.extend_from_slice(value.as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// Writes `n` in decimal into the end of `buf`, returning the digits; avoids
/// the formatting machinery on the per-request path.
fn format_u64(mut n: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return &buf[i..];
        }
    }
}

/// A `tchar` of RFC 9110 section 5.6.2: the bytes allowed in methods and
/// field names. A table lookup, since this runs for every name byte of
/// every request.
fn is_tchar(b: u8) -> bool {
    TCHAR[b as usize]
}

/// `TCHAR[b]` is true when `b` is a token character.
static TCHAR: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric()
            || matches!(
                c,
                b'!' | b'#'
                    | b'$'
                    | b'%'
                    | b'&'
                    | b'\''
                    | b'*'
                    | b'+'
                    | b'-'
                    | b'.'
                    | b'^'
                    | b'_'
                    | b'`'
                    | b'|'
                    | b'~'
            );
        b += 1;
    }
    table
};

/// True when no byte is whitespace or a control character: whitespace
/// would end a request-line element early, and controls (CR, LF, NUL) could
/// end the line. Eight bytes at a time (see [`swar`]): this runs over every
/// rendered target of a profile's requests.
fn all_visible(s: &str) -> bool {
    let (words, tail) = swar::split(s.as_bytes());
    words.fold(0, |bad, w| {
        bad | swar::less_than(w, 0x21) | swar::zero(w ^ swar::splat(0x7f))
    }) == 0
        && tail.iter().all(|&b| b > b' ' && b != 0x7f)
}

/// True when a field value has no CR, LF or NUL, the bytes that could end
/// the field line or the head early. Eight bytes at a time like
/// [`all_visible`] (an `Authorization` token is a few hundred bytes).
fn safe_value(s: &str) -> bool {
    let (words, tail) = swar::split(s.as_bytes());
    words.fold(0, |bad, w| {
        bad | swar::zero(w)
            | swar::zero(w ^ swar::splat(b'\r'))
            | swar::zero(w ^ swar::splat(b'\n'))
    }) == 0
        && tail.iter().all(|&b| b != b'\r' && b != b'\n' && b != 0)
}

/// Byte tests on a `u64` holding eight bytes ("SIMD within a register"):
/// each answers whether *any* of the eight bytes matches, which is exact
/// (the borrow that can mark a wrong byte only follows a matching one).
mod swar {
    const LOW: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);

    /// `b` in every byte.
    pub const fn splat(b: u8) -> u64 {
        u64::from_ne_bytes([b; 8])
    }

    /// Non-zero when some byte of `w` is zero.
    pub fn zero(w: u64) -> u64 {
        w.wrapping_sub(LOW) & !w & HIGH
    }

    /// Non-zero when some byte of `w` is below `n` (`n` <= 128).
    pub fn less_than(w: u64, n: u8) -> u64 {
        w.wrapping_sub(splat(n)) & !w & HIGH
    }

    /// `s` as whole eight-byte words, and the bytes left over.
    pub fn split(s: &[u8]) -> (impl Iterator<Item = u64> + '_, &[u8]) {
        let words = s.chunks_exact(8);
        let tail = words.remainder();
        let words = words.map(|c| u64::from_ne_bytes(c.try_into().expect("eight bytes")));
        (words, tail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req<'a>(
        method: &'a str,
        target: &'a str,
        headers: &'a [(&'a str, &'a str)],
        body: &'a [u8],
    ) -> Request<'a> {
        Request {
            method,
            target,
            host: "example.com:8080",
            headers,
            body,
        }
    }

    #[test]
    fn byte_exact() {
        #[rustfmt::skip]
        let cases: &[(Request<'_>, &[u8])] = &[
            (req("GET", "/", &[], b""), b"GET / HTTP/1.1\r\nHost: example.com:8080\r\n\r\n"),
            (req("GET", "/a?b=1", &[("User-Agent", "hornet"), ("Accept", "*/*"), ("X-Id", "7")], b""), b"GET /a?b=1 HTTP/1.1\r\nHost: example.com:8080\r\nUser-Agent: hornet\r\nAccept: */*\r\nX-Id: 7\r\n\r\n"),
            (req("POST", "/submit", &[("Content-Type", "application/json")], b"{\"a\":1}"), b"POST /submit HTTP/1.1\r\nHost: example.com:8080\r\nContent-Type: application/json\r\nContent-Length: 7\r\n\r\n{\"a\":1}"),
            (req("POST", "/", &[], b""), b"POST / HTTP/1.1\r\nHost: example.com:8080\r\nContent-Length: 0\r\n\r\n"),
            (req("PUT", "/x", &[], b""), b"PUT /x HTTP/1.1\r\nHost: example.com:8080\r\nContent-Length: 0\r\n\r\n"),
            (req("PATCH", "/x", &[], b""), b"PATCH /x HTTP/1.1\r\nHost: example.com:8080\r\nContent-Length: 0\r\n\r\n"),
            (req("DELETE", "/x", &[], b"gone"), b"DELETE /x HTTP/1.1\r\nHost: example.com:8080\r\nContent-Length: 4\r\n\r\ngone"),
            (req("OPTIONS", "*", &[], b""), b"OPTIONS * HTTP/1.1\r\nHost: example.com:8080\r\n\r\n"),
            // A caller Host replaces ours, moved to the front.
            (req("GET", "/", &[("Accept", "*/*"), ("host", "other.test"), ("X", "")], b""), b"GET / HTTP/1.1\r\nhost: other.test\r\nAccept: */*\r\nX: \r\n\r\n"),
        ];
        for (i, (r, want)) in cases.iter().enumerate() {
            let mut out = b"prefix".to_vec();
            let n = encode_request(r, &mut out).unwrap_or_else(|e| panic!("case {i}: {e}"));
            assert_eq!(n, want.len(), "case {i}");
            assert_eq!(
                String::from_utf8_lossy(&out[6..]),
                String::from_utf8_lossy(want),
                "case {i}"
            );
            assert_eq!(&out[..6], b"prefix");
        }
    }

    #[test]
    fn byte_checks_agree_with_a_byte_at_a_time() {
        let plain_visible = |s: &[u8]| s.iter().all(|&b| b > b' ' && b != 0x7f);
        let plain_safe = |s: &[u8]| s.iter().all(|&b| b != b'\r' && b != b'\n' && b != 0);
        // Every byte value at every position of words and tails, beside
        // neighbours that could borrow into it.
        for len in 1..=19 {
            for pos in 0..len {
                for fill in [b'a', 0x21, 0x7e, 0x00, 0x0d] {
                    for b in 0..=127u8 {
                        let mut v = vec![fill; len];
                        v[pos] = b;
                        let s = std::str::from_utf8(&v).expect("ASCII");
                        assert_eq!(all_visible(s), plain_visible(&v), "{v:?}");
                        assert_eq!(safe_value(s), plain_safe(&v), "{v:?}");
                    }
                }
            }
        }
        // UTF-8 (bytes from 0x80 up) is visible and safe, beside any byte.
        for b in 0..=127u8 {
            for len in [1, 7, 8, 9, 15] {
                let s = format!("{}{}\u{1f600}", "\u{e9}".repeat(len), b as char);
                let v = s.as_bytes();
                assert_eq!(all_visible(&s), plain_visible(v), "{v:?}");
                assert_eq!(safe_value(&s), plain_safe(v), "{v:?}");
            }
        }
        assert!(!safe_value("Bearer abcdefghijklmnop\r\nX: y"));
        assert!(!all_visible("/abcdefghijklmnop qrs"));
    }

    #[test]
    fn tchar_table() {
        let tchars: Vec<u8> = (0..=255u8).filter(|&b| is_tchar(b)).collect();
        let mut want: Vec<u8> = b"!#$%&'*+-.^_`|~".to_vec();
        want.extend(b'0'..=b'9');
        want.extend(b'A'..=b'Z');
        want.extend(b'a'..=b'z');
        want.sort_unstable();
        assert_eq!(tchars, want);
    }

    #[test]
    fn content_length_digits() {
        let body = vec![b'x'; 12345];
        let mut out = Vec::new();
        encode_request(&req("GET", "/", &[], &body), &mut out).unwrap();
        assert!(out.windows(23).any(|w| w == b"\r\nContent-Length: 12345"));
        let mut buf = [0; 20];
        assert_eq!(format_u64(0, &mut buf), b"0");
        assert_eq!(format_u64(u64::MAX, &mut buf), b"18446744073709551615");
    }

    #[test]
    fn errors() {
        #[rustfmt::skip]
        let cases: &[(Request<'_>, EncodeError)] = &[
            (req("", "/", &[], b""), EncodeError::InvalidMethod),
            (req("G ET", "/", &[], b""), EncodeError::InvalidMethod),
            (req("GET\r\n", "/", &[], b""), EncodeError::InvalidMethod),
            (req("GET", "", &[], b""), EncodeError::InvalidTarget),
            (req("GET", "a/b", &[], b""), EncodeError::InvalidTarget),
            (req("GET", "http://x/", &[], b""), EncodeError::InvalidTarget),
            (req("GET", "/a b", &[], b""), EncodeError::InvalidTarget),
            (req("GET", "/a\tb", &[], b""), EncodeError::InvalidTarget),
            (req("GET", "/a\r\nX: y", &[], b""), EncodeError::InvalidTarget),
            (req("GET", "/\x7f", &[], b""), EncodeError::InvalidTarget),
            (req("GET", "**", &[], b""), EncodeError::InvalidTarget),
            (req("GET", "/", &[("", "v")], b""), EncodeError::InvalidHeaderName),
            (req("GET", "/", &[("A B", "v")], b""), EncodeError::InvalidHeaderName),
            (req("GET", "/", &[("A:", "v")], b""), EncodeError::InvalidHeaderName),
            (req("GET", "/", &[("A", "v\r\nB: c")], b""), EncodeError::InvalidHeaderValue),
            (req("GET", "/", &[("A", "v\n")], b""), EncodeError::InvalidHeaderValue),
            (req("GET", "/", &[("A", "v\0")], b""), EncodeError::InvalidHeaderValue),
            (req("GET", "/", &[("Content-Length", "0")], b""), EncodeError::FramingHeader),
            (req("POST", "/", &[("transfer-encoding", "chunked")], b""), EncodeError::FramingHeader),
            (req("GET", "/", &[("Host", "a"), ("HOST", "b")], b""), EncodeError::DuplicateHost),
            (Request { host: "a b", ..req("GET", "/", &[], b"") }, EncodeError::InvalidHost),
            (Request { host: "a\r\nX: y", ..req("GET", "/", &[], b"") }, EncodeError::InvalidHost),
        ];
        for (i, (r, want)) in cases.iter().enumerate() {
            let mut out = b"keep".to_vec();
            assert_eq!(encode_request(r, &mut out), Err(*want), "case {i}: {r:?}");
            assert_eq!(out, b"keep", "case {i}: output untouched");
        }
    }

    #[test]
    fn encoding_into_reserved_buffer_does_not_allocate() {
        let headers = [("User-Agent", "hornet"), ("Accept", "*/*"), ("X-Id", "7")];
        let r = req("GET", "/a?b=1", &headers, b"");
        let mut out = Vec::with_capacity(256);
        let allocs = crate::alloc_count::count(|| {
            for _ in 0..10 {
                out.clear();
                encode_request(&r, &mut out).unwrap();
            }
        });
        assert_eq!(allocs, 0);
    }

    #[test]
    fn caller_host_skips_host_validation() {
        // `host` is unused when the caller sends its own Host field.
        let r = Request {
            host: "bad host",
            ..req("GET", "/", &[("Host", "good")], b"")
        };
        let mut out = Vec::new();
        encode_request(&r, &mut out).unwrap();
        assert_eq!(out, b"GET / HTTP/1.1\r\nHost: good\r\n\r\n");
    }
}
