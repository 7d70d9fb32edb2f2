//! One HTTP/1.1 client connection slot: the requests assigned to it, the
//! bytes written so far, and the response decoder.
//!
//! The slot outlives its sockets: when the server closes or a socket fails,
//! the worker gives the slot a new socket and the requests that were never
//! answered by the old one are either failed (they were lost) or resent
//! (the server said `Connection: close` before reading them).
//!
//! Nothing here touches mio or the clock: the stream is any `Read + Write`
//! and time is a parameter, so tests drive it in memory.
//!
//! One client serves both modes. `hornet http` gives every slot the same
//! pre-serialized request (a [`Bytes`] shared by the worker's slots, so a
//! pipelined batch is one `writev` over one buffer) and records answers in
//! the worker's [`Recorder`]. A profile's virtual user pushes its own
//! rendered request ([`HttpConn::push_request`]), decodes the response
//! through its step's capture ([`HttpConn::capture`], any
//! [`hornet_http1::Sink`]) and takes the answer through [`Responses`].
//!
//! Read buffers stay a plain `Vec<u8>` with start and end marks, not a
//! `BytesMut`: the buffer is zeroed once and reused in place for the
//! connection's life, responses are decoded where they lie and never handed
//! on, so splitting frozen views off it would buy nothing, and reading into
//! a `BytesMut`'s spare capacity needs `unsafe` (`advance_mut`) or a zero
//! fill per read.

use std::collections::VecDeque;
use std::io::{self, IoSlice, Read, Write};

use bytes::Bytes;
use hornet_http1::{DecodeError, Limits, ResponseDecoder, Sink, Status};

use super::{ReadOutcome, Session, TimerOutcome, READ_BUDGET};
use crate::metrics::{ErrorKind, Recorder};

/// Largest number of requests handed to one `writev`.
const MAX_IOV: usize = 64;
/// Initial read buffer: one page holds a typical response whole, and with
/// thousands of connections the buffers are most of hornet's memory.
const READ_BUF_MIN: usize = 4 * 1024;
/// The buffer grows (doubling) while reads fill it, up to this size, which
/// leaves room for the decoder's largest head plus slack: a head that fits
/// the limit always fits the buffer.
const READ_BUF_MAX: usize = 128 * 1024;

/// One request on its way through a connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exchange {
    /// When the load model wanted it sent (run clock, ns).
    pub intended: u64,
    /// When it was written (run clock, ns); meaningful once written.
    pub sent: u64,
    /// Its own serialized request (a profile step's); `None`: the slot's
    /// shared request.
    pub request: Option<Bytes>,
    /// A HEAD request: its response has no body whatever its headers say.
    pub head: bool,
}

/// Where a connection's answers go: the worker's [`Recorder`] for `hornet
/// http`, a virtual user's step for a profile.
pub trait Responses {
    /// `ex` got a complete response with `status` and `body_len` body bytes
    /// at `now`.
    fn response(&mut self, ex: &Exchange, status: u16, body_len: u64, now: u64);
}

impl Responses for Recorder {
    #[inline]
    fn response(&mut self, ex: &Exchange, status: u16, body_len: u64, now: u64) {
        self.completed(status, ex.intended, ex.sent, now);
        self.body_bytes(body_len);
    }
}

/// The state of one connection slot; `C` sees each response as it is
/// decoded (`()`: nothing is kept).
#[derive(Debug)]
pub struct HttpConn<C = ()> {
    /// Requests assigned to this slot, oldest first.
    queue: VecDeque<Exchange>,
    /// `queue[..written]` are fully written and await a response.
    written: usize,
    /// Bytes of `queue[written]` already written (a partial write).
    write_off: usize,
    decoder: ResponseDecoder,
    head_request: bool,
    /// The serialized request, identical for every exchange that has none
    /// of its own, so a batch is one `writev` over the same buffer.
    request: Bytes,
    pipeline: usize,
    /// One request per connection: every response ends the connection.
    new_conn: bool,
    rbuf: Vec<u8>,
    rstart: usize,
    rend: usize,
    /// Responses completed over the slot's life (see `Session::answered`).
    answered: u64,
    /// Sees each response's head and body as they are decoded.
    capture: C,
}

