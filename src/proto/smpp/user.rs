//! The same SMPP client serving a profile's virtual user: one transceiver
//! bind per user (as the seeds' Locust `SMPPUser` holds one client), each
//! `smpp` step rendered into its own submit_sm, one in flight at a time,
//! its answer handed back to the user.
//!
//! Everything else is the session `hornet smpp` runs: the bind, answers to
//! the SMSC's own requests (enquire_link, deliver_sm, unbind), generic_nack
//! for what does not decode, bounded read passes and back-pressure.

use std::sync::Arc;

use hornet_smpp::text::Coding;
use hornet_smpp::{encode, tag, Body, CommandStatus, Pdu, SubmitSm, Tlv, Tlvs};

use super::{Outstanding, Phase, SmppConfig, SmppSession};

/// Longest text carried in `short_message`; longer ones go in the
/// message_payload TLV (one PDU, no segmentation).
const SHORT_MESSAGE_MAX: usize = 254;

/// What a user's session keeps beside the run's session state.
#[derive(Debug, Default)]
pub(super) struct UserState {
    /// A submit rendered while the bind is pending: its bytes, sequence
    /// number and intended time; sent once bound.
    staged: Vec<u8>,
    staged_submit: Option<(u32, u64)>,
    /// The bind completed since the last `take_just_bound`.
    just_bound: bool,
    /// The answer to the submit in flight, once it came.
    answer: Option<CommandStatus>,
    /// Why the SMSC refused the last bind.
    refusal: Option<CommandStatus>,
}

impl SmppSession {
    /// A profile user's session with `cfg` (its credentials and bind; the
    /// run-wide message fields are unused: each step renders its own).
    pub fn for_user(cfg: Arc<SmppConfig>) -> SmppSession {
        let mut s = SmppSession::new(cfg, 0);
        s.user = Some(Box::default());
        s
    }

    /// Encodes a submit_sm for a step: sent with the next flush if bound,
    /// else once the bind completes. `Err` says why it cannot be encoded.
    #[allow(clippy::too_many_arguments)]
    pub fn submit_rendered(
        &mut self,
        intended: u64,
        now: u64,
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
        let pdu = Pdu::new(seq, Body::SubmitSm(sm));
        let bound = self.phase == Phase::Bound;
        let user = self.user.get_or_insert_with(Box::default);
        user.answer = None;
        if bound {
            encode(&pdu, &mut self.out).map_err(|e| format!("submit_sm: {e}"))?;
            self.track(seq, intended, now);
        } else {
            user.staged.clear();
            encode(&pdu, &mut user.staged).map_err(|e| format!("submit_sm: {e}"))?;
            user.staged_submit = Some((seq, intended));
        }
        Ok(())
    }

    /// The submit `seq` left now: its answer is awaited (and times out).
    fn track(&mut self, seq: u32, intended: u64, now: u64) {
        self.window.insert(
            seq,
            Outstanding {
                intended,
                sent: now,
            },
        );
        self.oldest_sent.get_or_insert(now);
    }

    /// The bind completed: a submit staged behind it goes out now (the
    /// connection setup and the bind are not its latency).
    pub(super) fn release_staged(&mut self, now: u64) {
        let Some(user) = self.user.as_mut() else {
            return;
        };
        user.just_bound = true;
        if let Some((seq, intended)) = user.staged_submit.take() {
            self.out.append(&mut user.staged);
            self.track(seq, intended, now);
        }
    }

    pub(super) fn note_answer(&mut self, status: CommandStatus) {
        if let Some(user) = self.user.as_mut() {
            user.answer = Some(status);
        }
    }

    pub(super) fn note_refusal(&mut self, status: CommandStatus) {
        if let Some(user) = self.user.as_mut() {
            user.refusal = Some(status);
        }
    }

    /// The answer to the submit in flight, once (`None`: not yet).
    pub fn take_answer(&mut self) -> Option<CommandStatus> {
        self.user.as_mut().and_then(|u| u.answer.take())
    }

