//! End-to-end tests: a real server on 127.0.0.1:0 and std `TcpStream`
//! clients with read timeouts, so a broken server fails a test instead of
//! hanging it.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use hornet_target::{start, Stall, TargetConfig, TargetHandle};

const GET: &[u8] = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n";
const OK: &[u8] =
    b"HTTP/1.1 200 OK\r\nServer: hornet-target\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, world!";
const OK_CLOSE: &[u8] = b"HTTP/1.1 200 OK\r\nServer: hornet-target\r\nContent-Type: text/plain\r\nContent-Length: 13\r\nConnection: close\r\n\r\nHello, world!";

#[test]
fn handle_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<TargetHandle>();
}

fn serve(config: TargetConfig) -> TargetHandle {
    start("127.0.0.1:0".parse().unwrap(), config).expect("start target")
}

fn connect(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.set_write_timeout(Some(Duration::from_secs(5))).unwrap();
    s
}

/// Reads exactly `n` bytes (or fails on timeout/EOF).
fn read_n(s: &mut TcpStream, n: usize) -> Vec<u8> {
    let mut buf = vec![0; n];
    s.read_exact(&mut buf).expect("read response bytes");
    buf
}

/// Asserts the server closes: EOF within the read timeout, after no more data.
fn assert_eof(s: &mut TcpStream) {
    let mut byte = [0u8; 1];
    match s.read(&mut byte) {
        Ok(0) => {}
        Ok(_) => panic!("unexpected data after last response"),
        Err(e) if e.kind() == ErrorKind::ConnectionReset => {}
        Err(e) => panic!("expected EOF, got {e}"),
    }
}

