//! A user's HTTP connection: a non-blocking socket driven by the same
//! client as `hornet http` ([`crate::proto::http::HttpConn`]), decoding
//! each response into the step's [`Capture`]. Like Locust's `HttpUser`,
//! each user holds its own keep-alive connection and opens a new one when
//! the server closes it.

use std::io;
use std::net::SocketAddr;

use bytes::Bytes;
use hornet_http1::Limits;
use mio::Token;

use super::exchange::Capture;
use crate::engine::link;
use crate::metrics::tls::TlsMetrics;
use crate::metrics::ErrorKind;
use crate::proto::http::{Exchange, HttpConn as Client, Responses};
use crate::proto::{ReadOutcome, Session};
use crate::tls::{Net, TlsClient, Transport};

/// Render buffers above this are freed when the user goes idle, so 10,000
/// users that once sent a large body do not keep it all resident.
const KEEP_CAPACITY: usize = 64 * 1024;

/// One user's connection.
#[derive(Debug)]
pub struct HttpConn {
    stream: Transport,
    /// The connect completed.
    pub connected: bool,
    /// The poller reported the peer's FIN: every later pass reads to the
    /// end to see it (edge-triggered: it is not announced again).
    peer_closed: bool,
    client: Client<Capture>,
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
        /// When the bytes that completed it were read (run clock, ns): its
        /// completion time, with no further clock read.
        at: u64,
    },
}

/// The one answer a user waits for: body length and completion time.
#[derive(Default)]
struct Answer(Option<(u64, u64)>);

impl Responses for Answer {
    fn response(&mut self, _ex: &Exchange, _status: u16, body_len: u64, now: u64) {
        self.0 = Some((body_len, now));
    }
}

impl HttpConn {
    /// Starts a non-blocking connect (TLS when `tls` is given) and
    /// registers the socket.
    pub fn connect(
        addr: SocketAddr,
        tls: Option<&TlsClient>,
        registry: &Net,
        token: Token,
    ) -> io::Result<HttpConn> {
        let stream = link::open(addr, tls, registry, token)?;
        Ok(HttpConn {
            stream,
            connected: false,
            peer_closed: false,
            client: Client::with_capture(
                Limits::default(),
                false,
                1,
                false,
                Bytes::new(),
                Capture::default(),
            ),
        })
    }

    /// Deregisters the socket (it closes when dropped), counting the TLS
    /// failure that broke it, if one did.
    pub fn close(self, registry: &Net, tls: &mut TlsMetrics) {
        close_counting(self.stream, registry, tls);
    }

    /// The buffer a request is rendered into: the client's own, written
    /// from where it lies (no copy or allocation per request).
    pub fn out(&mut self) -> &mut Vec<u8> {
        self.client.render_buf()
    }

    /// What the response is decoded into.
    pub fn capture(&mut self) -> &mut Capture {
        self.client.capture()
    }

    /// Hands the request just rendered to the client (`head`: a HEAD
    /// request, whose response has no body).
    pub fn queue(&mut self, intended: u64, head: bool) {
        self.client.push_rendered(intended, head);
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

    /// Writes what is queued (`now`: the send time of a request whose first
    /// byte goes out).
    pub fn flush(&mut self, now: u64) -> Result<(), ErrorKind> {
        self.client.write_requests(&mut self.stream, now)
    }

    /// True when queued bytes wait for the socket.
    pub fn wants_write(&self) -> bool {
        self.client.wants_write()
    }

    /// Reads and decodes until the response completes, the socket would
    /// block, or the pass has read its budget. A read that came back short
    /// ends the pass without the extra read that would only say
    /// `WouldBlock` (one `recv` per response, as `hornet http`), unless the
    /// event reported the peer's FIN (`read_closed`), which must be read to
    /// be seen.
    pub fn read(
        &mut self,
        now: &mut dyn FnMut() -> u64,
        read_closed: bool,
    ) -> Result<ReadResult, ErrorKind> {
        self.peer_closed |= read_closed;
        let stop_on_short_read = !self.peer_closed && self.stream.short_read_ends_pass();
        let mut answer = Answer::default();
        let outcome = self.client.read_into(
            &mut self.stream,
            stop_on_short_read,
            &mut || now(),
            &mut answer,
        );
        Ok(match (outcome, answer.0) {
            // Answered, and the server keeps the connection.
            (Ok(ReadOutcome::Open), Some((body_len, at))) if !self.client.has_buffered() => {
                ReadResult::Done {
                    keep_alive: true,
                    body_len,
                    at,
                }
            }
            // Answered, then the server closed, said `Connection: close`,
            // kept sending, or sent bytes nobody asked for: the answer
            // stands, the connection does not.
            (_, Some((body_len, at))) => ReadResult::Done {
                keep_alive: false,
                body_len,
                at,
            },
            (Ok(ReadOutcome::Open), None) => ReadResult::Pending,
            (Ok(ReadOutcome::Yield), None) => ReadResult::More,
            (Ok(ReadOutcome::Closed | ReadOutcome::Rejected), None) => {
                return Err(ErrorKind::ClosedEarly)
            }
            (Err(kind), None) => return Err(kind),
        })
    }

    /// Frees the read buffer and an oversized render buffer while the user
    /// pauses: 10,000 thinking users then hold no read buffers (4 KiB
    /// each otherwise), and the next response allocates one again.
    pub fn trim(&mut self) {
        self.client.release_read_buffer();
        self.client.release_render_buf(KEEP_CAPACITY);
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
    let usable = link::advance(stream, clock, tls)?;
    *connected = usable;
    Ok(usable)
}

/// Closes a user's socket, counting the TLS failure that broke it.
pub fn close_counting(stream: Transport, registry: &Net, tls: &mut TlsMetrics) {
    link::close(stream, registry, tls);
}
