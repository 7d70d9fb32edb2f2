//! [`TlsStream`]: a rustls connection and a non-blocking socket, behaving
//! like the socket (`Read`/`Write`, `WouldBlock` when it would block) with
//! TLS in between.
//!
//! Two properties matter to an edge-triggered event loop:
//! - A `WouldBlock` from `read` means the socket was drained, so a readiness
//!   event will come when more arrives. To keep plain sockets' two-syscall
//!   floor (one read, one write per request), the stream remembers whether
//!   its last socket read came back short; if so, the socket was empty at
//!   that moment and the next `read` with no plaintext left answers
//!   `WouldBlock` without another syscall.
//! - `write` accepts plaintext as long as rustls' buffer has room, and
//!   pushes records to the socket until it would block. Records still
//!   queued are pushed by [`TlsStream::flush_tls`], which the loop calls on
//!   every writable event.
//!
//! A TLS failure (`process_new_packets` error) is kept so the caller can
//! classify it; the `io::Error` it surfaces as wraps the same
//! `rustls::Error`.

use std::io::{self, IoSlice, Read, Write};
use std::ops::{Deref, DerefMut};

use rustls::{ConnectionCommon, SideData};

/// A TLS connection over a non-blocking socket `S`.
#[derive(Debug)]
pub struct TlsStream<C, S> {
    conn: C,
    sock: S,
    /// The last socket read returned fewer bytes than asked: the socket was
    /// empty then, and the event loop will be told when that changes.
    drained: bool,
    /// The TLS error that broke the connection, if one did.
    error: Option<rustls::Error>,
}

/// Wraps the socket during `read_tls` to see whether the read came back
/// short.
struct ShortRead<'a, S> {
    sock: &'a mut S,
    short: bool,
}

impl<S: Read> Read for ShortRead<'_, S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.sock.read(buf)?;
        self.short = n < buf.len();
        Ok(n)
    }
}

impl<C, S, D> TlsStream<C, S>
where
    C: DerefMut + Deref<Target = ConnectionCommon<D>>,
    S: Read + Write,
    D: SideData,
{
    /// Wraps `sock`, connected or still connecting, with `conn`.
    pub fn new(conn: C, sock: S) -> TlsStream<C, S> {
        TlsStream {
            conn,
            sock,
            drained: false,
            error: None,
        }
    }

    /// The rustls connection (handshake kind, negotiated version, ...).
    pub fn conn(&self) -> &C {
        &self.conn
    }

    /// The socket.
    pub fn sock(&self) -> &S {
        &self.sock
    }

    /// The socket, e.g. to register it with a poller.
    pub fn sock_mut(&mut self) -> &mut S {
        &mut self.sock
    }

    /// The poller reported the socket readable: forget that it was drained.
    /// Call on every readable event, so a read pass that stopped before
    /// `WouldBlock` cannot leave a stale "drained" that hides new data.
    pub fn readable(&mut self) {
        self.drained = false;
    }

    /// True until the handshake has completed.
    pub fn is_handshaking(&self) -> bool {
        self.conn.is_handshaking()
    }

    /// True while TLS records are queued for the socket.
    pub fn wants_write(&self) -> bool {
        self.conn.wants_write()
    }

    /// The TLS error that broke the connection, taken (reported once).
    pub fn take_error(&mut self) -> Option<rustls::Error> {
        self.error.take()
    }

    /// Advances the handshake as far as the socket allows. `Ok(true)` once
    /// it is complete; `Ok(false)` while it waits for the socket; an error
    /// if the peer closed or TLS failed (the TLS error is kept, see
    /// [`TlsStream::take_error`]).
    pub fn handshake(&mut self) -> io::Result<bool> {
        self.advance_handshake(false)
    }

    /// Like [`TlsStream::handshake`], but once the handshake completes its
    /// last flight (a client's Finished) stays queued, so the caller's first
    /// write carries it in the same syscall. The caller must write or call
    /// [`TlsStream::flush_tls`] right after `Ok(true)`.
    pub fn handshake_coalescing(&mut self) -> io::Result<bool> {
        self.advance_handshake(true)
    }

    fn advance_handshake(&mut self, coalesce: bool) -> io::Result<bool> {
        loop {
            if coalesce && !self.conn.is_handshaking() {
                return Ok(true);
            }
            self.flush_tls()?;
            if !self.conn.is_handshaking() {
                return Ok(true);
            }
            if !self.conn.wants_read() {
                // Waiting for the socket to take our flight.
                return Ok(false);
            }
            match self.conn.read_tls(&mut self.sock) {
                Ok(0) => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "peer closed the connection during the TLS handshake",
                    ))
                }
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
            self.process()?;
        }
    }

    /// Writes queued TLS records until none are left or the socket would
    /// block (not an error: the rest goes on the next writable event).
    pub fn flush_tls(&mut self) -> io::Result<()> {
        while self.conn.wants_write() {
            match self.conn.write_tls(&mut self.sock) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Queues a close_notify alert and tries to send it.
    pub fn send_close_notify(&mut self) -> io::Result<()> {
        self.conn.send_close_notify();
        self.flush_tls()
    }

    /// Processes received records; on a TLS error, sends the alert rustls
    /// queued for the peer, keeps the error, and surfaces it as `InvalidData`.
    fn process(&mut self) -> io::Result<()> {
        match self.conn.process_new_packets() {
            Ok(_) => Ok(()),
            Err(e) => {
                let _ = self.flush_tls();
                self.error = Some(e.clone());
                Err(io::Error::new(io::ErrorKind::InvalidData, e))
            }
        }
    }
}

impl<C, S, D> Read for TlsStream<C, S>
where
    C: DerefMut + Deref<Target = ConnectionCommon<D>>,
    S: Read + Write,
    D: SideData,
{
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            // Plaintext decrypted before a TLS error still goes out first:
            // a response that arrived whole completes even if a bad record
            // followed it in the same read.
            let failed = self.error.is_some();
            match self.conn.reader().read(buf) {
                Ok(n) if n > 0 || buf.is_empty() || !failed => return Ok(n),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                // The peer closed without close_notify. For a load tester
                // that is an end of stream like any other: a truncated
                // response is caught by the HTTP framing, not by TLS.
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof && !failed => return Ok(0),
                Err(e) if !failed => return Err(e),
                Err(_) => {}
            }
            if let Some(e) = &self.error {
                return Err(io::Error::new(io::ErrorKind::InvalidData, e.clone()));
            }
            if std::mem::take(&mut self.drained) {
                return Err(io::ErrorKind::WouldBlock.into());
            }
            let mut sock = ShortRead {
                sock: &mut self.sock,
                short: false,
            };
            match self.conn.read_tls(&mut sock) {
                Ok(_) => self.drained = sock.short,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
            if self.process().is_err() {
                // The error is kept; the loop hands out what was decrypted
                // before it, then returns it.
                continue;
            }
            // Reading can queue records (a key update, an alert): send them.
            self.flush_tls()?;
        }
    }
}

