//! One SMPP client session (an ESME bind): bind, a window of submit_sm
//! keyed by sequence number, receipts, keep-alive and unbind.
//!
//! Responses may come in any order; the window is a map from sequence
//! number to the submit's times. Throttling answers (ESME_RTHROTTLED,
//! ESME_RMSGQFUL) pause this bind with a doubling backoff. Requests from the
//! SMSC (deliver_sm, enquire_link, unbind) are answered at once, ahead of
//! any queued submits, so writes never starve reads. Like the HTTP slot,
//! nothing here touches a socket or a clock.

pub mod receipts;
pub mod segments;
pub mod template;
mod user;

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};
use std::io::{self, Read, Write};
use std::sync::Arc;

use hornet_smpp::{
    check_frame, decode, decode_header, encode, receipt, Bind, Body, CommandId, CommandStatus,
    MessageIdResp, Pdu, SubmitSm, Tlvs,
};

use super::{ReadOutcome, Session, TimerOutcome, READ_BUDGET};
use crate::metrics::smpp::RECEIPT_STATES;
use crate::metrics::{ErrorKind, Recorder};
use receipts::ReceiptBook;
use template::{DestTemplate, MAX_ADDR};

/// Largest sequence number; the next one after it is 1 (SMPP 3.4 5.1.4).
const MAX_SEQ: u32 = 0x7FFF_FFFF;
const THROTTLE_BACKOFF_MIN_NS: u64 = 10_000_000;
const THROTTLE_BACKOFF_MAX_NS: u64 = 1_000_000_000;
/// Stop encoding new submits while this much output is unsent: the socket
/// is full, and the window's sent times should stay close to the wire.
const OUT_HIGH_WATER: usize = 256 * 1024;
/// Back-pressure: with this much output unsent (answers to the SMSC's own
/// requests pile up when it sends without reading), the session stops
/// reading until the output drains below `OUT_RESUME`. Reading on would
/// queue an answer per request read, without bound.
const OUT_PAUSE: usize = 512 * 1024;
const OUT_RESUME: usize = 128 * 1024;
/// During a read pass, answers go out once this much is queued, so a long
/// pass does not hold them back.
const OUT_FLUSH_AT: usize = 64 * 1024;
const READ_BUF_MIN: usize = 16 * 1024;

/// Which kind of bind a session makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BindKind {
    /// bind_transmitter: submits only.
    Transmitter,
    /// bind_receiver: receives deliver_sm only (no submits).
    Receiver,
    /// bind_transceiver: both.
    Transceiver,
}

/// One pre-encoded message part (a long text is several).
#[derive(Debug, Clone)]
pub struct Segment {
    /// esm_class (0x40 when the short_message starts with a UDH).
    pub esm_class: u8,
    /// The short_message bytes (UDH included), or empty with `payload`.
    pub short_message: Vec<u8>,
    /// TLVs to add as (tag, value): SAR fields or message_payload.
    pub tlvs: Vec<(u16, Vec<u8>)>,
}

/// What every session of a run shares.
#[derive(Debug, Clone)]
pub struct SmppConfig {
    /// Bind kind.
    pub bind: BindKind,
    /// ESME credentials.
    pub system_id: Vec<u8>,
    /// Password.
    pub password: Vec<u8>,
    /// system_type.
    pub system_type: Vec<u8>,
    /// 0x34 (SMPP 3.4) or 0x50 (5.0).
    pub interface_version: u8,
    /// Outstanding submit_sm per session.
    pub window: usize,
    /// Source address TON, NPI and digits.
    pub source_ton: u8,
    /// Source NPI.
    pub source_npi: u8,
    /// Source address.
    pub source: Vec<u8>,
    /// Destination TON.
    pub dest_ton: u8,
    /// Destination NPI.
    pub dest_npi: u8,
    /// Destination template.
    pub dest: DestTemplate,
    /// data_coding of every part.
    pub data_coding: u8,
    /// The message's parts; message `k` of a session sends part `k % len`.
    pub segments: Vec<Segment>,
    /// registered_delivery (1 asks for receipts).
    pub registered_delivery: u8,
    /// Idle time before an enquire_link (0 disables).
    pub enquire_link_ns: u64,
    /// How long to wait for a bind_resp or unbind_resp.
    pub handshake_timeout_ns: u64,
    /// After the load, how long a bind stays up for receipts still due.
    pub dlr_wait_ns: u64,
    /// Largest PDU accepted.
    pub max_pdu: u32,
    /// Sessions the run may have at most (spreads `{seq}` numbers).
    pub max_sessions: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// No socket, or connected and the bind not yet written.
    Unbound,
    BindSent {
        deadline: u64,
    },
    Bound,
    /// The load is over; still bound so receipts for this bind's submits
    /// arrive here rather than being rerouted or lost.
    Lingering {
        until: u64,
    },
    Unbinding {
        deadline: u64,
    },
    Done,
}

