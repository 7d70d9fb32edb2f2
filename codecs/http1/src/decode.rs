//! Sans-IO decoder for HTTP/1.1 responses.
//!
//! The caller owns the read buffer: it appends whatever the socket gave,
//! calls [`ResponseDecoder::decode`], and drops the bytes reported as
//! consumed. The decoder keeps only a few integers of state between calls,
//! so a response may arrive split at any byte. Heads are parsed with
//! httparse into header slots on the stack; bodies are handed to a [`Sink`]
//! in place. Nothing here allocates.

use core::mem::MaybeUninit;

use httparse::Header;

use crate::chunked::ChunkedDecoder;
use crate::framing::{body_info, Framing};
use crate::limits::MAX_HEADERS_HARD_CAP;
use crate::{DecodeError, HeadError, Limits};

/// What the decoder saw of a complete response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Response {
    /// Status code of the final response (1xx interim responses are
    /// skipped, except 101).
    pub status: u16,
    /// HTTP minor version: 0 for HTTP/1.0, 1 for HTTP/1.1.
    pub version: u8,
    /// Whether the connection may carry another request: HTTP/1.1 unless
    /// `Connection: close`, HTTP/1.0 only with `Connection: keep-alive`, and
    /// never after a body delimited by close or a 101.
    pub keep_alive: bool,
    /// Body bytes delivered to the sink (after removing chunked framing).
    pub body_len: u64,
}

/// The head of a final (non-1xx) response, handed to the sink.
#[derive(Debug, Clone, Copy)]
pub struct ResponseHead<'a> {
    /// Status code.
    pub status: u16,
    /// HTTP minor version, 0 or 1.
    pub version: u8,
    /// Reason phrase; empty if absent.
    pub reason: &'a str,
    /// Header fields in the order received.
    pub headers: &'a [Header<'a>],
}

/// Receives parts of a response as they are decoded. Default methods do
/// nothing, so `()` is the zero-cost sink.
pub trait Sink {
    /// Called once per final response, when its head is complete.
    fn head(&mut self, _head: &ResponseHead<'_>) {}
    /// Called with body bytes as they arrive, possibly many times per
    /// response; chunked framing is already removed.
    fn body(&mut self, _chunk: &[u8]) {}
}

impl Sink for () {}

/// Lets a caller lend its sink without giving it up.
impl<S: Sink + ?Sized> Sink for &mut S {
    fn head(&mut self, head: &ResponseHead<'_>) {
        (**self).head(head);
    }
    fn body(&mut self, chunk: &[u8]) {
        (**self).body(chunk);
    }
}

/// Outcome of one [`ResponseDecoder::decode`] call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// More bytes needed. `consumed` bytes at the front of the input were
    /// used (body bytes, chunk lines) and must be dropped by the caller; the
    /// rest must be kept and re-presented with more data appended.
    Partial {
        /// Bytes at the front of the input that were used.
        consumed: usize,
    },
    /// One response completed; `consumed` bytes were used (the caller drops
    /// them, and calls decode again on the rest for pipelined responses).
    Complete {
        /// Bytes at the front of the input that made up the response.
        consumed: usize,
        /// What was decoded.
        response: Response,
    },
}

/// Where the decoder is within the current response.
#[derive(Debug, Clone)]
enum State {
    /// Waiting for a complete head (interim 1xx heads are skipped here).
    Head,
    /// Reading a body of known length; bytes still to come.
    Length(u64),
    /// Reading a chunked body.
    Chunked(ChunkedDecoder),
    /// Reading a body that ends when the peer closes.
    UntilClose,
    /// A previous call failed; the stream is unusable until `reset`.
    Failed(DecodeError),
}

/// A parsed head, reduced to what the decoder keeps.
enum Head {
    /// The head is not complete yet.
    Partial,
    /// A 1xx interim response of this many bytes, to be skipped.
    Interim(usize),
    /// A final head of this many bytes.
    Final {
        len: usize,
        status: u16,
        version: u8,
        framing: Framing,
        keep_alive: bool,
    },
}

/// Decodes a stream of HTTP/1.x responses, one at a time, from bytes the
/// caller buffers.
#[derive(Debug, Clone)]
pub struct ResponseDecoder {
    limits: Limits,
    state: State,
    /// The response being decoded answers a HEAD request.
    head_request: bool,
    /// Some byte of the current response was seen: a consumed 1xx head, or
    /// a partial head the caller holds. Decides whether EOF is clean.
    started: bool,
    /// The response being decoded (status, version, reuse, bytes so far).
    current: Response,
}

