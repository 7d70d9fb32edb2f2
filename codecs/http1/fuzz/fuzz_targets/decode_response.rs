//! Feeds arbitrary bytes to the response decoder, split at arbitrary points,
//! and checks it never panics, never claims more bytes than it was given,
//! and reaches the same verdict as a one-shot decode.
//!
//! Input layout: byte 0 picks the limits and HEAD expectations, byte 1 seeds
//! the split points, the rest is the byte stream from the "server".
//!
//! Run with `cargo +nightly fuzz run decode_response` from codecs/http1.

#![no_main]

use hornet_http1::{DecodeError, Limits, Response, ResponseDecoder, Status};
use libfuzzer_sys::fuzz_target;

/// Plays the caller over `pieces`; returns the responses and the first error.
fn drive<'a>(
    pieces: impl Iterator<Item = &'a [u8]>,
    limits: Limits,
    heads: u8,
) -> (Vec<Response>, Option<DecodeError>) {
    let mut dec = ResponseDecoder::new(limits);
    let mut responses = Vec::new();
    let mut buf = Vec::new();
    dec.expect(heads & 1 != 0);
    for piece in pieces {
        buf.extend_from_slice(piece);
        loop {
            match dec.decode(&buf, &mut ()) {
                Err(e) => return (responses, Some(e)),
                Ok(Status::Partial { consumed }) => {
                    assert!(consumed <= buf.len());
                    buf.drain(..consumed);
                    break;
                }
                Ok(Status::Complete { consumed, response }) => {
                    assert!(consumed > 0 && consumed <= buf.len());
                    assert!(dec.is_idle());
                    buf.drain(..consumed);
                    responses.push(response);
                    // Vary HEAD expectations per response, deterministically.
                    dec.expect(heads >> (responses.len() % 8) & 1 != 0);
                }
            }
        }
    }
    match dec.decode_eof(&mut ()) {
        Ok(Some(r)) => responses.push(r),
        Ok(None) => {}
        Err(e) => return (responses, Some(e)),
    }
    (responses, None)
}

fuzz_target!(|data: &[u8]| {
    let [mode, seed, stream @ ..] = data else {
        return;
    };
    // Small limits half the time, so the limit paths get exercised.
    let limits = if mode & 0x80 != 0 {
        Limits {
            max_head_bytes: 64,
            max_headers: 3,
            max_chunk_line: 8,
            max_trailer_bytes: 16,
        }
    } else {
        Limits::default()
    };
    let heads = mode & 0x7f;

    let whole = drive(std::iter::once(stream), limits, heads);

    // Piece sizes from a tiny LCG seeded by the input, so crashes replay.
    let mut state = u64::from(*seed) | 1;
    let mut rest = stream;
    let pieces = std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let n = ((state >> 33) as usize % rest.len().min(16)) + 1;
        let (a, b) = rest.split_at(n);
        rest = b;
        Some(a)
    });
    let split = drive(pieces, limits, heads);
    assert_eq!(whole, split, "verdict depends on how the input was split");
});
