//! Back-pressure and fairness against hostile ESMEs (plain std sockets):
//! one that floods requests and never reads its answers, one that floods
//! while reading (and would keep a thread busy forever), and a receiver
//! bind that never reads its receipts. The server's memory must stay
//! bounded (its peak output-buffer gauge), other sessions on the same
//! thread must still be answered promptly, and every request a client
//! sent must be answered, in order, once it reads.

mod common;

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use common::*;
use hornet_smpp::{command_id, encode, Body, CommandStatus, Pdu};
use hornet_smsc::{SmscConfig, SmscHandle};

/// The server's high-water mark (1 MiB) plus the answers to the PDUs of one
/// read buffer: what one session's queued output may reach.
const OUT_BOUND: u64 = 1024 * 1024 + 64 * 1024;

/// Bytes of requests the flooder sends.
const FLOOD_BYTES: usize = 16 << 20;

/// A bound transceiver's socket, its bind answered and read; the next
/// sequence number is 2.
fn bound_socket(addr: SocketAddr) -> TcpStream {
    let mut c = Client::connect(addr);
    c.bind_trx();
    c.stream
}

/// The flood: enquire_link, with every 16th request a submit_sm, numbered
/// from 2, about `bytes` long. Returns the bytes and, per request, its
/// sequence number and the command id of the answer it must get.
fn flood(bytes: usize) -> (Vec<u8>, Vec<(u32, u32)>) {
    let mut out = Vec::with_capacity(bytes + 256);
    let mut expect = Vec::new();
    let mut seq = 2u32;
    while out.len() < bytes {
        let (body, resp) = if seq % 16 == 0 {
            (Body::SubmitSm(submit_sm(0)), command_id::SUBMIT_SM_RESP)
        } else {
            (Body::EnquireLink, command_id::ENQUIRE_LINK_RESP)
        };
        encode(&Pdu::new(seq, body), &mut out).expect("encode");
        expect.push((seq, resp));
        seq += 1;
    }
    (out, expect)
}

/// Requests the server has handled so far.
fn handled(smsc: &SmscHandle) -> u64 {
    let c = smsc.counters();
    c.enquire_link_received + c.submit_sm
}

/// Round trips of a well-behaved client (enquire_link, then submit_sm),
/// returning the slowest.
fn polite_round_trips(addr: SocketAddr, n: usize) -> Duration {
    let mut c = Client::connect(addr);
    c.bind_trx();
    let mut slowest = Duration::ZERO;
    for _ in 0..n {
        let t = Instant::now();
        let seq = c.request(Body::EnquireLink);
        let resp = c.recv();
        assert_eq!(resp.seq(), seq);
        assert!(matches!(resp.pdu().body, Body::EnquireLinkResp));
        let seq = c.submit(0);
        let resp = c.recv();
        assert_eq!(resp.seq(), seq);
        assert_eq!(resp.status(), CommandStatus::ESME_ROK);
        assert!(!resp.message_id().is_empty());
        slowest = slowest.max(t.elapsed());
    }
    slowest
}

