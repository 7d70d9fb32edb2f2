//! A user's HTTP connection: a non-blocking socket, its output and input
//! buffers and the response decoder. Like Locust's `HttpUser`, each user
//! holds its own keep-alive connection and opens a new one when the server
//! closes it.

use std::io::{self, Read, Write};
use std::net::SocketAddr;

use hornet_http1::{Limits, ResponseDecoder, Status};
use mio::net::TcpStream;
use mio::{Interest, Registry, Token};

use super::exchange::Capture;
use crate::metrics::ErrorKind;

/// Read buffers grow in steps of this size.
const READ_CHUNK: usize = 4096;
/// Buffers above this are freed when the user goes idle, so 10,000 users
/// that once received a large body do not keep it all resident.
const KEEP_CAPACITY: usize = 64 * 1024;

/// One user's connection.
#[derive(Debug)]
pub struct HttpConn {
    stream: TcpStream,
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
    /// The response is not complete yet.
    Pending,
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
    /// Starts a non-blocking connect and registers the socket.
    pub fn connect(addr: SocketAddr, registry: &Registry, token: Token) -> io::Result<HttpConn> {
        let mut stream = TcpStream::connect(addr)?;
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

    /// Deregisters the socket (it closes when dropped).
    pub fn close(mut self, registry: &Registry) {
        let _ = registry.deregister(&mut self.stream);
    }

    /// The buffer a request is rendered into.
    pub fn out(&mut self) -> &mut Vec<u8> {
        &mut self.out
    }

    /// Prepares the decoder for the response to the request just queued.
    pub fn expect(&mut self, head_request: bool) {
        self.decoder.expect(head_request);
    }

    /// Checks a pending connect on a writable event.
    pub fn finish_connect(&mut self) -> Result<bool, ErrorKind> {
        if !self.connected {
            self.connected = connect_done(&self.stream)?;
        }
        Ok(self.connected)
    }

    /// Writes what is queued. `Ok(true)` when all of it is out.
    pub fn flush(&mut self) -> Result<bool, ErrorKind> {
        write_out(&mut self.stream, &mut self.out, &mut self.written)
    }

    /// True when queued bytes wait for the socket.
    pub fn wants_write(&self) -> bool {
        self.written < self.out.len()
    }

    /// Reads and decodes until the response completes or the socket would
    /// block.
    pub fn read(&mut self, cap: &mut Capture) -> Result<ReadResult, ErrorKind> {
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
            let len = self.input.len();
            if self.input.capacity() - len < READ_CHUNK {
                self.input.reserve(READ_CHUNK);
            }
            let cap_now = self.input.capacity();
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
                Ok(n) => self.input.truncate(len + n),
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

/// Whether a non-blocking connect has completed (`Ok(false)`: not yet).
/// Sets `TCP_NODELAY` once it has: requests are written whole.
pub fn connect_done(stream: &TcpStream) -> Result<bool, ErrorKind> {
    if let Ok(Some(e)) | Err(e) = stream.take_error() {
        return Err(ErrorKind::from_connect_error(&e));
    }
    match stream.peer_addr() {
        Ok(_) => {
            let _ = stream.set_nodelay(true);
            Ok(true)
        }
        Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(false),
        Err(e) => Err(ErrorKind::from_connect_error(&e)),
    }
}

/// Writes `out[*written..]` until done (`Ok(true)`, buffer cleared) or the
/// socket would block (`Ok(false)`).
pub fn write_out(
    stream: &mut TcpStream,
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
