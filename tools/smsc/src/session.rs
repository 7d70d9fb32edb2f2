//! Per-connection SMPP session: the MC side of one ESME's bind.
//!
//! Sans-IO in spirit: it reads from any `Read`, writes to any `Write` and
//! takes its time from the thread's [`Rt`], so unit tests drive it with
//! in-memory buffers. The worker owns the socket, the timer heap and the
//! receipt routing; it only asks the session what it wants next.
//!
//! Flow: bytes are read into `inb` until `WouldBlock`; every whole PDU in
//! the buffer is handled, and each response is encoded straight into `out`
//! (or, with a latency, queued as a [`Job`] on the thread's delay queue).
//! All queued output goes out in as few `write` calls as the socket
//! accepts.
//!
//! Back-pressure, so that a client that floods requests and never reads
//! cannot grow the server's memory: once more than [`OUT_HIGH_WATER`] bytes
//! wait for the peer (or too many delayed responses or receipts of its
//! submits are pending), the session stops handling and reading requests
//! until the backlog drains below [`OUT_LOW_WATER`]; the worker then reads
//! again at once, as no new edge announces what the kernel already holds.
//! Receipts and MO messages for a session over its high-water mark are
//! held (up to [`MAX_HELD_RECEIPTS`], beyond which they are dropped and
//! counted) or skipped, never appended. A read pass also stops after
//! [`READ_BUDGET`] bytes, so one flooding client cannot starve the other
//! sessions of its thread; the worker resumes it after a turn of the loop.

use std::collections::VecDeque;
use std::io::{ErrorKind, Read, Write};
use std::time::{Duration, Instant};

use hornet_smpp::receipt::{self, ReceiptFields};
use hornet_smpp::{
    check_frame, command_id, decode, decode_header, encode, tag, Bind, BindResp, Body,
    CommandStatus, DecodeError, Header, MessageIdResp, MessageState, Pdu, QuerySmResp,
    SubmitMultiResp, SubmitSm, Tlv, Tlvs, HEADER_LEN,
};

use crate::counters::Counter;
use crate::ids::{receipt_date, IdText, ShortBytes};
use crate::settings::Rt;

/// Initial read buffer; grows up to the configured `max_pdu` if needed.
const INITIAL_IN: usize = 64 * 1024;
/// Initial write buffer.
const INITIAL_OUT: usize = 16 * 1024;
/// Stop reading while more than this many output bytes wait for the peer.
pub(crate) const OUT_HIGH_WATER: usize = 1024 * 1024;
/// Resume reading once the output backlog is down to this many bytes: well
/// below the high-water mark, so a slow reader is not switched on and off
/// for every few bytes it takes.
pub(crate) const OUT_LOW_WATER: usize = 256 * 1024;
/// Stop reading while more than this many delayed responses are pending
/// (resume at half).
const DELAYED_HIGH_WATER: u32 = 64 * 1024;
/// Stop reading while more than this many receipts of this session's
/// submits wait for their delay (resume at half): with a long
/// `receipt_delay`, a client that reads its responses but submits without
/// pause would otherwise fill the thread's delay queue.
const RECEIPTS_HIGH_WATER: u32 = 64 * 1024;
/// Receipts held for a session over its high-water mark; later ones are
/// dropped (counted `receipts_dropped`). About 2 MB of [`ReceiptJob`]s.
pub(crate) const MAX_HELD_RECEIPTS: usize = 16 * 1024;
/// Most bytes one session reads per turn of its thread's loop (several
/// reads into the 64 KiB buffer): enough to keep a fast client busy, small
/// enough that a flooding one cannot keep the thread from its other
/// sessions, timers and writes.
pub(crate) const READ_BUDGET: usize = 256 * 1024;
/// Server requests remembered while unanswered; beyond this the oldest is
/// forgotten (its late response then counts as unknown).
const MAX_OUTSTANDING: usize = 1 << 20;
/// How long a closing connection waits for the peer's FIN after ours, and
/// how long an unbind sent by the server waits for unbind_resp.
pub(crate) const LINGER: Duration = Duration::from_secs(1);
/// Most MO messages sent in one tick; a session that fell further behind
/// skips ahead instead of bursting.
const MO_BURST: u32 = 1000;
/// The MC's system_id in bind responses.
const SYSTEM_ID: &[u8] = b"hornet-smsc";
/// Largest sequence number; the next one after it is 1.
const MAX_SEQ: u32 = 0x7FFF_FFFF;

/// The kind of bind a session holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BindKind {
    /// bind_transmitter: submits only.
    Transmitter,
    /// bind_receiver: deliveries only.
    Receiver,
    /// bind_transceiver: both.
    Transceiver,
}

impl BindKind {
    fn can_submit(self) -> bool {
        self != BindKind::Receiver
    }

    fn can_receive(self) -> bool {
        self != BindKind::Transmitter
    }
}

