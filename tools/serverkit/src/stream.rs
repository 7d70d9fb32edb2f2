//! The socket of one accepted connection: plain TCP, or TLS over TCP.
//!
//! The servers' protocol code reads and writes through `Read`/`Write` and
//! treats `WouldBlock` as "wait for the next event", which [`TlsStream`]
//! honours too; so a connection's protocol state runs unchanged over either
//! kind of [`Stream`]. What TLS adds is confined to a few calls the worker
//! makes around the protocol code:
//!
//! - [`Stream::advance_handshake`] at the start of every event, before any
//!   protocol bytes: it says whether to wait, drop the connection, or go
//!   on (and then whether to read at once). [`Stream::handshake`] is the
//!   bare step underneath.
//! - [`Stream::readable`] on every readable event, and
//!   [`Stream::short_read_drains`] to know whether a short `read` proves the
//!   socket empty (TCP: yes; TLS: no, one socket read may carry less or more
//!   than one record, so [`TlsStream`] tracks that itself).
//! - [`Stream::flush_pending`] on every event: rustls may hold records the
//!   socket had no room for after the protocol's output was all accepted.
//! - [`Stream::shutdown_write`] instead of `shutdown(Write)`: close_notify
//!   first, and the FIN only once every record is on the wire.
//!
//! The plain arm of every method is a direct call on the `TcpStream`, and
//! the TLS state is boxed so a plain connection's slab entry stays small.

use std::io::{self, IoSlice, Read, Write};
use std::net::Shutdown;
use std::sync::Arc;

use hornet_tls::rustls::{ServerConfig, ServerConnection};
use hornet_tls::TlsStream;
use mio::net::TcpStream;

/// An accepted connection's socket.
#[derive(Debug)]
pub enum Stream {
    /// Plain TCP.
    Plain(TcpStream),
    /// TLS over TCP, handshaking or established.
    Tls(Box<Tls>),
}

/// The TLS side of a [`Stream`]: the rustls stream and the close state.
#[derive(Debug)]
pub struct Tls {
    stream: TlsStream<ServerConnection, TcpStream>,
    /// close_notify was queued; no further one is sent on drop.
    close_sent: bool,
    /// The FIN waits for queued records to reach the socket.
    fin_pending: bool,
}

/// Where a connection's handshake stands after
/// [`Stream::advance_handshake`]: what the worker does next with the event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum HandshakeStep {
    /// No handshake to run: plain TCP, or TLS established on an earlier
    /// event. Go on with the protocol as the event says.
    NotHandshaking,
    /// The handshake waits for the socket: nothing for the protocol yet.
    Pending,
    /// The handshake completed on this event. Read now, without trusting a
    /// short read to mean a drained socket: the client's first protocol
    /// bytes may have come with its last handshake flight, and the
    /// handshake stopped reading there, so no new edge will announce them.
    Completed,
    /// The handshake failed (the peer closed, a TLS alert or failure, a
    /// client certificate missing or refused): drop the connection. No
    /// protocol byte was handled, so there is nothing to undo.
    Failed,
}

impl Stream {
    /// Wraps an accepted socket; with `tls`, as the server side of a TLS
    /// connection whose handshake has yet to run.
    pub fn new(sock: TcpStream, tls: Option<&Arc<ServerConfig>>) -> io::Result<Stream> {
        match tls {
            None => Ok(Stream::Plain(sock)),
            Some(config) => {
                let conn = ServerConnection::new(Arc::clone(config)).map_err(io::Error::other)?;
                Ok(Stream::Tls(Box::new(Tls {
                    stream: TlsStream::new(conn, sock),
                    close_sent: false,
                    fin_pending: false,
                })))
            }
        }
    }

    /// The TCP socket underneath.
    pub fn socket(&self) -> &TcpStream {
        match self {
            Stream::Plain(sock) => sock,
            Stream::Tls(tls) => tls.stream.sock(),
        }
    }

