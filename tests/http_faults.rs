//! Misbehaving servers: every failure is a counted error of the right
//! kind, never a panic, a hang or a lost request.

mod common;

use std::net::TcpListener;
use std::time::Duration;

use common::{assert_accounting, read_head, run, send, FaultServer};

#[test]
fn refused_connections_fail_requests_as_connect_refused() {
    // Bind then drop: nothing listens on the port any more.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/");
    let r = run(&url, &["-c", "2", "-t", "1", "-d", "300ms"]);
    assert_accounting(&r);
    assert_eq!(r.requests, 0);
    assert!(r.failed >= 2, "{r:#?}");
    assert_eq!(r.errors.get("connect_refused"), Some(&r.failed));
    assert!(r.nothing_worked());
    let r = run(&url, &["-R", "100", "-c", "2", "-t", "1", "-d", "300ms"]);
    assert_accounting(&r);
    assert!(r.nothing_worked());
    assert!(r.errors.contains_key("connect_refused"), "{r:#?}");
}

#[test]
fn garbage_responses_are_parse_errors() {
    let server = FaultServer::start(|mut s| {
        if read_head(&mut s) {
            send(&mut s, b"SSH-2.0-OpenSSH_9.0\r\n\r\n");
        }
    });
    let r = run(&server.url(), &["-c", "1", "-t", "1", "-d", "300ms"]);
    assert_accounting(&r);
    assert_eq!(r.requests, 0);
    assert!(r.errors.get("parse").copied().unwrap_or(0) >= 1, "{r:#?}");
}

#[test]
fn close_in_the_middle_of_a_response_is_closed_early() {
    let server = FaultServer::start(|mut s| {
        if read_head(&mut s) {
            send(
                &mut s,
                b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort",
            );
        }
    });
    let r = run(&server.url(), &["-c", "1", "-t", "1", "-d", "300ms"]);
    assert_accounting(&r);
    assert_eq!(r.requests, 0);
    assert!(
        r.errors.get("closed_early").copied().unwrap_or(0) >= 1,
        "{r:#?}"
    );
}

#[test]
fn reset_connections_are_counted() {
    let server = FaultServer::start(|mut s| {
        if read_head(&mut s) {
            // SO_LINGER 0 turns the close into a RST.
            socket2_linger_zero(&s);
            drop(s);
        }
    });
    let r = run(&server.url(), &["-c", "1", "-t", "1", "-d", "300ms"]);
    assert_accounting(&r);
    assert_eq!(r.requests, 0);
    let lost = r.errors.get("reset").copied().unwrap_or(0)
        + r.errors.get("closed_early").copied().unwrap_or(0);
    assert!(lost >= 1, "{r:#?}");
}

/// Sets SO_LINGER {on, 0} so dropping the stream sends a reset.
fn socket2_linger_zero(s: &std::net::TcpStream) {
    use std::os::fd::AsRawFd;
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: valid fd and a correctly sized linger struct.
    unsafe {
        libc::setsockopt(
            s.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            &linger as *const libc::linger as *const libc::c_void,
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        );
    }
}

#[test]
fn a_server_that_never_answers_times_out_and_the_run_ends() {
    let server = FaultServer::start(|mut s| {
        read_head(&mut s);
        std::thread::sleep(Duration::from_millis(600));
    });
    let started = std::time::Instant::now();
    let r = run(
        &server.url(),
        &["-c", "1", "-t", "1", "-d", "200ms", "--timeout", "200ms"],
    );
    assert_accounting(&r);
    assert!(r.timed_out >= 1, "{r:#?}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn a_listener_that_never_accepts_gives_connect_timeouts() {
    use std::os::fd::FromRawFd;
    // A listening socket with a backlog of 0 and its one queue slot taken:
    // further SYNs are dropped, so connects neither succeed nor fail.
    // SAFETY: plain socket syscalls on a descriptor we own; results checked.
    let listener = unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM, 0);
        assert!(fd >= 0);
        let addr = libc::sockaddr_in {
            sin_family: libc::AF_INET as libc::sa_family_t,
            sin_port: 0,
            sin_addr: libc::in_addr {
                s_addr: u32::from_ne_bytes([127, 0, 0, 1]),
            },
            sin_zero: [0; 8],
        };
        let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
        assert_eq!(
            libc::bind(fd, &addr as *const _ as *const libc::sockaddr, len),
            0
        );
        assert_eq!(libc::listen(fd, 0), 0);
        std::net::TcpListener::from_raw_fd(fd)
    };
    let addr = listener.local_addr().unwrap();
    let mut fillers = Vec::new();
    for _ in 0..3 {
        if let Ok(s) = std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(100)) {
            fillers.push(s);
        }
    }
    let url = format!("http://{addr}/");
    let r = run(
        &url,
        &[
            "-c",
            "2",
            "-t",
            "1",
            "-d",
            "600ms",
            "--connect-timeout",
            "150ms",
        ],
    );
    assert_accounting(&r);
    assert_eq!(r.requests, 0, "{r:#?}");
    assert!(
        r.errors.get("connect_timeout").copied().unwrap_or(0) >= 2,
        "{r:#?}"
    );
    drop(fillers);
}
