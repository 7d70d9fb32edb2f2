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
//! the worker's [`Recorder`]. A profile's virtual user renders its request
//! into the slot's render buffer and writes it from there
//! ([`HttpConn::push_rendered`]: no allocation or copy per request), decodes the response
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
    /// Where its serialized request lies.
    pub request: RequestBytes,
    /// A HEAD request: its response has no body whatever its headers say.
    pub head: bool,
}

/// Where an exchange's request bytes lie.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestBytes {
    /// The slot's shared request (`hornet http`).
    Shared,
    /// A buffer of its own ([`HttpConn::push_request`]).
    Own(Bytes),
    /// `rendered[start..end]` of the slot's render buffer (a profile step's
    /// request, rendered in place: [`HttpConn::push_rendered`]).
    Rendered {
        /// First byte.
        start: usize,
        /// One past the last byte.
        end: usize,
    },
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
    /// Profile requests are rendered here and written from here: no
    /// allocation or copy per request. Emptied (capacity kept) whenever no
    /// queued exchange refers to it.
    rendered: Vec<u8>,
    /// `rendered[..claimed]` belongs to queued exchanges; bytes after it
    /// are the next request being rendered.
    claimed: usize,
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
            rendered: Vec::new(),
            claimed: 0,
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
        self.push_exchange(intended, RequestBytes::Own(request), head);
    }

    pub(super) fn push_exchange(&mut self, intended: u64, request: RequestBytes, head: bool) {
        self.queue.push_back(Exchange {
            intended,
            sent: 0,
            request,
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
            let result = if pending == 1 {
                // One request (every profile user, any unpipelined slot):
                // a plain write, without filling an iovec array.
                io.write(&self.bytes_of(self.written)[self.write_off..])
            } else {
                let mut iov: [IoSlice<'_>; MAX_IOV] = [IoSlice::new(&[]); MAX_IOV];
                for (i, slot) in iov.iter_mut().take(pending).enumerate() {
                    *slot = IoSlice::new(self.bytes_of(self.written + i));
                }
                iov[0] = IoSlice::new(&self.bytes_of(self.written)[self.write_off..]);
                io.write_vectored(&iov[..pending])
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
        match &self.queue[i].request {
            RequestBytes::Shared => &self.request,
            RequestBytes::Own(b) => b,
            RequestBytes::Rendered { start, end } => &self.rendered[*start..*end],
        }
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
        if matches!(ex.request, RequestBytes::Rendered { .. }) {
            self.settle_rendered();
        }
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
        self.settle_rendered();
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
            request: RequestBytes::Shared,
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
        self.settle_rendered();
        rec.failed(kind, n as u64);
        n as u64
    }

    /// At the end of the run: drops requests not yet started and returns
    /// how many there were. A request partly written stays, to be finished.
    fn take_unwritten(&mut self) -> u64 {
        let keep = self.written + usize::from(self.write_off > 0);
        let n = self.queue.len() - keep;
        self.queue.truncate(keep);
        self.settle_rendered();
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

mod render;
#[cfg(test)]
mod tests;
