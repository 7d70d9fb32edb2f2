//! Hostile peers for `hornet http` and `hornet smpp` (tests/trust_engine.rs):
//! servers that stream forever, flood requests without reading, break every
//! connection right after it works, or never answer a bind; and a runner
//! that times a spawned hornet and samples its peak memory.
//!
//! Every peer listens on 127.0.0.1 port 0, serves each connection on its
//! own thread, stops when the client goes away (writes fail) and in any
//! case after [`PEER_LIFETIME`], so a broken hornet fails its test instead
//! of hanging the suite.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use hornet_smpp::{
    check_frame, decode, encode, BindResp, Body, CommandStatus, MessageIdResp, Pdu, SubmitSm, Tlvs,
    DEFAULT_MAX_PDU,
};
use rustls::{ServerConfig, ServerConnection};

/// No hostile peer outlives this, whatever hornet does.
pub const PEER_LIFETIME: Duration = Duration::from_secs(20);

/// A listener whose every connection is served by `serve` on a thread of
/// its own; counts accepted connections. Stops accepting when dropped.
pub struct Peer {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Connections accepted so far.
    pub accepted: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Peer {
    /// Starts a peer; `serve` gets each connection (blocking, with read and
    /// write timeouts) and its stop flag.
    pub fn start(serve: impl Fn(TcpStream, Arc<AtomicBool>) + Send + Sync + 'static) -> Peer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let accepted = Arc::new(AtomicU64::new(0));
        let serve = Arc::new(serve);
        let (flag, count) = (Arc::clone(&stop), Arc::clone(&accepted));
        let thread = std::thread::spawn(move || {
            let deadline = Instant::now() + PEER_LIFETIME;
            while !flag.load(Ordering::Relaxed) && Instant::now() < deadline {
                match listener.accept() {
                    Ok((stream, _)) => {
                        count.fetch_add(1, Ordering::Relaxed);
                        stream.set_nonblocking(false).unwrap();
                        let timeout = Some(Duration::from_secs(3));
                        stream.set_read_timeout(timeout).unwrap();
                        stream.set_write_timeout(timeout).unwrap();
                        let (serve, flag) = (Arc::clone(&serve), Arc::clone(&flag));
                        std::thread::spawn(move || serve(stream, flag));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(1)),
                }
            }
        });
        Peer {
            addr,
            accepted,
            stop,
            thread: Some(thread),
        }
    }

    /// Connections accepted so far.
    pub fn accepted(&self) -> u64 {
        self.accepted.load(Ordering::Relaxed)
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// True while a connection's server should go on.
pub fn alive(stop: &AtomicBool, started: Instant) -> bool {
    !stop.load(Ordering::Relaxed) && started.elapsed() < PEER_LIFETIME
}

/// 64 KiB of one-byte chunks: `1\r\nx\r\n` over and over.
pub fn one_byte_chunks() -> Vec<u8> {
    b"1\r\nx\r\n".repeat(64 * 1024 / 6)
}

const CHUNKED_HEAD: &[u8] = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";

/// Reads one request head, then answers with a chunked response whose
/// one-byte chunks never end (written as fast as the socket takes them).
pub fn endless_chunked(mut s: TcpStream, stop: Arc<AtomicBool>) {
    let started = Instant::now();
    if !read_head(&mut s) || s.write_all(CHUNKED_HEAD).is_err() {
        return;
    }
    let chunks = one_byte_chunks();
    while alive(&stop, started) && s.write_all(&chunks).is_ok() {}
}

/// The same endless response over TLS (rustls server side).
pub fn endless_chunked_tls(config: Arc<ServerConfig>) -> impl Fn(TcpStream, Arc<AtomicBool>) {
    move |mut tcp, stop| {
        let started = Instant::now();
        let mut conn = ServerConnection::new(Arc::clone(&config)).unwrap();
        while conn.is_handshaking() {
            if conn.complete_io(&mut tcp).is_err() {
                return;
            }
        }
        // The request head: plaintext up to the blank line.
        let mut head = Vec::new();
        let mut buf = [0u8; 4096];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
            match conn.reader().read(&mut buf) {
                Ok(0) => return,
                Ok(n) => {
                    head.extend_from_slice(&buf[..n]);
                    continue;
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(_) => return,
            }
            if conn.complete_io(&mut tcp).is_err() {
                return;
            }
        }
        // One record's worth at a time: rustls buffers at most 64 KiB of
        // unsent plaintext, and a full buffer fails `write_all`.
        let chunks = one_byte_chunks();
        let mut next: &[u8] = CHUNKED_HEAD;
        while alive(&stop, started) {
            if conn.writer().write_all(next).is_err() {
                return;
            }
            while conn.wants_write() {
                if conn.write_tls(&mut tcp).is_err() {
                    return;
                }
            }
            next = &chunks[..16 * 1024 / 6 * 6];
        }
    }
}

/// Reads one HTTP request head (up to the blank line).
pub fn read_head(s: &mut TcpStream) -> bool {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => return false,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
        if head.len() > 64 * 1024 {
            return false;
        }
    }
    true
}

/// Reads one whole PDU (bounded by the stream's read timeout).
pub fn read_pdu(s: &mut TcpStream, buf: &mut Vec<u8>) -> Option<Vec<u8>> {
    loop {
        if let Ok(Some(len)) = check_frame(buf, DEFAULT_MAX_PDU) {
            let frame = buf[..len].to_vec();
            buf.drain(..len);
            return Some(frame);
        }
        let mut chunk = [0u8; 16 * 1024];
        match s.read(&mut chunk) {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

/// Encodes one PDU.
pub fn pdu_bytes(pdu: &Pdu<'_>) -> Vec<u8> {
    let mut out = Vec::new();
    encode(pdu, &mut out).unwrap();
    out
}

/// Reads the bind and accepts it with the matching bind_*_resp. None if
/// the client sent no bind.
pub fn accept_bind(s: &mut TcpStream, buf: &mut Vec<u8>) -> Option<()> {
    let frame = read_pdu(s, buf)?;
    let bind = decode(&frame).ok()?;
    let resp = BindResp {
        system_id: b"hostile",
        tlvs: Tlvs::List(&[]),
    };
    let body = match bind.body {
        Body::BindTransmitter(_) => Body::BindTransmitterResp(resp),
        Body::BindReceiver(_) => Body::BindReceiverResp(resp),
        Body::BindTransceiver(_) => Body::BindTransceiverResp(resp),
        _ => return None,
    };
    s.write_all(&pdu_bytes(&Pdu::new(bind.sequence_number, body)))
        .ok()
}

/// `n` deliver_sm (mobile-originated texts) back to back.
pub fn deliver_sm_batch(n: u32) -> Vec<u8> {
    let mut out = Vec::new();
    for seq in 1..=n {
        let sm = SubmitSm {
            source_addr: b"998901234567",
            destination_addr: b"hornet",
            short_message: b"storm",
            ..SubmitSm::default()
        };
        encode(&Pdu::new(seq, Body::DeliverSm(sm)), &mut out).unwrap();
    }
    out
}

/// `n` enquire_link back to back.
pub fn enquire_link_batch(n: u32) -> Vec<u8> {
    let mut out = Vec::new();
    for seq in 1..=n {
        encode(&Pdu::new(seq, Body::EnquireLink), &mut out).unwrap();
    }
    out
}

/// Binds the client, then sends `batch` over and over without pause,
/// while a reader thread reads (and discards) what the client sends: the
/// client's answers are taken, only its reading is under pressure.
pub fn storm(batch: Vec<u8>) -> impl Fn(TcpStream, Arc<AtomicBool>) {
    move |mut s, stop| {
        let started = Instant::now();
        let mut buf = Vec::new();
        if accept_bind(&mut s, &mut buf).is_none() {
            return;
        }
        let mut writer = s.try_clone().unwrap();
        let reader = std::thread::spawn(move || {
            let mut sink = vec![0u8; 64 * 1024];
            while matches!(s.read(&mut sink), Ok(n) if n > 0) {}
        });
        while alive(&stop, started) && writer.write_all(&batch).is_ok() {}
        let _ = writer.shutdown(std::net::Shutdown::Both);
        let _ = reader.join();
    }
}

/// Like [`storm`], but the reader answers submit_sm (ESME_ROK, message id
/// "1") and unbind. The writer holds a lock per batch so answers never
/// split a PDU.
pub fn storm_answering(batch: Vec<u8>) -> impl Fn(TcpStream, Arc<AtomicBool>) {
    move |mut s, stop| {
        let started = Instant::now();
        let mut buf = Vec::new();
        if accept_bind(&mut s, &mut buf).is_none() {
            return;
        }
        let writer = Arc::new(Mutex::new(s.try_clone().unwrap()));
        let answers = Arc::clone(&writer);
        let done = Arc::new(AtomicBool::new(false));
        let reader_done = Arc::clone(&done);
        let reader = std::thread::spawn(move || {
            while let Some(frame) = read_pdu(&mut s, &mut buf) {
                let Ok(pdu) = decode(&frame) else { break };
                let reply = match pdu.body {
                    Body::SubmitSm(_) => Pdu::new(
                        pdu.sequence_number,
                        Body::SubmitSmResp(MessageIdResp {
                            message_id: b"1",
                            tlvs: Tlvs::List(&[]),
                        }),
                    ),
                    Body::Unbind => Pdu::new(pdu.sequence_number, Body::UnbindResp),
                    _ => continue,
                };
                let bytes = pdu_bytes(&reply);
                if answers.lock().unwrap().write_all(&bytes).is_err() {
                    break;
                }
            }
            reader_done.store(true, Ordering::Relaxed);
        });
        while alive(&stop, started) && !done.load(Ordering::Relaxed) {
            if writer.lock().unwrap().write_all(&batch).is_err() {
                break;
            }
        }
        let _ = writer.lock().unwrap().shutdown(std::net::Shutdown::Both);
        let _ = reader.join();
    }
}

/// Binds the client, then sends `batch` over and over and never reads
/// again: answers pile up on the client's side.
pub fn flood_without_reading(batch: Vec<u8>) -> impl Fn(TcpStream, Arc<AtomicBool>) {
    move |mut s, stop| {
        let started = Instant::now();
        let mut buf = Vec::new();
        if accept_bind(&mut s, &mut buf).is_none() {
            return;
        }
        while alive(&stop, started) && s.write_all(&batch).is_ok() {}
    }
}

/// Binds the client, then sends a PDU whose command_length (8) is below
/// the 16-byte header: malformed, the client must drop the connection.
pub fn malformed_after_bind(mut s: TcpStream, _stop: Arc<AtomicBool>) {
    let mut buf = Vec::new();
    // Once the first submit_sm is in flight, so the break fails a request
    // (counted by kind) whatever the timing of the client's reads.
    if accept_bind(&mut s, &mut buf).is_some() && read_pdu(&mut s, &mut buf).is_some() {
        let _ = s.write_all(&[0, 0, 0, 8, 0, 0, 0, 0x15, 0, 0, 0, 0, 0, 0, 0, 1]);
        // Let the client read it before the close.
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Binds the client and at once sends the malformed PDU (for a receiver
/// bind: nothing is ever in flight when the session breaks).
pub fn malformed_right_after_bind(mut s: TcpStream, _stop: Arc<AtomicBool>) {
    let mut buf = Vec::new();
    if accept_bind(&mut s, &mut buf).is_some() {
        let _ = s.write_all(&[0, 0, 0, 8, 0, 0, 0, 0x15, 0, 0, 0, 0, 0, 0, 0, 1]);
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Reads the bind and never answers; holds the connection until the
/// client leaves.
pub fn silent_bind(mut s: TcpStream, stop: Arc<AtomicBool>) {
    let started = Instant::now();
    let mut buf = [0u8; 4096];
    while alive(&stop, started) {
        match s.read(&mut buf) {
            Ok(0) => return,
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
            Err(_) => return,
        }
    }
}

/// Binds the client and answers every submit_sm ESME_ROK with an empty
/// message_id (and unbind with unbind_resp).
pub fn empty_message_ids(mut s: TcpStream, _stop: Arc<AtomicBool>) {
    let mut buf = Vec::new();
    if accept_bind(&mut s, &mut buf).is_none() {
        return;
    }
    while let Some(frame) = read_pdu(&mut s, &mut buf) {
        let Ok(pdu) = decode(&frame) else { return };
        let reply = match pdu.body {
            Body::SubmitSm(_) => Pdu {
                sequence_number: pdu.sequence_number,
                command_status: CommandStatus::ESME_ROK,
                body: Body::SubmitSmResp(MessageIdResp {
                    message_id: b"",
                    tlvs: Tlvs::List(&[]),
                }),
            },
            Body::Unbind => Pdu::new(pdu.sequence_number, Body::UnbindResp),
            _ => continue,
        };
        if s.write_all(&pdu_bytes(&reply)).is_err() {
            return;
        }
    }
}

/// How a spawned hornet ended.
pub struct Run {
    /// Exit status, stdout and stderr.
    pub output: Output,
    /// Wall time from spawn to exit.
    pub elapsed: Duration,
    /// Peak resident set (VmHWM), KiB, as last sampled before the exit.
    pub peak_kb: u64,
}

/// The process's VmHWM, KiB (0 once it is gone).
fn vm_hwm_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// Runs the hornet binary with `args`, sampling its peak memory every
/// 10 ms; kills it (and fails) if it runs past `limit`. With
/// `interrupt_after`, sends it SIGINT that long after the start.
pub fn hornet(args: &[&str], limit: Duration, interrupt_after: Option<Duration>) -> Run {
    let start = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_hornet"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("hornet starts");
    let pid = child.id();
    let mut peak_kb = 0;
    let mut interrupted = false;
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        peak_kb = peak_kb.max(vm_hwm_kb(pid));
        if let Some(after) = interrupt_after {
            if !interrupted && start.elapsed() >= after {
                // SAFETY: kill(2) on our own child's pid.
                unsafe { libc::kill(pid as libc::pid_t, libc::SIGINT) };
                interrupted = true;
            }
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let output = child.wait_with_output().unwrap();
            panic!(
                "hornet {args:?} still running after {limit:?} (peak {peak_kb} KiB); stderr: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let elapsed = start.elapsed();
    let output = child.wait_with_output().unwrap();
    Run {
        output,
        elapsed,
        peak_kb,
    }
}

/// Reads a result document hornet wrote.
pub fn json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).expect("result written");
    serde_json::from_str(&text).expect("result is JSON")
}

/// Reads until the client goes away (or the stop flag, or the peer's
/// lifetime), answering nothing.
fn hold_silently(s: &mut TcpStream, stop: &AtomicBool) {
    let started = Instant::now();
    let mut buf = [0u8; 4096];
    while alive(stop, started) {
        match s.read(&mut buf) {
            Ok(0) => return,
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => return,
        }
    }
}

/// Answers the first request on the connection, then never answers again
/// (but keeps reading): every later request stays in flight until its
/// timeout.
pub fn answer_once_then_hang(mut s: TcpStream, stop: Arc<AtomicBool>) {
    if !read_head(&mut s)
        || s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            .is_err()
    {
        return;
    }
    hold_silently(&mut s, &stop);
}

/// Accepts the bind, then never answers anything (submit_sm, unbind).
pub fn bind_then_silent(mut s: TcpStream, stop: Arc<AtomicBool>) {
    let mut buf = Vec::new();
    if accept_bind(&mut s, &mut buf).is_none() {
        return;
    }
    hold_silently(&mut s, &stop);
}

/// Accepts the bind and answers every submit_sm ESME_ROK with a fresh
/// message_id, but never sends a receipt; answers unbind.
pub fn ids_without_receipts(mut s: TcpStream, _stop: Arc<AtomicBool>) {
    let mut buf = Vec::new();
    if accept_bind(&mut s, &mut buf).is_none() {
        return;
    }
    let mut next_id = 0u64;
    while let Some(frame) = read_pdu(&mut s, &mut buf) {
        let Ok(pdu) = decode(&frame) else { return };
        next_id += 1;
        let id = format!("{next_id:08x}");
        let reply = match pdu.body {
            Body::SubmitSm(_) => Pdu::new(
                pdu.sequence_number,
                Body::SubmitSmResp(MessageIdResp {
                    message_id: id.as_bytes(),
                    tlvs: Tlvs::List(&[]),
                }),
            ),
            Body::Unbind => Pdu::new(pdu.sequence_number, Body::UnbindResp),
            _ => continue,
        };
        if s.write_all(&pdu_bytes(&reply)).is_err() {
            return;
        }
    }
}