    /// True once after the bind completed.
    pub fn take_just_bound(&mut self) -> bool {
        self.user
            .as_mut()
            .is_some_and(|u| std::mem::take(&mut u.just_bound))
    }

    /// Until when the SMSC's last ESME_RTHROTTLED or ESME_RMSGQFUL pauses
    /// this session's submits (the doubling throttle back-off `hornet
    /// smpp` waits out too); `None` once the pause is over.
    pub fn throttled_until(&mut self, now: u64) -> Option<u64> {
        match self.paused_until {
            Some(until) if now < until => Some(until),
            Some(_) => {
                self.paused_until = None;
                None
            }
            None => None,
        }
    }

    /// Why the SMSC refused the bind (`None`: it did not refuse one; it
    /// may have closed instead).
    pub fn refusal(&self) -> Option<CommandStatus> {
        self.user.as_ref().and_then(|u| u.refusal)
    }

    /// Frees the read buffer while nothing is buffered (the user is about
    /// to think for a while); the next read allocates it again.
    pub fn release_read_buffer(&mut self) {
        if self.rstart == self.rend {
            self.rbuf = Vec::new();
            self.rstart = 0;
            self.rend = 0;
        }
    }

    /// The bind completed: a submit goes straight to the SMSC.
    pub fn is_bound(&self) -> bool {
        self.phase == Phase::Bound
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Cursor, Read, Write};

    use hornet_smpp::{check_frame, decode, BindResp, MessageIdResp, DEFAULT_MAX_PDU};

    use super::*;
    use crate::metrics::Recorder;
    use crate::proto::smpp::template::DestTemplate;
    use crate::proto::smpp::BindKind;
    use crate::proto::{ReadOutcome, Session};

    fn config() -> Arc<SmppConfig> {
        Arc::new(SmppConfig {
            bind: BindKind::Transceiver,
            system_id: b"user".to_vec(),
            password: b"pw".to_vec(),
            system_type: Vec::new(),
            interface_version: 0x34,
            window: 1,
            source_ton: 0,
            source_npi: 0,
            source: Vec::new(),
            dest_ton: 0,
            dest_npi: 0,
            dest: DestTemplate::compile("0").unwrap(),
            data_coding: 0,
            segments: Vec::new(),
            registered_delivery: 0,
            enquire_link_ns: 0,
            handshake_timeout_ns: 1_000,
            dlr_wait_ns: 0,
            max_pdu: DEFAULT_MAX_PDU,
            max_sessions: 1,
        })
    }

    /// Reads from one buffer, writes into another.
    struct Duplex(Cursor<Vec<u8>>, Vec<u8>);

