//! Error types of the codec.
//!
//! Small `Copy` enums with hand-written `Display`, as httparse does: the
//! engine counts errors by variant on the hot path, so an error must be cheap
//! to create, copy and compare, and must never allocate.

use core::fmt;

/// Why a request could not be encoded. Nothing was appended to the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EncodeError {
    /// The method is empty or contains a byte that is not a token character.
    InvalidMethod,
    /// The target is neither `*` nor starts with `/`, or contains whitespace
    /// or a control character (either would split the request line).
    InvalidTarget,
    /// The `host` field contains whitespace or a control character.
    InvalidHost,
    /// A header name is empty or contains a byte that is not a token
    /// character.
    InvalidHeaderName,
    /// A header value contains CR, LF or NUL, which would let it inject
    /// extra header lines or end the head early.
    InvalidHeaderValue,
    /// The caller supplied `Content-Length` or `Transfer-Encoding`. The
    /// encoder owns message framing, so these would conflict with it.
    FramingHeader,
    /// The caller supplied more than one `Host` header; servers must reject
    /// such requests (RFC 9112 section 3.2).
    DuplicateHost,
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            EncodeError::InvalidMethod => "invalid request method",
            EncodeError::InvalidTarget => "invalid request target",
            EncodeError::InvalidHost => "invalid host",
            EncodeError::InvalidHeaderName => "invalid header name",
            EncodeError::InvalidHeaderValue => "invalid header value",
            EncodeError::FramingHeader => {
                "content-length and transfer-encoding are set by the encoder"
            }
            EncodeError::DuplicateHost => "more than one host header",
        })
    }
}

impl std::error::Error for EncodeError {}

/// Why a response head was malformed; mirrors [`httparse::Error`] (less
/// `TooManyHeaders`, which is [`DecodeError::TooManyHeaders`]) so that the
/// public error type does not change if httparse grows a variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeadError {
    /// Invalid byte in a header name.
    HeaderName,
    /// Invalid byte in a header value.
    HeaderValue,
    /// Invalid byte where a line ending was expected.
    NewLine,
    /// Invalid status code (not three digits, or below 100).
    Status,
    /// Invalid byte where a token was expected. httparse reports this for
    /// request methods only, so responses do not produce it today; it is
    /// kept so the mirror stays complete.
    Token,
    /// Invalid or unsupported HTTP version (only HTTP/1.0 and HTTP/1.1).
    Version,
}

impl HeadError {
    fn as_str(self) -> &'static str {
        match self {
            HeadError::HeaderName => "invalid header name",
            HeadError::HeaderValue => "invalid header value",
            HeadError::NewLine => "invalid new line",
            HeadError::Status => "invalid response status",
            HeadError::Token => "invalid token",
            HeadError::Version => "invalid HTTP version",
        }
    }
}

impl fmt::Display for HeadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::error::Error for HeadError {}

/// Why a response could not be decoded. The connection's byte stream can no
/// longer be trusted: the caller should close it. The decoder keeps
/// returning the same error until [`reset`](crate::ResponseDecoder::reset).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecodeError {
    /// The status line or a header line is malformed.
    Head(HeadError),
    /// The head is longer than [`Limits::max_head_bytes`](crate::Limits).
    HeadTooLarge,
    /// The head has more fields than [`Limits::max_headers`](crate::Limits).
    TooManyHeaders,
    /// A `Content-Length` is not a decimal number that fits in `u64`, or
    /// several `Content-Length` values disagree.
    InvalidContentLength,
    /// A chunk-size line is malformed: no hex digits, a stray byte, a bare
    /// CR, or a size that overflows `u64`.
    InvalidChunkSize,
    /// A chunk-size line (with extensions) is longer than
    /// [`Limits::max_chunk_line`](crate::Limits).
    ChunkLineTooLong,
    /// Chunk data is not followed by CRLF.
    InvalidChunkTerminator,
    /// A trailer line after the last chunk has a CR not followed by LF.
    InvalidTrailer,
    /// The trailer section is longer than
    /// [`Limits::max_trailer_bytes`](crate::Limits).
    TrailersTooLarge,
    /// Reserved: a `Transfer-Encoding` whose final coding is not `chunked`.
    /// This decoder reads such bodies until close instead (RFC 9112 section
    /// 6.3, rule 4), so it never returns this variant today.
    UnsupportedTransferEncoding,
    /// The peer closed the connection in the middle of a response.
    UnexpectedEof,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Head(e) => write!(f, "malformed response head: {e}"),
            DecodeError::HeadTooLarge => f.write_str("response head too large"),
            DecodeError::TooManyHeaders => f.write_str("too many response headers"),
            DecodeError::InvalidContentLength => f.write_str("invalid content-length"),
            DecodeError::InvalidChunkSize => f.write_str("invalid chunk size line"),
            DecodeError::ChunkLineTooLong => f.write_str("chunk size line too long"),
            DecodeError::InvalidChunkTerminator => f.write_str("chunk data not followed by CRLF"),
            DecodeError::InvalidTrailer => f.write_str("invalid trailer line"),
            DecodeError::TrailersTooLarge => f.write_str("trailers too large"),
            DecodeError::UnsupportedTransferEncoding => {
                f.write_str("unsupported transfer-encoding")
            }
            DecodeError::UnexpectedEof => f.write_str("connection closed mid-response"),
        }
    }
}

