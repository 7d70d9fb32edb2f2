//! One SMPP client session (an ESME bind): bind, a window of submit_sm
//! keyed by sequence number, receipts, keep-alive and unbind.
//!
//! Responses may come in any order; the window is a map from sequence
//! number to the submit's times. Throttling answers (ESME_RTHROTTLED,
//! ESME_RMSGQFUL) pause this bind with a doubling backoff. Requests from the
//! SMSC (deliver_sm, enquire_link, unbind) are answered at once, ahead of
//! any queued submits, so writes never starve reads. Like the HTTP slot,
//! nothing here touches a socket or a clock.
//!
//! This file holds the configuration, the session's state and its
//! [`Session`] face; `submit.rs` is the write side (encoding submits,
//! writing under back-pressure), `read.rs` the read side (a bounded read
//! pass and the handling of each PDU), `user.rs` a profile user's submits.

mod read;
pub mod receipts;
pub mod segments;
mod submit;
pub mod template;
mod user;

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};
use std::io::{Read, Write};
use std::sync::Arc;

use hornet_smpp::{Bind, Body};

use super::{ReadOutcome, Session, TimerOutcome};
use crate::metrics::{ErrorKind, Recorder};
use crate::vocab::{Backoff, BackoffPolicy};
use receipts::ReceiptBook;
use template::DestTemplate;

/// Largest sequence number; the next one after it is 1 (SMPP 3.4 5.1.4).
const MAX_SEQ: u32 = 0x7FFF_FFFF;
/// The pause after an ESME_RTHROTTLED or ESME_RMSGQFUL: 10 ms, doubling
/// while the SMSC keeps throttling, up to 1 s.
const THROTTLE_BACKOFF: BackoffPolicy = BackoffPolicy {
    min_ns: 10_000_000,
    max_ns: 1_000_000_000,
};
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
    throttle_backoff: Backoff,
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

impl std::fmt::Debug for SmppSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmppSession")
            .field("phase", &self.phase)
            .field("queued", &self.queue.len())
            .field("in_flight", &self.window.len())
            .field("unsent", &(self.out.len() - self.out_pos))
            .finish_non_exhaustive()
    }
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
            throttle_backoff: Backoff::default(),
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

    #[inline]
    fn read<R: Read + Write, F: FnMut() -> u64>(
        &mut self,
        io: &mut R,
        stop_on_short_read: bool,
        now: &mut F,
        rec: &mut Recorder,
    ) -> Result<ReadOutcome, ErrorKind> {
        self.read_pass(io, stop_on_short_read, now, rec)
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
mod tests;
