//! Resumable decoder for the chunked transfer coding (RFC 9112 section 7.1).
//!
//! Input may be split anywhere, down to one byte per call, so every position
//! inside the framing is a state and nothing is ever buffered: each call
//! consumes all of its input (or stops at the end of the body) and the caller
//! drops what was consumed. Chunk data is handed to the sink in place, as
//! large as the input allows. The layout follows hyper's
//! `src/proto/h1/decode.rs`.

use crate::{DecodeError, Limits, Sink};

/// Where in the chunked framing the next byte falls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Start of a chunk-size line: at least one hex digit must follow.
    SizeStart,
    /// Inside the hex digits of the chunk size.
    Size,
    /// Whitespace after the size, before `;` or CR. Not in the grammar, but
    /// sent by some servers and accepted by hyper and nginx.
    SizeLws,
    /// Inside `;name=value` chunk extensions, which are skipped.
    Extension,
    /// After the CR that ends the size line.
    SizeLf,
    /// Inside chunk data; `remaining` bytes to go.
    Data,
    /// After chunk data: CR expected.
    DataCr,
    /// After chunk data and CR: LF expected.
    DataLf,
    /// Start of a trailer line, or of the empty line that ends the body.
    TrailerStart,
    /// Inside a trailer field line (skipped).
    TrailerLine,
    /// After the CR that ends a trailer line.
    TrailerLf,
    /// After the CR of the final empty line.
    EndLf,
    /// The body, trailers included, is complete.
    Done,
}

/// State of one chunked body being decoded.
#[derive(Debug, Clone)]
pub(crate) struct ChunkedDecoder {
    state: State,
    /// Size of the current chunk while its line is read, then the data bytes
    /// left in it.
    remaining: u64,
    /// Bytes of the current chunk-size line seen, for `max_chunk_line`.
    line_len: usize,
    /// Trailer bytes seen, for `max_trailer_bytes`.
    trailer_len: usize,
}

const CR: u8 = b'\r';
const LF: u8 = b'\n';

impl ChunkedDecoder {
    /// A decoder at the start of a chunked body.
    pub(crate) fn new() -> Self {
        ChunkedDecoder {
            state: State::SizeStart,
            remaining: 0,
            line_len: 0,
            trailer_len: 0,
        }
    }

    /// Decodes from `buf`, handing chunk data to `sink` and adding its length
    /// to `body_len`. Returns the bytes consumed and whether the body ended;
    /// when it has not ended, all of `buf` was consumed.
    pub(crate) fn decode<S: Sink + ?Sized>(
        &mut self,
        buf: &[u8],
        limits: &Limits,
        sink: &mut S,
        body_len: &mut u64,
    ) -> Result<(usize, bool), DecodeError> {
        let mut i = 0;
        while i < buf.len() {
            if self.state == State::Data {
                // Bulk path: hand over as much chunk data as we have.
                let avail = buf.len() - i;
                let n = if self.remaining < avail as u64 {
                    self.remaining as usize
                } else {
                    avail
                };
                sink.body(&buf[i..i + n]);
                *body_len += n as u64;
                self.remaining -= n as u64;
                i += n;
                if self.remaining == 0 {
                    self.state = State::DataCr;
                }
                continue;
            }
            let b = buf[i];
            i += 1;
            self.step(b, limits)?;
            if self.state == State::Done {
                return Ok((i, true));
            }
        }
        Ok((i, false))
    }

