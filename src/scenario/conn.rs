//! A user's HTTP connection: a non-blocking socket, its output and input
//! buffers and the response decoder. Like Locust's `HttpUser`, each user
//! holds its own keep-alive connection and opens a new one when the server
//! closes it.

use std::io::{self, Read, Write};
use std::net::SocketAddr;

use hornet_http1::{Limits, ResponseDecoder, Status};
use mio::{Interest, Registry, Token};

use super::exchange::Capture;
use crate::metrics::tls::TlsMetrics;
use crate::metrics::ErrorKind;
use crate::tls::{Connect, TlsClient, Transport};

/// Read buffers grow in steps of this size.
const READ_CHUNK: usize = 4096;
/// Buffers above this are freed when the user goes idle, so 10,000 users
/// that once received a large body do not keep it all resident.
const KEEP_CAPACITY: usize = 64 * 1024;
/// Most bytes one read pass takes from the socket. Sockets are
/// edge-triggered, so a pass that stops here is resumed by the worker on
/// its next loop turn (see `ReadResult::More`); in between, the loop sees
/// its clock, its timeouts and its stop flag. A peer that never stops
/// sending (an endless chunked body) cannot hold the loop.
pub const READ_BUDGET: usize = 64 * 1024;

/// One user's connection.
#[derive(Debug)]
pub struct HttpConn {
    stream: Transport,
    /// The connect completed.
    pub connected: bool,
    out: Vec<u8>,
    written: usize,
    input: Vec<u8>,
    decoder: ResponseDecoder,
}

/// What a read pass produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadResult {
    /// The response is not complete yet; the socket was drained (a
    /// readiness event comes when more arrives).
    Pending,
    /// The response is not complete yet and the pass stopped at its
    /// budget with bytes possibly left in the socket: read again on the
    /// next loop turn, without waiting for an event.
    More,
    /// The response completed; `keep_alive` says whether the connection can
    /// carry the next request.
    Done {
        /// Whether the connection stays usable.
        keep_alive: bool,
        /// Body bytes.
        body_len: u64,
    },
}

impl HttpConn {
    /// Starts a non-blocking connect (TLS when `tls` is given) and
    /// registers the socket.
    pub fn connect(
        addr: SocketAddr,
        tls: Option<&TlsClient>,
        registry: &Registry,
        token: Token,
    ) -> io::Result<HttpConn> {
        let mut stream = Transport::connect(addr, tls)?;
        registry.register(&mut stream, token, Interest::READABLE | Interest::WRITABLE)?;
        Ok(HttpConn {
            stream,
            connected: false,
            out: Vec::with_capacity(512),
            written: 0,
            input: Vec::new(),
            decoder: ResponseDecoder::new(Limits::default()),
        })
    }

    /// Deregisters the socket (it closes when dropped), counting the TLS
    /// failure that broke it, if one did.
    pub fn close(self, registry: &Registry, tls: &mut TlsMetrics) {
        close_counting(self.stream, registry, tls);
    }

    /// The buffer a request is rendered into.
    pub fn out(&mut self) -> &mut Vec<u8> {
        &mut self.out
    }

    /// Prepares the decoder for the response to the request just queued.
    pub fn expect(&mut self, head_request: bool) {
        self.decoder.expect(head_request);
    }

    /// On a readiness event: advances a pending connect (TCP, then TLS),
    /// or lets a TLS stream send what it has queued. `Ok(true)` once the
    /// connection is usable.
    pub fn on_ready(
        &mut self,
        readable: bool,
        clock: &dyn Fn() -> u64,
        tls: &mut TlsMetrics,
    ) -> Result<bool, ErrorKind> {
        ready(&mut self.stream, &mut self.connected, readable, clock, tls)
    }

    /// Writes what is queued. `Ok(true)` when all of it is out.
    pub fn flush(&mut self) -> Result<bool, ErrorKind> {
        write_out(&mut self.stream, &mut self.out, &mut self.written)
    }

    /// True when queued bytes wait for the socket.
    pub fn wants_write(&self) -> bool {
        self.written < self.out.len()
    }

