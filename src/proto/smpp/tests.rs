//! Unit tests of the SMPP session, on in-memory peers.

use super::*;
use crate::proto::READ_BUDGET;
use hornet_smpp::{check_frame, decode, encode, CommandStatus, MessageIdResp, Pdu, SubmitSm, Tlvs};
use std::io::{self, Cursor};

fn config(window: usize) -> Arc<SmppConfig> {
    Arc::new(SmppConfig {
        bind: BindKind::Transceiver,
        system_id: b"esme".to_vec(),
        password: b"pw".to_vec(),
        system_type: Vec::new(),
        interface_version: 0x34,
        window,
        source_ton: 5,
        source_npi: 0,
        source: b"hornet".to_vec(),
        dest_ton: 1,
        dest_npi: 1,
        dest: DestTemplate::compile("99890{seq:7}").unwrap(),
        data_coding: 0,
        segments: vec![Segment {
            esm_class: 0,
            short_message: b"hi".to_vec(),
            tlvs: Vec::new(),
        }],
        registered_delivery: 0,
        enquire_link_ns: 0,
        handshake_timeout_ns: 1_000_000_000,
        dlr_wait_ns: 0,
        max_pdu: hornet_smpp::DEFAULT_MAX_PDU,
        max_sessions: 1,
    })
}

/// Decodes every PDU in `bytes` to (command id, sequence number).
fn pdus(bytes: &[u8]) -> Vec<(u32, u32)> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Ok(Some(len)) = check_frame(&bytes[at..], hornet_smpp::DEFAULT_MAX_PDU) {
        let pdu = decode(&bytes[at..at + len]).unwrap();
        out.push((pdu.command_id().as_u32(), pdu.sequence_number));
        at += len;
    }
    out
}

fn bound_session(window: usize) -> (SmppSession, Recorder) {
    let mut s = SmppSession::new(config(window), 0);
    let mut rec = Recorder::new();
    s.on_connected(0);
    let bind_seq = pdus(&s.out)[0].1;
    let mut resp = Vec::new();
    encode(
        &Pdu::new(
            bind_seq,
            Body::BindTransceiverResp(hornet_smpp::BindResp {
                system_id: b"smsc",
                tlvs: Tlvs::List(&[]),
            }),
        ),
        &mut resp,
    )
    .unwrap();
    let mut io = Cursor::new(resp);
    let mut sink = Vec::new();
    // The bind_resp arrives; then the stream would block (EOF here is
    // avoided by stopping on the short read).
    let _ = s.read(&mut Duplex(&mut io, &mut sink), true, &mut || 1, &mut rec);
    assert_eq!(s.phase, Phase::Bound);
    (s, rec)
}

/// Reads from one buffer, writes into another.
struct Duplex<'a>(&'a mut Cursor<Vec<u8>>, &'a mut Vec<u8>);

impl Read for Duplex<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

impl Write for Duplex<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.1.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn sequence_numbers_wrap_to_1_and_skip_outstanding_ones() {
    let (mut s, mut rec) = bound_session(4);
    s.next_seq = MAX_SEQ - 1;
    s.window.insert(
        1,
        Outstanding {
            intended: 0,
            sent: 0,
        },
    );
    for _ in 0..3 {
        s.push(5);
    }
    let mut sink = Vec::new();
    s.flush(&mut sink, 10, &mut rec).unwrap();
    let seqs: Vec<u32> = pdus(&sink).iter().map(|p| p.1).collect();
    assert_eq!(seqs, vec![MAX_SEQ - 1, MAX_SEQ, 2]);
}