/// What to do once a delayed response has been written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum After {
    Nothing,
    /// `drop_after`: close the connection without unbind.
    Drop,
    /// `unbind_after`: send unbind.
    Unbind,
}

/// A receipt to send: everything it needs, stored inline.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ReceiptJob {
    pub(crate) id: u64,
    pub(crate) state: MessageState,
    /// Unix seconds of the submit.
    pub(crate) submitted: u64,
    /// The submitting bind's system_id, for routing to another bind.
    pub(crate) system_id: ShortBytes<16>,
    /// The submit's source, which the receipt goes to.
    pub(crate) source: ShortBytes<21>,
    pub(crate) source_ton: u8,
    pub(crate) source_npi: u8,
    /// The submit's destination, which the receipt comes from.
    pub(crate) dest: ShortBytes<21>,
    pub(crate) dest_ton: u8,
    pub(crate) dest_npi: u8,
    /// The first 20 octets of the message.
    pub(crate) text: ShortBytes<20>,
}

/// A submit_sm_resp held back by the latency.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DelayedResp {
    pub(crate) sequence_number: u32,
    pub(crate) status: CommandStatus,
    /// The message id; unused when `status` is an error.
    pub(crate) id: u64,
    pub(crate) receipt: Option<ReceiptJob>,
    pub(crate) after: After,
}

/// Work queued on the thread's delay queue for the connection
/// `key`/`generation`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Job {
    pub(crate) key: usize,
    pub(crate) generation: u64,
    pub(crate) kind: JobKind,
}

/// See [`Job`].
#[derive(Debug, Clone, Copy)]
pub(crate) enum JobKind {
    Resp(DelayedResp),
    /// Routed when due: to the submitting bind if it can receive, else to
    /// another bind of the same system_id.
    Receipt(ReceiptJob),
}

/// A request the server sent and awaits a response to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sent {
    Receipt,
    Mo,
    EnquireLink,
    Unbind,
}

/// The server's unanswered requests on one connection, by sequence number.
///
/// Server sequence numbers are consecutive, so a ring indexed by the
/// distance from the oldest unanswered one finds any entry in O(1) without
/// hashing or allocating per request.
#[derive(Debug, Default)]
struct Outstanding {
    /// Sequence number of `slots[0]`.
    base: u32,
    slots: VecDeque<Option<Sent>>,
}

impl Outstanding {
    fn push(&mut self, seq: u32, what: Sent) {
        if self.slots.is_empty() {
            self.base = seq;
        }
        self.slots.push_back(Some(what));
        if self.slots.len() > MAX_OUTSTANDING {
            self.slots.pop_front();
            self.base = next_seq(self.base);
            self.trim();
        }
    }

    fn take(&mut self, seq: u32) -> Option<Sent> {
        if seq == 0 || seq > MAX_SEQ || self.slots.is_empty() {
            return None;
        }
        let distance = if seq >= self.base {
            seq - self.base
        } else {
            seq + (MAX_SEQ - self.base)
        };
        let taken = self.slots.get_mut(distance as usize)?.take();
        self.trim();
        taken
    }

    fn trim(&mut self) {
        while let Some(None) = self.slots.front() {
            self.slots.pop_front();
            self.base = next_seq(self.base);
        }
    }
}

/// The sequence number after `seq`: 1 follows 0x7FFFFFFF.
fn next_seq(seq: u32) -> u32 {
    if seq >= MAX_SEQ {
        1
    } else {
        seq + 1
    }
}

/// Per-bind submit_sm rate limit: `limit` tokens, refilled continuously at
/// `limit` per second.
#[derive(Debug)]
struct Bucket {
    tokens: f64,
    limit: f64,
    last: Instant,
}

impl Bucket {
    fn new(limit: u32, now: Instant) -> Bucket {
        Bucket {
            tokens: f64::from(limit),
            limit: f64::from(limit),
            last: now,
        }
    }