impl std::error::Error for DecodeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            DecodeError::Head(e) => Some(e),
            _ => None,
        }
    }
}

impl From<httparse::Error> for DecodeError {
    fn from(e: httparse::Error) -> Self {
        DecodeError::Head(match e {
            httparse::Error::HeaderName => HeadError::HeaderName,
            httparse::Error::HeaderValue => HeadError::HeaderValue,
            httparse::Error::NewLine => HeadError::NewLine,
            httparse::Error::Status => HeadError::Status,
            httparse::Error::Token => HeadError::Token,
            httparse::Error::Version => HeadError::Version,
            // Slots are sized by `max_headers`, so running out of them is
            // exactly our limit being hit.
            httparse::Error::TooManyHeaders => return DecodeError::TooManyHeaders,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn httparse_errors_map() {
        let cases = [
            (
                httparse::Error::HeaderName,
                DecodeError::Head(HeadError::HeaderName),
            ),
            (
                httparse::Error::HeaderValue,
                DecodeError::Head(HeadError::HeaderValue),
            ),
            (
                httparse::Error::NewLine,
                DecodeError::Head(HeadError::NewLine),
            ),
            (
                httparse::Error::Status,
                DecodeError::Head(HeadError::Status),
            ),
            (httparse::Error::Token, DecodeError::Head(HeadError::Token)),
            (
                httparse::Error::Version,
                DecodeError::Head(HeadError::Version),
            ),
            (httparse::Error::TooManyHeaders, DecodeError::TooManyHeaders),
        ];
        for (from, to) in cases {
            assert_eq!(DecodeError::from(from), to);
        }
    }

    #[test]
    fn display_is_nonempty_and_distinct() {
        let all = [
            DecodeError::Head(HeadError::Version),
            DecodeError::HeadTooLarge,
            DecodeError::TooManyHeaders,
            DecodeError::InvalidContentLength,
            DecodeError::InvalidChunkSize,
            DecodeError::ChunkLineTooLong,
            DecodeError::InvalidChunkTerminator,
            DecodeError::InvalidTrailer,
            DecodeError::TrailersTooLarge,
            DecodeError::UnsupportedTransferEncoding,
            DecodeError::UnexpectedEof,
        ];
        let texts: Vec<String> = all.iter().map(|e| e.to_string()).collect();
        for (i, t) in texts.iter().enumerate() {
            assert!(!t.is_empty());
            assert!(!texts[..i].contains(t), "duplicate message {t}");
        }
        assert_eq!(
            DecodeError::Head(HeadError::Version).to_string(),
            "malformed response head: invalid HTTP version"
        );
        let enc = [
            EncodeError::InvalidMethod,
            EncodeError::InvalidTarget,
            EncodeError::InvalidHost,
            EncodeError::InvalidHeaderName,
            EncodeError::InvalidHeaderValue,
            EncodeError::FramingHeader,
            EncodeError::DuplicateHost,
        ];
        let texts: Vec<String> = enc.iter().map(|e| e.to_string()).collect();
        for (i, t) in texts.iter().enumerate() {
            assert!(!t.is_empty());
            assert!(!texts[..i].contains(t), "duplicate message {t}");
        }
    }
}