/// Waits (bounded) until `f` holds; counters trail the bytes a client sees.
fn eventually(what: &str, f: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn get_is_byte_exact_and_keeps_alive() {
    let server = serve(TargetConfig::default());
    let mut s = connect(server.local_addr());
    for _ in 0..3 {
        s.write_all(GET).unwrap();
        assert_eq!(read_n(&mut s, OK.len()), OK);
    }
}

#[test]
fn pipelined_requests_answered_in_order() {
    let server = serve(TargetConfig::default());
    let mut s = connect(server.local_addr());
    let mut reqs = Vec::new();
    reqs.extend_from_slice(b"GET /a HTTP/1.1\r\n\r\n");
    reqs.extend_from_slice(b"HEAD /b HTTP/1.1\r\n\r\n");
    reqs.extend_from_slice(b"POST /c HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc");
    s.write_all(&reqs).unwrap();
    let head = &OK[..OK.len() - 13];
    let want = [OK, head, OK].concat();
    assert_eq!(read_n(&mut s, want.len()), want);
    eventually("3 requests", || server.requests() == 3);
}

#[test]
fn body_size_and_status_respected() {
    let server = serve(TargetConfig {
        body_size: 30,
        status: 404,
        ..Default::default()
    });
    let mut s = connect(server.local_addr());
    s.write_all(GET).unwrap();
    let want = b"HTTP/1.1 404 Not Found\r\nServer: hornet-target\r\nContent-Type: text/plain\r\nContent-Length: 30\r\n\r\nHello, world!Hello, world!Hell";
    assert_eq!(read_n(&mut s, want.len()), want);
    let server = serve(TargetConfig {
        body_size: 100_000,
        ..Default::default()
    });
    let mut s = connect(server.local_addr());
    s.write_all(GET).unwrap();
    let head = b"HTTP/1.1 200 OK\r\nServer: hornet-target\r\nContent-Type: text/plain\r\nContent-Length: 100000\r\n\r\n";
    let got = read_n(&mut s, head.len() + 100_000);
    assert_eq!(&got[..head.len()], head);
    assert!(got[head.len()..].starts_with(b"Hello, world!Hello"));
}

#[test]
fn head_has_no_body() {
    let server = serve(TargetConfig::default());
    let mut s = connect(server.local_addr());
    s.write_all(b"HEAD / HTTP/1.1\r\n\r\n").unwrap();
    let head = &OK[..OK.len() - 13];
    assert_eq!(read_n(&mut s, head.len()), head);
    // The next response starts right after the head: no body bytes between.
    s.write_all(GET).unwrap();
    assert_eq!(read_n(&mut s, OK.len()), OK);
}

#[test]
fn delay_is_observed() {
    let delay = Duration::from_millis(50);
    let server = serve(TargetConfig {
        delay,
        ..Default::default()
    });
    let mut s = connect(server.local_addr());
    for _ in 0..2 {
        let sent = Instant::now();
        s.write_all(GET).unwrap();
        assert_eq!(read_n(&mut s, OK.len()), OK);
        let took = sent.elapsed();
        assert!(took >= delay, "responded after {took:?}");
        assert!(took < Duration::from_secs(2), "responded after {took:?}");
    }
    // Pipelined requests are each delayed, and stay in order.
    let sent = Instant::now();
    s.write_all(&[GET, b"HEAD / HTTP/1.1\r\n\r\n"].concat())
        .unwrap();
    let want = [OK, &OK[..OK.len() - 13]].concat();
    assert_eq!(read_n(&mut s, want.len()), want);
    assert!(sent.elapsed() >= delay);
}

#[test]
fn delay_does_not_block_other_connections() {
    let delay = Duration::from_millis(200);
    let server = serve(TargetConfig {
        delay,
        ..Default::default()
    });
    let sent = Instant::now();
    let mut clients: Vec<TcpStream> = (0..10).map(|_| connect(server.local_addr())).collect();
    for c in &mut clients {
        c.write_all(GET).unwrap();
    }
    for c in &mut clients {
        assert_eq!(read_n(c, OK.len()), OK);
    }
    // Serial delays would take 2 s; concurrent ones about 200 ms.
    assert!(
        sent.elapsed() < Duration::from_millis(1500),
        "{:?}",
        sent.elapsed()
    );
}

#[test]
fn close_every_closes_after_nth_response() {
    let server = serve(TargetConfig {
        close_every: Some(2),
        ..Default::default()
    });
    let mut s = connect(server.local_addr());
    s.write_all(GET).unwrap();
    assert_eq!(read_n(&mut s, OK.len()), OK);
    s.write_all(GET).unwrap();
    assert_eq!(read_n(&mut s, OK_CLOSE.len()), OK_CLOSE);
    assert_eof(&mut s);
    // A new connection counts afresh.
    let mut s = connect(server.local_addr());
    s.write_all(GET).unwrap();
    assert_eq!(read_n(&mut s, OK.len()), OK);
    eventually("2 connections", || server.connections() == 2);
}

#[test]
fn close_every_with_pipelining_answers_up_to_the_close() {
    let server = serve(TargetConfig {
        close_every: Some(2),
        ..Default::default()
    });
    let mut s = connect(server.local_addr());
    s.write_all(&GET.repeat(3)).unwrap();
    let want = [OK, OK_CLOSE].concat();
    assert_eq!(read_n(&mut s, want.len()), want);
    assert_eof(&mut s);
}

#[test]
fn malformed_request_gets_400_and_close() {
    let server = serve(TargetConfig::default());
    let mut s = connect(server.local_addr());
    s.write_all(b"NOT HTTP AT ALL\x00\r\n\r\n").unwrap();
    let want = b"HTTP/1.1 400 Bad Request\r\nServer: hornet-target\r\nContent-Type: text/plain\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    assert_eq!(read_n(&mut s, want.len()), want);
    assert_eof(&mut s);
    assert_eq!(server.requests(), 0);
}

#[test]
fn chunked_request_gets_501_and_close() {
    let server = serve(TargetConfig::default());
    let mut s = connect(server.local_addr());
    s.write_all(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
        .unwrap();
    let want = b"HTTP/1.1 501 Not Implemented\r\nServer: hornet-target\r\nContent-Type: text/plain\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    assert_eq!(read_n(&mut s, want.len()), want);
    assert_eof(&mut s);
}

#[test]
fn connection_close_and_http10() {
    let server = serve(TargetConfig::default());
    let mut s = connect(server.local_addr());
    s.write_all(b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n")
        .unwrap();
    assert_eq!(read_n(&mut s, OK_CLOSE.len()), OK_CLOSE);
    assert_eof(&mut s);

    let mut s = connect(server.local_addr());
    s.write_all(b"GET / HTTP/1.0\r\n\r\n").unwrap();
    assert_eq!(read_n(&mut s, OK_CLOSE.len()), OK_CLOSE);
    assert_eof(&mut s);

    let mut s = connect(server.local_addr());
    let ka = b"HTTP/1.1 200 OK\r\nServer: hornet-target\r\nContent-Type: text/plain\r\nContent-Length: 13\r\nConnection: keep-alive\r\n\r\nHello, world!";
    for _ in 0..2 {
        s.write_all(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            .unwrap();
        assert_eq!(read_n(&mut s, ka.len()), ka);
    }
}

#[test]
fn counters_are_exact_across_connections_and_threads() {
    let server = serve(TargetConfig {
        threads: 3,
        ..Default::default()
    });
    let conns = 6;
    let per_conn = 50;
    let handles: Vec<_> = (0..conns)
        .map(|_| {
            let addr = server.local_addr();
            std::thread::spawn(move || {
                let mut s = connect(addr);
                for i in 0..per_conn {
                    // Mix single and pipelined writes.
                    if i % 10 == 0 {
                        s.write_all(&GET.repeat(5)).unwrap();
                        read_n(&mut s, OK.len() * 5);
                    } else {
                        s.write_all(GET).unwrap();
                        read_n(&mut s, OK.len());
                    }
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let want = (conns * (per_conn + per_conn / 10 * 4)) as u64;
    eventually("exact counters", || server.responses() == want);
    assert_eq!(server.requests(), want);
    assert_eq!(server.connections(), conns as u64);
}

#[test]
fn post_body_counted_once_even_when_split() {
    let server = serve(TargetConfig::default());
    let mut s = connect(server.local_addr());
    s.set_nodelay(true).unwrap();
    s.write_all(b"POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n01234")
        .unwrap();
    std::thread::sleep(Duration::from_millis(30));
    assert_eq!(server.requests(), 0, "body not complete yet");
    s.write_all(b"56789").unwrap();
    assert_eq!(read_n(&mut s, OK.len()), OK);
    assert_eq!(server.requests(), 1);
    eventually("1 response", || server.responses() == 1);
}

#[test]
fn peer_reset_and_eof_mid_request_are_harmless() {
    let server = serve(TargetConfig::default());
    {
        let mut s = connect(server.local_addr());
        s.write_all(b"GET / HTTP/1.1\r\nHo").unwrap();
    }
    {
        let s = connect(server.local_addr());
        s.shutdown(std::net::Shutdown::Both).unwrap();
    }
    let mut s = connect(server.local_addr());
    s.write_all(GET).unwrap();
    assert_eq!(read_n(&mut s, OK.len()), OK);
    // Half-closed client still gets answers to what it sent.
    let mut s = connect(server.local_addr());
    s.write_all(&GET.repeat(2)).unwrap();
    s.shutdown(std::net::Shutdown::Write).unwrap();
    assert_eq!(read_n(&mut s, OK.len() * 2), OK.repeat(2));
    assert_eof(&mut s);
}

#[test]
fn stall_pauses_once() {
    let stall = Stall {
        after: 3,
        duration: Duration::from_millis(150),
    };
    let server = serve(TargetConfig {
        stall: Some(stall),
        ..Default::default()
    });
    let mut s = connect(server.local_addr());
    let mut times = Vec::new();
    for _ in 0..5 {
        let sent = Instant::now();
        s.write_all(GET).unwrap();
        assert_eq!(read_n(&mut s, OK.len()), OK);
        times.push(sent.elapsed());
    }
    assert!(times[2] >= stall.duration, "{times:?}");
    for (i, t) in times.iter().enumerate() {
        if i != 2 {
            assert!(*t < stall.duration, "{times:?}");
        }
    }
}

#[test]
fn shutdown_is_prompt_with_open_connections() {
    let server = serve(TargetConfig {
        threads: 4,
        delay: Duration::from_secs(10),
        ..Default::default()
    });
    let mut clients: Vec<TcpStream> = (0..8).map(|_| connect(server.local_addr())).collect();
    for c in &mut clients {
        c.write_all(GET).unwrap();
    }
    eventually("requests received", || server.requests() == 8);
    let began = Instant::now();
    server.shutdown();
    assert!(
        began.elapsed() < Duration::from_millis(100),
        "{:?}",
        began.elapsed()
    );
    // The server's sockets are gone.
    for c in &mut clients {
        assert_eof(c);
    }
}

#[test]
fn drop_stops_and_invalid_config_is_rejected() {
    let addr = {
        let server = serve(TargetConfig::default());
        server.local_addr()
    };
    // The listeners closed with their threads: nothing accepts any more.
    assert!(TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_err());
    let err = start(
        "127.0.0.1:0".parse().unwrap(),
        TargetConfig {
            threads: 0,
            ..Default::default()
        },
    );
    assert_eq!(err.unwrap_err().kind(), ErrorKind::InvalidInput);
}
