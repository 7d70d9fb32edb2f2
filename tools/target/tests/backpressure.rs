//! Back-pressure and fairness against hostile HTTP clients (plain std
//! sockets): one that pipelines megabytes of requests and never reads, and
//! one that pipelines without pause while reading (and would keep a thread
//! busy forever). The server's queued responses must stay bounded (its
//! peak output-buffer gauge), another client on the same thread must still
//! be answered promptly, and every request must be answered, in order and
//! byte for byte, once the client reads.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use hornet_target::{start, TargetConfig, TargetHandle};

const GET: &[u8] = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n";
const OK: &[u8] =
    b"HTTP/1.1 200 OK\r\nServer: hornet-target\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, world!";

/// The high-water mark (1 MiB) plus one response: what one connection's
/// queued responses may reach.
const OUT_BOUND: u64 = 1024 * 1024 + 4 * 1024;

fn serve() -> TargetHandle {
    // One thread: every connection shares it.
    start("127.0.0.1:0".parse().unwrap(), TargetConfig::default()).expect("start target")
}

fn connect(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s
}

fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        thread::sleep(Duration::from_millis(2));
    }
}

/// Request/response round trips of a well-behaved client; the slowest.
fn polite_round_trips(addr: SocketAddr, n: usize) -> Duration {
    let mut s = connect(addr);
    let mut slowest = Duration::ZERO;
    let mut buf = vec![0u8; OK.len()];
    for _ in 0..n {
        let t = Instant::now();
        s.write_all(GET).unwrap();
        s.read_exact(&mut buf).expect("an answer within 5 s");
        assert_eq!(buf, OK);
        slowest = slowest.max(t.elapsed());
    }
    slowest
}

#[test]
fn a_pipeliner_that_never_reads_is_paused_at_the_high_water_mark_then_answered_in_order() {
    const REQUESTS: usize = 300_000;
    let server = serve();
    let addr = server.local_addr();
    let mut sock = connect(addr);
    let mut writer = sock.try_clone().unwrap();
    // About 8 MB of requests asking for about 30 MB of responses; blocks
    // once the server stops reading and the kernel buffers fill.
    let flooder = thread::spawn(move || writer.write_all(&GET.repeat(REQUESTS)));

    // The server reads until its queued responses pass the mark, then
    // stops: the request count settles well short of the flood.
    let mut before = server.requests();
    eventually("the server to stop reading", || {
        thread::sleep(Duration::from_millis(150));
        let now = server.requests();
        let settled = now > 0 && now == before;
        before = now;
        settled
    });
    assert!((before as usize) < REQUESTS / 2, "{before} requests read");
    assert!(!flooder.is_finished(), "the whole flood was taken in");
    let peak = server.peak_output_buffer();
    assert!(
        peak > 512 * 1024,
        "back-pressure never engaged: peak {peak}"
    );
    assert!(peak <= OUT_BOUND, "queued responses grew to {peak} bytes");

    let slowest = polite_round_trips(addr, 20);
    assert!(
        slowest < Duration::from_secs(1),
        "slowest round trip {slowest:?}"
    );

    // Once the client reads, every request is answered, byte for byte.
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut buf = vec![0u8; 256 * 1024];
    let (mut start, mut filled, mut answered) = (0usize, 0usize, 0usize);
    while answered < REQUESTS {
        assert!(
            Instant::now() < deadline,
            "{answered} of {REQUESTS} answered"
        );
        buf.copy_within(start..filled, 0);
        filled -= start;
        start = 0;
        match sock.read(&mut buf[filled..]) {
            Ok(0) => panic!("EOF after {answered} answers"),
            Ok(n) => filled += n,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => panic!("read: {e}"),
        }
        while filled - start >= OK.len() {
            assert_eq!(&buf[start..start + OK.len()], OK, "answer #{answered}");
            start += OK.len();
            answered += 1;
        }
    }
    assert_eq!(start, filled, "bytes beyond the last answer");
    flooder
        .join()
        .unwrap()
        .expect("the flood was written in full");
    assert_eq!(server.requests(), (REQUESTS + 20) as u64);
    let peak = server.peak_output_buffer();
    assert!(peak <= OUT_BOUND, "queued responses grew to {peak} bytes");
}

#[test]
fn a_pipeliner_that_reads_cannot_starve_another_connection_on_its_thread() {
    let server = serve();
    let addr = server.local_addr();
    let sock = connect(addr);
    let stop = Arc::new(AtomicBool::new(false));
    // Requests with a kilobyte of headers, answered with a hundred bytes:
    // more than a debug-built server parses, so the socket never drains
    // while the client easily reads every answer.
    let mut request = b"GET / HTTP/1.1\r\nHost: x\r\n".to_vec();
    for i in 0..16 {
        request.extend_from_slice(format!("X-Padding-{i:02}: ").as_bytes());
        request.extend_from_slice(&[b'p'; 48]);
        request.extend_from_slice(b"\r\n");
    }
    request.extend_from_slice(b"\r\n");
    let chunk = request.repeat(1000);
    let mut writer = sock.try_clone().unwrap();
    let writer_stop = Arc::clone(&stop);
    let flooder = thread::spawn(move || {
        let mut sent = 0u64;
        while !writer_stop.load(Ordering::Relaxed) {
            writer.write_all(&chunk).unwrap();
            sent += 1000;
        }
        writer.shutdown(Shutdown::Write).unwrap();
        sent
    });
    let mut reader = sock;
    reader
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let drain = thread::spawn(move || {
        let mut got = 0u64;
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            match reader.read(&mut buf) {
                Ok(0) => return got,
                Ok(n) => got += n as u64,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => panic!("flooder read: {e}"),
            }
        }
    });
    eventually("the flood to be under way", || server.requests() > 5_000);
    let slowest = polite_round_trips(addr, 20);
    let during = server.requests();
    stop.store(true, Ordering::Relaxed);
    let sent = flooder.join().unwrap();
    let got = drain.join().unwrap();
    assert!(
        slowest < Duration::from_secs(2),
        "slowest round trip {slowest:?} beside a flooder"
    );
    assert!(during > 5_000);
    // Every request was answered before the close.
    assert_eq!(got, sent * OK.len() as u64, "answers missing after FIN");
    let peak = server.peak_output_buffer();
    assert!(peak <= OUT_BOUND, "queued responses grew to {peak} bytes");
}
