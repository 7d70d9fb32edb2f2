//! The write side of a bind: submits encoded into the output buffer (each
//! taking its sequence number and window entry as it goes out), our own
//! PDUs appended, and the buffer written out under back-pressure.

use std::io::{self, Write};
use std::sync::Arc;

use hornet_smpp::{encode, Body, CommandStatus, Pdu, SubmitSm, Tlvs};

use super::template::MAX_ADDR;
use super::{Outstanding, SmppSession, OUT_FLUSH_AT, OUT_HIGH_WATER, OUT_RESUME};
use crate::metrics::ErrorKind;

impl SmppSession {
    /// Appends a PDU to the output; encoding our own well-formed PDUs only
    /// fails on a bug, which is counted as a parse error upstream.
    pub(super) fn push_pdu(&mut self, pdu: &Pdu<'_>) -> Result<(), ErrorKind> {
        encode(pdu, &mut self.out)
            .map(|_| ())
            .map_err(|_| ErrorKind::Parse)
    }

    pub(super) fn respond(&mut self, seq: u32, body: Body<'_>) -> Result<(), ErrorKind> {
        self.push_pdu(&Pdu {
            sequence_number: seq,
            command_status: CommandStatus::ESME_ROK,
            body,
        })
    }

    pub(super) fn encode_submits(&mut self, now: u64) -> Result<(), ErrorKind> {
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
    pub(super) fn unsent(&self) -> usize {
        self.out.len() - self.out_pos
    }

    pub(super) fn write_out<W: Write>(&mut self, io: &mut W) -> Result<(), ErrorKind> {
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
}
