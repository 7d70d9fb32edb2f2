//! A user's SMPP session for `smpp` steps: one transceiver bind per user
//! (as the seeds' Locust `SMPPUser` holds one client), opened on the first
//! submit, kept across tasks, one submit_sm in flight at a time.
//!
//! The SMSC's own requests are answered at once whatever the user is doing:
//! enquire_link, deliver_sm (receipts, mobile-originated), unbind. Anything
//! undecodable is answered with generic_nack, never a panic.
//!
//! Reads are bounded per pass and stop while too many answers wait unsent
//! (back-pressure), so a flooding SMSC can neither starve the worker nor
//! grow its memory.

use std::io::{self, Read};

use hornet_smpp::text::Coding;
use hornet_smpp::{
    check_frame, decode, decode_header, encode, tag, Bind, Body, CommandStatus, MessageIdResp, Pdu,
    SubmitSm, Tlv, Tlvs, DEFAULT_MAX_PDU,
};
use mio::{Interest, Registry, Token};

use super::conn::{close_counting, ready, write_out};
use crate::metrics::tls::TlsMetrics;
use crate::metrics::ErrorKind;
use crate::profile::scenario::SmppTarget;
use crate::tls::{TlsClient, Transport};

/// Longest text carried in `short_message`; longer ones go in the
/// message_payload TLV (one PDU, no segmentation).
const SHORT_MESSAGE_MAX: usize = 254;
/// Most bytes one read pass takes from the socket (see `HttpConn`'s
/// `READ_BUDGET`): an SMSC streaming deliver_sm without pause cannot hold
/// the worker's loop, and the answers go out between passes.
const READ_BUDGET: usize = 64 * 1024;
/// Answers (deliver_sm_resp, enquire_link_resp...) waiting unsent above
/// this stop the reading of the session until the SMSC reads them: an
/// SMSC that floods requests and never reads cannot grow our memory.
const OUT_HIGH_WATER: usize = 256 * 1024;

/// Where the session is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// bind_transceiver sent (or queued until the connect completes).
    Binding,
    /// Ready for submits.
    Bound,
}

/// What a read pass produced for the submit in flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmppProgress {
    /// Nothing decisive yet.
    Pending,
    /// The submit was answered with this status.
    Answered(CommandStatus),
    /// The SMSC refused the bind with this status.
    BindRefused(CommandStatus),
}

/// One user's SMPP session.
#[derive(Debug)]
pub struct SmppConn {
    stream: Transport,
    connected: bool,
    phase: Phase,
    out: Vec<u8>,
    written: usize,
    input: Vec<u8>,
    /// A submit rendered while the bind is pending, sent once bound.
    staged: Vec<u8>,
    next_seq: u32,
    bind_seq: u32,
    /// Sequence number of the submit in flight.
    awaited: Option<u32>,
    /// The bind completed since the last `take_just_bound`.
    just_bound: bool,
    /// The session broke in a pass that also answered the submit: the
    /// answer is reported first, the error on the next call.
    broken: Option<ErrorKind>,
}

