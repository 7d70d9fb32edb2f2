//! [`Transport`]: a connection's socket, plain TCP or TLS over TCP, with
//! the same `Read`/`Write` face either way, so protocol sessions never know
//! which one they drive.
//!
//! The plain arm is a direct call into the socket: TLS support costs a plain
//! run one branch per syscall.
//!
//! Sockets are opened through a [`Net`]: the worker's poll (real TCP), or
//! an in-memory network ([`MemoryNet`]) that the loop tests
//! (`crate::engine::sim`) provide, whose [`MemorySocket`]s are a third arm
//! that the real path never takes.

use std::fmt;
use std::io::{self, IoSlice, Read, Write};
use std::net::SocketAddr;
use std::sync::Arc;

use hornet_tls::TlsStream;
use mio::event::Source;
use mio::net::TcpStream;
use mio::{Interest, Registry, Token};
use rustls::ClientConnection;

use super::{TlsClient, TlsFailure, TlsReason};
use crate::vocab::ErrorKind;

/// A connection's socket.
#[derive(Debug)]
pub struct Transport {
    io: Io,
    /// When TCP connected (run clock, ns), once it has: the handshake's
    /// start.
    tcp_at: Option<u64>,
}

#[derive(Debug)]
enum Io {
    Plain(TcpStream),
    Tls(Box<TlsStream<ClientConnection, TcpStream>>),
    /// An in-memory socket (loop tests only).
    Memory(Box<dyn MemorySocket>),
}

/// Where a driver's sockets come from: real TCP registered with the
/// worker's poll, or an in-memory network (the loop tests').
#[derive(Debug)]
pub enum Net {
    /// Real sockets, registered with this poll for readable and writable
    /// (edge-triggered) under the caller's token.
    Poll(Registry),
    /// In-memory sockets; readiness comes from the network itself.
    Memory(Arc<dyn MemoryNet>),
}

/// An in-memory network: opens [`MemorySocket`]s whose readiness it
/// reports under the token given (see `crate::engine::sim`).
pub trait MemoryNet: Send + Sync + fmt::Debug {
    /// Starts a connection attempt to `addr`; `token` names the socket in
    /// the readiness the network reports.
    fn connect(&self, addr: SocketAddr, token: Token) -> io::Result<Box<dyn MemorySocket>>;
}

/// One in-memory connection's client end. Reads and writes answer
/// `WouldBlock` as a non-blocking socket does; dropping it closes it.
pub trait MemorySocket: Read + Write + Send + fmt::Debug {
    /// How the connect stands: `Ok(true)` connected, `Ok(false)` still
    /// pending, `Err` refused (the error the connect failed with).
    fn connected(&mut self) -> io::Result<bool>;
}

impl Net {
    /// Starts a non-blocking connection to `addr` (TLS when `tls` is given;
    /// in-memory networks are plain only) and registers it under `token`.
    pub fn connect(
        &self,
        addr: SocketAddr,
        tls: Option<&TlsClient>,
        token: Token,
    ) -> io::Result<Transport> {
        match self {
            Net::Poll(registry) => {
                let mut stream = Transport::connect(addr, tls)?;
                registry.register(&mut stream, token, Interest::READABLE | Interest::WRITABLE)?;
                Ok(stream)
            }
            Net::Memory(net) => {
                if tls.is_some() {
                    return Err(io::Error::new(
                        io::ErrorKind::Unsupported,
                        "TLS over an in-memory socket",
                    ));
                }
                Ok(Transport {
                    io: Io::Memory(net.connect(addr, token)?),
                    tcp_at: None,
                })
            }
        }
    }
}

/// How a connection attempt stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Connect {
    /// Still waiting on the socket (TCP connect or TLS handshake).
    Pending,
    /// Usable for requests; for TLS, the handshake that made it so.
    Ready(Option<Handshake>),
}

/// A completed TLS handshake.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Handshake {
    /// When TCP connected (run clock, ns): the handshake's start. Its end is
    /// read by the caller after `poll_connect` returns, so certificate
    /// verification inside it counts.
    pub started: u64,
    /// An earlier session was resumed.
    pub resumed: bool,
}

/// Why a connection attempt failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectFailure {
    /// The error kind requests waiting on it fail with.
    pub kind: ErrorKind,
    /// For TLS failures, why.
    pub tls: Option<TlsFailure>,
}

impl Transport {
    /// Starts a non-blocking connection to `addr`, with TLS when `tls` is
    /// given (the handshake starts once TCP is connected).
    pub fn connect(addr: SocketAddr, tls: Option<&TlsClient>) -> io::Result<Transport> {
        let stream = TcpStream::connect(addr)?;
        // Requests are written whole: no Nagle delay.
        stream.set_nodelay(true)?;
        let io = match tls {
            None => Io::Plain(stream),
            Some(client) => {
                let conn = client
                    .connect()
                    .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
                Io::Tls(Box::new(TlsStream::new(conn, stream)))
            }
        };
        Ok(Transport { io, tcp_at: None })
    }

    /// True for TLS.
    pub fn is_tls(&self) -> bool {
        matches!(self.io, Io::Tls(_))
    }