    /// The TLS stream (negotiated version, ALPN, peer certificates, ...),
    /// if this is a TLS connection.
    pub fn tls(&self) -> Option<&TlsStream<ServerConnection, TcpStream>> {
        match self {
            Stream::Plain(_) => None,
            Stream::Tls(tls) => Some(&tls.stream),
        }
    }

    /// True while a TLS handshake is still to complete.
    #[inline]
    pub fn is_handshaking(&self) -> bool {
        match self {
            Stream::Plain(_) => false,
            Stream::Tls(tls) => tls.stream.is_handshaking(),
        }
    }

    /// Advances the TLS handshake as far as the socket allows: `Ok(true)`
    /// once complete (at once for plain TCP), `Ok(false)` while waiting for
    /// the socket. An error (the peer closed, a TLS alert or failure, a
    /// client certificate missing or refused) means the connection is
    /// unusable; rustls' alert to the peer has been sent best-effort.
    pub fn handshake(&mut self) -> io::Result<bool> {
        match self {
            Stream::Plain(_) => Ok(true),
            Stream::Tls(tls) => tls.stream.handshake(),
        }
    }

    /// Advances a pending handshake (see [`Stream::handshake`]) and says
    /// what the worker does next; call at the start of every event, before
    /// the protocol code touches the stream.
    pub fn advance_handshake(&mut self) -> HandshakeStep {
        if !self.is_handshaking() {
            return HandshakeStep::NotHandshaking;
        }
        match self.handshake() {
            Ok(true) => HandshakeStep::Completed,
            Ok(false) => HandshakeStep::Pending,
            // The error itself is of no use to a test server: whatever
            // went wrong, the connection is done (rustls already sent the
            // peer its alert).
            Err(_) => HandshakeStep::Failed,
        }
    }

    /// The poller reported the socket readable. TLS remembers whether the
    /// socket was drained; a readable event makes that stale.
    #[inline]
    pub fn readable(&mut self) {
        if let Stream::Tls(tls) = self {
            tls.stream.readable();
        }
    }

    /// Whether a `read` shorter than the buffer proves the socket drained,
    /// so that an edge-triggered reader may stop without waiting for
    /// `WouldBlock`. True for TCP. False for TLS: plaintext comes out record
    /// by record, whatever is left in the socket (and [`TlsStream`] already
    /// skips the futile socket read itself).
    #[inline]
    pub fn short_read_drains(&self) -> bool {
        matches!(self, Stream::Plain(_))
    }

    /// Sends TLS records rustls still holds (and then a pending FIN, see
    /// [`Stream::shutdown_write`]) as far as the socket takes them. Call on
    /// every event: after the protocol's output was accepted, records may
    /// remain that only a writable event can move. Nothing to do for TCP.
    #[inline]
    pub fn flush_pending(&mut self) -> io::Result<()> {
        match self {
            Stream::Plain(_) => Ok(()),
            Stream::Tls(tls) => tls.flush_pending(),
        }
    }

    /// Ends the sending side after the last response: for TLS, a
    /// close_notify and then, once every record has reached the socket, the
    /// FIN (a FIN before queued records would truncate them).
    pub fn shutdown_write(&mut self) -> io::Result<()> {
        match self {
            Stream::Plain(sock) => sock.shutdown(Shutdown::Write),
            Stream::Tls(tls) => {
                tls.close_sent = true;
                tls.fin_pending = true;
                tls.stream.send_close_notify()?;
                tls.flush_pending()
            }
        }
    }
}

impl Tls {
    fn flush_pending(&mut self) -> io::Result<()> {
        self.stream.flush_tls()?;
        if self.fin_pending && !self.stream.wants_write() {
            self.fin_pending = false;
            self.stream.sock().shutdown(Shutdown::Write)?;
        }
        Ok(())
    }
}

impl Drop for Tls {
    /// A closing TLS connection tells the peer so (best-effort, never
    /// blocking), unless it already did or TLS itself failed: after a fatal
    /// alert there is nothing more to say.
    fn drop(&mut self) {
        if self.close_sent || self.stream.is_handshaking() || self.stream.take_error().is_some() {
            return;
        }
        let _ = self.stream.send_close_notify();
    }
}