    /// Advances the framing state by one byte (never in `Data`).
    fn step(&mut self, b: u8, limits: &Limits) -> Result<(), DecodeError> {
        use State::*;
        // Everything on the size line but its CR counts toward the cap, so
        // skipped extensions cannot grow without bound.
        if matches!(self.state, SizeStart | Size | SizeLws | Extension) && b != CR {
            self.line_len += 1;
            if self.line_len > limits.max_chunk_line {
                return Err(DecodeError::ChunkLineTooLong);
            }
        }
        if matches!(self.state, TrailerLine | TrailerLf) || (self.state == TrailerStart && b != CR)
        {
            self.trailer_len += 1;
            if self.trailer_len > limits.max_trailer_bytes {
                return Err(DecodeError::TrailersTooLarge);
            }
        }
        self.state = match (self.state, b) {
            (SizeStart | Size, _) if b.is_ascii_hexdigit() => {
                let digit = match b {
                    b'0'..=b'9' => b - b'0',
                    b'a'..=b'f' => b - b'a' + 10,
                    _ => b - b'A' + 10,
                };
                if self.remaining > u64::MAX >> 4 {
                    return Err(DecodeError::InvalidChunkSize);
                }
                self.remaining = (self.remaining << 4) | u64::from(digit);
                Size
            }
            (Size | SizeLws, b' ' | b'\t') => SizeLws,
            (Size | SizeLws, b';') => Extension,
            (Size | SizeLws | Extension, CR) => SizeLf,
            // A bare LF inside an extension would let the line end in a way
            // other parsers disagree on (hyper rejects it too).
            (Extension, LF) => return Err(DecodeError::InvalidChunkSize),
            (Extension, _) => Extension,
            (SizeStart | Size | SizeLws, _) => return Err(DecodeError::InvalidChunkSize),
            (SizeLf, LF) => {
                self.line_len = 0;
                if self.remaining == 0 {
                    TrailerStart
                } else {
                    Data
                }
            }
            (SizeLf, _) => return Err(DecodeError::InvalidChunkSize),
            (DataCr, CR) => DataLf,
            (DataLf, LF) => SizeStart,
            (DataCr | DataLf, _) => return Err(DecodeError::InvalidChunkTerminator),
            (TrailerStart, CR) => EndLf,
            (TrailerLine, CR) => TrailerLf,
            (TrailerStart | TrailerLine, _) => TrailerLine,
            (TrailerLf, LF) => TrailerStart,
            (EndLf, LF) => Done,
            (TrailerLf | EndLf, _) => return Err(DecodeError::InvalidTrailer),
            (Data | Done, _) => unreachable!("handled by decode"),
        };
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decodes `input` in pieces of `step` bytes; returns the body, the bytes
    /// consumed in total and whether the body ended.
    fn run(
        input: &[u8],
        step: usize,
        limits: &Limits,
    ) -> Result<(Vec<u8>, usize, bool), DecodeError> {
        struct Collect(Vec<u8>);
        impl Sink for Collect {
            fn body(&mut self, chunk: &[u8]) {
                self.0.extend_from_slice(chunk);
            }
        }
        let mut dec = ChunkedDecoder::new();
        let mut sink = Collect(Vec::new());
        let mut body_len = 0;
        let mut total = 0;
        for piece in input.chunks(step.max(1)) {
            let (n, done) = dec.decode(piece, limits, &mut sink, &mut body_len)?;
            total += n;
            if done {
                assert_eq!(body_len, sink.0.len() as u64);
                return Ok((sink.0, total, true));
            }
            assert_eq!(n, piece.len(), "a body that did not end consumes all input");
        }
        Ok((sink.0, total, false))
    }

    #[test]
    fn table() {
        let l = Limits::default();
        type Case = (
            &'static [u8],
            Result<(&'static [u8], usize, bool), DecodeError>,
        );
        #[rustfmt::skip]
        let cases: &[Case] = &[
            (b"0\r\n\r\n", Ok((b"", 5, true))),
            (b"5\r\nhello\r\n0\r\n\r\n", Ok((b"hello", 15, true))),
            (b"5\r\nhello\r\n0\r\n\r\nNEXT", Ok((b"hello", 15, true))),
            (b"A\r\n0123456789\r\n0\r\n\r\n", Ok((b"0123456789", 20, true))),
            (b"a\r\n0123456789\r\n0\r\n\r\n", Ok((b"0123456789", 20, true))),
            (b"005\r\nhello\r\n0\r\n\r\n", Ok((b"hello", 17, true))),
            (b"5;ext=1;q=\"a b\"\r\nhello\r\n0;last\r\n\r\n", Ok((b"hello", 34, true))),
            (b"5 \t;ext\r\nhello\r\n0 \r\n\r\n", Ok((b"hello", 22, true))),
            (b"5\r\nhello\r\n0\r\nExpires: never\r\nX-T: 1\r\n\r\n", Ok((b"hello", 39, true))),
            (b"5\r\nhel", Ok((b"hel", 6, false))),
            (b"ffffffffffffffff\r\nab", Ok((b"ab", 20, false))),
            (b"\r\n", Err(DecodeError::InvalidChunkSize)),
            (b"x\r\n", Err(DecodeError::InvalidChunkSize)),
            (b" 5\r\n", Err(DecodeError::InvalidChunkSize)),
            (b"5\n", Err(DecodeError::InvalidChunkSize)),
            (b"5\rx", Err(DecodeError::InvalidChunkSize)),
            (b"5 x\r\n", Err(DecodeError::InvalidChunkSize)),
            (b"5;a\nb\r\n", Err(DecodeError::InvalidChunkSize)),
            (b"10000000000000000\r\n", Err(DecodeError::InvalidChunkSize)),
            (b"5\r\nhelloX", Err(DecodeError::InvalidChunkTerminator)),
            (b"5\r\nhello\rX", Err(DecodeError::InvalidChunkTerminator)),
            (b"0\r\nA: b\rX", Err(DecodeError::InvalidTrailer)),
            (b"0\r\n\rX", Err(DecodeError::InvalidTrailer)),
        ];
        for (input, want) in cases {
            let want = want.map(|(body, n, done)| (body.to_vec(), n, done));
            for step in [1, 2, 3, 7, input.len()] {
                assert_eq!(
                    run(input, step, &l),
                    want,
                    "input {:?} step {step}",
                    String::from_utf8_lossy(input)
                );
            }
        }
    }

    #[test]
    fn chunk_line_limit() {
        let l = Limits {
            max_chunk_line: 8,
            ..Limits::default()
        };
        // "5;abcdef" is exactly 8 bytes: allowed. One more is not.
        assert!(run(b"5;abcdef\r\nhello\r\n0\r\n\r\n", 1, &l).is_ok());
        assert_eq!(
            run(b"5;abcdefg\r\nhello\r\n0\r\n\r\n", 1, &l),
            Err(DecodeError::ChunkLineTooLong)
        );
        // The limit is per line, not per body.
        assert!(run(
            b"5;abcdef\r\nhello\r\n5;abcdef\r\nhello\r\n0\r\n\r\n",
            3,
            &l
        )
        .is_ok());
        // Leading zeros cannot dodge it either.
        assert_eq!(
            run(b"0000000005\r\n", 1, &l),
            Err(DecodeError::ChunkLineTooLong)
        );
    }

    #[test]
    fn trailer_limit() {
        let l = Limits {
            max_trailer_bytes: 8,
            ..Limits::default()
        };
        // "A: 1234\r\n" is 9 bytes; "A: 123\r\n" is 8.
        assert!(run(b"0\r\nA: 123\r\n\r\n", 1, &l).is_ok());
        assert_eq!(
            run(b"0\r\nA: 1234\r\n\r\n", 1, &l),
            Err(DecodeError::TrailersTooLarge)
        );
        // The total over all trailer lines counts.
        assert_eq!(
            run(b"0\r\nA: 1\r\nB: 2\r\n\r\n", 4, &l),
            Err(DecodeError::TrailersTooLarge)
        );
    }
}