    /// Reads and decodes until the response completes, the socket would
    /// block, or the pass has read [`READ_BUDGET`] bytes.
    pub fn read(&mut self, cap: &mut Capture) -> Result<ReadResult, ErrorKind> {
        let mut budget = READ_BUDGET;
        loop {
            // Decode what is buffered first: a response may already be whole.
            if !self.input.is_empty() {
                match self.decoder.decode(&self.input, cap) {
                    Ok(Status::Complete { consumed, response }) => {
                        self.input.drain(..consumed);
                        return Ok(ReadResult::Done {
                            keep_alive: response.keep_alive && self.input.is_empty(),
                            body_len: response.body_len,
                        });
                    }
                    Ok(Status::Partial { consumed }) => {
                        self.input.drain(..consumed);
                    }
                    Err(_) => return Err(ErrorKind::Parse),
                }
            }
            if budget == 0 {
                return Ok(ReadResult::More);
            }
            let len = self.input.len();
            if self.input.capacity() - len < READ_CHUNK {
                self.input.reserve(READ_CHUNK);
            }
            let cap_now = self.input.capacity().min(len + budget);
            self.input.resize(cap_now, 0);
            let r = self.stream.read(&mut self.input[len..]);
            match r {
                Ok(0) => {
                    self.input.truncate(len);
                    // A body delimited by the close ends here.
                    return match self.decoder.decode_eof(cap) {
                        Ok(Some(response)) => Ok(ReadResult::Done {
                            keep_alive: false,
                            body_len: response.body_len,
                        }),
                        _ => Err(ErrorKind::ClosedEarly),
                    };
                }
                Ok(n) => {
                    self.input.truncate(len + n);
                    budget -= n;
                }
                Err(e) => {
                    self.input.truncate(len);
                    match e.kind() {
                        io::ErrorKind::WouldBlock => return Ok(ReadResult::Pending),
                        io::ErrorKind::Interrupted => {}
                        _ => return Err(ErrorKind::from_io_error(&e)),
                    }
                }
            }
        }
    }

    /// Frees oversized buffers between requests.
    pub fn trim(&mut self) {
        if self.input.capacity() > KEEP_CAPACITY && self.input.is_empty() {
            self.input = Vec::new();
        }
        if self.out.capacity() > KEEP_CAPACITY && self.out.is_empty() {
            self.out = Vec::new();
        }
    }
}

/// Handles a readiness event on a user's socket: while connecting,
/// advances TCP then TLS (recording the handshake or the TLS failure);
/// once connected, lets TLS forget a drained socket and send queued
/// records. `Ok(true)` when the connection is usable.
pub fn ready(
    stream: &mut Transport,
    connected: &mut bool,
    readable: bool,
    clock: &dyn Fn() -> u64,
    tls: &mut TlsMetrics,
) -> Result<bool, ErrorKind> {
    if *connected {
        stream
            .on_ready(readable)
            .map_err(|e| ErrorKind::from_io_error(&e))?;
        return Ok(true);
    }
    match stream.poll_connect(clock()) {
        Ok(Connect::Pending) => Ok(false),
        Ok(Connect::Ready(handshake)) => {
            if let Some(h) = handshake {
                tls.record_handshake(clock().saturating_sub(h.started), h.resumed);
            }
            *connected = true;
            Ok(true)
        }
        Err(failure) => {
            if let Some(failure) = &failure.tls {
                tls.record_error(failure);
            }
            Err(failure.kind)
        }
    }
}

/// Closes a user's socket, counting the TLS failure that broke it.
pub fn close_counting(stream: Transport, registry: &Registry, tls: &mut TlsMetrics) {
    if let Some(failure) = stream.close(registry) {
        tls.record_error(&failure);
    }
}

/// Writes `out[*written..]` until done (`Ok(true)`, buffer cleared) or the
/// socket would block (`Ok(false)`).
pub fn write_out(
    stream: &mut Transport,
    out: &mut Vec<u8>,
    written: &mut usize,
) -> Result<bool, ErrorKind> {
    while *written < out.len() {
        match stream.write(&out[*written..]) {
            Ok(0) => return Err(ErrorKind::ClosedEarly),
            Ok(n) => *written += n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(ErrorKind::from_io_error(&e)),
        }
    }
    out.clear();
    *written = 0;
    Ok(true)
}