    fn take(&mut self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * self.limit).min(self.limit);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// One client connection's protocol state.
#[derive(Debug)]
pub(crate) struct Session {
    /// Slab key and generation, which delayed jobs name the session by.
    key: usize,
    generation: u64,
    /// Read buffer; `inb[start..filled]` is unprocessed input.
    inb: Vec<u8>,
    start: usize,
    filled: usize,
    /// Write buffer; `out[out_pos..]` is unsent.
    out: Vec<u8>,
    out_pos: usize,
    bind: Option<BindKind>,
    system_id: ShortBytes<16>,
    /// Next server-originated sequence number.
    seq: u32,
    outstanding: Outstanding,
    bucket: Option<Bucket>,
    /// submit_sm received on this bind.
    submits: u64,
    /// Delayed responses queued and not yet written.
    delayed: u32,
    /// State of the last receipt generated for this bind, for query_sm.
    last_state: Option<MessageState>,
    next_enquire: Option<Instant>,
    next_mo: Option<Instant>,
    /// Set when the server's unbind was sent: close at this instant if no
    /// unbind_resp came.
    unbind_deadline: Option<Instant>,
    /// False once the connection is closing: later input is read and
    /// discarded.
    parsing: bool,
    /// False once the server decided to close (unbind, drop, failed bind,
    /// bad framing): delayed responses are then discarded. The peer's EOF
    /// alone still lets them go out.
    answering: bool,
    /// Close once everything queued has been written.
    close_after_flush: bool,
    /// The peer sent FIN.
    peer_eof: bool,
    /// Set once our FIN is sent: force-close at this instant.
    linger_until: Option<Instant>,
    /// Reading (and handling requests) stopped because too much output is
    /// queued; set at the high-water mark, cleared at the low one.
    read_paused: bool,
    /// The last read pass ended on its budget, not on `WouldBlock`: the
    /// socket may hold more, which no new edge will announce.
    read_more: bool,
    /// Receipts of this session's submits waiting on the delay queue.
    receipts_queued: u32,
    /// Receipts for this session that came while it was over its
    /// high-water mark, in order; sent as the backlog drains.
    held: VecDeque<ReceiptJob>,
    /// The earliest deadline already in the timer heap for this session.
    armed: Option<Instant>,
    /// Set by `bind`, taken by the worker to index receiver binds.
    newly_bound: bool,
    /// The socket is unusable (error, reset, or finished); drop it.
    dead: bool,
}

impl Session {
    /// A fresh connection in slab slot `key`; `generation` must be unique
    /// within its thread.
    pub(crate) fn new(key: usize, generation: u64) -> Session {
        Session {
            key,
            generation,
            inb: vec![0; INITIAL_IN],
            start: 0,
            filled: 0,
            out: Vec::with_capacity(INITIAL_OUT),
            out_pos: 0,
            bind: None,
            system_id: ShortBytes::new(b""),
            seq: 1,
            outstanding: Outstanding::default(),
            bucket: None,
            submits: 0,
            delayed: 0,
            last_state: None,
            next_enquire: None,
            next_mo: None,
            unbind_deadline: None,
            parsing: true,
            answering: true,
            close_after_flush: false,
            peer_eof: false,
            linger_until: None,
            read_paused: false,
            read_more: false,
            receipts_queued: 0,
            held: VecDeque::new(),
            armed: None,
            newly_bound: false,
            dead: false,
        }
    }

    /// See [`Session::new`].
    pub(crate) fn generation(&self) -> u64 {
        self.generation
    }

    /// Whether the worker should drop the socket now.
    pub(crate) fn is_dead(&self) -> bool {
        self.dead
    }

    /// The bound system_id (empty before bind).
    pub(crate) fn system_id(&self) -> &[u8] {
        self.system_id.as_bytes()
    }

    /// Whether the session holds a receiver or transceiver bind.
    pub(crate) fn is_receiver(&self) -> bool {
        self.bind.is_some_and(BindKind::can_receive)
    }

    /// Whether a receipt or MO message may be sent here now.
    pub(crate) fn can_receive(&self) -> bool {
        self.is_receiver()
            && !self.close_after_flush
            && !self.dead
            && self.unbind_deadline.is_none()
    }

    /// True once after a successful receiver or transceiver bind.
    pub(crate) fn take_newly_bound(&mut self) -> bool {
        std::mem::take(&mut self.newly_bound)
    }

