//! The read side of a bind: a bounded read pass over the socket, framing,
//! and the handling of each PDU the SMSC sends (responses to our requests,
//! and its own requests, answered at once).
//!
//! A pass reads at most [`READ_BUDGET`] bytes; answers go out during a long
//! pass, and a pass stops reading while the output is backed up (see
//! `OUT_PAUSE`), so a flooding SMSC can hold neither the loop nor memory.

use std::io::{self, Read, Write};

use hornet_smpp::{
    check_frame, decode, decode_header, receipt, Body, CommandId, CommandStatus, MessageIdResp,
    Pdu, SubmitSm, Tlvs,
};

use super::{
    BindKind, Phase, SmppSession, OUT_FLUSH_AT, OUT_PAUSE, READ_BUF_MIN, THROTTLE_BACKOFF,
};
use crate::metrics::smpp::RECEIPT_STATES;
use crate::metrics::{ErrorKind, Recorder};
use crate::proto::{ReadOutcome, READ_BUDGET};

/// The body of a deliver_sm_resp or data_sm_resp: no message id, no TLVs.
const NO_ID: MessageIdResp<'static> = MessageIdResp {
    message_id: &[],
    tlvs: Tlvs::List(&[]),
};

impl SmppSession {
    /// One read pass ([`Session::read`](crate::proto::Session::read)): reads
    /// and handles whole PDUs until the socket would block, the budget is
    /// spent, the output backs up or the connection must end.
    pub(super) fn read_pass<R: Read + Write, F: FnMut() -> u64>(
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
                if self.flush_answers(io)? {
                    return Ok(ReadOutcome::Yield);
                }
            }
            if taken >= READ_BUDGET {
                self.write_out(io)?;
                return Ok(ReadOutcome::Yield);
            }
            if self.rend == self.rbuf.len() {
                self.make_room(max)?;
            }
            let n = match io.read(&mut self.rbuf[self.rend..]) {
                Ok(0) => return self.on_eof(rec),
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
            if let Some(outcome) = self.handle_buffered(io, max, now(), rec)? {
                return Ok(outcome);
            }
            if n < room && stop_on_short_read {
                // Responses to the SMSC's requests go out now, not after
                // the next readiness event.
                self.write_out(io)?;
                return Ok(ReadOutcome::Open);
            }
        }
    }

    /// Writes the answers queued so far; true when reading must stop
    /// because the output is backed up.
    #[inline]
    fn flush_answers<W: Write>(&mut self, io: &mut W) -> Result<bool, ErrorKind> {
        self.write_out(io)?;
        if self.unsent() >= OUT_PAUSE {
            // The SMSC sends but does not read: stop reading until
            // the output drains below `OUT_RESUME` (the worker
            // resumes after a write that drains it), rather than
            // queue answers without bound.
            self.read_paused = true;
        }
        Ok(self.read_paused)
    }

    /// The read buffer is full: move the partial PDU to its start, or grow
    /// the buffer to hold it.
    #[inline]
    fn make_room(&mut self, max: u32) -> Result<(), ErrorKind> {
        if self.rstart > 0 {
            self.compact();
        } else {
            // check_frame bounds a PDU by max_pdu, so growing to
            // hold one is bounded too.
            // (Empty after `release_read_buffer`: start again at the
            // initial size.)
            let len = (self.rbuf.len() * 2).max(READ_BUF_MIN);
            self.rbuf.resize(len.min(max as usize + READ_BUF_MIN), 0);
            if self.rend == self.rbuf.len() {
                return Err(ErrorKind::Parse);
            }
        }
        Ok(())
    }

    /// The SMSC closed the connection.
    fn on_eof(&mut self, rec: &mut Recorder) -> Result<ReadOutcome, ErrorKind> {
        match self.phase {
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
        }
    }

    /// Handles every whole PDU in the read buffer, read at `t`. Returns
    /// Some(outcome) when the connection must end.
    #[inline]
    fn handle_buffered<W: Write>(
        &mut self,
        io: &mut W,
        max: u32,
        t: u64,
        rec: &mut Recorder,
    ) -> Result<Option<ReadOutcome>, ErrorKind> {
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
                return Ok(Some(outcome));
            }
        }
        if self.rstart == self.rend {
            self.rstart = 0;
            self.rend = 0;
        }
        Ok(None)
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
            Err(_) => return self.undecodable(frame, now, rec),
        };
        let seq = pdu.sequence_number;
        let status = pdu.command_status;
        match pdu.body {
            Body::BindTransmitterResp(_)
            | Body::BindReceiverResp(_)
            | Body::BindTransceiverResp(_) => Ok(self.on_bind_resp(status, now, rec)),
            Body::SubmitSmResp(MessageIdResp { message_id, .. }) => {
                self.answered += 1;
                self.on_submit_resp(seq, status, message_id, now, rec);
                Ok(None)
            }
            Body::GenericNack => Ok(self.on_generic_nack(seq, status, now, rec)),
            Body::EnquireLinkResp => {
                self.on_enquire_link_resp(seq, rec);
                Ok(None)
            }
            Body::UnbindResp => Ok(self.on_unbind_resp(rec)),
            Body::DeliverSm(sm) => {
                self.answered += 1;
                self.on_deliver(&sm, now, rec);
                self.respond(seq, Body::DeliverSmResp(NO_ID))?;
                Ok(None)
            }
            Body::DataSm(_) => {
                self.answered += 1;
                rec.smpp().deliver_sm += 1;
                self.respond(seq, Body::DataSmResp(NO_ID))?;
                Ok(None)
            }
            Body::EnquireLink => {
                rec.smpp().enquire_links_received += 1;
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

    /// A PDU whose body does not decode: answered, counted or settled by
    /// its header alone, unless the stream may be out of step.
    fn undecodable(
        &mut self,
        frame: &[u8],
        now: u64,
        rec: &mut Recorder,
    ) -> Result<Option<ReadOutcome>, ErrorKind> {
        let header = decode_header(frame).map_err(|_| ErrorKind::Parse)?;
        match CommandId::from_u32(header.command_id) {
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
                self.on_submit_resp(header.sequence_number, header.command_status, &[], now, rec);
                Ok(None)
            }
            // Any other malformed response: the stream may be out of
            // step; start over on a new connection.
            Some(_) => Err(ErrorKind::Parse),
        }
    }

    /// A bind_transmitter/receiver/transceiver_resp.
    fn on_bind_resp(
        &mut self,
        status: CommandStatus,
        now: u64,
        rec: &mut Recorder,
    ) -> Option<ReadOutcome> {
        if !matches!(self.phase, Phase::BindSent { .. }) {
            rec.smpp().unknown_responses += 1;
            return None;
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
            None
        } else {
            Some(self.bind_refused(status, rec))
        }
    }

    /// A generic_nack: it answers the bind, a submit or an enquire_link.
    fn on_generic_nack(
        &mut self,
        seq: u32,
        status: CommandStatus,
        now: u64,
        rec: &mut Recorder,
    ) -> Option<ReadOutcome> {
        rec.smpp().generic_nacks += 1;
        // A generic_nack answering the bind refuses it, like a
        // bind_resp with an error status.
        if seq == self.bind_seq && matches!(self.phase, Phase::BindSent { .. }) {
            return Some(self.bind_refused(status, rec));
        }
        if self.window.contains_key(&seq) {
            self.on_submit_resp(seq, status, &[], now, rec);
        } else if self.enquire_sent.is_some_and(|(s, _)| s == seq) {
            // An SMSC without enquire_link support nacks it: that is
            // still an answer, the link is alive.
            self.enquire_sent = None;
        }
        None
    }

    /// An enquire_link_resp: the keep-alive in flight is answered.
    fn on_enquire_link_resp(&mut self, seq: u32, rec: &mut Recorder) {
        self.answered += 1;
        match self.enquire_sent {
            Some((s, _)) if s == seq => self.enquire_sent = None,
            _ => rec.smpp().unknown_responses += 1,
        }
    }

    /// An unbind_resp: the goodbye is complete.
    fn on_unbind_resp(&mut self, rec: &mut Recorder) -> Option<ReadOutcome> {
        if matches!(self.phase, Phase::Unbinding { .. }) {
            self.phase = Phase::Done;
            Some(ReadOutcome::Closed)
        } else {
            rec.smpp().unknown_responses += 1;
            None
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
            let pause = self.throttle_backoff.failed(THROTTLE_BACKOFF);
            self.paused_until = Some(now + pause);
        } else if status.is_ok() {
            self.throttle_backoff.reset();
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

    fn compact(&mut self) {
        self.rbuf.copy_within(self.rstart..self.rend, 0);
        self.rend -= self.rstart;
        self.rstart = 0;
    }
}
