//! Listening sockets, one per server thread.
//!
//! On Linux every thread gets its own socket bound to the same address with
//! `SO_REUSEPORT`, so the kernel spreads incoming connections evenly across
//! threads; a single shared socket would wake every thread for each
//! connection and let whichever wins the race take them all. Elsewhere the
//! threads share clones of one socket. The backlog is large because
//! benchmarks open hundreds of connections at once, and an overflowing
//! backlog turns into one-second SYN retransmits.

use std::io;
use std::net::{SocketAddr, TcpListener};

/// Requested accept backlog; the kernel caps it at `somaxconn`.
#[cfg(target_os = "linux")]
const BACKLOG: libc::c_int = 4096;

/// Binds `count` non-blocking listeners on `addr`; all share the port of the
/// first (which resolves port 0).
pub fn bind(addr: SocketAddr, count: usize) -> io::Result<Vec<TcpListener>> {
    #[cfg(target_os = "linux")]
    {
        // Only share the port when there is something to share it with:
        // SO_REUSEPORT would also let another process of the same user
        // silently take half of a fixed port's connections.
        let reuse_port = count > 1;
        let first = sys::bind(addr, reuse_port)?;
        let actual = first.local_addr()?;
        let mut all = Vec::with_capacity(count);
        all.push(first);
        for _ in 1..count {
            all.push(sys::bind(actual, reuse_port)?);
        }
        Ok(all)
    }
    #[cfg(not(target_os = "linux"))]
    {
        let first = TcpListener::bind(addr)?;
        first.set_nonblocking(true)?;
        let mut all = Vec::with_capacity(count);
        for _ in 1..count {
            all.push(first.try_clone()?);
        }
        all.insert(0, first);
        Ok(all)
    }
}

#[cfg(target_os = "linux")]
mod sys {
    use std::io;
    use std::mem;
    use std::net::{SocketAddr, TcpListener};
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

    /// `socket` + options + `bind` + `listen`, non-blocking and close-on-exec.
    pub(super) fn bind(addr: SocketAddr, reuse_port: bool) -> io::Result<TcpListener> {
        let family = if addr.is_ipv4() {
            libc::AF_INET
        } else {
            libc::AF_INET6
        };
        let flags = libc::SOCK_STREAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC;
        // SAFETY: plain syscall with constant arguments; the result is checked.
        let fd = cvt(unsafe { libc::socket(family, flags, 0) })?;
        // SAFETY: `fd` is a freshly created socket that nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        // Like std: allow rebinding a port whose old connections are in TIME_WAIT.
        set_flag(&fd, libc::SO_REUSEADDR)?;
        if reuse_port {
            set_flag(&fd, libc::SO_REUSEPORT)?;
        }
        let (storage, len) = to_sockaddr(addr);
        // SAFETY: `storage` holds a valid sockaddr of `len` bytes for `family`.
        cvt(unsafe {
            libc::bind(
                fd.as_raw_fd(),
                (&storage as *const libc::sockaddr_storage).cast(),
                len,
            )
        })?;
        // SAFETY: plain syscall on a socket we own.
        cvt(unsafe { libc::listen(fd.as_raw_fd(), super::BACKLOG) })?;
        Ok(TcpListener::from(fd))
    }

    fn set_flag(fd: &OwnedFd, option: libc::c_int) -> io::Result<()> {
        let one: libc::c_int = 1;
        // SAFETY: `one` outlives the call and its size is passed alongside.
        cvt(unsafe {
            libc::setsockopt(
                fd.as_raw_fd(),
                libc::SOL_SOCKET,
                option,
                (&one as *const libc::c_int).cast(),
                mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        })?;
        Ok(())
    }

    fn to_sockaddr(addr: SocketAddr) -> (libc::sockaddr_storage, libc::socklen_t) {
        // SAFETY: all-zero bytes are a valid `sockaddr_storage`.
        let mut storage: libc::sockaddr_storage = unsafe { mem::zeroed() };
        let len = match addr {
            SocketAddr::V4(a) => {
                // SAFETY: all-zero bytes are a valid `sockaddr_in`.
                let mut sin: libc::sockaddr_in = unsafe { mem::zeroed() };
                sin.sin_family = libc::AF_INET as libc::sa_family_t;
                sin.sin_port = a.port().to_be();
                sin.sin_addr = libc::in_addr {
                    s_addr: u32::from_ne_bytes(a.ip().octets()),
                };
                // SAFETY: `sockaddr_storage` is larger and more aligned than `sockaddr_in`.
                unsafe {
                    (&mut storage as *mut libc::sockaddr_storage)
                        .cast::<libc::sockaddr_in>()
                        .write(sin);
                };
                mem::size_of::<libc::sockaddr_in>()
            }
            SocketAddr::V6(a) => {
                // SAFETY: all-zero bytes are a valid `sockaddr_in6`.
                let mut sin6: libc::sockaddr_in6 = unsafe { mem::zeroed() };
                sin6.sin6_family = libc::AF_INET6 as libc::sa_family_t;
                sin6.sin6_port = a.port().to_be();
                sin6.sin6_flowinfo = a.flowinfo();
                sin6.sin6_addr = libc::in6_addr {
                    s6_addr: a.ip().octets(),
                };
                sin6.sin6_scope_id = a.scope_id();
                // SAFETY: `sockaddr_storage` is larger and more aligned than `sockaddr_in6`.
                unsafe {
                    (&mut storage as *mut libc::sockaddr_storage)
                        .cast::<libc::sockaddr_in6>()
                        .write(sin6);
                };
                mem::size_of::<libc::sockaddr_in6>()
            }
        };
        (storage, len as libc::socklen_t)
    }

    fn cvt(ret: libc::c_int) -> io::Result<libc::c_int> {
        if ret < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(ret)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binds_several_on_one_port() {
        let all = bind("127.0.0.1:0".parse().unwrap(), 3).unwrap();
        let port = all[0].local_addr().unwrap().port();
        assert_ne!(port, 0);
        for l in &all {
            assert_eq!(l.local_addr().unwrap().port(), port);
        }
        let _client = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    }

    #[test]
    fn binds_ipv6_when_available() {
        // Some sandboxes have no IPv6 loopback; only check the error is sane.
        match bind("[::1]:0".parse().unwrap(), 2) {
            Ok(all) => assert!(all[1].local_addr().unwrap().is_ipv6()),
            Err(e) => assert_ne!(e.kind(), io::ErrorKind::InvalidInput, "{e}"),
        }
    }

    #[test]
    fn port_in_use_is_an_error() {
        let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        assert!(bind(taken.local_addr().unwrap(), 1).is_err());
    }
}