const EMPTY_RESPONSE: Response = Response {
    status: 0,
    version: 1,
    keep_alive: false,
    body_len: 0,
};

impl ResponseDecoder {
    /// A decoder waiting for the first response, which is not to a HEAD.
    pub fn new(limits: Limits) -> Self {
        ResponseDecoder {
            limits,
            state: State::Head,
            head_request: false,
            started: false,
            current: EMPTY_RESPONSE,
        }
    }

    /// Declares what the NEXT response answers: `head_request = true` if it
    /// answers a HEAD (no body whatever the headers say). Must only be called
    /// when idle (between responses). Default after new() and after each
    /// Complete: false.
    pub fn expect(&mut self, head_request: bool) {
        // The flag is read when the final head is parsed, so a call while a
        // head is still partial takes effect too; mid-body it would only
        // affect the next response, and then be cleared by Complete.
        self.head_request = head_request;
    }

    /// Decodes at most one response from `buf`.
    ///
    /// Interim 1xx responses before it are skipped in the same call. After
    /// an error the decoder returns that error until [`reset`](Self::reset).
    pub fn decode<S: Sink>(&mut self, buf: &[u8], sink: &mut S) -> Result<Status, DecodeError> {
        let mut pos = 0;
        loop {
            let rest = &buf[pos..];
            match &mut self.state {
                State::Failed(e) => return Err(*e),
                State::Head => match parse_head(rest, &self.limits, self.head_request, sink) {
                    Err(e) => return Err(self.fail(e)),
                    Ok(Head::Partial) => {
                        // Blank lines before a status line are skipped by
                        // httparse; they alone do not start a response.
                        if rest.iter().any(|&b| b != b'\r' && b != b'\n') {
                            self.started = true;
                        }
                        return Ok(Status::Partial { consumed: pos });
                    }
                    Ok(Head::Interim(len)) => {
                        self.started = true;
                        pos += len;
                    }
                    Ok(Head::Final {
                        len,
                        status,
                        version,
                        framing,
                        keep_alive,
                    }) => {
                        pos += len;
                        self.started = true;
                        self.current = Response {
                            status,
                            version,
                            keep_alive,
                            body_len: 0,
                        };
                        self.state = match framing {
                            Framing::None | Framing::Length(0) => return Ok(self.complete(pos)),
                            Framing::Length(n) => State::Length(n),
                            Framing::Chunked => State::Chunked(ChunkedDecoder::new()),
                            Framing::Close => State::UntilClose,
                        };
                    }
                },
                State::Length(remaining) => {
                    let n = if (rest.len() as u64) < *remaining {
                        rest.len()
                    } else {
                        *remaining as usize
                    };
                    if n > 0 {
                        sink.body(&rest[..n]);
                    }
                    *remaining -= n as u64;
                    self.current.body_len += n as u64;
                    pos += n;
                    if *remaining == 0 {
                        return Ok(self.complete(pos));
                    }
                    return Ok(Status::Partial { consumed: pos });
                }
                State::Chunked(chunked) => {
                    let res = chunked.decode(rest, &self.limits, sink, &mut self.current.body_len);
                    match res {
                        Err(e) => return Err(self.fail(e)),
                        Ok((n, true)) => return Ok(self.complete(pos + n)),
                        Ok((n, false)) => return Ok(Status::Partial { consumed: pos + n }),
                    }
                }
                State::UntilClose => {
                    if !rest.is_empty() {
                        sink.body(rest);
                    }
                    self.current.body_len += rest.len() as u64;
                    return Ok(Status::Partial {
                        consumed: buf.len(),
                    });
                }
            }
        }
    }