    /// Reads until `WouldBlock` (or EOF, error, back-pressure, or `budget`
    /// bytes), handling every whole PDU. Takes what it read from `budget`;
    /// when the budget ends the pass, [`Session::take_read_more`] says so.
    ///
    /// `short_read_drains`: with edge-triggered readiness, a read shorter
    /// than the buffer means the socket was drained at that moment and any
    /// later data raises a new event, so the extra `read` that would only
    /// return `WouldBlock` can be skipped. The caller passes false when the
    /// event already reported the peer's FIN (which must still be read) or
    /// when reading without a fresh event.
    pub(crate) fn read_from<R: Read>(
        &mut self,
        src: &mut R,
        rt: &mut Rt<'_>,
        short_read_drains: bool,
        budget: &mut usize,
    ) {
        self.process(rt);
        while !self.dead && !self.peer_eof {
            if self.pause_if_backlogged(rt) {
                break;
            }
            if *budget == 0 {
                self.read_more = true;
                break;
            }
            if !self.parsing {
                // Discarding: reuse the whole buffer as scratch.
                self.start = 0;
                self.filled = 0;
            } else {
                self.make_room(rt.settings.max_pdu as usize);
            }
            let space = self.inb.len() - self.filled;
            match src.read(&mut self.inb[self.filled..]) {
                Ok(0) => self.on_eof(),
                Ok(n) => {
                    *budget = budget.saturating_sub(n);
                    self.filled += n;
                    self.process(rt);
                    if short_read_drains && n < space {
                        break;
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                // Resets and other socket errors just end the connection.
                Err(_) => self.dead = true,
            }
        }
    }

    /// Writes queued output until done or `WouldBlock`.
    pub(crate) fn write_to<W: Write>(&mut self, dst: &mut W) {
        while self.out_pos < self.out.len() {
            match dst.write(&self.out[self.out_pos..]) {
                Ok(0) => {
                    self.dead = true;
                    return;
                }
                Ok(n) => self.out_pos += n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => {
                    self.dead = true;
                    return;
                }
            }
        }
        self.out.clear();
        self.out_pos = 0;
    }

    /// True once when reading was paused by back-pressure and the backlog
    /// has drained to the low-water mark: the caller must read again now.
    pub(crate) fn resume_reading(&mut self) -> bool {
        if self.read_paused && self.drained() {
            self.read_paused = false;
            return true;
        }
        false
    }

    /// True once after a read pass that ended on its budget: the worker
    /// must come back to read more without waiting for an event.
    pub(crate) fn take_read_more(&mut self) -> bool {
        std::mem::take(&mut self.read_more)
    }

    /// Output bytes queued and not yet accepted by the socket.
    pub(crate) fn out_pending(&self) -> usize {
        self.out.len() - self.out_pos
    }

    /// Moves held receipts to the output while it is under its high-water
    /// mark (or drops them, counted undeliverable, if the session can no
    /// longer receive). True if any went out, so the caller writes again.
    pub(crate) fn release_held(&mut self, rt: &mut Rt<'_>) -> bool {
        if self.held.is_empty() || self.out_pending() > OUT_LOW_WATER {
            return false;
        }
        let mut released = false;
        while self.out_pending() <= OUT_HIGH_WATER && self.can_receive() {
            let Some(r) = self.held.pop_front() else {
                break;
            };
            self.write_receipt(&r, rt);
            released = true;
        }
        released
    }

    /// The held receipts, for the worker to route elsewhere when the
    /// session closes.
    pub(crate) fn take_held(&mut self) -> VecDeque<ReceiptJob> {
        std::mem::take(&mut self.held)
    }

    /// One receipt of this session's submits left the delay queue. True if
    /// reading is paused, so the worker should see whether it may resume.
    pub(crate) fn receipt_fired(&mut self) -> bool {
        self.receipts_queued = self.receipts_queued.saturating_sub(1);
        self.read_paused
    }

    /// After output is flushed on a closing connection: true once when the
    /// worker should send FIN (`shutdown(Write)`) and start lingering; marks
    /// the connection dead instead if the peer already closed its side.
    pub(crate) fn half_close_due(&mut self, now: Instant) -> bool {
        let flushed = self.out_pos == self.out.len() && (!self.answering || self.delayed == 0);
        if self.dead || !self.close_after_flush || !flushed {
            return false;
        }
        if self.peer_eof {
            self.dead = true;
            return false;
        }
        if self.linger_until.is_some() {
            return false;
        }
        self.linger_until = Some(now + LINGER);
        true
    }

    /// A deadline the worker must add to the timer heap, if one is needed
    /// and not already covered by an earlier armed timer.
    pub(crate) fn timer_to_arm(&mut self) -> Option<Instant> {
        let want = [
            self.next_enquire,
            self.next_mo,
            self.unbind_deadline,
            self.linger_until,
        ]
        .into_iter()
        .flatten()
        .min()?;
        if self.armed.is_some_and(|armed| armed <= want) {
            return None;
        }
        self.armed = Some(want);
        Some(want)
    }

    /// Handles a wake-up: enquire_link and MO ticks, unbind and linger
    /// timeouts.
    pub(crate) fn on_timer(&mut self, rt: &mut Rt<'_>) {
        let now = rt.now;
        self.armed = None;
        if self.linger_until.is_some_and(|t| t <= now)
            || self.unbind_deadline.is_some_and(|t| t <= now)
        {
            self.dead = true;
            return;
        }
        if let (Some(at), Some(interval)) = (self.next_enquire, rt.settings.enquire_link) {
            if at <= now {
                self.next_enquire = Some(now + interval);
                if !self.read_paused && !self.backlogged() && !self.close_after_flush {
                    let seq = self.send_request(Sent::EnquireLink);
                    self.push(&Pdu::new(seq, Body::EnquireLink));
                    rt.counters.inc(Counter::EnquireLinkSent);
                }
            }
        }
        if let (Some(mut at), Some(interval)) = (self.next_mo, rt.settings.mo_interval) {
            let mut sent = 0;
            while at <= now && sent < MO_BURST {
                if self.can_receive() && !self.read_paused && !self.backlogged() {
                    self.send_mo(rt);
                }
                at += interval;
                sent += 1;
            }
            if at <= now {
                at = now + interval;
            }
            self.next_mo = Some(at);
        }
    }

    /// Writes a delayed submit_sm_resp whose time has come.
    pub(crate) fn emit_resp(&mut self, r: DelayedResp, rt: &mut Rt<'_>) {
        self.delayed = self.delayed.saturating_sub(1);
        if !self.answering || self.dead {
            // Closing: nothing more is answered, but the receipt still goes
            // where the worker can route it.
            if let Some(receipt) = r.receipt {
                self.schedule_receipt(receipt, rt);
            }
            return;
        }
        self.answer_submit(r, rt);
    }

    /// Sends a receipt for one of this session's or a sibling bind's
    /// submits; the caller checked [`Session::can_receive`]. Over the
    /// high-water mark (or behind receipts already held) it is held instead,
    /// in order, or dropped and counted once too many are held.
    pub(crate) fn emit_receipt(&mut self, r: &ReceiptJob, rt: &mut Rt<'_>) {
        if !self.held.is_empty() || self.out_pending() > OUT_HIGH_WATER {
            if self.held.len() < MAX_HELD_RECEIPTS {
                self.held.push_back(*r);
            } else {
                rt.counters.inc(Counter::ReceiptsDropped);
            }
            return;
        }
        self.write_receipt(r, rt);
    }

    /// Encodes a receipt into the output.
    fn write_receipt(&mut self, r: &ReceiptJob, rt: &mut Rt<'_>) {
        let settings = rt.settings;
        let id = IdText::new(r.id, settings.receipt_id_format);
        let delivered = r.state == MessageState::Delivered;
        rt.scratch.clear();
        receipt::write_text(
            &ReceiptFields {
                id: id.as_bytes(),
                sub: 1,
                dlvrd: u32::from(delivered),
                submit_date: receipt_date(r.submitted),
                done_date: receipt_date(rt.wall),
                stat: r.state,
                err: if delivered { 0 } else { 1 },
                text: r.text.as_bytes(),
            },
            &mut rt.scratch,
        );
        // receipted_message_id is a C-Octet String: its value holds the NUL.
        let mut id_z = [0u8; 21];
        let id_len = id.as_bytes().len();
        id_z[..id_len].copy_from_slice(id.as_bytes());
        let state = [r.state.as_u8()];
        let tlv_list = [
            Tlv::new(tag::RECEIPTED_MESSAGE_ID, &id_z[..id_len + 1]),
            Tlv::new(tag::MESSAGE_STATE, &state),
        ];
        let tlvs = if settings.receipt_tlvs {
            Tlvs::List(&tlv_list)
        } else {
            Tlvs::EMPTY
        };
        let seq = self.send_request(Sent::Receipt);
        let sm = SubmitSm {
            source_addr_ton: r.dest_ton,
            source_addr_npi: r.dest_npi,
            source_addr: r.dest.as_bytes(),
            dest_addr_ton: r.source_ton,
            dest_addr_npi: r.source_npi,
            destination_addr: r.source.as_bytes(),
            esm_class: receipt::ESM_CLASS_MC_DELIVERY_RECEIPT,
            short_message: &rt.scratch,
            tlvs,
            ..SubmitSm::default()
        };
        if self.push(&Pdu::new(seq, Body::DeliverSm(sm))) {
            rt.counters.inc(Counter::ReceiptsSent);
        }
        self.last_state = Some(r.state);
    }

    /// Records the state of a receipt for this bind's submit that was
    /// delivered elsewhere (or nowhere), for query_sm.
    pub(crate) fn note_receipt_state(&mut self, state: MessageState) {
        self.last_state = Some(state);
    }

    /// Handles every whole PDU in the read buffer, until back-pressure
    /// pauses the session.
    fn process(&mut self, rt: &mut Rt<'_>) {
        let inb = std::mem::take(&mut self.inb);
        while self.parsing && self.start < self.filled && !self.pause_if_backlogged(rt) {
            let buf = &inb[self.start..self.filled];
            match check_frame(buf, rt.settings.max_pdu) {
                Ok(None) => break,
                Ok(Some(len)) => {
                    self.start += len;
                    self.on_frame(&buf[..len], rt);
                }
                Err(_) => {
                    // The stream cannot be resynchronised.
                    let seq = buf
                        .get(12..HEADER_LEN)
                        .map_or(0, |b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
                    self.generic_nack(seq, CommandStatus::ESME_RINVCMDLEN, rt);
                    self.close();
                }
            }
        }
        self.inb = inb;
        if self.start == self.filled {
            self.start = 0;
            self.filled = 0;
        }
    }

    /// Makes space to read into: compacts, then grows up to what one PDU
    /// of `max_pdu` needs.
    fn make_room(&mut self, max_pdu: usize) {
        if self.filled < self.inb.len() {
            return;
        }
        if self.start > 0 {
            self.inb.copy_within(self.start..self.filled, 0);
            self.filled -= self.start;
            self.start = 0;
            return;
        }
        // A full buffer from offset 0 holds a partial PDU larger than the
        // buffer (check_frame already bounded it by max_pdu).
        let len = (self.inb.len() * 2).min(max_pdu.max(INITIAL_IN));
        self.inb.resize(len, 0);
    }

    fn on_frame(&mut self, frame: &[u8], rt: &mut Rt<'_>) {
        let header = match decode_header(frame) {
            Ok(h) => h,
            // check_frame guarantees a whole header; nothing sensible to do.
            Err(_) => return,
        };
        if header.command_id & command_id::GENERIC_NACK != 0 {
            self.on_response(&header, rt);
            return;
        }
        match decode(frame) {
            Ok(pdu) => self.on_request(pdu, rt),
            Err(DecodeError::UnknownCommand { .. }) => {
                self.generic_nack(header.sequence_number, CommandStatus::ESME_RINVCMDID, rt);
            }
            Err(_) => {
                self.generic_nack(header.sequence_number, CommandStatus::ESME_RINVMSGLEN, rt);
            }
        }
    }

    /// Responses are matched by header alone; their bodies carry nothing
    /// the simulator needs.
    fn on_response(&mut self, header: &Header, rt: &mut Rt<'_>) {
        let counters = rt.counters;
        let taken = self.outstanding.take(header.sequence_number);
        match (header.command_id, taken) {
            (command_id::GENERIC_NACK, _) => counters.inc(Counter::GenericNacksReceived),
            (command_id::DELIVER_SM_RESP, Some(Sent::Receipt)) => {
                counters.inc(Counter::ReceiptsAcked);
            }
            (command_id::DELIVER_SM_RESP, Some(Sent::Mo)) => counters.inc(Counter::MoAcked),
            (command_id::ENQUIRE_LINK_RESP, Some(Sent::EnquireLink)) => {}
            (command_id::UNBIND_RESP, Some(Sent::Unbind)) => {
                self.unbind_deadline = None;
                self.close();
            }
            _ => counters.inc(Counter::UnknownResponses),
        }
    }

    fn on_request(&mut self, pdu: Pdu<'_>, rt: &mut Rt<'_>) {
        let seq = pdu.sequence_number;
        let bound = self.bind;
        // Every request except bind and enquire_link needs a bind; a
        // receiver cannot submit.
        let refuse = |s: &mut Session, body: Body<'_>| {
            s.push(&Pdu {
                sequence_number: seq,
                command_status: CommandStatus::ESME_RINVBNDSTS,
                body,
            });
        };
        let can_submit = bound.is_some_and(BindKind::can_submit);
        match pdu.body {
            Body::BindTransmitter(b) => self.bind(seq, BindKind::Transmitter, &b, rt),
            Body::BindReceiver(b) => self.bind(seq, BindKind::Receiver, &b, rt),
            Body::BindTransceiver(b) => self.bind(seq, BindKind::Transceiver, &b, rt),
            Body::EnquireLink => {
                rt.counters.inc(Counter::EnquireLinkReceived);
                self.push(&Pdu::new(seq, Body::EnquireLinkResp));
            }
            Body::Unbind if bound.is_none() => refuse(self, Body::UnbindResp),
            Body::Unbind => {
                rt.counters.inc(Counter::UnbindsReceived);
                self.push(&Pdu::new(seq, Body::UnbindResp));
                self.close();
            }
            Body::SubmitSm(_) if !can_submit => refuse(self, empty_id_resp(Body::SubmitSmResp)),
            Body::SubmitSm(sm) => self.submit(seq, &sm, rt),
            Body::DataSm(_) if !can_submit => refuse(self, empty_id_resp(Body::DataSmResp)),
            Body::DataSm(_) => {
                let id = IdText::new(rt.next_id(), rt.settings.message_id_format);
                self.push(&Pdu::new(
                    seq,
                    Body::DataSmResp(MessageIdResp {
                        message_id: id.as_bytes(),
                        tlvs: Tlvs::EMPTY,
                    }),
                ));
            }
            Body::SubmitMulti(_) if !can_submit => {
                refuse(self, Body::SubmitMultiResp(SubmitMultiResp::default()));
            }
            Body::SubmitMulti(_) => {
                let id = IdText::new(rt.next_id(), rt.settings.message_id_format);
                self.push(&Pdu::new(
                    seq,
                    Body::SubmitMultiResp(SubmitMultiResp {
                        message_id: id.as_bytes(),
                        ..SubmitMultiResp::default()
                    }),
                ));
            }
            Body::QuerySm(_) if !can_submit => {
                refuse(self, Body::QuerySmResp(QuerySmResp::default()));
            }
            Body::QuerySm(q) => {
                let state = self.last_state.unwrap_or(MessageState::Enroute);
                self.push(&Pdu::new(
                    seq,
                    Body::QuerySmResp(QuerySmResp {
                        message_id: q.message_id,
                        final_date: b"",
                        message_state: state.as_u8(),
                        error_code: 0,
                    }),
                ));
            }
            Body::CancelSm(_) if !can_submit => refuse(self, Body::CancelSmResp),
            Body::CancelSm(_) => {
                self.push(&Pdu::new(seq, Body::CancelSmResp));
            }
            Body::ReplaceSm(_) if !can_submit => refuse(self, Body::ReplaceSmResp),
            Body::ReplaceSm(_) => {
                self.push(&Pdu::new(seq, Body::ReplaceSmResp));
            }
            // MC-to-ESME operations (and responses, which never get here).
            _ => self.generic_nack(seq, CommandStatus::ESME_RINVCMDID, rt),
        }
    }

    fn bind(&mut self, seq: u32, kind: BindKind, b: &Bind<'_>, rt: &mut Rt<'_>) {
        let resp = |system_id, tlvs| {
            let r = BindResp { system_id, tlvs };
            match kind {
                BindKind::Transmitter => Body::BindTransmitterResp(r),
                BindKind::Receiver => Body::BindReceiverResp(r),
                BindKind::Transceiver => Body::BindTransceiverResp(r),
            }
        };
        let version = match b.interface_version {
            0x00..=0x34 => Some(0x34u8),
            0x50 => Some(0x50),
            _ => None,
        };
        let status = if self.bind.is_some() {
            CommandStatus::ESME_RALYBND
        } else if version.is_none() {
            CommandStatus::ESME_RBINDFAIL
        } else {
            match &rt.settings.credentials {
                Some((id, _)) if b.system_id != id.as_slice() => CommandStatus::ESME_RINVSYSID,
                Some((_, pw)) if b.password != pw.as_slice() => CommandStatus::ESME_RINVPASWD,
                _ => CommandStatus::ESME_ROK,
            }
        };
        if !status.is_ok() {
            rt.counters.inc(Counter::BindsFailed);
            self.push(&Pdu {
                sequence_number: seq,
                command_status: status,
                body: resp(b"", Tlvs::EMPTY),
            });
            if status != CommandStatus::ESME_RALYBND {
                self.close();
            }
            return;
        }
        rt.counters.inc(Counter::BindsOk);
        let version = [version.unwrap_or(0x34)];
        let tlv = [Tlv::new(tag::SC_INTERFACE_VERSION, &version)];
        self.push(&Pdu::new(seq, resp(SYSTEM_ID, Tlvs::List(&tlv))));
        self.bind = Some(kind);
        self.system_id = ShortBytes::new(b.system_id);
        let now = rt.now;
        self.bucket = rt.settings.tps_limit.map(|n| Bucket::new(n, now));
        self.next_enquire = rt.settings.enquire_link.map(|i| now + i);
        if kind.can_receive() {
            self.next_mo = rt.settings.mo_interval.map(|i| now + i);
            self.newly_bound = true;
        }
    }

    fn submit(&mut self, seq: u32, sm: &SubmitSm<'_>, rt: &mut Rt<'_>) {
        let counters = rt.counters;
        counters.inc(Counter::SubmitSm);
        self.submits += 1;
        let settings = rt.settings;
        let after = if settings.drop_after == Some(self.submits) {
            // Nothing after this submit is read; the connection closes
            // once its response is out.
            self.parsing = false;
            self.start = 0;
            self.filled = 0;
            After::Drop
        } else if settings.unbind_after == Some(self.submits) {
            After::Unbind
        } else {
            After::Nothing
        };
        let mut r = DelayedResp {
            sequence_number: seq,
            status: CommandStatus::ESME_ROK,
            id: 0,
            receipt: None,
            after,
        };
        if let Some(bucket) = &mut self.bucket {
            if !bucket.take(rt.now) {
                // Throttling is answered at once, as MCs do.
                counters.inc(Counter::Throttled);
                r.status = CommandStatus::ESME_RTHROTTLED;
                self.answer_submit(r, rt);
                return;
            }
        }
        if rt.inject_error() {
            counters.inc(Counter::ErrorsInjected);
            r.status = settings.error_status;
        } else {
            counters.inc(Counter::SubmitOk);
            r.id = rt.next_id();
            if sm.registered_delivery & 0x01 != 0 {
                let text = if sm.short_message.is_empty() {
                    sm.tlvs.get(tag::MESSAGE_PAYLOAD).unwrap_or(b"")
                } else {
                    sm.short_message
                };
                r.receipt = Some(ReceiptJob {
                    id: r.id,
                    state: rt.receipt_state(),
                    submitted: rt.wall,
                    system_id: self.system_id,
                    source: ShortBytes::new(sm.source_addr),
                    source_ton: sm.source_addr_ton,
                    source_npi: sm.source_addr_npi,
                    dest: ShortBytes::new(sm.destination_addr),
                    dest_ton: sm.dest_addr_ton,
                    dest_npi: sm.dest_addr_npi,
                    text: ShortBytes::new(text),
                });
            }
        }
        let delay = rt.latency();
        if delay.is_zero() {
            self.answer_submit(r, rt);
        } else {
            self.delayed += 1;
            rt.jobs.push(
                rt.now + delay,
                Job {
                    key: self.key,
                    generation: self.generation,
                    kind: JobKind::Resp(r),
                },
            );
        }
    }

    /// Writes a submit_sm_resp, then schedules its receipt and runs its
    /// test hook.
    fn answer_submit(&mut self, r: DelayedResp, rt: &mut Rt<'_>) {
        let id = IdText::new(r.id, rt.settings.message_id_format);
        let message_id = if r.status.is_ok() { id.as_bytes() } else { b"" };
        self.push(&Pdu {
            sequence_number: r.sequence_number,
            command_status: r.status,
            body: Body::SubmitSmResp(MessageIdResp {
                message_id,
                tlvs: Tlvs::EMPTY,
            }),
        });
        if let Some(receipt) = r.receipt {
            if rt.settings.receipt_delay.is_zero() && self.can_receive() {
                self.emit_receipt(&receipt, rt);
            } else {
                self.schedule_receipt(receipt, rt);
            }
        }
        match r.after {
            After::Nothing => {}
            After::Drop => self.close(),
            After::Unbind => {
                if self.unbind_deadline.is_none() && !self.close_after_flush {
                    let seq = self.send_request(Sent::Unbind);
                    self.push(&Pdu::new(seq, Body::Unbind));
                    rt.counters.inc(Counter::UnbindsSent);
                    self.unbind_deadline = Some(rt.now + LINGER);
                }
            }
        }
    }

    fn schedule_receipt(&mut self, receipt: ReceiptJob, rt: &mut Rt<'_>) {
        self.receipts_queued += 1;
        rt.jobs.push(
            rt.now + rt.settings.receipt_delay,
            Job {
                key: self.key,
                generation: self.generation,
                kind: JobKind::Receipt(receipt),
            },
        );
    }

    fn send_mo(&mut self, rt: &mut Rt<'_>) {
        rt.mo_seq += 1;
        let n = rt.mo_seq;
        let mut source = [0u8; 12];
        source[..4].copy_from_slice(b"4477");
        for d in &mut source[4..] {
            *d = b'0' + rt.rng.u8(0..10);
        }
        rt.scratch.clear();
        // Writing to a Vec cannot fail.
        let _ = write!(rt.scratch, "hornet-smsc MO #{n}");
        let seq = self.send_request(Sent::Mo);
        let system_id = self.system_id;
        let sm = SubmitSm {
            source_addr_ton: 1,
            source_addr_npi: 1,
            source_addr: &source,
            destination_addr: system_id.as_bytes(),
            short_message: &rt.scratch,
            ..SubmitSm::default()
        };
        if self.push(&Pdu::new(seq, Body::DeliverSm(sm))) {
            rt.counters.inc(Counter::MoSent);
        }
    }

    fn generic_nack(&mut self, seq: u32, status: CommandStatus, rt: &mut Rt<'_>) {
        rt.counters.inc(Counter::GenericNacksSent);
        self.push(&Pdu {
            sequence_number: seq,
            command_status: status,
            body: Body::GenericNack,
        });
    }

    /// Takes the next server sequence number and remembers what it is for.
    fn send_request(&mut self, what: Sent) -> u32 {
        let seq = self.seq;
        self.seq = next_seq(seq);
        self.outstanding.push(seq, what);
        seq
    }

    /// Encodes `pdu` straight into the write buffer. False if it cannot be
    /// encoded (a field the client sent is too long to echo).
    fn push(&mut self, pdu: &Pdu<'_>) -> bool {
        encode(pdu, &mut self.out).is_ok()
    }

    /// Stops answering; the connection closes once output is flushed.
    fn close(&mut self) {
        self.answering = false;
        self.parsing = false;
        self.close_after_flush = true;
        self.start = 0;
        self.filled = 0;
    }

    fn on_eof(&mut self) {
        // What was received in full is answered, delayed responses
        // included; then the connection ends.
        self.peer_eof = true;
        self.parsing = false;
        self.close_after_flush = true;
        self.start = 0;
        self.filled = 0;
    }

    /// Over a high-water mark: too much output, too many delayed
    /// responses or too many receipts queued for the peer.
    fn backlogged(&self) -> bool {
        self.out_pending() > OUT_HIGH_WATER
            || self.delayed > DELAYED_HIGH_WATER
            || self.receipts_queued > RECEIPTS_HIGH_WATER
    }

    /// Down to every low-water mark: reading may resume.
    fn drained(&self) -> bool {
        self.out_pending() <= OUT_LOW_WATER
            && self.delayed <= DELAYED_HIGH_WATER / 2
            && self.receipts_queued <= RECEIPTS_HIGH_WATER / 2
    }

    /// True while reading is paused; pauses it (counted) on reaching a
    /// high-water mark.
    fn pause_if_backlogged(&mut self, rt: &mut Rt<'_>) -> bool {
        if !self.read_paused && self.backlogged() {
            self.read_paused = true;
            rt.counters.inc(Counter::ReadPauses);
        }
        self.read_paused
    }
}

/// An error response with an empty message id.
fn empty_id_resp<'a>(f: fn(MessageIdResp<'a>) -> Body<'a>) -> Body<'a> {
    f(MessageIdResp::default())
}

#[cfg(test)]
mod tests;