impl<C, S, D> Write for TlsStream<C, S>
where
    C: DerefMut + Deref<Target = ConnectionCommon<D>>,
    S: Read + Write,
    D: SideData,
{
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_vectored(&[IoSlice::new(buf)])
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        // Queue first, then one flush: records already queued (a client's
        // Finished, see `handshake_coalescing`) leave in the same writev.
        // rustls' send buffer is bounded, so the queue cannot outgrow what
        // the socket takes.
        let mut n = self.conn.writer().write_vectored(bufs)?;
        self.flush_tls()?;
        if n == 0 && bufs.iter().any(|b| !b.is_empty()) {
            // The buffer was full; the flush may have made room.
            n = self.conn.writer().write_vectored(bufs)?;
            self.flush_tls()?;
            if n == 0 {
                // Still full after a flush, so the socket would block: its
                // writable edge will come.
                return Err(io::ErrorKind::WouldBlock.into());
            }
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.flush_tls()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::net::UnixStream;
    use std::sync::Arc;

    use hornet_testpki::{client, leaf, Ca, Validity, SERVER_NAMES};
    use rustls::pki_types::ServerName;
    use rustls::{ClientConnection, ServerConfig, ServerConnection};

    /// A socket that counts its reads, to see the syscalls a pass makes.
    struct Counted {
        sock: UnixStream,
        reads: usize,
    }

    impl Read for Counted {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.reads += 1;
            self.sock.read(buf)
        }
    }

    impl Write for Counted {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.sock.write(buf)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    type Client = TlsStream<ClientConnection, Counted>;
    type Server = TlsStream<ServerConnection, UnixStream>;

    /// A client and a server over a non-blocking socket pair, handshaken.
    fn pair() -> (Client, Server) {
        let ca = Ca::new("stream test CA");
        let cert = leaf(&ca, SERVER_NAMES, Validity::CURRENT);
        let server_config = ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::aws_lc_rs::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(cert.chain(), cert.key_der())
        .unwrap();
        let client_config = client::config(&ca, None, rustls::DEFAULT_VERSIONS);
        let (a, b) = UnixStream::pair().unwrap();
        a.set_nonblocking(true).unwrap();
        b.set_nonblocking(true).unwrap();
        let name = ServerName::try_from("localhost").unwrap();
        let conn = ClientConnection::new(Arc::new(client_config), name).unwrap();
        let mut c = TlsStream::new(conn, Counted { sock: a, reads: 0 });
        let conn = ServerConnection::new(Arc::new(server_config)).unwrap();
        let mut s = TlsStream::new(conn, b);
        // Both sides advance as far as the socket allows, in turn.
        for _ in 0..20 {
            let done_c = c.handshake().unwrap();
            let done_s = s.handshake().unwrap();
            if done_c && done_s {
                return (c, s);
            }
        }
        panic!("handshake did not finish");
    }

    /// Reads until `n` bytes arrived, driving `peer` in between (it may
    /// owe records), with a bound.
    fn read_exactly<R: Read>(r: &mut R, n: usize, mut peer: impl FnMut()) -> Vec<u8> {
        let mut got = Vec::new();
        let mut buf = [0u8; 8192];
        for _ in 0..100_000 {
            if got.len() >= n {
                return got;
            }
            match r.read(&mut buf) {
                Ok(0) => break,
                Ok(k) => got.extend_from_slice(&buf[..k]),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => peer(),
                Err(e) => panic!("read: {e}"),
            }
        }
        panic!("only {} of {n} bytes arrived", got.len());
    }

    #[test]
    fn a_short_read_ends_the_pass_without_another_syscall() {
        let (mut c, mut s) = pair();
        c.write_all(b"ping").unwrap();
        assert_eq!(read_exactly(&mut s, 4, || {}), b"ping");
        s.write_all(b"pong").unwrap();
        c.readable();
        let before = c.sock().reads;
        let mut buf = [0u8; 64];
        // The server's tickets may come first: read until the reply.
        let mut got = Vec::new();
        while got.len() < 4 {
            match c.read(&mut buf) {
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => panic!("{e}"),
            }
        }
        assert_eq!(got, b"pong");
        let reads = c.sock().reads - before;
        // The pass is over: the socket came back short, so WouldBlock now
        // costs no further read.
        assert_eq!(
            c.read(&mut buf).unwrap_err().kind(),
            io::ErrorKind::WouldBlock
        );
        assert_eq!(c.sock().reads - before, reads, "no read after a short one");
        // A new readiness event forgets the drained state.
        c.readable();
        assert_eq!(
            c.read(&mut buf).unwrap_err().kind(),
            io::ErrorKind::WouldBlock
        );
        assert_eq!(c.sock().reads - before, reads + 1);
    }

    #[test]
    fn a_megabyte_each_way_arrives_whole_through_a_full_socket() {
        let (mut c, mut s) = pair();
        let data: Vec<u8> = (0..1 << 20).map(|i| (i % 251) as u8).collect();
        // Write as much as the socket takes, reading on the other side
        // whenever it would block.
        let mut sent = 0;
        let mut received = Vec::new();
        let mut buf = vec![0u8; 64 * 1024];
        for _ in 0..1_000_000 {
            if received.len() == data.len() {
                break;
            }
            if sent < data.len() {
                match c.write(&data[sent..]) {
                    Ok(n) => sent += n,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                    Err(e) => panic!("write: {e}"),
                }
            }
            c.flush_tls().unwrap();
            s.readable();
            match s.read(&mut buf) {
                Ok(n) => received.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => panic!("read: {e}"),
            }
        }
        assert!(
            received == data,
            "{} of {} bytes, in order",
            received.len(),
            data.len()
        );
        s.write_all(&data[..1000]).unwrap();
        s.flush_tls().unwrap();
        c.readable();
        assert_eq!(read_exactly(&mut c, 1000, || {}), &data[..1000]);
    }

    #[test]
    fn close_notify_is_a_clean_end_of_stream() {
        let (mut c, mut s) = pair();
        s.send_close_notify().unwrap();
        c.readable();
        let mut buf = [0u8; 16];
        let mut eof = false;
        for _ in 0..100 {
            match c.read(&mut buf) {
                Ok(0) => {
                    eof = true;
                    break;
                }
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => c.readable(),
                Err(e) => panic!("{e}"),
            }
        }
        assert!(eof);
        assert!(c.take_error().is_none());
    }
}