    /// Call when the peer closed the connection (EOF). A read-until-close
    /// body completes: Ok(Some(response)). Idle (no byte of a response seen
    /// since the last Complete): Ok(None). Anything else:
    /// Err(DecodeError::UnexpectedEof).
    ///
    /// The `sink` receives nothing today; it is there so that a future
    /// decoder holding bytes back could flush them.
    pub fn decode_eof<S: Sink>(&mut self, _sink: &mut S) -> Result<Option<Response>, DecodeError> {
        match self.state {
            State::Failed(e) => Err(e),
            State::Head if !self.started => Ok(None),
            State::UntilClose => match self.complete(0) {
                Status::Complete { response, .. } => Ok(Some(response)),
                Status::Partial { .. } => unreachable!("complete returns Complete"),
            },
            _ => Err(self.fail(DecodeError::UnexpectedEof)),
        }
    }

    /// True when no byte of the next response has been consumed (between
    /// responses). A partial head that was presented but not yet consumed
    /// also counts as started, so that EOF then is an error.
    pub fn is_idle(&self) -> bool {
        matches!(self.state, State::Head) && !self.started
    }

    /// Return to the idle state (used when a connection is replaced).
    pub fn reset(&mut self) {
        *self = ResponseDecoder::new(self.limits);
    }

    /// Finishes the current response and returns to idle.
    fn complete(&mut self, consumed: usize) -> Status {
        let response = self.current;
        self.state = State::Head;
        self.head_request = false;
        self.started = false;
        self.current = EMPTY_RESPONSE;
        Status::Complete { consumed, response }
    }

    /// Poisons the decoder with `e` and returns it.
    fn fail(&mut self, e: DecodeError) -> DecodeError {
        self.state = State::Failed(e);
        e
    }
}