impl HttpConn<()> {
    /// A slot sending `request` with up to `pipeline` in flight; HEAD
    /// responses are read without a body when `head_request`; with
    /// `new_conn`, each connection carries one request.
    pub fn new(
        limits: Limits,
        head_request: bool,
        pipeline: usize,
        new_conn: bool,
        request: Bytes,
    ) -> HttpConn {
        HttpConn::with_capture(limits, head_request, pipeline, new_conn, request, ())
    }
}

impl<C: Sink> HttpConn<C> {
    /// A slot whose responses are also decoded into `capture`.
    pub fn with_capture(
        limits: Limits,
        head_request: bool,
        pipeline: usize,
        new_conn: bool,
        request: Bytes,
        capture: C,
    ) -> HttpConn<C> {
        let mut decoder = ResponseDecoder::new(limits);
        decoder.expect(head_request);
        HttpConn {
            queue: VecDeque::with_capacity(pipeline),
            written: 0,
            write_off: 0,
            decoder,
            head_request,
            request,
            pipeline,
            new_conn,
            rbuf: vec![0; READ_BUF_MIN],
            rstart: 0,
            rend: 0,
            answered: 0,
            capture,
        }
    }

    /// Frees the read buffer while nothing is buffered (a profile user
    /// about to think for a while); the next read allocates it again.
    pub fn release_read_buffer(&mut self) {
        if self.rstart == self.rend {
            self.rbuf = Vec::new();
            self.rstart = 0;
            self.rend = 0;
        }
    }

    /// True while received bytes wait to be decoded (after an answer: bytes
    /// nobody asked for).
    pub fn has_buffered(&self) -> bool {
        self.rstart < self.rend
    }

    /// What the last response was decoded into (reset it before the next
    /// request if it accumulates).
    pub fn capture(&mut self) -> &mut C {
        &mut self.capture
    }

    /// Assigns a request with its own bytes (`head`: a HEAD request).
    pub fn push_request(&mut self, intended: u64, request: Bytes, head: bool) {
        self.queue.push_back(Exchange {
            intended,
            sent: 0,
            request: Some(request),
            head,
        });
        if self.queue.len() == 1 {
            self.expect_next();
        }
    }

    /// Tells the decoder whether the next response answers a HEAD.
    fn expect_next(&mut self) {
        let head = self.queue.front().map_or(self.head_request, |ex| ex.head);
        self.decoder.expect(head);
    }

    /// Requests written and awaiting a response.
    #[inline]
    pub fn in_flight(&self) -> usize {
        self.written
    }

    /// When the oldest outstanding request started being written, if any
    /// has (a partly written one counts: a server that stops reading must
    /// still time out).
    #[inline]
    pub fn oldest_sent(&self) -> Option<u64> {
        if self.written > 0 || self.write_off > 0 {
            Some(self.queue[0].sent)
        } else {
            None
        }
    }

