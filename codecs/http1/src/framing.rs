//! Reads the header fields that decide how a response body is delimited and
//! whether the connection may be reused (RFC 9112 sections 6.1, 6.3 and 9.3).
//!
//! Kept apart from the decoder's state machine so the precedence rules can be
//! tested as a plain table: headers in, framing out.

use crate::DecodeError;
use httparse::Header;

/// How the body of one response is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Framing {
    /// No body at all (HEAD, 1xx, 101, 204, 304).
    None,
    /// Exactly this many bytes follow the head.
    Length(u64),
    /// `Transfer-Encoding: ..., chunked`.
    Chunked,
    /// Everything up to the peer closing the connection.
    Close,
}

/// What the head says about its body and the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BodyInfo {
    /// How the body is delimited.
    pub framing: Framing,
    /// Whether the connection may carry another response after this one.
    pub keep_alive: bool,
}

/// What we learned of `Content-Length`; kept lazy so that a bogus value on a
/// response that has no body anyway (304, HEAD) is not an error.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ContentLength {
    Absent,
    Value(u64),
    Invalid,
}

/// Decides framing and connection reuse for a final response.
///
/// `version` is the minor version (0 or 1); `head_request` is true when the
/// response answers a HEAD request.
pub(crate) fn body_info(
    version: u8,
    status: u16,
    head_request: bool,
    headers: &[Header<'_>],
) -> Result<BodyInfo, DecodeError> {
    let mut close = false;
    let mut keep_alive_token = false;
    let mut te_present = false;
    let mut te_last_chunked = false;
    let mut te_chunked_count = 0u32;
    let mut cl = ContentLength::Absent;

    for h in headers {
        let name = h.name;
        if name.eq_ignore_ascii_case("connection") {
            for token in list_elements(h.value) {
                if token.eq_ignore_ascii_case(b"close") {
                    close = true;
                } else if token.eq_ignore_ascii_case(b"keep-alive") {
                    keep_alive_token = true;
                }
            }
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            te_present = true;
            for coding in list_elements(h.value) {
                // A transfer-coding may carry parameters (`gzip;q=1`); only
                // the name matters here.
                let coding_name = trim(coding.split(|&b| b == b';').next().unwrap_or(coding));
                te_last_chunked = coding_name.eq_ignore_ascii_case(b"chunked");
                te_chunked_count += u32::from(te_last_chunked);
            }
        } else if name.eq_ignore_ascii_case("content-length") {
            cl = merge_content_length(cl, h.value);
        }
    }

    // HTTP/1.1 is persistent by default; HTTP/1.0 only on request (RFC 9112
    // section 9.3).
    let mut keep_alive = !close && (version >= 1 || keep_alive_token);

    let framing = if head_request || status == 204 || status == 304 {
        Framing::None
    } else if status == 101 {
        // After 101 the bytes belong to another protocol: whatever they are,
        // this connection is no longer usable for HTTP/1.1.
        keep_alive = false;
        Framing::None
    } else if te_present {
        // Transfer-Encoding overrides Content-Length, but both together hint
        // at request smuggling, and an HTTP/1.0 peer sending it has faulty
        // framing: use the response, then drop the connection (RFC 9112
        // sections 6.1 and 6.3, rule 3).
        if cl != ContentLength::Absent || version == 0 {
            keep_alive = false;
        }
        if te_last_chunked {
            if te_chunked_count > 1 {
                // Chunked applied twice is forbidden (RFC 9112 section 7)
                // and we could only undo one layer.
                return Err(DecodeError::UnsupportedTransferEncoding);
            }
            Framing::Chunked
        } else {
            // Final coding is not chunked: the body runs until close (RFC
            // 9112 section 6.3, rule 4). The codings are not undone; the
            // sink sees the bytes as sent.
            keep_alive = false;
            Framing::Close
        }
    } else {
        match cl {
            ContentLength::Value(n) => Framing::Length(n),
            ContentLength::Invalid => return Err(DecodeError::InvalidContentLength),
            ContentLength::Absent => {
                keep_alive = false;
                Framing::Close
            }
        }
    };

    Ok(BodyInfo {
        framing,
        keep_alive,
    })
}

/// Folds one `Content-Length` field value into what earlier fields said.
///
/// A value may be a list of identical numbers (`5, 5`), as may repeated
/// fields; any disagreement or non-digit makes the whole thing invalid (RFC
/// 9110 section 8.6).
fn merge_content_length(mut acc: ContentLength, value: &[u8]) -> ContentLength {
    let mut any = false;
    for element in value.split(|&b| b == b',') {
        let element = trim(element);
        let parsed = match parse_decimal(element) {
            Some(n) => n,
            None => return ContentLength::Invalid,
        };
        any = true;
        acc = match acc {
            ContentLength::Absent => ContentLength::Value(parsed),
            ContentLength::Value(prev) if prev == parsed => acc,
            _ => return ContentLength::Invalid,
        };
    }
    if any {
        acc
    } else {
        ContentLength::Invalid
    }
}

/// Parses a non-empty run of ASCII digits into a `u64`, `None` on any other
/// byte or on overflow.
fn parse_decimal(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() {
        return None;
    }
    let mut n: u64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    Some(n)
}

/// The non-empty, OWS-trimmed elements of a comma-separated field value.
/// Empty elements are ignored, as RFC 9110 section 5.6.1 asks of recipients.
fn list_elements(value: &[u8]) -> impl Iterator<Item = &[u8]> {
    value
        .split(|&b| b == b',')
        .map(trim)
        .filter(|e| !e.is_empty())
}

/// Strips optional whitespace (SP and HTAB) from both ends.
fn trim(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(
        version: u8,
        status: u16,
        head: bool,
        fields: &[(&str, &str)],
    ) -> Result<BodyInfo, DecodeError> {
        let headers: Vec<Header<'_>> = fields
            .iter()
            .map(|(n, v)| Header {
                name: n,
                value: v.as_bytes(),
            })
            .collect();
        body_info(version, status, head, &headers)
    }

    fn ok(framing: Framing, keep_alive: bool) -> Result<BodyInfo, DecodeError> {
        Ok(BodyInfo {
            framing,
            keep_alive,
        })
    }

    /// Minor version, status, answers HEAD, header fields, expected verdict.
    type Case = (
        u8,
        u16,
        bool,
        &'static [(&'static str, &'static str)],
        Result<BodyInfo, DecodeError>,
    );

    #[test]
    fn table() {
        use Framing::*;
        #[rustfmt::skip]
        let cases: &[Case] = &[
            (1, 200, false, &[("Content-Length", "13")], ok(Length(13), true)),
            (1, 200, false, &[("content-length", " 0 ")], ok(Length(0), true)),
            (1, 200, false, &[("Content-Length", "5"), ("Content-Length", "5")], ok(Length(5), true)),
            (1, 200, false, &[("Content-Length", "5, 5")], ok(Length(5), true)),
            (1, 200, false, &[("Content-Length", "5"), ("Content-Length", "6")], Err(DecodeError::InvalidContentLength)),
            (1, 200, false, &[("Content-Length", "5, 6")], Err(DecodeError::InvalidContentLength)),
            (1, 200, false, &[("Content-Length", "")], Err(DecodeError::InvalidContentLength)),
            (1, 200, false, &[("Content-Length", "+5")], Err(DecodeError::InvalidContentLength)),
            (1, 200, false, &[("Content-Length", "0x10")], Err(DecodeError::InvalidContentLength)),
            (1, 200, false, &[("Content-Length", "18446744073709551615")], ok(Length(u64::MAX), true)),
            (1, 200, false, &[("Content-Length", "18446744073709551616")], Err(DecodeError::InvalidContentLength)),
            // No body whatever the headers say.
            (1, 204, false, &[("Content-Length", "5")], ok(None, true)),
            (1, 304, false, &[("Content-Length", "5")], ok(None, true)),
            (1, 304, false, &[("Content-Length", "junk")], ok(None, true)),
            (1, 200, true, &[("Content-Length", "5")], ok(None, true)),
            (1, 200, true, &[("Transfer-Encoding", "chunked")], ok(None, true)),
            (1, 101, false, &[("Upgrade", "websocket"), ("Connection", "Upgrade")], ok(None, false)),
            // Transfer-Encoding.
            (1, 200, false, &[("Transfer-Encoding", "chunked")], ok(Chunked, true)),
            (1, 200, false, &[("transfer-encoding", "CHUNKED")], ok(Chunked, true)),
            (1, 200, false, &[("Transfer-Encoding", "gzip, chunked")], ok(Chunked, true)),
            (1, 200, false, &[("Transfer-Encoding", "gzip"), ("Transfer-Encoding", "chunked")], ok(Chunked, true)),
            (1, 200, false, &[("Transfer-Encoding", "chunked, gzip")], ok(Close, false)),
            (1, 200, false, &[("Transfer-Encoding", "gzip")], ok(Close, false)),
            (1, 200, false, &[("Transfer-Encoding", "chunked, chunked")], Err(DecodeError::UnsupportedTransferEncoding)),
            (1, 200, false, &[("Transfer-Encoding", "chunked"), ("Content-Length", "5")], ok(Chunked, false)),
            (1, 200, false, &[("Transfer-Encoding", "chunked"), ("Content-Length", "x")], ok(Chunked, false)),
            (0, 200, false, &[("Transfer-Encoding", "chunked"), ("Connection", "keep-alive")], ok(Chunked, false)),
            // Connection reuse.
            (1, 200, false, &[("Content-Length", "1"), ("Connection", "close")], ok(Length(1), false)),
            (1, 200, false, &[("Content-Length", "1"), ("Connection", "Keep-Alive, CLOSE")], ok(Length(1), false)),
            (0, 200, false, &[("Content-Length", "1")], ok(Length(1), false)),
            (0, 200, false, &[("Content-Length", "1"), ("Connection", "keep-alive")], ok(Length(1), true)),
            (0, 204, false, &[("Connection", "Keep-Alive")], ok(None, true)),
            (1, 200, false, &[], ok(Close, false)),
            (0, 200, false, &[("Connection", "keep-alive")], ok(Close, false)),
        ];
        for (i, (version, status, head, fields, want)) in cases.iter().enumerate() {
            assert_eq!(
                info(*version, *status, *head, fields),
                *want,
                "case {i}: HTTP/1.{version} {status} head={head} {fields:?}"
            );
        }
    }

    #[test]
    fn trim_and_list() {
        assert_eq!(trim(b" \t a b\t "), b"a b");
        assert_eq!(trim(b"   "), b"");
        let elems: Vec<&[u8]> = list_elements(b" a, ,b ,, c").collect();
        assert_eq!(elems, [&b"a"[..], b"b", b"c"]);
    }
}