impl Read for Stream {
    #[inline]
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(sock) => sock.read(buf),
            Stream::Tls(tls) => tls.stream.read(buf),
        }
    }
}

impl Write for Stream {
    #[inline]
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(sock) => sock.write(buf),
            Stream::Tls(tls) => tls.stream.write(buf),
        }
    }

    #[inline]
    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        match self {
            Stream::Plain(sock) => sock.write_vectored(bufs),
            Stream::Tls(tls) => tls.stream.write_vectored(bufs),
        }
    }

    #[inline]
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Plain(sock) => sock.flush(),
            Stream::Tls(tls) => tls.stream.flush(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tls::{server_config_der, TlsOptions};
    use hornet_testpki::{client, leaf, Ca, Validity, SERVER_NAMES};
    use hornet_tls::rustls::{self, ClientConfig};
    use std::time::{Duration, Instant};

    /// A server config for a `localhost` certificate from a fresh CA, and a
    /// client config trusting that CA.
    fn configs() -> (Arc<ServerConfig>, Arc<ClientConfig>) {
        let ca = Ca::new("ca");
        let cert = leaf(&ca, SERVER_NAMES, Validity::CURRENT);
        let server =
            server_config_der(cert.chain(), cert.key_der(), None, &TlsOptions::http1()).unwrap();
        let client = client::config(&ca, None, rustls::DEFAULT_VERSIONS);
        (server, Arc::new(client))
    }

    /// Drives `step` on the server side until it returns `Some`, sleeping
    /// briefly in between (the test has no poller); bounded.
    fn until<T>(mut step: impl FnMut() -> Option<T>) -> T {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            if let Some(v) = step() {
                return v;
            }
            assert!(Instant::now() < deadline, "timed out");
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    #[test]
    fn tls_round_trip_and_close_notify() {
        let (server_config, client_config) = configs();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let client = std::thread::spawn(move || {
            let mut tls = client::connect(addr, &client_config);
            tls.write_all(b"ping").unwrap();
            let mut got = [0u8; 4];
            tls.read_exact(&mut got).unwrap();
            assert_eq!(&got, b"pong");
            // The server's shutdown_write: close_notify, so a clean EOF.
            let mut rest = Vec::new();
            tls.read_to_end(&mut rest).unwrap();
            assert!(rest.is_empty());
        });
        let (sock, _) = listener.accept().unwrap();
        sock.set_nonblocking(true).unwrap();
        let mut stream = Stream::new(TcpStream::from_std(sock), Some(&server_config)).unwrap();
        assert!(stream.is_handshaking() && !stream.short_read_drains());
        until(|| stream.handshake().unwrap().then_some(()));
        let mut buf = [0u8; 16];
        let n = until(|| {
            stream.readable();
            match stream.read(&mut buf) {
                Ok(n) => Some(n),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => None,
                Err(e) => panic!("{e}"),
            }
        });
        assert_eq!(&buf[..n], b"ping");
        assert_eq!(stream.write(b"pong").unwrap(), 4);
        stream.shutdown_write().unwrap();
        until(|| {
            stream.flush_pending().unwrap();
            let Stream::Tls(tls) = &stream else {
                unreachable!()
            };
            (!tls.fin_pending).then_some(())
        });
        client.join().unwrap();
    }

    #[test]
    fn plain_is_a_socket() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let mut client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        client
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let (sock, _) = listener.accept().unwrap();
        sock.set_nonblocking(true).unwrap();
        let mut stream = Stream::new(TcpStream::from_std(sock), None).unwrap();
        assert!(!stream.is_handshaking() && stream.short_read_drains());
        assert!(stream.handshake().unwrap() && stream.tls().is_none());
        stream.write_all(b"hi").unwrap();
        stream.shutdown_write().unwrap();
        let mut got = Vec::new();
        client.read_to_end(&mut got).unwrap();
        assert_eq!(got, b"hi");
    }
}