#[test]
fn poll_timeout_names_the_next_thing_the_bind_waits_for() {
    let mut s = SmppSession::new(config(4), 0);
    // Bind written at 0 with a 1 s handshake timeout.
    s.on_connected(0);
    assert_eq!(s.poll_timeout(5_000), Some(1_000_000_000));
    let (mut s, mut rec) = bound_session(4);
    // Bound and idle, no keep-alive configured: nothing is due.
    assert_eq!(s.poll_timeout(5_000), None);
    // Two submits written at 100: the oldest times out at 100 + T.
    s.push(90);
    s.push(95);
    let mut sink = Vec::new();
    s.flush(&mut sink, 100, &mut rec).unwrap();
    assert_eq!(s.poll_timeout(5_000), Some(5_100));
    // Early: nothing is due, nothing is counted.
    assert_eq!(s.handle_timeout(5_099, 5_000, &mut rec), TimerOutcome::Keep);
    assert_eq!(rec.current().counters.timed_out, 0);
    // Due: both time out, the window is empty, nothing more is due.
    assert_eq!(s.handle_timeout(5_100, 5_000, &mut rec), TimerOutcome::Keep);
    assert_eq!(rec.current().counters.timed_out, 2);
    assert_eq!(s.poll_timeout(5_000), None);
    // A throttle pause ends on its own timer.
    s.paused_until = Some(7_000);
    assert_eq!(s.poll_timeout(5_000), Some(7_000));
    assert_eq!(s.handle_timeout(7_000, 5_000, &mut rec), TimerOutcome::Keep);
    assert_eq!(s.paused_until, None);
}

#[test]
fn poll_timeout_schedules_the_keep_alive() {
    let mut cfg = (*config(4)).clone();
    cfg.enquire_link_ns = 1_000;
    let (mut s, mut rec) = bound_session(4);
    s.cfg = Arc::new(cfg);
    s.last_rx = 50;
    assert_eq!(s.poll_timeout(10_000), Some(1_050));
    s.out.clear();
    assert_eq!(
        s.handle_timeout(1_050, 10_000, &mut rec),
        TimerOutcome::Keep
    );
    assert_eq!(pdus(&s.out).len(), 1, "enquire_link queued");
    // Now waiting for its answer, within the request timeout.
    assert_eq!(s.poll_timeout(10_000), Some(11_050));
}

#[test]
fn out_of_order_responses_settle_their_own_submits() {
    let (mut s, mut rec) = bound_session(3);
    for i in 0..3 {
        s.push(i * 100);
    }
    assert_eq!(s.room(), 0, "window full");
    let mut sink = Vec::new();
    s.flush(&mut sink, 1_000, &mut rec).unwrap();
    let seqs: Vec<u32> = pdus(&sink).iter().map(|p| p.1).collect();
    let mut resp = Vec::new();
    for (seq, status) in [(seqs[2], 0u32), (seqs[0], 0x58), (seqs[1], 0)] {
        encode(
            &Pdu {
                sequence_number: seq,
                command_status: CommandStatus(status),
                body: Body::SubmitSmResp(MessageIdResp {
                    message_id: if status == 0 { b"10000000" } else { b"" },
                    tlvs: Tlvs::List(&[]),
                }),
            },
            &mut resp,
        )
        .unwrap();
    }
    let mut io = Cursor::new(resp);
    let mut out = Vec::new();
    s.read(
        &mut Duplex(&mut io, &mut out),
        true,
        &mut || 2_000,
        &mut rec,
    )
    .unwrap();
    assert_eq!(s.queued(), 0);
    let c = &rec.current().counters;
    assert_eq!((c.completed, c.ok), (3, 2));
    assert_eq!(rec.current().smpp.as_ref().unwrap().throttled, 1);
    // Throttled: the bind pauses until its timer after the backoff.
    assert_eq!(s.room(), 0);
    assert_eq!(
        s.handle_timeout(2_000 + THROTTLE_BACKOFF.min_ns, 10_000_000_000, &mut rec),
        TimerOutcome::Keep
    );
    assert_eq!(s.room(), 3);
}

/// A peer that sends `pdu` forever and takes `write_cap` bytes of
/// answers in all (then would block).
struct Flood {
    pdu: Vec<u8>,
    at: usize,
    read: usize,
    written: usize,
    write_cap: usize,
}

impl Flood {
    fn new(body: Body<'_>, write_cap: usize) -> Flood {
        let mut pdu = Vec::new();
        encode(&Pdu::new(7, body), &mut pdu).unwrap();
        Flood {
            pdu,
            at: 0,
            read: 0,
            written: 0,
            write_cap,
        }
    }
}