    /// Writes every assigned request's bytes until done or the socket would
    /// block.
    pub fn write_requests<W: Write>(&mut self, io: &mut W, now: u64) -> Result<(), ErrorKind> {
        while self.written < self.queue.len() {
            let pending = (self.queue.len() - self.written).min(MAX_IOV);
            let result = {
                let mut iov: [IoSlice<'_>; MAX_IOV] = [IoSlice::new(&[]); MAX_IOV];
                for (i, slot) in iov.iter_mut().take(pending).enumerate() {
                    *slot = IoSlice::new(self.bytes_of(self.written + i));
                }
                iov[0] = IoSlice::new(&self.bytes_of(self.written)[self.write_off..]);
                if pending == 1 {
                    io.write(iov[0].as_ref())
                } else {
                    io.write_vectored(&iov[..pending])
                }
            };
            match result {
                Ok(0) => return Err(ErrorKind::Reset),
                Ok(n) => self.advance_written(n, now),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(ErrorKind::from_io_error(&e)),
            }
        }
        Ok(())
    }

    /// The bytes of `queue[i]`: its own, or the slot's shared request.
    #[inline]
    fn bytes_of(&self, i: usize) -> &[u8] {
        self.queue[i].request.as_ref().unwrap_or(&self.request)
    }

    fn advance_written(&mut self, mut n: usize, now: u64) {
        while n > 0 {
            let len = self.bytes_of(self.written).len();
            let rest = len - self.write_off;
            if self.write_off == 0 {
                // The request's first byte leaves now: that is its send time.
                self.queue[self.written].sent = now;
            }
            if n >= rest {
                n -= rest;
                self.write_off = 0;
                self.written += 1;
            } else {
                self.write_off += n;
                n = 0;
            }
        }
    }

    /// Decodes every complete response in the buffer. Returns false when the
    /// server asked to close the connection.
    fn decode_buffered<O: Responses>(&mut self, now: u64, out: &mut O) -> Result<bool, ErrorKind> {
        while self.rstart < self.rend {
            let status = self
                .decoder
                .decode(&self.rbuf[self.rstart..self.rend], &mut self.capture)
                .map_err(parse_error)?;
            match status {
                Status::Partial { consumed } => {
                    self.rstart += consumed;
                    break;
                }
                Status::Complete { consumed, response } => {
                    self.rstart += consumed;
                    self.complete(response.status, response.body_len, now, out)?;
                    if !response.keep_alive || self.new_conn {
                        return Ok(false);
                    }
                }
            }
        }
        if self.rstart == self.rend {
            self.rstart = 0;
            self.rend = 0;
        }
        Ok(true)
    }

    fn complete<O: Responses>(
        &mut self,
        status: u16,
        body_len: u64,
        now: u64,
        out: &mut O,
    ) -> Result<(), ErrorKind> {
        if self.written == 0 {
            // A response nobody asked for: the stream is out of step.
            return Err(ErrorKind::Parse);
        }
        let ex = self.queue.pop_front().expect("written > 0");
        self.written -= 1;
        self.answered += 1;
        out.response(&ex, status, body_len, now);
        self.expect_next();
        Ok(())
    }

    fn on_eof<O: Responses>(&mut self, now: u64, out: &mut O) -> Result<ReadOutcome, ErrorKind> {
        match self.decoder.decode_eof(&mut self.capture) {
            Ok(Some(response)) => {
                self.complete(response.status, response.body_len, now, out)?;
                Ok(ReadOutcome::Closed)
            }
            Ok(None) if self.written == 0 => Ok(ReadOutcome::Closed),
            Ok(None) | Err(_) => Err(ErrorKind::ClosedEarly),
        }
    }

    fn compact(&mut self) {
        self.rbuf.copy_within(self.rstart..self.rend, 0);
        self.rend -= self.rstart;
        self.rstart = 0;
    }

    /// Drops the requests written (or partly written) on this socket and
    /// resets it; returns how many.
    pub fn take_in_flight(&mut self) -> u64 {
        let mut lost = self.written;
        // A partly written request is lost with the socket too.
        if self.write_off > 0 {
            lost += 1;
        }
        self.queue.drain(..lost);
        self.reset_socket_state();
        lost as u64
    }

    /// Reads and decodes until the socket would block, handing each
    /// response to `out`. `now` is called after every read that returned data, so a
    /// response is timed when its bytes arrived.
    ///
    /// With `stop_on_short_read`, a read that returned less than the buffer
    /// had room for ends the pass without the extra read that would only
    /// say WouldBlock: the kernel queue was empty at that moment, and any
    /// later data raises a new edge-triggered event. The caller passes false
    /// when the event reported the peer's FIN, which must be read to be seen.
    ///
    /// A pass takes at most [`READ_BUDGET`] bytes, then yields: a server
    /// that never stops sending must not keep the worker from its clock.
    pub fn read_into<R: Read, F: FnMut() -> u64, O: Responses>(
        &mut self,
        io: &mut R,
        stop_on_short_read: bool,
        now: &mut F,
        out: &mut O,
    ) -> Result<ReadOutcome, ErrorKind> {
        let mut taken = 0;
        loop {
            if taken >= READ_BUDGET {
                return Ok(ReadOutcome::Yield);
            }
            if self.rend == self.rbuf.len() {
                if self.rstart > 0 {
                    self.compact();
                } else if self.rbuf.len() < READ_BUF_MAX {
                    // (Empty after `release_read_buffer`: start at a page.)
                    self.rbuf.resize((self.rbuf.len() * 2).max(READ_BUF_MIN), 0);
                } else {
                    // The decoder's head limit is below the largest buffer,
                    // so a full buffer with nothing consumable is malformed.
                    return Err(ErrorKind::Parse);
                }
            }
            match io.read(&mut self.rbuf[self.rend..]) {
                Ok(0) => return self.on_eof(now(), out),
                Ok(n) => {
                    let room = self.rbuf.len() - self.rend;
                    self.rend += n;
                    taken += n;
                    let t = now();
                    if !self.decode_buffered(t, out)? {
                        return Ok(ReadOutcome::Closed);
                    }
                    if n < room {
                        if stop_on_short_read {
                            return Ok(ReadOutcome::Open);
                        }
                    } else if self.rbuf.len() < READ_BUF_MAX {
                        // A read that filled the buffer means big responses:
                        // read them in fewer, larger syscalls.
                        self.compact();
                        self.rbuf.resize(self.rbuf.len() * 2, 0);
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    return Ok(ReadOutcome::Open);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(ErrorKind::from_io_error(&e)),
            }
        }
    }

    fn reset_socket_state(&mut self) {
        self.written = 0;
        self.write_off = 0;
        self.rstart = 0;
        self.rend = 0;
        self.decoder.reset();
        self.expect_next();
    }
}

fn parse_error(_: DecodeError) -> ErrorKind {
    ErrorKind::Parse
}

impl<C: Sink> Session for HttpConn<C> {
    fn on_connected(&mut self, _now: u64) {
        self.reset_socket_state();
    }

    fn restart_waiting(&mut self, now: u64) {
        for ex in self.queue.iter_mut() {
            ex.intended = now;
        }
    }

    /// HTTP requests may wait for a connection, so room is the pipeline's.
    fn room(&self) -> usize {
        self.pipeline.saturating_sub(self.queue.len())
    }

    /// Requests assigned and not yet settled.
    fn queued(&self) -> usize {
        self.queue.len()
    }

    /// True when some assigned request still has bytes to write.
    fn wants_write(&self) -> bool {
        self.written < self.queue.len()
    }

    fn answered(&self) -> u64 {
        self.answered
    }

    /// Assigns a request intended at `intended` to this slot.
    fn push(&mut self, intended: u64) {
        self.queue.push_back(Exchange {
            intended,
            sent: 0,
            request: None,
            head: self.head_request,
        });
    }

    /// Reads and decodes until the socket would block, recording each
    /// response (see [`HttpConn::read_into`]).
    fn read<R: Read + Write, F: FnMut() -> u64>(
        &mut self,
        io: &mut R,
        stop_on_short_read: bool,
        now: &mut F,
        rec: &mut Recorder,
    ) -> Result<ReadOutcome, ErrorKind> {
        self.read_into(io, stop_on_short_read, now, rec)
    }

    /// Fails every written, unanswered request with `kind` and prepares the
    /// slot for a new socket; unwritten requests stay queued. Returns how
    /// many failed.
    fn fail_in_flight(&mut self, kind: ErrorKind, rec: &mut Recorder) -> u64 {
        let lost = self.take_in_flight();
        rec.failed(kind, lost);
        lost
    }

    fn abandon_in_flight(&mut self, rec: &mut Recorder) {
        let n = self.take_in_flight();
        rec.abandoned(n);
    }

    /// Prepares the slot for a new socket after a clean close: requests the
    /// server never answered go out again on the new socket.
    fn requeue_unanswered(&mut self, _rec: &mut Recorder) {
        self.reset_socket_state();
    }

    /// Fails up to `n` of the assigned requests (oldest first) without a
    /// socket to blame them on, e.g. when connecting for them failed.
    fn fail_queued(&mut self, kind: ErrorKind, n: usize, rec: &mut Recorder) -> u64 {
        debug_assert_eq!(self.written, 0);
        let n = n.min(self.queue.len());
        self.queue.drain(..n);
        rec.failed(kind, n as u64);
        n as u64
    }

    /// At the end of the run: drops requests not yet started and returns
    /// how many there were. A request partly written stays, to be finished.
    fn take_unwritten(&mut self) -> u64 {
        let keep = self.written + usize::from(self.write_off > 0);
        let n = self.queue.len() - keep;
        self.queue.truncate(keep);
        n as u64
    }

    fn flush<W: Write>(
        &mut self,
        io: &mut W,
        now: u64,
        _rec: &mut Recorder,
    ) -> Result<(), ErrorKind> {
        self.write_requests(io, now)
    }

    /// The oldest request passed its timeout. HTTP/1.1 cannot cancel one
    /// request on a connection, so the connection is given up and every
    /// written request on it counts as timed out.
    fn poll_timeout(&self, timeout_ns: u64) -> Option<u64> {
        self.oldest_sent()
            .map(|sent| sent.saturating_add(timeout_ns))
    }

    fn handle_timeout(&mut self, now: u64, timeout_ns: u64, rec: &mut Recorder) -> TimerOutcome {
        match self.oldest_sent() {
            Some(sent) if now.saturating_sub(sent) >= timeout_ns => {
                self.fail_in_flight(ErrorKind::Timeout, rec);
                TimerOutcome::Reconnect
            }
            _ => TimerOutcome::Keep,
        }
    }

    /// HTTP/1.1 has no goodbye beyond closing the socket.
    fn begin_close(&mut self, _now: u64, _rec: &mut Recorder) {}

    fn settled(&self, _now: u64) -> bool {
        self.queue.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hornet_http1::Limits;
    use std::io::Cursor;

    const REQ: &[u8] = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    const RESP: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

    /// An in-memory stream: reads from `input` then WouldBlock (or EOF),
    /// writes at most `write_cap` bytes per call.
    struct Mem {
        input: Cursor<Vec<u8>>,
        eof: bool,
        out: Vec<u8>,
        write_cap: usize,
    }

    impl Read for Mem {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.input.read(buf)?;
            if n == 0 && !self.eof {
                return Err(io::ErrorKind::WouldBlock.into());
            }
            Ok(n)
        }
    }

    impl Write for Mem {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if self.write_cap == 0 {
                return Err(io::ErrorKind::WouldBlock.into());
            }
            let n = buf.len().min(self.write_cap);
            self.out.extend_from_slice(&buf[..n]);
            self.write_cap -= n;
            Ok(n)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    /// Keeps every status and body byte it is shown.
    #[derive(Default)]
    struct Kept {
        statuses: Vec<u16>,
        body: Vec<u8>,
    }

    impl Sink for Kept {
        fn head(&mut self, head: &hornet_http1::ResponseHead<'_>) {
            self.statuses.push(head.status);
        }
        fn body(&mut self, chunk: &[u8]) {
            self.body.extend_from_slice(chunk);
        }
    }

    /// Collects the answers a connection hands out.
    #[derive(Default)]
    struct Answers(Vec<(u64, u16, u64, u64)>);

    impl Responses for Answers {
        fn response(&mut self, ex: &Exchange, status: u16, body_len: u64, now: u64) {
            self.0.push((ex.intended, status, body_len, now));
        }
    }

    #[test]
    fn requests_with_their_own_bytes_and_head_flags_are_answered_in_order() {
        let mut conn = HttpConn::with_capture(
            Limits::default(),
            false,
            2,
            false,
            Bytes::new(),
            Kept::default(),
        );
        let a: &[u8] = b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n";
        let b: &[u8] = b"HEAD /b HTTP/1.1\r\nHost: x\r\n\r\n";
        conn.push_request(10, Bytes::from_static(a), false);
        conn.push_request(20, Bytes::from_static(b), true);
        let mut io = mem(
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n",
            false,
            usize::MAX,
        );
        conn.write_requests(&mut io, 30).unwrap();
        assert_eq!(
            io.out,
            [a, b].concat(),
            "each request's own bytes, in order"
        );
        let mut answers = Answers::default();
        let outcome = conn.read_into(&mut io, false, &mut || 40, &mut answers);
        assert_eq!(outcome, Ok(ReadOutcome::Open));
        // The HEAD answer's Content-Length announces no body to read.
        assert_eq!(answers.0, vec![(10, 200, 2, 40), (20, 204, 0, 40)]);
        assert_eq!(conn.capture().statuses, vec![200, 204]);
        assert_eq!(conn.capture().body, b"ok");
        assert_eq!(conn.queued(), 0);
    }

    #[test]
    fn a_released_read_buffer_is_allocated_again_by_the_next_read() {
        let mut conn = conn_with(1);
        conn.release_read_buffer();
        assert!(conn.rbuf.is_empty());
        conn.push(0);
        let mut io = mem(RESP, false, usize::MAX);
        conn.write_requests(&mut io, 1).unwrap();
        let mut rec = Recorder::new();
        assert_eq!(
            conn.read_into(&mut io, true, &mut || 2, &mut rec),
            Ok(ReadOutcome::Open)
        );
        assert_eq!(rec.current().counters.completed, 1);
        assert_eq!(conn.rbuf.len(), READ_BUF_MIN);
    }

    fn conn_with(pipeline: usize) -> HttpConn {
        HttpConn::new(
            Limits::default(),
            false,
            pipeline,
            false,
            Bytes::from_static(REQ),
        )
    }

    fn mem(input: &[u8], eof: bool, write_cap: usize) -> Mem {
        Mem {
            input: Cursor::new(input.to_vec()),
            eof,
            out: Vec::new(),
            write_cap,
        }
    }

    #[test]
    fn pipelined_requests_complete_in_order_with_times() {
        let mut conn = conn_with(3);
        let mut rec = Recorder::new();
        for i in 0..3 {
            conn.push(i * 10);
        }
        let mut io = mem(&RESP.repeat(3), false, usize::MAX);
        conn.flush(&mut io, 100, &mut rec).unwrap();
        assert_eq!(io.out, REQ.repeat(3));
        assert_eq!(conn.in_flight(), 3);
        let out = conn.read(&mut io, false, &mut || 1_100, &mut rec).unwrap();
        assert_eq!(out, ReadOutcome::Open);
        assert_eq!(conn.queued(), 0);
        let m = rec.current();
        assert_eq!(m.counters.completed, 3);
        // Corrected latency counts from the intended time, uncorrected from
        // the write at t=100.
        assert_eq!(m.latency_uncorrected.max(), 1);
        assert_eq!(m.latency.len(), 3);
    }

    #[test]
    fn partial_writes_resume_and_stamp_first_byte() {
        let mut conn = conn_with(2);
        let mut rec = Recorder::new();
        conn.push(0);
        conn.push(0);
        let mut io = mem(b"", false, 5);
        conn.write_requests(&mut io, 7).unwrap();
        assert_eq!(conn.in_flight(), 0);
        io.write_cap = REQ.len();
        conn.write_requests(&mut io, 9).unwrap();
        assert_eq!(conn.in_flight(), 1);
        io.write_cap = usize::MAX;
        conn.write_requests(&mut io, 11).unwrap();
        assert_eq!(io.out, REQ.repeat(2));
        assert_eq!(conn.oldest_sent(), Some(7));
        assert_eq!(conn.take_unwritten(), 0);
        assert_eq!(conn.fail_in_flight(ErrorKind::Reset, &mut rec), 2);
    }

    #[test]
    fn connection_close_requeues_unanswered() {
        let mut conn = conn_with(2);
        let mut rec = Recorder::new();
        conn.push(0);
        conn.push(0);
        let close = b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";
        let mut io = mem(close, false, usize::MAX);
        conn.write_requests(&mut io, 1).unwrap();
        let out = conn.read(&mut io, false, &mut || 2, &mut rec).unwrap();
        assert_eq!(out, ReadOutcome::Closed);
        conn.requeue_unanswered(&mut rec);
        assert_eq!(conn.queued(), 1);
        assert!(conn.wants_write());
        assert_eq!(rec.current().counters.failed, 0);
    }

    #[test]
    fn eof_mid_response_fails_as_closed_early() {
        let mut conn = conn_with(1);
        let mut rec = Recorder::new();
        conn.push(0);
        let mut io = mem(&RESP[..10], true, usize::MAX);
        conn.write_requests(&mut io, 1).unwrap();
        let err = conn.read(&mut io, false, &mut || 2, &mut rec).unwrap_err();
        assert_eq!(err, ErrorKind::ClosedEarly);
        assert_eq!(conn.fail_in_flight(err, &mut rec), 1);
        assert_eq!(rec.current().counters.failed, 1);
    }

    #[test]
    fn read_until_close_body_completes_on_eof() {
        let mut conn = conn_with(1);
        let mut rec = Recorder::new();
        conn.push(0);
        let mut io = mem(b"HTTP/1.0 200 OK\r\n\r\nhello", true, usize::MAX);
        conn.write_requests(&mut io, 1).unwrap();
        let out = conn.read(&mut io, false, &mut || 2, &mut rec).unwrap();
        assert_eq!(out, ReadOutcome::Closed);
        assert_eq!(rec.current().counters.completed, 1);
    }

    #[test]
    fn garbage_and_unsolicited_responses_are_parse_errors() {
        let mut conn = conn_with(1);
        let mut rec = Recorder::new();
        let mut io = mem(RESP, false, usize::MAX);
        assert_eq!(
            conn.read(&mut io, false, &mut || 1, &mut rec).unwrap_err(),
            ErrorKind::Parse
        );
        let mut conn = conn_with(1);
        conn.push(0);
        let mut io = mem(b"SSH-2.0-OpenSSH\r\n\r\n", false, usize::MAX);
        conn.write_requests(&mut io, 1).unwrap();
        assert_eq!(
            conn.read(&mut io, false, &mut || 1, &mut rec).unwrap_err(),
            ErrorKind::Parse
        );
    }

    #[test]
    fn large_bodies_grow_the_buffer_and_decode() {
        let mut conn = conn_with(1);
        let mut rec = Recorder::new();
        conn.push(0);
        let body = vec![b'x'; 600_000];
        let mut resp =
            format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", body.len()).into_bytes();
        resp.extend_from_slice(&body);
        let mut io = mem(&resp, false, usize::MAX);
        conn.write_requests(&mut io, 1).unwrap();
        // 600 KB is more than one pass's budget: the first pass yields,
        // the next one finishes the response.
        let mut out = conn.read(&mut io, true, &mut || 2, &mut rec).unwrap();
        assert_eq!(out, ReadOutcome::Yield);
        let mut passes = 1;
        while out == ReadOutcome::Yield && passes < 10 {
            out = conn.read(&mut io, true, &mut || 2, &mut rec).unwrap();
            passes += 1;
        }
        assert_eq!(out, ReadOutcome::Open);
        assert_eq!(passes, 2);
        assert_eq!(rec.current().counters.completed, 1);
        assert_eq!(conn.rbuf.len(), READ_BUF_MAX);
    }

    /// A stream that never runs dry: every read fills the buffer.
    struct Endless(u64);

    impl Read for Endless {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            for (i, b) in buf.iter_mut().enumerate() {
                // `1\r\nx\r\n` forever: one-byte chunks.
                *b = b"1\r\nx\r\n"[((self.0 + i as u64) % 6) as usize];
            }
            self.0 += buf.len() as u64;
            Ok(buf.len())
        }
    }

    impl Write for Endless {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn an_endless_chunked_body_yields_after_the_read_budget() {
        let mut conn = conn_with(1);
        let mut rec = Recorder::new();
        conn.push(0);
        let mut head = mem(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
            false,
            usize::MAX,
        );
        conn.write_requests(&mut head, 1).unwrap();
        assert_eq!(
            conn.read(&mut head, true, &mut || 2, &mut rec).unwrap(),
            ReadOutcome::Open
        );
        let mut io = Endless(0);
        for _ in 0..3 {
            assert_eq!(
                conn.read(&mut io, true, &mut || 3, &mut rec).unwrap(),
                ReadOutcome::Yield
            );
        }
        // Each pass took about its budget, no more.
        assert!(io.0 >= 3 * READ_BUDGET as u64, "{}", io.0);
        assert!(io.0 < 3 * (READ_BUDGET + READ_BUF_MAX) as u64, "{}", io.0);
        // Still in flight: its timer, due 5 after the write at 1, times
        // it out.
        assert_eq!(conn.poll_timeout(5), Some(6));
        assert_eq!(conn.handle_timeout(5, 5, &mut rec), TimerOutcome::Keep);
        assert_eq!(
            conn.handle_timeout(10, 5, &mut rec),
            TimerOutcome::Reconnect
        );
        assert_eq!(conn.poll_timeout(5), None);
        assert_eq!(rec.current().counters.timed_out, 1);
    }

    #[test]
    fn a_huge_head_is_a_parse_error_not_a_hang() {
        let mut conn = conn_with(1);
        let mut rec = Recorder::new();
        conn.push(0);
        let mut resp = b"HTTP/1.1 200 OK\r\n".to_vec();
        while resp.len() < 200_000 {
            resp.extend_from_slice(
                b"X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n",
            );
        }
        let mut io = mem(&resp, false, usize::MAX);
        conn.write_requests(&mut io, 1).unwrap();
        assert_eq!(
            conn.read(&mut io, true, &mut || 2, &mut rec).unwrap_err(),
            ErrorKind::Parse
        );
    }

    #[test]
    fn responses_split_across_reads_decode() {
        let mut conn = conn_with(1);
        let mut rec = Recorder::new();
        conn.push(0);
        let mut io = mem(&RESP[..20], false, usize::MAX);
        conn.write_requests(&mut io, 1).unwrap();
        let out = conn.read(&mut io, false, &mut || 2, &mut rec).unwrap();
        assert_eq!(out, ReadOutcome::Open);
        io.input = Cursor::new(RESP[20..].to_vec());
        let out = conn.read(&mut io, false, &mut || 3, &mut rec).unwrap();
        assert_eq!(out, ReadOutcome::Open);
    }
}