impl SmppConn {
    /// Connects (TLS when `tls` is given) and queues the bind.
    pub fn connect(
        target: &SmppTarget,
        tls: Option<&TlsClient>,
        registry: &Registry,
        token: Token,
    ) -> io::Result<SmppConn> {
        let mut stream = Transport::connect(target.addr, tls)?;
        registry.register(&mut stream, token, Interest::READABLE | Interest::WRITABLE)?;
        let mut c = SmppConn {
            stream,
            connected: false,
            phase: Phase::Binding,
            out: Vec::with_capacity(256),
            written: 0,
            input: Vec::new(),
            staged: Vec::new(),
            next_seq: 1,
            bind_seq: 1,
            awaited: None,
            just_bound: false,
            broken: None,
        };
        let bind = Bind {
            system_id: target.system_id.as_bytes(),
            password: target.password.as_bytes(),
            system_type: target.system_type.as_bytes(),
            ..Bind::default()
        };
        c.bind_seq = c.seq();
        encode(
            &Pdu::new(c.bind_seq, Body::BindTransceiver(bind)),
            &mut c.out,
        )
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e.to_string()))?;
        Ok(c)
    }

    fn seq(&mut self) -> u32 {
        let s = self.next_seq;
        // Sequence numbers run 1..=0x7FFFFFFF and wrap.
        self.next_seq = if s >= 0x7FFF_FFFF { 1 } else { s + 1 };
        s
    }

    /// Deregisters the socket, counting the TLS failure that broke it, if
    /// one did.
    pub fn close(self, registry: &Registry, tls: &mut TlsMetrics) {
        close_counting(self.stream, registry, tls);
    }

    /// Encodes a submit_sm for the step; sent now if bound, else after the
    /// bind. `Err` says why it cannot be encoded.
    pub fn submit(
        &mut self,
        source: &[u8],
        destination: &[u8],
        text: &str,
        registered_delivery: bool,
        scratch: &mut Vec<u8>,
    ) -> Result<(), String> {
        let coding = Coding::best_for(text);
        scratch.clear();
        coding
            .encode(text, scratch)
            .map_err(|e| format!("text cannot be encoded: {e}"))?;
        let payload = [Tlv::new(tag::MESSAGE_PAYLOAD, scratch)];
        let long = scratch.len() > SHORT_MESSAGE_MAX;
        let sm = SubmitSm {
            source_addr: source,
            destination_addr: destination,
            data_coding: coding.data_coding(),
            registered_delivery: u8::from(registered_delivery),
            short_message: if long { b"" } else { scratch },
            tlvs: if long {
                Tlvs::List(&payload)
            } else {
                Tlvs::EMPTY
            },
            ..SubmitSm::default()
        };
        let seq = self.seq();
        let dst = if self.phase == Phase::Bound {
            &mut self.out
        } else {
            &mut self.staged
        };
        encode(&Pdu::new(seq, Body::SubmitSm(sm)), dst).map_err(|e| format!("submit_sm: {e}"))?;
        self.awaited = Some(seq);
        Ok(())
    }

    /// The bind completed: a submit now goes straight to the SMSC.
    pub fn is_bound(&self) -> bool {
        self.phase == Phase::Bound
    }

    /// True once after the bind completed (a staged submit was released).
    pub fn take_just_bound(&mut self) -> bool {
        std::mem::take(&mut self.just_bound)
    }

    /// No submit is in flight any more (timeout or abandon).
    pub fn forget(&mut self) {
        self.awaited = None;
        self.staged.clear();
    }

    /// Completes the connect, writes what is queued, reads and handles
    /// PDUs. `Err` means the session is gone. The second value is true
    /// when the pass stopped at its budget (or back-pressure was released
    /// within it) with input possibly left: the worker calls again on its
    /// next loop turn without waiting for an event.
    pub fn on_ready(
        &mut self,
        readable: bool,
        clock: &dyn Fn() -> u64,
        tls: &mut TlsMetrics,
    ) -> Result<(SmppProgress, bool), ErrorKind> {
        if let Some(kind) = self.broken {
            return Err(kind);
        }
        if !ready(&mut self.stream, &mut self.connected, readable, clock, tls)? {
            return Ok((SmppProgress::Pending, false));
        }
        self.flush()?;
        let (progress, more) = self.read()?;
        self.flush()?;
        // A pass held back by a full output buffer resumes by itself once
        // the buffer drained below the mark in the same call; otherwise the
        // writable event that drains it calls again.
        let again = more && (self.broken.is_some() || !self.backed_up());
        Ok((progress, again))
    }

    /// True while our answers wait unsent above the high-water mark: the
    /// SMSC is not reading, so we stop reading (and answering) it.
    fn backed_up(&self) -> bool {
        self.out.len() - self.written >= OUT_HIGH_WATER
    }

    fn flush(&mut self) -> Result<(), ErrorKind> {
        write_out(&mut self.stream, &mut self.out, &mut self.written).map(|_| ())
    }

    /// One bounded read pass: handles whole PDUs already buffered, then
    /// reads at most [`READ_BUDGET`] bytes, stopping early while the output
    /// buffer is over its high-water mark (back-pressure). Returns the
    /// progress and whether input may be left (socket or buffer).
    fn read(&mut self) -> Result<(SmppProgress, bool), ErrorKind> {
        let mut progress = SmppProgress::Pending;
        let mut chunk = [0u8; 8192];
        let mut budget = READ_BUDGET;
        // PDUs that arrived before a close still count (a refused bind is
        // answered, then the SMSC hangs up).
        let mut eof = false;
        let more = loop {
            let handled = match self.handle_buffered(&mut progress) {
                Ok(h) => h,
                // A submit answered before the break still counts: report
                // it now and the break on the next call (which the worker
                // makes on its next loop turn).
                Err(kind) if progress != SmppProgress::Pending => {
                    self.broken = Some(kind);
                    return Ok((progress, true));
                }
                Err(kind) => return Err(kind),
            };
            if !handled {
                // Over the high-water mark with whole PDUs still buffered.
                break true;
            }
            if budget == 0 {
                break true;
            }
            if self.backed_up() {
                break true;
            }
            let want = chunk.len().min(budget);
            match self.stream.read(&mut chunk[..want]) {
                Ok(0) => {
                    eof = true;
                    break false;
                }
                Ok(n) => {
                    self.input.extend_from_slice(&chunk[..n]);
                    budget -= n;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break false,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(ErrorKind::from_io_error(&e)),
            }
        };
        if !eof {
            return Ok((progress, more));
        }
        // The whole PDUs that came before the close count; the close is
        // reported with them, or on the next call if they answered the
        // submit.
        let kind = match self.handle_buffered(&mut progress) {
            Ok(_) => ErrorKind::ClosedEarly,
            Err(kind) => kind,
        };
        if progress == SmppProgress::Pending {
            return Err(kind);
        }
        self.broken = Some(kind);
        Ok((progress, true))
    }

    fn input_has_frame(&self) -> bool {
        matches!(check_frame(&self.input, DEFAULT_MAX_PDU), Ok(Some(_)))
    }

    /// Handles the whole PDUs in the input buffer while the output buffer
    /// is below its high-water mark. False if it stopped at the mark with
    /// whole PDUs left.
    fn handle_buffered(&mut self, progress: &mut SmppProgress) -> Result<bool, ErrorKind> {
        let mut at = 0;
        let mut room = true;
        loop {
            if self.backed_up() {
                room = false;
                break;
            }
            let len = match check_frame(&self.input[at..], DEFAULT_MAX_PDU) {
                Ok(Some(len)) => len,
                Ok(None) => break,
                Err(_) => return Err(ErrorKind::Parse),
            };
            let frame = at..at + len;
            at += len;
            if let Some(p) = self.handle(frame)? {
                *progress = p;
            }
        }
        self.input.drain(..at);
        Ok(room || !self.input_has_frame())
    }

    fn handle(&mut self, frame: std::ops::Range<usize>) -> Result<Option<SmppProgress>, ErrorKind> {
        let bytes = &self.input[frame];
        let pdu = match decode(bytes) {
            Ok(p) => p,
            Err(_) => {
                let header = decode_header(bytes).map_err(|_| ErrorKind::Parse)?;
                // A malformed response to our submit fails it; a malformed
                // request from the SMSC gets generic_nack.
                if header.command_id & 0x8000_0000 != 0 {
                    if Some(header.sequence_number) == self.awaited {
                        self.awaited = None;
                        return Ok(Some(SmppProgress::Answered(CommandStatus::ESME_RINVCMDLEN)));
                    }
                    return Ok(None);
                }
                let nack = Pdu {
                    sequence_number: header.sequence_number,
                    command_status: CommandStatus::ESME_RINVCMDLEN,
                    body: Body::GenericNack,
                };
                let _ = encode(&nack, &mut self.out);
                return Ok(None);
            }
        };
        let seq = pdu.sequence_number;
        let reply = match pdu.body {
            Body::BindTransceiverResp(_)
                if seq == self.bind_seq && self.phase == Phase::Binding =>
            {
                if !pdu.command_status.is_ok() {
                    return Ok(Some(SmppProgress::BindRefused(pdu.command_status)));
                }
                self.phase = Phase::Bound;
                self.just_bound = true;
                self.out.append(&mut self.staged);
                return Ok(None);
            }
            Body::SubmitSmResp(_) | Body::GenericNack if Some(seq) == self.awaited => {
                self.awaited = None;
                return Ok(Some(SmppProgress::Answered(pdu.command_status)));
            }
            Body::GenericNack if seq == self.bind_seq && self.phase == Phase::Binding => {
                return Ok(Some(SmppProgress::BindRefused(pdu.command_status)));
            }
            Body::EnquireLink => Body::EnquireLinkResp,
            Body::DeliverSm(_) => Body::DeliverSmResp(MessageIdResp::default()),
            Body::Unbind => {
                let _ = encode(&Pdu::new(seq, Body::UnbindResp), &mut self.out);
                let _ = self.flush();
                return Err(ErrorKind::ClosedEarly);
            }
            _ => return Ok(None),
        };
        let _ = encode(&Pdu::new(seq, reply), &mut self.out);
        Ok(None)
    }
}
