//! Resource limits the response decoder enforces.
//!
//! A load generator talks to servers under test, which may be broken or
//! hostile; every buffer the decoder asks its caller to keep is bounded here
//! so one bad peer cannot make a connection grow without limit.

/// The most header slots the decoder will ever use for one response head.
///
/// The slots live in a fixed array on the stack (no heap per response), so
/// this is a compile-time bound; [`Limits::max_headers`] is clamped to it.
pub const MAX_HEADERS_HARD_CAP: usize = 256;

/// Limits the decoder enforces.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest status line plus header section, in bytes, including the
    /// blank line that ends it. A longer head is
    /// [`DecodeError::HeadTooLarge`](crate::DecodeError::HeadTooLarge), even
    /// while it is still incomplete, so the caller never buffers more.
    /// Default 64 KiB.
    pub max_head_bytes: usize,
    /// Most header fields in one head. More is
    /// [`DecodeError::TooManyHeaders`](crate::DecodeError::TooManyHeaders).
    /// Default 64; values above [`MAX_HEADERS_HARD_CAP`] act as the cap.
    pub max_headers: usize,
    /// Longest chunk-size line in a chunked body, in bytes, counting the
    /// size digits, whitespace and chunk extensions but not the CRLF.
    /// Extensions are skipped, so without this cap a peer could stream an
    /// endless "line". Default 1024.
    pub max_chunk_line: usize,
    /// Most bytes of trailer fields after the last chunk, counting their
    /// line endings but not the final empty line. Default 16 KiB.
    pub max_trailer_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_head_bytes: 64 * 1024,
            max_headers: 64,
            max_chunk_line: 1024,
            max_trailer_bytes: 16 * 1024,
        }
    }
}

impl Limits {
    /// The header slot count actually used: `max_headers` clamped to the
    /// hard cap, because the slot array has a fixed size.
    pub(crate) fn header_slots(&self) -> usize {
        self.max_headers.min(MAX_HEADERS_HARD_CAP)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults() {
        let l = Limits::default();
        assert_eq!(l.max_head_bytes, 65536);
        assert_eq!(l.max_headers, 64);
        assert_eq!(l.max_chunk_line, 1024);
        assert_eq!(l.max_trailer_bytes, 16384);
    }

    #[test]
    fn header_slots_clamped_to_hard_cap() {
        let cases = [(0, 0), (64, 64), (256, 256), (257, 256), (usize::MAX, 256)];
        for (max, slots) in cases {
            let l = Limits {
                max_headers: max,
                ..Limits::default()
            };
            assert_eq!(l.header_slots(), slots, "max_headers={max}");
        }
    }
}