/// Reads answers from `sock` and checks them against `expect`, in order,
/// header by header (fast enough for a million PDUs in a debug build).
/// Returns when all came; panics on a mismatch or after `within`.
fn read_answers_in_order(sock: &mut TcpStream, expect: &[(u32, u32)], within: Duration) {
    let deadline = Instant::now() + within;
    sock.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let mut buf = vec![0u8; 256 * 1024];
    let (mut start, mut filled) = (0usize, 0usize);
    let mut next = 0usize;
    while next < expect.len() {
        assert!(
            Instant::now() < deadline,
            "only {next} of {} answers within {within:?}",
            expect.len()
        );
        if start > 0 {
            buf.copy_within(start..filled, 0);
            filled -= start;
            start = 0;
        }
        match sock.read(&mut buf[filled..]) {
            Ok(0) => panic!("EOF after {next} of {} answers", expect.len()),
            Ok(n) => filled += n,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => continue,
            Err(e) => panic!("read: {e}"),
        }
        while filled - start >= 16 {
            let h = &buf[start..start + 16];
            let len = u32::from_be_bytes([h[0], h[1], h[2], h[3]]) as usize;
            assert!((16..4096).contains(&len), "bad command_length {len}");
            if filled - start < len {
                break;
            }
            let id = u32::from_be_bytes([h[4], h[5], h[6], h[7]]);
            let status = u32::from_be_bytes([h[8], h[9], h[10], h[11]]);
            let seq = u32::from_be_bytes([h[12], h[13], h[14], h[15]]);
            let (want_seq, want_id) = expect[next];
            assert_eq!(
                (seq, id, status),
                (want_seq, want_id, 0),
                "answer #{next} out of order or wrong"
            );
            if id == command_id::SUBMIT_SM_RESP {
                // A message id (8 hex digits) and its NUL.
                assert!(len > 17, "submit_sm_resp without message id");
            }
            next += 1;
            start += len;
        }
    }
    assert_eq!(start, filled, "bytes beyond the last answer");
}

#[test]
fn a_flooder_that_never_reads_is_paused_at_the_high_water_mark_then_answered_in_order() {
    let smsc = server(SmscConfig::default());
    let addr = smsc.local_addr();
    let (bytes, expect) = flood(FLOOD_BYTES);
    let mut sock = bound_socket(addr);
    let mut writer = sock.try_clone().unwrap();
    // Blocks once the server stops reading and the kernel buffers fill.
    let flooder = thread::spawn(move || writer.write_all(&bytes));

    eventually("back-pressure to pause the flooder", || {
        smsc.counters().read_pauses > 0
    });
    // Paused means paused: nothing more is read or handled.
    thread::sleep(Duration::from_millis(100));
    let before = handled(&smsc);
    thread::sleep(Duration::from_millis(300));
    assert_eq!(handled(&smsc), before, "the server kept reading the flood");
    assert!((before as usize) < expect.len() / 2, "{before} handled");
    assert!(!flooder.is_finished(), "the whole flood was taken in");
    let peak = smsc.peak_output_buffer();
    assert!(peak <= OUT_BOUND, "output buffer grew to {peak} bytes");

    // Another client on the same server thread is still answered at once.
    let slowest = polite_round_trips(addr, 20);
    assert!(
        slowest < Duration::from_secs(1),
        "slowest round trip {slowest:?}"
    );

    // Once the flooder reads, every request is answered, in order.
    read_answers_in_order(&mut sock, &expect, Duration::from_secs(60));
    flooder
        .join()
        .unwrap()
        .expect("the flood was written in full");
    assert_eq!(handled(&smsc), expect.len() as u64 + 40);
    let peak = smsc.peak_output_buffer();
    assert!(peak <= OUT_BOUND, "output buffer grew to {peak} bytes");
}