    /// Advances the connection on a readiness event: TCP connect first
    /// (mio: a writable event on a connecting socket means the attempt
    /// finished; `take_error` and `peer_addr` tell how), then the TLS
    /// handshake. `now` is the run clock, ns.
    pub fn poll_connect(&mut self, now: u64) -> Result<Connect, ConnectFailure> {
        let plain = |e: &io::Error| ConnectFailure {
            kind: ErrorKind::from_connect_error(e),
            tls: None,
        };
        if self.tcp_at.is_none() {
            let tcp = match &mut self.io {
                Io::Plain(s) => &*s,
                Io::Tls(t) => t.sock(),
                Io::Memory(m) => match m.connected() {
                    Ok(true) => {
                        self.tcp_at = Some(now);
                        return Ok(Connect::Ready(None));
                    }
                    Ok(false) => return Ok(Connect::Pending),
                    Err(e) => return Err(plain(&e)),
                },
            };
            if let Ok(Some(e)) | Err(e) = tcp.take_error() {
                return Err(plain(&e));
            }
            match tcp.peer_addr() {
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::NotConnected => return Ok(Connect::Pending),
                Err(e) => return Err(plain(&e)),
            }
            self.tcp_at = Some(now);
        }
        let Io::Tls(t) = &mut self.io else {
            return Ok(Connect::Ready(None));
        };
        // The client's Finished waits for the first request or bind, which
        // the caller writes next: one syscall instead of two. The caller
        // flushes if it has nothing to write.
        match t.handshake_coalescing() {
            Ok(false) => Ok(Connect::Pending),
            Ok(true) => Ok(Connect::Ready(Some(Handshake {
                started: self.tcp_at.unwrap_or(now),
                resumed: t.conn().handshake_kind() == Some(rustls::HandshakeKind::Resumed),
            }))),
            Err(e) => {
                // The reason comes from the error; the stream's copy is
                // dropped so it is not counted again when the socket closes.
                let _ = t.take_error();
                Err(ConnectFailure {
                    kind: ErrorKind::Tls,
                    tls: Some(TlsFailure::of_handshake_io(&e)),
                })
            }
        }
    }

    /// If the connect timed out while TCP was up and the TLS handshake
    /// still running, the failure to count for it.
    pub fn handshake_timeout(&self) -> Option<TlsFailure> {
        match &self.io {
            Io::Tls(t) if self.tcp_at.is_some() && t.is_handshaking() => Some(TlsFailure {
                reason: TlsReason::HandshakeTimeout,
                detail: "no TLS handshake within the connect timeout".into(),
            }),
            _ => None,
        }
    }

    /// The poller reported readiness: a TLS stream forgets that its socket
    /// was drained (on readable) and sends any records still queued.
    pub fn on_ready(&mut self, readable: bool) -> io::Result<()> {
        match &mut self.io {
            Io::Plain(_) | Io::Memory(_) => Ok(()),
            Io::Tls(t) => {
                if readable {
                    t.readable();
                }
                t.flush_tls()
            }
        }
    }

    /// Whether a read pass may stop at a short read. Plain sockets: yes,
    /// the kernel queue was empty. TLS: no, a record's plaintext is short by
    /// nature; the stream itself answers `WouldBlock` without a syscall
    /// when its last socket read was short.
    pub fn short_read_ends_pass(&self) -> bool {
        !self.is_tls()
    }

    /// The TLS failure that broke this connection, if any (taken, so it is
    /// counted once).
    pub fn take_tls_failure(&mut self) -> Option<TlsFailure> {
        match &mut self.io {
            Io::Plain(_) | Io::Memory(_) => None,
            Io::Tls(t) => t.take_error().map(|e| TlsFailure::of(&e)),
        }
    }

    /// Deregisters the socket, saying goodbye first (TLS close_notify, if
    /// the socket takes it now); the socket closes when dropped. Returns
    /// the TLS failure that broke the connection, if one did.
    pub fn close(mut self, net: &Net) -> Option<TlsFailure> {
        let reason = self.take_tls_failure();
        if let Io::Tls(t) = &mut self.io {
            if !t.is_handshaking() && reason.is_none() {
                let _ = t.send_close_notify();
            }
        }
        if let Net::Poll(registry) = net {
            let _ = registry.deregister(&mut self);
        }
        reason
    }
}

impl Read for Transport {
    #[inline]
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match &mut self.io {
            Io::Plain(s) => s.read(buf),
            Io::Tls(t) => t.read(buf),
            Io::Memory(m) => m.read(buf),
        }
    }
}

impl Write for Transport {
    #[inline]
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.io {
            Io::Plain(s) => s.write(buf),
            Io::Tls(t) => t.write(buf),
            Io::Memory(m) => m.write(buf),
        }
    }

    #[inline]
    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        match &mut self.io {
            Io::Plain(s) => s.write_vectored(bufs),
            Io::Tls(t) => t.write_vectored(bufs),
            Io::Memory(m) => m.write_vectored(bufs),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.io {
            Io::Plain(s) => s.flush(),
            Io::Tls(t) => t.flush(),
            Io::Memory(m) => m.flush(),
        }
    }
}

impl Source for Transport {
    fn register(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        match &mut self.io {
            Io::Plain(s) => s.register(registry, token, interests),
            Io::Tls(t) => t.sock_mut().register(registry, token, interests),
            Io::Memory(_) => Err(not_pollable()),
        }
    }

    fn reregister(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        match &mut self.io {
            Io::Plain(s) => s.reregister(registry, token, interests),
            Io::Tls(t) => t.sock_mut().reregister(registry, token, interests),
            Io::Memory(_) => Err(not_pollable()),
        }
    }

    fn deregister(&mut self, registry: &Registry) -> io::Result<()> {
        match &mut self.io {
            Io::Plain(s) => s.deregister(registry),
            Io::Tls(t) => t.sock_mut().deregister(registry),
            Io::Memory(_) => Ok(()),
        }
    }
}

/// An in-memory socket has no descriptor for a poll to watch.
fn not_pollable() -> io::Error {
    io::Error::new(
        io::ErrorKind::Unsupported,
        "an in-memory socket cannot be registered with a poll",
    )
}