#[derive(Debug, Clone, Copy)]
struct Outstanding {
    intended: u64,
    sent: u64,
}

/// Sequence numbers are already well spread: hash them by multiplication.
#[derive(Default)]
struct SeqHasher(u64);

impl Hasher for SeqHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 << 8 | u64::from(*b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u32(&mut self, n: u32) {
        self.0 = u64::from(n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

type Window = HashMap<u32, Outstanding, BuildHasherDefault<SeqHasher>>;

/// One bind's state.
pub struct SmppSession {
    cfg: Arc<SmppConfig>,
    phase: Phase,
    /// Submits assigned and not yet encoded, by intended time.
    queue: VecDeque<u64>,
    window: Window,
    /// No submit in the window was sent before this: a lower bound of the
    /// oldest send, kept without a scan per response (answers leave it
    /// low: the timer then fires early, finds nothing due and takes the
    /// exact minimum). `None` with an empty window.
    oldest_sent: Option<u64>,
    next_seq: u32,
    /// Bytes waiting to be written; `out[out_pos..]` is unsent.
    out: Vec<u8>,
    out_pos: usize,
    rbuf: Vec<u8>,
    rstart: usize,
    rend: usize,
    book: ReceiptBook,
    paused_until: Option<u64>,
    throttle_backoff_ns: u64,
    last_rx: u64,
    /// An enquire_link in flight: (sequence number, when sent).
    enquire_sent: Option<(u32, u64)>,
    /// Messages this session has submitted (feeds `{seq}` and the parts).
    messages: u64,
    session_index: u64,
    rng: u64,
    ever_bound: bool,
    /// Output backed up: reading stopped until it drains (see `OUT_PAUSE`).
    read_paused: bool,
    /// Answers to real work received over the session's life (see
    /// `Session::answered`).
    answered: u64,
    /// A profile user's session (see `user.rs`): submits come rendered,
    /// one at a time, and their answers are handed back.
    user: Option<Box<user::UserState>>,
    /// Sequence number of the bind in flight (a generic_nack to it is a
    /// refusal).
    bind_seq: u32,
}

impl SmppSession {
    /// Session number `index` of the run.
    pub fn new(cfg: Arc<SmppConfig>, index: u64) -> SmppSession {
        let window = cfg.window;
        SmppSession {
            cfg,
            phase: Phase::Unbound,
            queue: VecDeque::with_capacity(window),
            window: Window::with_capacity_and_hasher(window, Default::default()),
            oldest_sent: None,
            next_seq: 1,
            out: Vec::with_capacity(64 * 1024),
            out_pos: 0,
            rbuf: vec![0; READ_BUF_MIN],
            rstart: 0,
            rend: 0,
            book: ReceiptBook::default(),
            paused_until: None,
            throttle_backoff_ns: 0,
            last_rx: 0,
            enquire_sent: None,
            messages: 0,
            session_index: index,
            rng: 0x9E37_79B9_7F4A_7C15 ^ (index + 1).wrapping_mul(0xD1B5_4A32_D192_ED03),
            user: None,
            bind_seq: 0,
            ever_bound: false,
            read_paused: false,
            answered: 0,
        }
    }

    fn seq(&mut self) -> u32 {
        loop {
            let s = self.next_seq;
            self.next_seq = if s >= MAX_SEQ { 1 } else { s + 1 };
            if !self.window.contains_key(&s) {
                return s;
            }
        }
    }

    fn can_submit(&self) -> bool {
        self.cfg.bind != BindKind::Receiver
    }

    /// Appends a PDU to the output; encoding our own well-formed PDUs only
    /// fails on a bug, which is counted as a parse error upstream.
    fn push_pdu(&mut self, pdu: &Pdu<'_>) -> Result<(), ErrorKind> {
        encode(pdu, &mut self.out)
            .map(|_| ())
            .map_err(|_| ErrorKind::Parse)
    }

    fn respond(&mut self, seq: u32, body: Body<'_>) -> Result<(), ErrorKind> {
        self.push_pdu(&Pdu {
            sequence_number: seq,
            command_status: CommandStatus::ESME_ROK,
            body,
        })
    }

    fn encode_submits(&mut self, now: u64) -> Result<(), ErrorKind> {
        let cfg = Arc::clone(&self.cfg);
        while self.out.len() - self.out_pos < OUT_HIGH_WATER {
            let Some(intended) = self.queue.pop_front() else {
                break;
            };
            let seq = self.seq();
            let k = self.messages;
            self.messages += 1;
            let part = &cfg.segments[(k % cfg.segments.len() as u64) as usize];
            let number = (k / cfg.segments.len() as u64) * cfg.max_sessions + self.session_index;
            let mut dest = [0u8; MAX_ADDR];
            let dest = cfg.dest.render(number, &mut self.rng, &mut dest);
            let mut tlv_buf = [hornet_smpp::Tlv { tag: 0, value: &[] }; 4];
            for (slot, (tag, value)) in tlv_buf.iter_mut().zip(&part.tlvs) {
                *slot = hornet_smpp::Tlv { tag: *tag, value };
            }
            let submit = SubmitSm {
                source_addr_ton: cfg.source_ton,
                source_addr_npi: cfg.source_npi,
                source_addr: &cfg.source,
                dest_addr_ton: cfg.dest_ton,
                dest_addr_npi: cfg.dest_npi,
                destination_addr: dest,
                esm_class: part.esm_class,
                registered_delivery: cfg.registered_delivery,
                data_coding: cfg.data_coding,
                short_message: &part.short_message,
                tlvs: Tlvs::List(&tlv_buf[..part.tlvs.len().min(4)]),
                ..SubmitSm::default()
            };
            self.push_pdu(&Pdu {
                sequence_number: seq,
                command_status: CommandStatus::ESME_ROK,
                body: Body::SubmitSm(submit),
            })?;
            self.window.insert(
                seq,
                Outstanding {
                    intended,
                    sent: now,
                },
            );
            self.oldest_sent.get_or_insert(now);
        }
        Ok(())
    }

    /// Bytes queued and not yet written.
    fn unsent(&self) -> usize {
        self.out.len() - self.out_pos
    }

    fn write_out<W: Write>(&mut self, io: &mut W) -> Result<(), ErrorKind> {
        while self.out_pos < self.out.len() {
            match io.write(&self.out[self.out_pos..]) {
                Ok(0) => return Err(ErrorKind::Reset),
                Ok(n) => self.out_pos += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    // A peer that reads slowly but never catches up would
                    // keep `out` from ever emptying: drop what was written
                    // once it is most of the buffer.
                    if self.out_pos >= OUT_FLUSH_AT && self.out_pos * 2 >= self.out.len() {
                        self.out.drain(..self.out_pos);
                        self.out_pos = 0;
                    }
                    if self.unsent() < OUT_RESUME {
                        self.read_paused = false;
                    }
                    return Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(ErrorKind::from_io_error(&e)),
            }
        }
        self.out.clear();
        self.out_pos = 0;
        self.read_paused = false;
        Ok(())
    }

    /// Handles one whole PDU. Returns Some(outcome) when the connection must
    /// end.
    fn handle(
        &mut self,
        frame_start: usize,
        frame_len: usize,
        now: u64,
        rec: &mut Recorder,
    ) -> Result<Option<ReadOutcome>, ErrorKind> {
        // Copy the frame bounds out of `self` so the decoded PDU can borrow
        // the read buffer while other fields change.
        let rbuf = std::mem::take(&mut self.rbuf);
        let result = self.handle_frame(&rbuf[frame_start..frame_start + frame_len], now, rec);
        self.rbuf = rbuf;
        result
    }

    fn handle_frame(
        &mut self,
        frame: &[u8],
        now: u64,
        rec: &mut Recorder,
    ) -> Result<Option<ReadOutcome>, ErrorKind> {
        self.last_rx = now;
        let pdu = match decode(frame) {
            Ok(pdu) => pdu,
            Err(_) => {
                let header = decode_header(frame).map_err(|_| ErrorKind::Parse)?;
                return match CommandId::from_u32(header.command_id) {
                    // An unknown request: say so and carry on (SMPP 3.4
                    // 4.3: generic_nack with ESME_RINVCMDID).
                    None if header.command_id & 0x8000_0000 == 0 => {
                        self.push_pdu(&Pdu {
                            sequence_number: header.sequence_number,
                            command_status: CommandStatus::ESME_RINVCMDID,
                            body: Body::GenericNack,
                        })?;
                        Ok(None)
                    }
                    None => {
                        rec.smpp().unknown_responses += 1;
                        Ok(None)
                    }
                    // A known request whose body does not decode: refuse
                    // that one PDU (ESME_RINVMSGLEN) and keep the bind.
                    Some(id) if !id.is_response() => {
                        self.push_pdu(&Pdu {
                            sequence_number: header.sequence_number,
                            command_status: CommandStatus::ESME_RINVMSGLEN,
                            body: Body::GenericNack,
                        })?;
                        Ok(None)
                    }
                    // A malformed submit_sm_resp still answers its submit:
                    // settle it with the status from the header.
                    Some(CommandId::SubmitSmResp) => {
                        self.on_submit_resp(
                            header.sequence_number,
                            header.command_status,
                            &[],
                            now,
                            rec,
                        );
                        Ok(None)
                    }
                    // Any other malformed response: the stream may be out of
                    // step; start over on a new connection.
                    Some(_) => Err(ErrorKind::Parse),
                };
            }
        };
        let seq = pdu.sequence_number;
        let status = pdu.command_status;
        match pdu.body {
            Body::BindTransmitterResp(_)
            | Body::BindReceiverResp(_)
            | Body::BindTransceiverResp(_) => {
                if !matches!(self.phase, Phase::BindSent { .. }) {
                    rec.smpp().unknown_responses += 1;
                    return Ok(None);
                }
                if status.is_ok() {
                    self.phase = Phase::Bound;
                    let smpp = rec.smpp();
                    smpp.bound += 1;
                    if self.ever_bound {
                        smpp.reconnects += 1;
                    }
                    self.ever_bound = true;
                    self.release_staged(now);
                    Ok(None)
                } else {
                    Ok(Some(self.bind_refused(status, rec)))
                }
            }
            Body::SubmitSmResp(MessageIdResp { message_id, .. }) => {
                self.answered += 1;
                self.on_submit_resp(seq, status, message_id, now, rec);
                Ok(None)
            }
            // A generic_nack answering the bind refuses it, like a
            // bind_resp with an error status.
            Body::GenericNack
                if seq == self.bind_seq && matches!(self.phase, Phase::BindSent { .. }) =>
            {
                rec.smpp().generic_nacks += 1;
                Ok(Some(self.bind_refused(status, rec)))
            }
            Body::GenericNack if self.window.contains_key(&seq) => {
                rec.smpp().generic_nacks += 1;
                self.on_submit_resp(seq, status, &[], now, rec);
                Ok(None)
            }
            Body::GenericNack => {
                rec.smpp().generic_nacks += 1;
                // An SMSC without enquire_link support nacks it: that is
                // still an answer, the link is alive.
                if self.enquire_sent.is_some_and(|(s, _)| s == seq) {
                    self.enquire_sent = None;
                }
                Ok(None)
            }
            Body::EnquireLinkResp => {
                self.answered += 1;
                match self.enquire_sent {
                    Some((s, _)) if s == seq => self.enquire_sent = None,
                    _ => rec.smpp().unknown_responses += 1,
                }
                Ok(None)
            }
            Body::UnbindResp => {
                if matches!(self.phase, Phase::Unbinding { .. }) {
                    self.phase = Phase::Done;
                    Ok(Some(ReadOutcome::Closed))
                } else {
                    rec.smpp().unknown_responses += 1;
                    Ok(None)
                }
            }
            Body::DeliverSm(sm) => {
                self.answered += 1;
                self.on_deliver(&sm, now, rec);
                self.respond(
                    seq,
                    Body::DeliverSmResp(MessageIdResp {
                        message_id: &[],
                        tlvs: Tlvs::List(&[]),
                    }),
                )?;
                Ok(None)
            }
            Body::DataSm(_) => {
                self.answered += 1;
                rec.smpp().deliver_sm += 1;
                self.respond(
                    seq,
                    Body::DataSmResp(MessageIdResp {
                        message_id: &[],
                        tlvs: Tlvs::List(&[]),
                    }),
                )?;
                Ok(None)
            }
            Body::EnquireLink => {
                self.respond(seq, Body::EnquireLinkResp)?;
                Ok(None)
            }
            Body::Unbind => {
                // The SMSC ends the bind: answer, then reconnect and rebind
                // (or stop, if the run is draining).
                rec.smpp().unbinds_received += 1;
                self.respond(seq, Body::UnbindResp)?;
                self.phase = Phase::Unbound;
                Ok(Some(ReadOutcome::Closed))
            }
            Body::Outbind(_) | Body::AlertNotification(_) => Ok(None),
            body if body.command_id().is_response() => {
                rec.smpp().unknown_responses += 1;
                Ok(None)
            }
            // A request an ESME does not serve (submit_sm from the SMSC...).
            _ => {
                self.push_pdu(&Pdu {
                    sequence_number: seq,
                    command_status: CommandStatus::ESME_RINVCMDID,
                    body: Body::GenericNack,
                })?;
                Ok(None)
            }
        }
    }

    /// The SMSC refused the bind with `status`.
    fn bind_refused(&mut self, status: CommandStatus, rec: &mut Recorder) -> ReadOutcome {
        let smpp = rec.smpp();
        smpp.bind_failed += 1;
        smpp.last_bind_status = status.0;
        self.phase = Phase::Unbound;
        self.note_refusal(status);
        ReadOutcome::Rejected
    }

    fn on_submit_resp(
        &mut self,
        seq: u32,
        status: CommandStatus,
        message_id: &[u8],
        now: u64,
        rec: &mut Recorder,
    ) {
        let Some(o) = self.window.remove(&seq) else {
            rec.smpp().unknown_responses += 1;
            return;
        };
        self.note_answer(status);
        let throttled =
            status == CommandStatus::ESME_RTHROTTLED || status == CommandStatus::ESME_RMSGQFUL;
        rec.completed_smpp(status.0, throttled, o.intended, o.sent, now);
        if throttled {
            self.throttle_backoff_ns = (self.throttle_backoff_ns * 2)
                .clamp(THROTTLE_BACKOFF_MIN_NS, THROTTLE_BACKOFF_MAX_NS);
            self.paused_until = Some(now + self.throttle_backoff_ns);
        } else if status.is_ok() {
            self.throttle_backoff_ns = 0;
            if self.cfg.registered_delivery & 0x01 != 0 {
                if message_id.is_empty() || self.cfg.bind == BindKind::Transmitter {
                    // No id, nothing a receipt could name; or a transmitter
                    // bind, which never receives deliver_sm (the SMSC routes
                    // the receipt to another bind, a receiver elsewhere):
                    // this run can never match the receipt. Counted, so the
                    // run does not read "0 pending" as all well.
                    rec.smpp().receipts_unmatchable += 1;
                } else {
                    self.book.insert(message_id, o.sent);
                }
            }
        }
    }

    fn on_deliver(&mut self, sm: &SubmitSm<'_>, now: u64, rec: &mut Recorder) {
        let parsed = receipt::from_deliver_sm(sm);
        let smpp = rec.smpp();
        smpp.deliver_sm += 1;
        let Some(parsed) = parsed else {
            return;
        };
        smpp.receipts += 1;
        let Ok(r) = parsed else {
            smpp.receipt_states[RECEIPT_STATES - 1] += 1;
            return;
        };
        let slot = r
            .stat
            .map_or(RECEIPT_STATES - 1, |s| (s as usize).min(RECEIPT_STATES - 1));
        smpp.receipt_states[slot] += 1;
        if let Some(sent) = self.book.take(r.id) {
            rec.smpp().receipts_matched += 1;
            rec.receipt_latency(sent, now);
        }
    }

    /// Says goodbye: unbind, then wait (bounded) for unbind_resp. Not when
    /// the output is backed up: the SMSC is not reading, so it would never
    /// see the unbind, and waiting for its answer only delays the end.
    fn unbind(&mut self, now: u64, rec: &mut Recorder) {
        if matches!(self.phase, Phase::BindSent { .. }) {
            // The load ended with the bind still unanswered.
            let smpp = rec.smpp();
            smpp.bind_failed += 1;
            smpp.bind_timeouts += 1;
        }
        if matches!(self.phase, Phase::Bound | Phase::Lingering { .. }) && !self.read_paused {
            let seq = self.seq();
            if self.respond(seq, Body::Unbind).is_ok() {
                self.phase = Phase::Unbinding {
                    deadline: now + self.cfg.handshake_timeout_ns,
                };
                return;
            }
        }
        self.phase = Phase::Done;
    }

    fn compact(&mut self) {
        self.rbuf.copy_within(self.rstart..self.rend, 0);
        self.rend -= self.rstart;
        self.rstart = 0;
    }

    fn reset_socket_state(&mut self) {
        self.out.clear();
        self.out_pos = 0;
        self.rstart = 0;
        self.rend = 0;
        self.enquire_sent = None;
        self.paused_until = None;
        self.read_paused = false;
        if self.window.is_empty() {
            self.oldest_sent = None;
        }
        if self.phase != Phase::Done {
            self.phase = Phase::Unbound;
        }
    }
}

impl Session for SmppSession {
    fn on_connected(&mut self, now: u64) {
        self.reset_socket_state();
        if self.phase == Phase::Done {
            return;
        }
        let cfg = Arc::clone(&self.cfg);
        let bind = Bind {
            system_id: &cfg.system_id,
            password: &cfg.password,
            system_type: &cfg.system_type,
            interface_version: cfg.interface_version,
            ..Bind::default()
        };
        let body = match cfg.bind {
            BindKind::Transmitter => Body::BindTransmitter(bind),
            BindKind::Receiver => Body::BindReceiver(bind),
            BindKind::Transceiver => Body::BindTransceiver(bind),
        };
        let seq = self.seq();
        self.bind_seq = seq;
        // Our own bind always encodes: lengths were checked before the run.
        let _ = self.respond(seq, body);
        self.phase = Phase::BindSent {
            deadline: now + cfg.handshake_timeout_ns,
        };
        self.last_rx = now;
    }

    fn ready(&self) -> bool {
        matches!(self.phase, Phase::Bound | Phase::Lingering { .. })
    }

    fn read_paused(&self) -> bool {
        self.read_paused
    }

    fn answered(&self) -> u64 {
        self.answered
    }

    fn room(&self) -> usize {
        if self.phase != Phase::Bound || self.paused_until.is_some() || !self.can_submit() {
            return 0;
        }
        self.cfg
            .window
            .saturating_sub(self.window.len() + self.queue.len())
    }

    fn push(&mut self, intended: u64) {
        self.queue.push_back(intended);
    }

    fn queued(&self) -> usize {
        self.queue.len() + self.window.len()
    }

    fn wants_write(&self) -> bool {
        self.out_pos < self.out.len() || (!self.queue.is_empty() && self.phase == Phase::Bound)
    }

    fn flush<W: Write>(
        &mut self,
        io: &mut W,
        now: u64,
        _rec: &mut Recorder,
    ) -> Result<(), ErrorKind> {
        if self.phase == Phase::Bound {
            self.encode_submits(now)?;
        }
        self.write_out(io)
    }

    fn read<R: Read + Write, F: FnMut() -> u64>(
        &mut self,
        io: &mut R,
        stop_on_short_read: bool,
        now: &mut F,
        rec: &mut Recorder,
    ) -> Result<ReadOutcome, ErrorKind> {
        let max = self.cfg.max_pdu;
        let mut taken = 0;
        loop {
            if self.read_paused || self.unsent() >= OUT_FLUSH_AT {
                // Answers go out during a long pass, not only at its end.
                self.write_out(io)?;
                if self.unsent() >= OUT_PAUSE {
                    // The SMSC sends but does not read: stop reading until
                    // the output drains below `OUT_RESUME` (the worker
                    // resumes after a write that drains it), rather than
                    // queue answers without bound.
                    self.read_paused = true;
                }
                if self.read_paused {
                    return Ok(ReadOutcome::Yield);
                }
            }
            if taken >= READ_BUDGET {
                self.write_out(io)?;
                return Ok(ReadOutcome::Yield);
            }
            if self.rend == self.rbuf.len() {
                if self.rstart > 0 {
                    self.compact();
                } else {
                    // check_frame bounds a PDU by max_pdu, so growing to
                    // hold one is bounded too.
                    // (Empty after `release_read_buffer`: start again at
                    // the initial size.)
                    let len = (self.rbuf.len() * 2).max(READ_BUF_MIN);
                    self.rbuf.resize(len.min(max as usize + READ_BUF_MIN), 0);
                    if self.rend == self.rbuf.len() {
                        return Err(ErrorKind::Parse);
                    }
                }
            }
            let n = match io.read(&mut self.rbuf[self.rend..]) {
                Ok(0) => {
                    return match self.phase {
                        Phase::Done => Ok(ReadOutcome::Closed),
                        // Closed instead of answering the bind (an SMSC at
                        // its bind limit does this): a refusal, retried
                        // after a backoff, not a tight reconnect loop.
                        Phase::BindSent { .. } => {
                            let smpp = rec.smpp();
                            smpp.bind_failed += 1;
                            smpp.bind_closed += 1;
                            self.phase = Phase::Unbound;
                            Ok(ReadOutcome::Rejected)
                        }
                        _ => Err(ErrorKind::ClosedEarly),
                    };
                }
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.write_out(io)?;
                    return Ok(ReadOutcome::Open);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(ErrorKind::from_io_error(&e)),
            };
            let room = self.rbuf.len() - self.rend;
            self.rend += n;
            taken += n;
            let t = now();
            loop {
                let frame = check_frame(&self.rbuf[self.rstart..self.rend], max)
                    .map_err(|_| ErrorKind::Parse)?;
                let Some(len) = frame else {
                    break;
                };
                let start = self.rstart;
                self.rstart += len;
                if let Some(outcome) = self.handle(start, len, t, rec)? {
                    // Answer (unbind_resp) before the socket goes.
                    let _ = self.write_out(io);
                    return Ok(outcome);
                }
            }
            if self.rstart == self.rend {
                self.rstart = 0;
                self.rend = 0;
            }
            if n < room && stop_on_short_read {
                // Responses to the SMSC's requests go out now, not after
                // the next readiness event.
                self.write_out(io)?;
                return Ok(ReadOutcome::Open);
            }
        }
    }

    fn fail_in_flight(&mut self, kind: ErrorKind, rec: &mut Recorder) -> u64 {
        if matches!(self.phase, Phase::BindSent { .. }) {
            // The connection died with the bind unanswered.
            let smpp = rec.smpp();
            smpp.bind_failed += 1;
            smpp.bind_closed += 1;
        }
        let lost = self.window.len() as u64;
        self.window.clear();
        rec.failed(kind, lost);
        self.reset_socket_state();
        lost
    }

    fn abandon_in_flight(&mut self, rec: &mut Recorder) {
        rec.abandoned(self.window.len() as u64);
        self.window.clear();
        self.reset_socket_state();
    }

    /// Submits the SMSC never answered before it closed are lost like any
    /// other in-flight request: SMPP has no "not processed" signal.
    fn requeue_unanswered(&mut self, rec: &mut Recorder) {
        let lost = self.window.len() as u64;
        self.window.clear();
        rec.failed(ErrorKind::ClosedEarly, lost);
        self.reset_socket_state();
    }

    fn fail_queued(&mut self, kind: ErrorKind, n: usize, rec: &mut Recorder) -> u64 {
        let n = n.min(self.queue.len());
        self.queue.drain(..n);
        rec.failed(kind, n as u64);
        n as u64
    }

    fn take_unwritten(&mut self) -> u64 {
        let n = self.queue.len() as u64;
        self.queue.clear();
        n
    }

    fn poll_timeout(&self, timeout_ns: u64) -> Option<u64> {
        let mut due = match self.phase {
            Phase::BindSent { deadline } | Phase::Unbinding { deadline } => Some(deadline),
            // Every receipt in: unbind now.
            Phase::Lingering { .. } if self.book.is_empty() => Some(0),
            Phase::Lingering { until } => Some(until),
            _ => None,
        };
        let mut at = |t: u64| due = Some(due.map_or(t, |d: u64| d.min(t)));
        if let Some(until) = self.paused_until {
            at(until);
        }
        if let Some(sent) = self.oldest_sent {
            at(sent.saturating_add(timeout_ns));
        }
        if let Some((_, sent)) = self.enquire_sent {
            at(sent.saturating_add(timeout_ns));
        } else if self.phase == Phase::Bound && self.cfg.enquire_link_ns > 0 {
            at(self.last_rx.saturating_add(self.cfg.enquire_link_ns));
        }
        due
    }

    fn handle_timeout(&mut self, now: u64, timeout_ns: u64, rec: &mut Recorder) -> TimerOutcome {
        match self.phase {
            Phase::BindSent { deadline } if now >= deadline => {
                let smpp = rec.smpp();
                smpp.bind_failed += 1;
                smpp.bind_timeouts += 1;
                self.phase = Phase::Unbound;
                return TimerOutcome::Backoff;
            }
            Phase::Unbinding { deadline } if now >= deadline => {
                self.phase = Phase::Done;
                return TimerOutcome::Reconnect;
            }
            _ => {}
        }
        if let Phase::Lingering { until } = self.phase {
            // A signal ends the wait for receipts: the unbind still goes
            // out within the worker's short grace.
            if self.book.is_empty() || now >= until || crate::interrupt::requested() {
                self.unbind(now, rec);
            }
        }
        if let Some(until) = self.paused_until {
            if now >= until {
                self.paused_until = None;
            }
        }
        // SMPP answers each sequence number on its own, so one late submit
        // times out alone; the bind stays.
        if self
            .oldest_sent
            .is_some_and(|t| now.saturating_sub(t) >= timeout_ns)
        {
            let before = self.window.len();
            self.window
                .retain(|_, o| now.saturating_sub(o.sent) < timeout_ns);
            rec.failed(ErrorKind::Timeout, (before - self.window.len()) as u64);
            self.oldest_sent = self.window.values().map(|o| o.sent).min();
        }
        if let Some((_, sent)) = self.enquire_sent {
            if now.saturating_sub(sent) >= timeout_ns {
                // The peer stopped answering keep-alives: the link is dead.
                self.fail_in_flight(ErrorKind::Timeout, rec);
                return TimerOutcome::Reconnect;
            }
        } else if self.phase == Phase::Bound
            && self.cfg.enquire_link_ns > 0
            && now.saturating_sub(self.last_rx) >= self.cfg.enquire_link_ns
        {
            let seq = self.seq();
            if self.respond(seq, Body::EnquireLink).is_ok() {
                self.enquire_sent = Some((seq, now));
                rec.smpp().enquire_links += 1;
            }
        }
        TimerOutcome::Keep
    }

    fn begin_close(&mut self, now: u64, rec: &mut Recorder) {
        if self.phase == Phase::Bound
            && !self.book.is_empty()
            && self.cfg.dlr_wait_ns > 0
            && !crate::interrupt::requested()
        {
            self.phase = Phase::Lingering {
                until: now + self.cfg.dlr_wait_ns,
            };
            return;
        }
        self.unbind(now, rec);
    }

    fn settled(&self, _now: u64) -> bool {
        self.window.is_empty() && self.queue.is_empty() && self.phase == Phase::Done
    }

    fn finish(&mut self, rec: &mut Recorder) {
        let pending = self.book.len() as u64 + self.book.given_up();
        if pending > 0 {
            rec.smpp().receipts_pending += pending;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

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
            s.handle_timeout(2_000 + THROTTLE_BACKOFF_MIN_NS, 10_000_000_000, &mut rec),
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
}