impl Read for Flood {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        for b in buf.iter_mut() {
            *b = self.pdu[self.at];
            self.at = (self.at + 1) % self.pdu.len();
        }
        self.read += buf.len();
        Ok(buf.len())
    }
}

impl Write for Flood {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = buf.len().min(self.write_cap - self.written);
        if n == 0 {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        self.written += n;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_deliver_sm_storm_yields_after_the_read_budget_with_answers_sent() {
    let (mut s, mut rec) = bound_session(4);
    let sm = SubmitSm {
        source_addr: b"998901234567",
        destination_addr: b"hornet",
        short_message: b"storm",
        ..SubmitSm::default()
    };
    let mut io = Flood::new(Body::DeliverSm(sm), usize::MAX);
    for _ in 0..3 {
        let out = s.read(&mut io, true, &mut || 5, &mut rec).unwrap();
        assert_eq!(out, ReadOutcome::Yield);
        assert!(!s.read_paused());
    }
    // Each pass took about its budget, and answered what it read.
    assert!(io.read >= 3 * READ_BUDGET, "{}", io.read);
    assert!(
        io.read < 3 * (READ_BUDGET + 2 * READ_BUF_MIN),
        "{}",
        io.read
    );
    let delivered = rec.current().smpp.as_ref().unwrap().deliver_sm;
    assert!(delivered > 1000, "{delivered}");
    assert_eq!(s.unsent(), 0, "every deliver_sm_resp went out");
    assert_eq!(s.answered(), delivered);
}

#[test]
fn an_enquire_link_flood_that_never_reads_pauses_reading() {
    let (mut s, mut rec) = bound_session(4);
    // The peer takes 100 KB of answers, then reads no more.
    let mut io = Flood::new(Body::EnquireLink, 100_000);
    let mut passes = 0;
    while !s.read_paused() && passes < 100 {
        assert_eq!(
            s.read(&mut io, true, &mut || 5, &mut rec).unwrap(),
            ReadOutcome::Yield
        );
        passes += 1;
    }
    assert!(s.read_paused(), "paused after {passes} passes");
    // Bounded: the high-water mark plus at most one read's answers.
    let queued = s.unsent();
    assert!(queued >= OUT_PAUSE, "{queued}");
    assert!(queued < OUT_PAUSE + 2 * READ_BUF_MIN, "{queued}");
    // Paused, a read pass reads nothing.
    let before = io.read;
    assert_eq!(
        s.read(&mut io, true, &mut || 6, &mut rec).unwrap(),
        ReadOutcome::Yield
    );
    assert_eq!(io.read, before);
    // The peer reads again: the output drains below the low-water
    // mark and reading resumes.
    io.write_cap = usize::MAX;
    s.flush(&mut io, 7, &mut rec).unwrap();
    assert!(!s.read_paused());
    assert_eq!(s.unsent(), 0);
    // No goodbye into a backed-up socket: with the output over its
    // mark, closing skips the unbind.
    io.write_cap = io.written;
    while !s.read_paused() {
        s.read(&mut io, true, &mut || 8, &mut rec).unwrap();
    }
    s.begin_close(9, &mut rec);
    assert!(s.settled(9));
}

#[test]
fn an_unanswered_bind_is_counted_as_a_bind_timeout() {
    let mut s = SmppSession::new(config(4), 0);
    let mut rec = Recorder::new();
    s.on_connected(0);
    assert_eq!(
        s.handle_timeout(2_000_000_000, 10_000_000_000, &mut rec),
        TimerOutcome::Backoff
    );
    // The load ends with a second bind unanswered.
    s.on_connected(3_000_000_000);
    s.begin_close(3_500_000_000, &mut rec);
    assert!(s.settled(3_500_000_000));
    let smpp = rec.current().smpp.as_ref().unwrap();
    assert_eq!((smpp.bind_failed, smpp.bind_timeouts), (2, 2));
}