/// Parses one head at the front of `buf`; calls `sink.head` for a final one.
fn parse_head<S: Sink>(
    buf: &[u8],
    limits: &Limits,
    head_request: bool,
    sink: &mut S,
) -> Result<Head, DecodeError> {
    // Uninitialised slots: nothing to zero per call, however large the cap.
    let mut slots = [MaybeUninit::<Header<'_>>::uninit(); MAX_HEADERS_HARD_CAP];
    let mut parsed = httparse::Response::new(&mut []);
    // Only the first `max_head_bytes` can hold a head we accept. Parsing no
    // further bounds the work per call, and makes the verdict depend only
    // on those bytes, never on how the input was split: a malformed byte
    // past the limit is HeadTooLarge whether or not it was buffered yet.
    let window = &buf[..buf.len().min(limits.max_head_bytes)];
    let status = httparse::ParserConfig::default().parse_response_with_uninit_headers(
        &mut parsed,
        window,
        &mut slots[..limits.header_slots()],
    )?;
    let len = match status {
        httparse::Status::Complete(len) => len,
        // The head did not end within the limit, and more bytes are there.
        httparse::Status::Partial if buf.len() > window.len() => {
            return Err(DecodeError::HeadTooLarge)
        }
        httparse::Status::Partial => return Ok(Head::Partial),
    };
    // httparse sets every field of a complete head.
    let (Some(status), Some(version)) = (parsed.code, parsed.version) else {
        return Err(DecodeError::Head(HeadError::Status));
    };
    if status < 100 {
        return Err(DecodeError::Head(HeadError::Status));
    }
    if (100..200).contains(&status) && status != 101 {
        return Ok(Head::Interim(len));
    }
    let info = body_info(version, status, head_request, parsed.headers)?;
    sink.head(&ResponseHead {
        status,
        version,
        reason: parsed.reason.unwrap_or(""),
        headers: parsed.headers,
    });
    Ok(Head::Final {
        len,
        status,
        version,
        framing: info.framing,
        keep_alive: info.keep_alive,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A final head as the sink saw it: status, version, reason, fields.
    type SeenHead = (u16, u8, String, Vec<(String, Vec<u8>)>);

    /// Everything a sink was told, to compare runs byte for byte.
    #[derive(Debug, Default, Clone, PartialEq, Eq)]
    struct Recorder {
        /// (status, version, reason, headers) of each final head.
        heads: Vec<SeenHead>,
        /// Body bytes of each response, in order.
        bodies: Vec<Vec<u8>>,
    }

    impl Sink for Recorder {
        fn head(&mut self, head: &ResponseHead<'_>) {
            let headers = head
                .headers
                .iter()
                .map(|h| (h.name.to_string(), h.value.to_vec()))
                .collect();
            self.heads
                .push((head.status, head.version, head.reason.to_string(), headers));
            self.bodies.push(Vec::new());
        }
        fn body(&mut self, chunk: &[u8]) {
            assert!(!chunk.is_empty(), "sink.body is never called empty");
            self.bodies
                .last_mut()
                .expect("body after head")
                .extend_from_slice(chunk);
        }
    }

    /// Result of feeding a whole connection's bytes, then EOF.
    #[derive(Debug, PartialEq, Eq)]
    struct Outcome {
        responses: Vec<Response>,
        sink: Recorder,
        error: Option<DecodeError>,
    }

    /// Plays the caller: appends each piece to a buffer, decodes as far as
    /// possible, drops consumed bytes, and finally signals EOF. `heads[i]`
    /// says whether response `i` answers a HEAD request.
    fn drive<'a>(
        pieces: impl IntoIterator<Item = &'a [u8]>,
        heads: &[bool],
        limits: Limits,
    ) -> Outcome {
        let mut dec = ResponseDecoder::new(limits);
        let mut out = Outcome {
            responses: Vec::new(),
            sink: Recorder::default(),
            error: None,
        };
        dec.expect(heads.first().copied().unwrap_or(false));
        let mut buf = Vec::new();
        for piece in pieces {
            buf.extend_from_slice(piece);
            loop {
                match dec.decode(&buf, &mut out.sink) {
                    Err(e) => {
                        out.error = Some(e);
                        // The error sticks until reset.
                        assert_eq!(dec.decode(&buf, &mut out.sink), Err(e));
                        return out;
                    }
                    Ok(Status::Partial { consumed }) => {
                        assert!(consumed <= buf.len());
                        buf.drain(..consumed);
                        break;
                    }
                    Ok(Status::Complete { consumed, response }) => {
                        assert!(consumed > 0 && consumed <= buf.len());
                        assert!(dec.is_idle());
                        buf.drain(..consumed);
                        out.responses.push(response);
                        dec.expect(heads.get(out.responses.len()).copied().unwrap_or(false));
                        if buf.is_empty() {
                            break;
                        }
                    }
                }
            }
        }
        match dec.decode_eof(&mut out.sink) {
            Ok(Some(r)) => out.responses.push(r),
            Ok(None) => assert!(buf.is_empty(), "idle at EOF means nothing buffered"),
            Err(e) => out.error = Some(e),
        }
        out
    }

    fn one_shot(input: &[u8], heads: &[bool], limits: Limits) -> Outcome {
        drive([input], heads, limits)
    }

    const fn resp(status: u16, version: u8, keep_alive: bool, body_len: u64) -> Response {
        Response {
            status,
            version,
            keep_alive,
            body_len,
        }
    }

    /// A captured-style response stream with what must come out of it.
    struct Case {
        name: &'static str,
        input: &'static [u8],
        heads: &'static [bool],
        want: &'static [(Response, &'static [u8])],
    }

    const NGINX_200: &[u8] = b"HTTP/1.1 200 OK\r\n\
Server: nginx/1.24.0\r\n\
Date: Tue, 14 May 2024 09:12:44 GMT\r\n\
Content-Type: text/html\r\n\
Content-Length: 13\r\n\
Last-Modified: Mon, 13 May 2024 17:01:02 GMT\r\n\
Connection: keep-alive\r\n\
ETag: \"66424716-d\"\r\n\
Accept-Ranges: bytes\r\n\
\r\n\
Hello, world!";

    const CHUNKED: &[u8] = b"HTTP/1.1 200 OK\r\n\
Content-Type: text/plain\r\n\
Transfer-Encoding: chunked\r\n\
Trailer: Expires\r\n\
\r\n\
7;name=value\r\n\
Mozilla\r\n\
11 ; ext=\"a;b\"\r\n\
Developer Network\r\n\
0\r\n\
Expires: Wed, 21 Oct 2015 07:28:00 GMT\r\n\
\r\n";

    const CASES: &[Case] = &[
        Case {
            name: "nginx static 200",
            input: NGINX_200,
            heads: &[],
            want: &[(resp(200, 1, true, 13), b"Hello, world!")],
        },
        Case {
            name: "chunked with extensions and trailers",
            input: CHUNKED,
            heads: &[],
            want: &[(resp(200, 1, true, 24), b"MozillaDeveloper Network")],
        },
        Case {
            name: "100-continue then 200",
            input: b"HTTP/1.1 100 Continue\r\n\r\n\
HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
            heads: &[],
            want: &[(resp(200, 1, true, 2), b"ok")],
        },
        Case {
            name: "103 early hints, 100, then 201",
            input: b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload; as=style\r\n\r\n\
HTTP/1.1 100 Continue\r\n\r\n\
HTTP/1.1 201 Created\r\nLocation: /r/1\r\nContent-Length: 0\r\n\r\n",
            heads: &[],
            want: &[(resp(201, 1, true, 0), b"")],
        },
        Case {
            name: "204",
            input: b"HTTP/1.1 204 No Content\r\n\
Server: nginx/1.24.0\r\n\
Date: Tue, 14 May 2024 09:12:44 GMT\r\n\
Connection: keep-alive\r\n\r\n",
            heads: &[],
            want: &[(resp(204, 1, true, 0), b"")],
        },
        Case {
            name: "304 with Content-Length but no body, then 200",
            input: b"HTTP/1.1 304 Not Modified\r\n\
Server: nginx/1.24.0\r\n\
Date: Tue, 14 May 2024 09:12:44 GMT\r\n\
Last-Modified: Mon, 13 May 2024 17:01:02 GMT\r\n\
ETag: \"66424716-d\"\r\n\
Content-Length: 13\r\n\r\n\
HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc",
            heads: &[],
            want: &[(resp(304, 1, true, 0), b""), (resp(200, 1, true, 3), b"abc")],
        },
        Case {
            name: "HEAD response with Content-Length, then GET response",
            input: b"HTTP/1.1 200 OK\r\n\
Content-Type: text/html\r\n\
Content-Length: 13\r\n\r\n\
HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\nHello, world!",
            heads: &[true, false],
            want: &[(resp(200, 1, true, 0), b""), (resp(200, 1, true, 13), b"Hello, world!")],
        },
        Case {
            name: "HEAD expectation survives a 100",
            input: b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
            heads: &[true],
            want: &[(resp(200, 1, true, 0), b"")],
        },
        Case {
            name: "HTTP/1.0 read until close",
            input: b"HTTP/1.0 200 OK\r\n\
Server: SimpleHTTP/0.6 Python/3.11.4\r\n\
Date: Tue, 14 May 2024 09:12:44 GMT\r\n\
Content-type: text/html; charset=utf-8\r\n\r\n\
<html><body>hi</body></html>\n",
            heads: &[],
            want: &[(resp(200, 0, false, 29), b"<html><body>hi</body></html>\n")],
        },
        Case {
            name: "HTTP/1.1 without length reads until close",
            input: b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n\x1f\x8b\x08\x00",
            heads: &[],
            want: &[(resp(200, 1, false, 4), b"\x1f\x8b\x08\x00")],
        },
        Case {
            name: "HTTP/1.0 keep-alive with Content-Length",
            input: b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 4\r\n\r\nabcd",
            heads: &[],
            want: &[(resp(200, 0, true, 4), b"abcd")],
        },
        Case {
            name: "Connection: close",
            input: b"HTTP/1.1 503 Service Unavailable\r\n\
Content-Type: text/plain\r\n\
Content-Length: 5\r\n\
Connection: close\r\n\r\nbusy\n",
            heads: &[],
            want: &[(resp(503, 1, false, 5), b"busy\n")],
        },
        Case {
            name: "101 switching protocols is final",
            input: b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
            heads: &[],
            want: &[(resp(101, 1, false, 0), b"")],
        },
        Case {
            name: "pipelined back-to-back responses",
            input: b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst\
HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nsecond\r\n0\r\n\r\n\
HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found\
HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n\
HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            heads: &[],
            want: &[
                (resp(200, 1, true, 5), b"first"),
                (resp(200, 1, true, 6), b"second"),
                (resp(404, 1, true, 9), b"not found"),
                (resp(200, 1, true, 0), b""),
                (resp(200, 1, true, 0), b""),
            ],
        },
        Case {
            name: "bare LF line endings in head",
            input: b"HTTP/1.1 200 OK\nContent-Length: 1\n\nx",
            heads: &[],
            want: &[(resp(200, 1, true, 1), b"x")],
        },
        Case {
            name: "empty stream",
            input: b"",
            heads: &[],
            want: &[],
        },
    ];

    fn check_case(case: &Case) -> Outcome {
        let got = one_shot(case.input, case.heads, Limits::default());
        assert_eq!(got.error, None, "{}", case.name);
        let responses: Vec<Response> = case.want.iter().map(|w| w.0).collect();
        assert_eq!(got.responses, responses, "{}", case.name);
        let bodies: Vec<&[u8]> = case.want.iter().map(|w| w.1).collect();
        assert_eq!(got.sink.bodies, bodies, "{}", case.name);
        got
    }

    #[test]
    fn one_shot_cases() {
        for case in CASES {
            check_case(case);
        }
    }

    #[test]
    fn head_is_passed_to_sink() {
        let got = one_shot(NGINX_200, &[], Limits::default());
        let (status, version, reason, headers) = &got.sink.heads[0];
        assert_eq!((*status, *version, reason.as_str()), (200, 1, "OK"));
        assert_eq!(headers.len(), 8);
        assert_eq!(headers[0], ("Server".to_string(), b"nginx/1.24.0".to_vec()));
        assert_eq!(headers[7], ("Accept-Ranges".to_string(), b"bytes".to_vec()));
        // Interim heads are not passed on.
        let got = one_shot(CASES[3].input, &[], Limits::default());
        assert_eq!(got.sink.heads.len(), 1);
        assert_eq!(got.sink.heads[0].0, 201);
    }

    #[test]
    fn every_two_piece_split() {
        for case in CASES {
            let want = check_case(case);
            for k in 0..=case.input.len() {
                let (a, b) = case.input.split_at(k);
                let got = drive([a, b], case.heads, Limits::default());
                assert_eq!(got, want, "{} split at {k}", case.name);
            }
        }
    }

    #[test]
    fn one_byte_at_a_time() {
        for case in CASES {
            let want = check_case(case);
            let got = drive(case.input.chunks(1), case.heads, Limits::default());
            assert_eq!(got, want, "{} byte by byte", case.name);
        }
    }

    /// A tiny deterministic generator, so random splits need no extra crate
    /// and failures reproduce.
    struct Lcg(u64);

    impl Lcg {
        fn next(&mut self) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            self.0 >> 33
        }
    }

    /// Splits `input` at random points; small pieces are more likely, since
    /// that is where boundary bugs hide.
    fn random_pieces<'a>(input: &'a [u8], rng: &mut Lcg) -> Vec<&'a [u8]> {
        let mut pieces = Vec::new();
        let mut rest = input;
        while !rest.is_empty() {
            let max = if rng.next() % 4 == 0 { rest.len() } else { 8 };
            let n = (rng.next() as usize % max.min(rest.len())) + 1;
            let (a, b) = rest.split_at(n);
            pieces.push(a);
            rest = b;
        }
        pieces
    }

    #[test]
    fn random_splits() {
        let mut rng = Lcg(0x5eed);
        // All cases back to back on one connection, plus each one alone.
        let mut all = Vec::new();
        let mut all_heads = Vec::new();
        for case in CASES
            .iter()
            .filter(|c| c.want.iter().all(|w| w.0.keep_alive))
        {
            all.extend_from_slice(case.input);
            let mut heads = case.heads.to_vec();
            heads.resize(case.want.len(), false);
            all_heads.extend(heads);
        }
        let want_all = one_shot(&all, &all_heads, Limits::default());
        assert_eq!(want_all.error, None);
        for round in 0..300 {
            let got = drive(random_pieces(&all, &mut rng), &all_heads, Limits::default());
            assert_eq!(got, want_all, "round {round}");
        }
        for case in CASES {
            let want = check_case(case);
            for round in 0..100 {
                let got = drive(
                    random_pieces(case.input, &mut rng),
                    case.heads,
                    Limits::default(),
                );
                assert_eq!(got, want, "{} round {round}", case.name);
            }
        }
    }

    /// Name, input, limits, the error it must end in.
    type ErrorCase = (&'static str, &'static [u8], Limits, DecodeError);

    #[test]
    fn errors() {
        let small = |f: fn(&mut Limits)| {
            let mut l = Limits::default();
            f(&mut l);
            l
        };
        #[rustfmt::skip]
        let cases: &[ErrorCase] = &[
            ("version", b"HTTP/2.0 200 OK\r\n\r\n", Limits::default(), DecodeError::Head(HeadError::Version)),
            ("not http", b"SSH-2.0-OpenSSH_9.6\r\n", Limits::default(), DecodeError::Head(HeadError::Version)),
            ("status", b"HTTP/1.1 2x0 OK\r\n\r\n", Limits::default(), DecodeError::Head(HeadError::Status)),
            ("status below 100", b"HTTP/1.1 099 Odd\r\n\r\n", Limits::default(), DecodeError::Head(HeadError::Status)),
            ("header name", b"HTTP/1.1 200 OK\r\nBad\"Name: x\r\n\r\n", Limits::default(), DecodeError::Head(HeadError::HeaderName)),
            ("header value", b"HTTP/1.1 200 OK\r\nA: b\x00c\r\n\r\n", Limits::default(), DecodeError::Head(HeadError::HeaderValue)),
            ("cr in header value", b"HTTP/1.1 200 OK\r\nA: b\rc\r\n\r\n", Limits::default(), DecodeError::Head(HeadError::HeaderValue)),
            ("new line", b"HTTP/1.1 200 OK\r\nA: b\r\n\rX", Limits::default(), DecodeError::Head(HeadError::NewLine)),
            ("new line in status", b"HTTP/1.1 200\rX\r\n\r\n", Limits::default(), DecodeError::Head(HeadError::Status)),
            ("head too large, complete", b"HTTP/1.1 200 OK\r\nA: 0123456789\r\n\r\n", small(|l| l.max_head_bytes = 32), DecodeError::HeadTooLarge),
            ("head too large, partial", b"HTTP/1.1 200 OK\r\nA: 0123456789012345678901234567890123456789", small(|l| l.max_head_bytes = 32), DecodeError::HeadTooLarge),
            ("bad byte past the limit", b"HTTP/1.1 200 OK\r\nA: 0123456789012345\x00\r\n\r\n", small(|l| l.max_head_bytes = 32), DecodeError::HeadTooLarge),
            ("too many headers", b"HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", small(|l| l.max_headers = 2), DecodeError::TooManyHeaders),
            ("zero headers allowed", b"HTTP/1.1 200 OK\r\nA: 1\r\n\r\n", small(|l| l.max_headers = 0), DecodeError::TooManyHeaders),
            ("content-length junk", b"HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n", Limits::default(), DecodeError::InvalidContentLength),
            ("content-length conflict", b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", Limits::default(), DecodeError::InvalidContentLength),
            ("chunk size", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", Limits::default(), DecodeError::InvalidChunkSize),
            ("chunk size overflow", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1ffffffffffffffff\r\n", Limits::default(), DecodeError::InvalidChunkSize),
            ("chunk line too long", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;aaaaaaaaaaaaaaaa\r\n", small(|l| l.max_chunk_line = 16), DecodeError::ChunkLineTooLong),
            ("chunk terminator", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n", Limits::default(), DecodeError::InvalidChunkTerminator),
            ("trailer", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nA: b\r\r\n", Limits::default(), DecodeError::InvalidTrailer),
            ("trailers too large", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nA: 0123456789\r\n\r\n", small(|l| l.max_trailer_bytes = 8), DecodeError::TrailersTooLarge),
            ("chunked twice", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", Limits::default(), DecodeError::UnsupportedTransferEncoding),
            ("eof in head", b"HTTP/1.1 200 OK\r\nContent-", Limits::default(), DecodeError::UnexpectedEof),
            ("eof after 100", b"HTTP/1.1 100 Continue\r\n\r\n", Limits::default(), DecodeError::UnexpectedEof),
            ("eof in body", b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", Limits::default(), DecodeError::UnexpectedEof),
            ("eof in chunked", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n", Limits::default(), DecodeError::UnexpectedEof),
            ("eof after complete then partial", b"HTTP/1.1 204 No Content\r\n\r\nH", Limits::default(), DecodeError::UnexpectedEof),
        ];
        for (name, input, limits, want) in cases {
            let got = one_shot(input, &[], *limits);
            assert_eq!(got.error, Some(*want), "{name} one shot");
            let bytewise = drive(input.chunks(1), &[], *limits);
            assert_eq!(bytewise.error, Some(*want), "{name} byte by byte");
            for k in 0..=input.len() {
                let (a, b) = input.split_at(k);
                let split = drive([a, b], &[], *limits);
                assert_eq!(split.error, Some(*want), "{name} split at {k}");
            }
        }
    }

    #[test]
    fn idle_eof_and_reset() {
        let mut dec = ResponseDecoder::new(Limits::default());
        assert!(dec.is_idle());
        assert_eq!(dec.decode_eof(&mut ()), Ok(None));
        // Blank lines alone do not start a response.
        assert_eq!(
            dec.decode(b"\r\n", &mut ()),
            Ok(Status::Partial { consumed: 0 })
        );
        assert!(dec.is_idle());
        // A partial head does.
        assert_eq!(
            dec.decode(b"HTTP/1.1 2", &mut ()),
            Ok(Status::Partial { consumed: 0 })
        );
        assert!(!dec.is_idle());
        dec.reset();
        assert!(dec.is_idle());
        // Mid-body is not idle, and EOF there is an error that sticks.
        let head = b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nab";
        assert_eq!(
            dec.decode(head, &mut ()),
            Ok(Status::Partial {
                consumed: head.len()
            })
        );
        assert!(!dec.is_idle());
        assert_eq!(dec.decode_eof(&mut ()), Err(DecodeError::UnexpectedEof));
        assert_eq!(dec.decode(b"cd", &mut ()), Err(DecodeError::UnexpectedEof));
        assert_eq!(dec.decode_eof(&mut ()), Err(DecodeError::UnexpectedEof));
        dec.reset();
        let full = b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nabcd";
        assert_eq!(
            dec.decode(full, &mut ()),
            Ok(Status::Complete {
                consumed: full.len(),
                response: resp(200, 1, true, 4)
            })
        );
        // `expect(true)` applies to one response only: Complete clears it.
        dec.expect(true);
        let mut two = full[..full.len() - 4].to_vec();
        two.extend_from_slice(full);
        let Ok(Status::Complete { consumed, response }) = dec.decode(&two, &mut ()) else {
            panic!("HEAD response completes")
        };
        assert_eq!((consumed, response.body_len), (full.len() - 4, 0));
        let Ok(Status::Complete { consumed, response }) = dec.decode(&two[consumed..], &mut ())
        else {
            panic!("GET response completes")
        };
        assert_eq!((consumed, response.body_len), (full.len(), 4));
    }

    #[test]
    fn decoding_does_not_allocate() {
        let mut dec = ResponseDecoder::new(Limits::default());
        let mut pipelined = NGINX_200.to_vec();
        pipelined.extend_from_slice(CHUNKED);
        pipelined.extend_from_slice(CASES[2].input);
        let allocs = crate::alloc_count::count(|| {
            let mut rest = &pipelined[..];
            while !rest.is_empty() {
                match dec.decode(rest, &mut ()) {
                    Ok(Status::Complete { consumed, .. }) => rest = &rest[consumed..],
                    other => panic!("{other:?}"),
                }
            }
            // Byte by byte through the chunked body, too.
            let (head, body) = CHUNKED.split_at(CHUNKED.len() - 60);
            assert_eq!(
                dec.decode(head, &mut ()),
                Ok(Status::Partial {
                    consumed: head.len()
                })
            );
            for b in body.chunks(1) {
                let _ = dec.decode(b, &mut ()).unwrap();
            }
            assert!(dec.is_idle());
        });
        assert_eq!(allocs, 0);
    }

    #[test]
    fn large_content_length_streams() {
        let mut dec = ResponseDecoder::new(Limits::default());
        let head = b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n";
        let mut total = 0u64;
        struct Count<'a>(&'a mut u64);
        impl Sink for Count<'_> {
            fn body(&mut self, chunk: &[u8]) {
                *self.0 += chunk.len() as u64;
            }
        }
        assert_eq!(
            dec.decode(head, &mut Count(&mut total)),
            Ok(Status::Partial {
                consumed: head.len()
            })
        );
        let block = [b'x'; 4096];
        let mut left = 1_000_000u64;
        while left > 0 {
            match dec.decode(&block, &mut Count(&mut total)).unwrap() {
                Status::Partial { consumed } => {
                    assert_eq!(consumed, block.len());
                    left -= consumed as u64;
                }
                Status::Complete { consumed, response } => {
                    assert_eq!(consumed as u64, left);
                    assert_eq!(response.body_len, 1_000_000);
                    left = 0;
                }
            }
        }
        assert_eq!(total, 1_000_000);
    }
}