    impl Read for Duplex {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            match self.0.read(buf)? {
                0 => Err(std::io::ErrorKind::WouldBlock.into()),
                n => Ok(n),
            }
        }
    }

    impl Write for Duplex {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.1.extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// (command id, sequence number) of every PDU in `bytes`.
    fn pdus(bytes: &[u8]) -> Vec<(u32, u32)> {
        let mut out = Vec::new();
        let mut at = 0;
        while let Ok(Some(len)) = check_frame(&bytes[at..], DEFAULT_MAX_PDU) {
            let pdu = decode(&bytes[at..at + len]).unwrap();
            out.push((pdu.command_id().as_u32(), pdu.sequence_number));
            at += len;
        }
        out
    }

    fn pdu(seq: u32, status: CommandStatus, body: Body<'_>) -> Vec<u8> {
        let mut out = Vec::new();
        encode(
            &Pdu {
                sequence_number: seq,
                command_status: status,
                body,
            },
            &mut out,
        )
        .unwrap();
        out
    }

    #[test]
    fn a_submit_rendered_before_the_bind_goes_out_once_bound_and_its_answer_comes_back() {
        let mut s = SmppSession::for_user(config());
        let mut rec = Recorder::new();
        s.on_connected(0);
        let mut scratch = Vec::new();
        s.submit_rendered(5, 5, b"src", b"123", "hi", false, &mut scratch)
            .unwrap();
        let mut io = Duplex(Cursor::new(Vec::new()), Vec::new());
        s.flush(&mut io, 6, &mut rec).unwrap();
        let sent = pdus(&io.1);
        assert_eq!(sent.len(), 1, "only the bind before bind_resp");
        let bind_seq = sent[0].1;
        let resp = BindResp {
            system_id: b"smsc",
            tlvs: Tlvs::List(&[]),
        };
        io = Duplex(
            Cursor::new(pdu(
                bind_seq,
                CommandStatus::ESME_ROK,
                Body::BindTransceiverResp(resp),
            )),
            Vec::new(),
        );
        assert_eq!(
            s.read(&mut io, false, &mut || 10, &mut rec),
            Ok(ReadOutcome::Open)
        );
        assert!(s.take_just_bound() && s.is_bound());
        assert!(!s.take_just_bound(), "once");
        s.flush(&mut io, 10, &mut rec).unwrap();
        let sent = pdus(&io.1);
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].0, 0x0000_0004, "the staged submit_sm");
        // Sent at the bind, not when it was rendered.
        assert_eq!(s.poll_timeout(100), Some(110));
        let answer = MessageIdResp {
            message_id: b"m1",
            tlvs: Tlvs::List(&[]),
        };
        io = Duplex(
            Cursor::new(pdu(
                sent[0].1,
                CommandStatus(0x58),
                Body::SubmitSmResp(answer),
            )),
            Vec::new(),
        );
        assert_eq!(
            s.read(&mut io, false, &mut || 20, &mut rec),
            Ok(ReadOutcome::Open)
        );
        assert_eq!(s.take_answer(), Some(CommandStatus(0x58)));
        assert_eq!(s.take_answer(), None);
        assert_eq!(s.queued(), 0);
    }

    #[test]
    fn a_released_read_buffer_is_allocated_again_by_the_next_read() {
        let mut s = SmppSession::for_user(config());
        let mut rec = Recorder::new();
        s.on_connected(0);
        s.release_read_buffer();
        assert!(s.rbuf.is_empty());
        let mut io = Duplex(Cursor::new(Vec::new()), Vec::new());
        s.flush(&mut io, 0, &mut rec).unwrap();
        let bind_seq = pdus(&io.1)[0].1;
        let resp = BindResp {
            system_id: b"smsc",
            tlvs: Tlvs::List(&[]),
        };
        io = Duplex(
            Cursor::new(pdu(
                bind_seq,
                CommandStatus::ESME_ROK,
                Body::BindTransceiverResp(resp),
            )),
            Vec::new(),
        );
        assert_eq!(
            s.read(&mut io, false, &mut || 1, &mut rec),
            Ok(ReadOutcome::Open)
        );
        assert!(s.is_bound());
        assert!(!s.rbuf.is_empty());
    }

    #[test]
    fn a_generic_nack_to_the_bind_is_a_refusal() {
        let mut s = SmppSession::for_user(config());
        let mut rec = Recorder::new();
        s.on_connected(0);
        let mut io = Duplex(Cursor::new(Vec::new()), Vec::new());
        s.flush(&mut io, 0, &mut rec).unwrap();
        let bind_seq = pdus(&io.1)[0].1;
        io = Duplex(
            Cursor::new(pdu(bind_seq, CommandStatus(0x0d), Body::GenericNack)),
            Vec::new(),
        );
        assert_eq!(
            s.read(&mut io, false, &mut || 1, &mut rec),
            Ok(ReadOutcome::Rejected)
        );
        assert_eq!(s.refusal(), Some(CommandStatus(0x0d)));
        assert!(!s.is_bound());
        assert_eq!(rec.current().smpp.as_ref().unwrap().bind_failed, 1);
    }
}