#[test]
fn a_flooder_that_reads_cannot_starve_another_session_on_its_thread() {
    let smsc = server(SmscConfig::default());
    let addr = smsc.local_addr();
    let sock = bound_socket(addr);
    let stop = Arc::new(AtomicBool::new(false));
    // A megabyte of submit_sm asking for receipts (the costliest request
    // to answer), sent again and again until told to stop: more than a
    // debug-built server handles, so the flooder's socket never drains.
    let mut chunk = Vec::new();
    let mut seq = 2;
    while chunk.len() < 1 << 20 {
        encode(&Pdu::new(seq, Body::SubmitSm(submit_sm(1))), &mut chunk).unwrap();
        seq += 1;
    }
    let per_chunk = u64::from(seq - 2);
    let mut writer = sock.try_clone().unwrap();
    let writer_stop = Arc::clone(&stop);
    let flooder = thread::spawn(move || {
        let mut sent = 0u64;
        while !writer_stop.load(Ordering::Relaxed) {
            writer.write_all(&chunk).unwrap();
            sent += per_chunk;
        }
        writer.shutdown(std::net::Shutdown::Write).unwrap();
        sent
    });
    let mut reader = sock;
    reader
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    // Counts the submit_sm_resp among the answers and receipts.
    let drain = thread::spawn(move || {
        let mut got = 0u64;
        let mut buf = vec![0u8; 256 * 1024];
        let (mut start, mut filled) = (0usize, 0usize);
        loop {
            buf.copy_within(start..filled, 0);
            filled -= start;
            start = 0;
            match reader.read(&mut buf[filled..]) {
                Ok(0) => return got,
                Ok(n) => filled += n,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => panic!("flooder read: {e}"),
            }
            while filled - start >= 16 {
                let h = &buf[start..start + 16];
                let len = u32::from_be_bytes([h[0], h[1], h[2], h[3]]) as usize;
                assert!((16..4096).contains(&len), "bad command_length {len}");
                if filled - start < len {
                    break;
                }
                if u32::from_be_bytes([h[4], h[5], h[6], h[7]]) == command_id::SUBMIT_SM_RESP {
                    got += 1;
                }
                start += len;
            }
        }
    });
    eventually("the flood to be under way", || handled(&smsc) > 20_000);
    let slowest = polite_round_trips(addr, 20);
    let during = handled(&smsc);
    stop.store(true, Ordering::Relaxed);
    let sent = flooder.join().unwrap();
    let got = drain.join().unwrap();
    assert!(
        slowest < Duration::from_secs(2),
        "slowest round trip {slowest:?} beside a flooder"
    );
    assert!(
        during > 20_000,
        "the flood stopped while the other client ran"
    );
    // Every submit_sm was answered before the close.
    assert_eq!(got, sent, "answers missing after the flooder's FIN");
    let peak = smsc.peak_output_buffer();
    assert!(peak <= OUT_BOUND, "output buffer grew to {peak} bytes");
}

#[test]
fn receipts_for_a_receiver_that_never_reads_are_held_then_dropped_not_queued_without_limit() {
    const SUBMITS: u32 = 100_000;
    let smsc = server(SmscConfig::default());
    let addr = smsc.local_addr();
    // A receiver bind of system_id "test" that reads its bind_resp, then
    // nothing more.
    let mut receiver = Client::connect(addr);
    receiver.bind_ok(Body::BindReceiver(bind("test", "pw")));
    // A transmitter of the same system_id submits, asking for receipts,
    // and reads its responses.
    let mut tx = Client::connect(addr);
    tx.bind_ok(Body::BindTransmitter(bind("test", "pw")));
    let mut bytes = Vec::new();
    for seq in 2..(2 + SUBMITS) {
        encode(&Pdu::new(seq, Body::SubmitSm(submit_sm(1))), &mut bytes).unwrap();
    }
    let mut writer = tx.stream.try_clone().unwrap();
    let submitter = thread::spawn(move || writer.write_all(&bytes));
    let expect: Vec<(u32, u32)> = (2..(2 + SUBMITS))
        .map(|seq| (seq, command_id::SUBMIT_SM_RESP))
        .collect();
    read_answers_in_order(&mut tx.stream, &expect, Duration::from_secs(60));
    submitter.join().unwrap().unwrap();

    let c = smsc.counters();
    assert_eq!(c.submit_ok, u64::from(SUBMITS));
    assert!(
        c.receipts_sent < c.submit_ok,
        "every receipt was queued for a client that reads nothing: {c:?}"
    );
    let peak = smsc.peak_output_buffer();
    assert!(peak <= OUT_BOUND, "output buffer grew to {peak} bytes");

    // When the receiver goes, what was held for it is accounted for: with
    // no other receiver bind, undeliverable.
    drop(receiver);
    eventually("held receipts to be accounted for", || {
        let c = smsc.counters();
        c.receipts_sent + c.receipts_dropped + c.receipts_undeliverable == c.submit_ok
    });
    let c = smsc.counters();
    assert!(c.receipts_dropped + c.receipts_undeliverable > 0, "{c:?}");
}
