//! Unit tests of the HTTP connection slot, on in-memory streams.

use super::*;
use hornet_http1::Limits;
use std::io::Cursor;

const REQ: &[u8] = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n";
const RESP: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

/// An in-memory stream: reads from `input` then WouldBlock (or EOF),
/// writes at most `write_cap` bytes per call.
struct Mem {
    input: Cursor<Vec<u8>>,
    eof: bool,
    out: Vec<u8>,
    write_cap: usize,
}

impl Read for Mem {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.input.read(buf)?;
        if n == 0 && !self.eof {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        Ok(n)
    }
}

impl Write for Mem {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.write_cap == 0 {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let n = buf.len().min(self.write_cap);
        self.out.extend_from_slice(&buf[..n]);
        self.write_cap -= n;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Keeps every status and body byte it is shown.
#[derive(Default)]
struct Kept {
    statuses: Vec<u16>,
    body: Vec<u8>,
}

impl Sink for Kept {
    fn head(&mut self, head: &hornet_http1::ResponseHead<'_>) {
        self.statuses.push(head.status);
    }
    fn body(&mut self, chunk: &[u8]) {
        self.body.extend_from_slice(chunk);
    }
}

/// Collects the answers a connection hands out.
#[derive(Default)]
struct Answers(Vec<(u64, u16, u64, u64)>);

impl Responses for Answers {
    fn response(&mut self, ex: &Exchange, status: u16, body_len: u64, now: u64) {
        self.0.push((ex.intended, status, body_len, now));
    }
}

#[test]
fn requests_with_their_own_bytes_and_head_flags_are_answered_in_order() {
    let mut conn = HttpConn::with_capture(
        Limits::default(),
        false,
        2,
        false,
        Bytes::new(),
        Kept::default(),
    );
    let a: &[u8] = b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n";
    let b: &[u8] = b"HEAD /b HTTP/1.1\r\nHost: x\r\n\r\n";
    conn.push_request(10, Bytes::from_static(a), false);
    conn.push_request(20, Bytes::from_static(b), true);
    let mut io = mem(
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n",
        false,
        usize::MAX,
    );
    conn.write_requests(&mut io, 30).unwrap();
    assert_eq!(
        io.out,
        [a, b].concat(),
        "each request's own bytes, in order"
    );
    let mut answers = Answers::default();
    let outcome = conn.read_into(&mut io, false, &mut || 40, &mut answers);
    assert_eq!(outcome, Ok(ReadOutcome::Open));
    // The HEAD answer's Content-Length announces no body to read.
    assert_eq!(answers.0, vec![(10, 200, 2, 40), (20, 204, 0, 40)]);
    assert_eq!(conn.capture().statuses, vec![200, 204]);
    assert_eq!(conn.capture().body, b"ok");
    assert_eq!(conn.queued(), 0);
}

#[test]
fn a_released_read_buffer_is_allocated_again_by_the_next_read() {
    let mut conn = conn_with(1);
    conn.release_read_buffer();
    assert!(conn.rbuf.is_empty());
    conn.push(0);
    let mut io = mem(RESP, false, usize::MAX);
    conn.write_requests(&mut io, 1).unwrap();
    let mut rec = Recorder::new();
    assert_eq!(
        conn.read_into(&mut io, true, &mut || 2, &mut rec),
        Ok(ReadOutcome::Open)
    );
    assert_eq!(rec.current().counters.completed, 1);
    assert_eq!(conn.rbuf.len(), READ_BUF_MIN);
}

fn conn_with(pipeline: usize) -> HttpConn {
    HttpConn::new(
        Limits::default(),
        false,
        pipeline,
        false,
        Bytes::from_static(REQ),
    )
}

fn mem(input: &[u8], eof: bool, write_cap: usize) -> Mem {
    Mem {
        input: Cursor::new(input.to_vec()),
        eof,
        out: Vec::new(),
        write_cap,
    }
}

#[test]
fn pipelined_requests_complete_in_order_with_times() {
    let mut conn = conn_with(3);
    let mut rec = Recorder::new();
    for i in 0..3 {
        conn.push(i * 10);
    }
    let mut io = mem(&RESP.repeat(3), false, usize::MAX);
    conn.flush(&mut io, 100, &mut rec).unwrap();
    assert_eq!(io.out, REQ.repeat(3));
    assert_eq!(conn.in_flight(), 3);
    let out = conn.read(&mut io, false, &mut || 1_100, &mut rec).unwrap();
    assert_eq!(out, ReadOutcome::Open);
    assert_eq!(conn.queued(), 0);
    let m = rec.current();
    assert_eq!(m.counters.completed, 3);
    // Corrected latency counts from the intended time, uncorrected from
    // the write at t=100.
    assert_eq!(m.latency_uncorrected.max(), 1);
    assert_eq!(m.latency.len(), 3);
}

#[test]
fn partial_writes_resume_and_stamp_first_byte() {
    let mut conn = conn_with(2);
    let mut rec = Recorder::new();
    conn.push(0);
    conn.push(0);
    let mut io = mem(b"", false, 5);
    conn.write_requests(&mut io, 7).unwrap();
    assert_eq!(conn.in_flight(), 0);
    io.write_cap = REQ.len();
    conn.write_requests(&mut io, 9).unwrap();
    assert_eq!(conn.in_flight(), 1);
    io.write_cap = usize::MAX;
    conn.write_requests(&mut io, 11).unwrap();
    assert_eq!(io.out, REQ.repeat(2));
    assert_eq!(conn.oldest_sent(), Some(7));
    assert_eq!(conn.take_unwritten(), 0);
    assert_eq!(conn.fail_in_flight(ErrorKind::Reset, &mut rec), 2);
}

#[test]
fn connection_close_requeues_unanswered() {
    let mut conn = conn_with(2);
    let mut rec = Recorder::new();
    conn.push(0);
    conn.push(0);
    let close = b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";
    let mut io = mem(close, false, usize::MAX);
    conn.write_requests(&mut io, 1).unwrap();
    let out = conn.read(&mut io, false, &mut || 2, &mut rec).unwrap();
    assert_eq!(out, ReadOutcome::Closed);
    conn.requeue_unanswered(&mut rec);
    assert_eq!(conn.queued(), 1);
    assert!(conn.wants_write());
    assert_eq!(rec.current().counters.failed, 0);
}

#[test]
fn eof_mid_response_fails_as_closed_early() {
    let mut conn = conn_with(1);
    let mut rec = Recorder::new();
    conn.push(0);
    let mut io = mem(&RESP[..10], true, usize::MAX);
    conn.write_requests(&mut io, 1).unwrap();
    let err = conn.read(&mut io, false, &mut || 2, &mut rec).unwrap_err();
    assert_eq!(err, ErrorKind::ClosedEarly);
    assert_eq!(conn.fail_in_flight(err, &mut rec), 1);
    assert_eq!(rec.current().counters.failed, 1);
}

#[test]
fn read_until_close_body_completes_on_eof() {
    let mut conn = conn_with(1);
    let mut rec = Recorder::new();
    conn.push(0);
    let mut io = mem(b"HTTP/1.0 200 OK\r\n\r\nhello", true, usize::MAX);
    conn.write_requests(&mut io, 1).unwrap();
    let out = conn.read(&mut io, false, &mut || 2, &mut rec).unwrap();
    assert_eq!(out, ReadOutcome::Closed);
    assert_eq!(rec.current().counters.completed, 1);
}

#[test]
fn garbage_and_unsolicited_responses_are_parse_errors() {
    let mut conn = conn_with(1);
    let mut rec = Recorder::new();
    let mut io = mem(RESP, false, usize::MAX);
    assert_eq!(
        conn.read(&mut io, false, &mut || 1, &mut rec).unwrap_err(),
        ErrorKind::Parse
    );
    let mut conn = conn_with(1);
    conn.push(0);
    let mut io = mem(b"SSH-2.0-OpenSSH\r\n\r\n", false, usize::MAX);
    conn.write_requests(&mut io, 1).unwrap();
    assert_eq!(
        conn.read(&mut io, false, &mut || 1, &mut rec).unwrap_err(),
        ErrorKind::Parse
    );
}

#[test]
fn large_bodies_grow_the_buffer_and_decode() {
    let mut conn = conn_with(1);
    let mut rec = Recorder::new();
    conn.push(0);
    let body = vec![b'x'; 600_000];
    let mut resp =
        format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", body.len()).into_bytes();
    resp.extend_from_slice(&body);
    let mut io = mem(&resp, false, usize::MAX);
    conn.write_requests(&mut io, 1).unwrap();
    // 600 KB is more than one pass's budget: the first pass yields,
    // the next one finishes the response.
    let mut out = conn.read(&mut io, true, &mut || 2, &mut rec).unwrap();
    assert_eq!(out, ReadOutcome::Yield);
    let mut passes = 1;
    while out == ReadOutcome::Yield && passes < 10 {
        out = conn.read(&mut io, true, &mut || 2, &mut rec).unwrap();
        passes += 1;
    }
    assert_eq!(out, ReadOutcome::Open);
    assert_eq!(passes, 2);
    assert_eq!(rec.current().counters.completed, 1);
    assert_eq!(conn.rbuf.len(), READ_BUF_MAX);
}

/// A stream that never runs dry: every read fills the buffer.
struct Endless(u64);

impl Read for Endless {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        for (i, b) in buf.iter_mut().enumerate() {
            // `1\r\nx\r\n` forever: one-byte chunks.
            *b = b"1\r\nx\r\n"[((self.0 + i as u64) % 6) as usize];
        }
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }
}

impl Write for Endless {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn an_endless_chunked_body_yields_after_the_read_budget() {
    let mut conn = conn_with(1);
    let mut rec = Recorder::new();
    conn.push(0);
    let mut head = mem(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
        false,
        usize::MAX,
    );
    conn.write_requests(&mut head, 1).unwrap();
    assert_eq!(
        conn.read(&mut head, true, &mut || 2, &mut rec).unwrap(),
        ReadOutcome::Open
    );
    let mut io = Endless(0);
    for _ in 0..3 {
        assert_eq!(
            conn.read(&mut io, true, &mut || 3, &mut rec).unwrap(),
            ReadOutcome::Yield
        );
    }
    // Each pass took about its budget, no more.
    assert!(io.0 >= 3 * READ_BUDGET as u64, "{}", io.0);
    assert!(io.0 < 3 * (READ_BUDGET + READ_BUF_MAX) as u64, "{}", io.0);
    // Still in flight: its timer, due 5 after the write at 1, times
    // it out.
    assert_eq!(conn.poll_timeout(5), Some(6));
    assert_eq!(conn.handle_timeout(5, 5, &mut rec), TimerOutcome::Keep);
    assert_eq!(
        conn.handle_timeout(10, 5, &mut rec),
        TimerOutcome::Reconnect
    );
    assert_eq!(conn.poll_timeout(5), None);
    assert_eq!(rec.current().counters.timed_out, 1);
}

#[test]
fn a_huge_head_is_a_parse_error_not_a_hang() {
    let mut conn = conn_with(1);
    let mut rec = Recorder::new();
    conn.push(0);
    let mut resp = b"HTTP/1.1 200 OK\r\n".to_vec();
    while resp.len() < 200_000 {
        resp.extend_from_slice(
            b"X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n",
        );
    }
    let mut io = mem(&resp, false, usize::MAX);
    conn.write_requests(&mut io, 1).unwrap();
    assert_eq!(
        conn.read(&mut io, true, &mut || 2, &mut rec).unwrap_err(),
        ErrorKind::Parse
    );
}

#[test]
fn responses_split_across_reads_decode() {
    let mut conn = conn_with(1);
    let mut rec = Recorder::new();
    conn.push(0);
    let mut io = mem(&RESP[..20], false, usize::MAX);
    conn.write_requests(&mut io, 1).unwrap();
    let out = conn.read(&mut io, false, &mut || 2, &mut rec).unwrap();
    assert_eq!(out, ReadOutcome::Open);
    io.input = Cursor::new(RESP[20..].to_vec());
    let out = conn.read(&mut io, false, &mut || 3, &mut rec).unwrap();
    assert_eq!(out, ReadOutcome::Open);
}

#[test]
fn rendered_requests_are_written_from_the_render_buffer_which_empties_once_answered() {
    let mut conn = HttpConn::with_capture(
        Limits::default(),
        false,
        2,
        false,
        Bytes::new(),
        Kept::default(),
    );
    let a: &[u8] = b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n";
    let b: &[u8] = b"HEAD /b HTTP/1.1\r\nHost: x\r\n\r\n";
    conn.render_buf().extend_from_slice(a);
    conn.push_rendered(10, false);
    conn.render_buf().extend_from_slice(b);
    conn.push_rendered(20, true);
    // A request half rendered when the others are answered stays.
    conn.render_buf().extend_from_slice(b"GET /c");
    // Partial writes: 5 bytes per call, then the socket is full.
    let mut io = mem(
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n",
        false,
        a.len() + 7,
    );
    conn.write_requests(&mut io, 30).unwrap();
    io.write_cap = usize::MAX;
    conn.write_requests(&mut io, 31).unwrap();
    assert_eq!(io.out, [a, b].concat(), "each rendered request, in order");
    let mut answers = Answers::default();
    let outcome = conn.read_into(&mut io, false, &mut || 40, &mut answers);
    assert_eq!(outcome, Ok(ReadOutcome::Open));
    assert_eq!(answers.0, vec![(10, 200, 2, 40), (20, 204, 0, 40)]);
    assert_eq!(conn.queued(), 0);
    assert_eq!(
        conn.render_buf().as_slice(),
        b"GET /c",
        "answered bytes dropped"
    );
    // Nothing queued refers to the buffer: a large one can be freed.
    conn.render_buf().clear();
    conn.render_buf().reserve(100_000);
    conn.release_render_buf(64 * 1024);
    assert_eq!(conn.render_buf().capacity(), 0);
}

#[test]
fn a_lost_rendered_request_frees_its_bytes_and_the_next_is_sent_whole() {
    let mut conn = HttpConn::with_capture(
        Limits::default(),
        false,
        1,
        false,
        Bytes::new(),
        Kept::default(),
    );
    conn.render_buf().extend_from_slice(REQ);
    conn.push_rendered(1, false);
    let mut io = mem(b"", false, usize::MAX);
    conn.write_requests(&mut io, 2).unwrap();
    assert_eq!(conn.take_in_flight(), 1);
    assert!(conn.render_buf().is_empty());
    conn.render_buf().extend_from_slice(REQ);
    conn.push_rendered(3, false);
    let mut io = mem(RESP, false, usize::MAX);
    conn.write_requests(&mut io, 4).unwrap();
    assert_eq!(io.out, REQ);
    let mut answers = Answers::default();
    conn.read_into(&mut io, false, &mut || 5, &mut answers)
        .unwrap();
    assert_eq!(answers.0, vec![(3, 200, 2, 5)]);
    assert!(conn.render_buf().is_empty());
}
