//! Encoding a [`Pdu`] into a caller's buffer.
//!
//! The encoder writes the header with a placeholder length, appends the
//! body field by field (checking each against the spec as it goes) and
//! patches `command_length` at the end. On error it truncates the buffer
//! back to where it started, so nothing is appended. With a reused buffer
//! that has the capacity, encoding does not allocate.

use crate::command::HEADER_LEN;
use crate::error::{EncodeError, Field};
use crate::pdu::*;
use crate::tlv::{Tlv, Tlvs};

/// Appends `s` and its NUL; `size` is the spec's size with the NUL.
fn cstr(out: &mut Vec<u8>, field: Field, s: &[u8], size: usize) -> Result<(), EncodeError> {
    if s.len() >= size {
        return Err(EncodeError::FieldTooLong {
            field,
            max: size - 1,
            len: s.len(),
        });
    }
    if s.contains(&0) {
        return Err(EncodeError::NulInField { field });
    }
    out.extend_from_slice(s);
    out.push(0);
    Ok(())
}

/// Appends an SMPP time: empty or 16 characters.
fn time(out: &mut Vec<u8>, field: Field, s: &[u8]) -> Result<(), EncodeError> {
    if !s.is_empty() && s.len() != 16 {
        return Err(EncodeError::InvalidTime {
            field,
            len: s.len(),
        });
    }
    cstr(out, field, s, 17)
}

fn short_message(out: &mut Vec<u8>, sm: &[u8]) -> Result<(), EncodeError> {
    if sm.len() > 254 {
        return Err(EncodeError::ShortMessageTooLong { len: sm.len() });
    }
    out.push(sm.len() as u8);
    out.extend_from_slice(sm);
    Ok(())
}

fn tlv(out: &mut Vec<u8>, t: &Tlv<'_>) -> Result<(), EncodeError> {
    let len = u16::try_from(t.value.len()).map_err(|_| EncodeError::TlvTooLong {
        tag: t.tag,
        len: t.value.len(),
    })?;
    out.extend_from_slice(&t.tag.to_be_bytes());
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(t.value);
    Ok(())
}

fn tlvs(out: &mut Vec<u8>, tlvs: &Tlvs<'_>) -> Result<(), EncodeError> {
    match *tlvs {
        Tlvs::Raw(bytes) => {
            crate::tlv::validate(bytes).map_err(|_| EncodeError::MalformedTlvs)?;
            out.extend_from_slice(bytes);
        }
        Tlvs::List(list) => {
            for t in list {
                tlv(out, t)?;
            }
        }
    }
    Ok(())
}

fn count(n: usize) -> Result<u8, EncodeError> {
    if n > 254 {
        return Err(EncodeError::TooManyEntries { count: n });
    }
    Ok(n as u8)
}

fn dest_addresses(out: &mut Vec<u8>, d: &DestAddresses<'_>) -> Result<(), EncodeError> {
    out.push(count(d.len())?);
    for a in d.iter() {
        match a.map_err(|_| EncodeError::MalformedList)? {
            DestAddress::Sme { ton, npi, addr } => {
                out.extend_from_slice(&[1, ton, npi]);
                cstr(out, Field::DestinationAddr, addr, 21)?;
            }
            DestAddress::DistributionList(name) => {
                out.push(2);
                cstr(out, Field::DlName, name, 21)?;
            }
        }
    }
    if let DestAddresses::Raw { bytes, .. } = d {
        check_raw_consumed(bytes, d.iter().count(), d.len(), |b| {
            split_dest(b).map(|r| r.1)
        })?;
    }
    Ok(())
}

fn unsuccess_smes(out: &mut Vec<u8>, u: &UnsuccessSmes<'_>) -> Result<(), EncodeError> {
    out.push(count(u.len())?);
    for e in u.iter() {
        let e = e.map_err(|_| EncodeError::MalformedList)?;
        out.extend_from_slice(&[e.dest_addr_ton, e.dest_addr_npi]);
        cstr(out, Field::DestinationAddr, e.destination_addr, 21)?;
        out.extend_from_slice(&e.error_status_code.0.to_be_bytes());
    }
    if let UnsuccessSmes::Raw { bytes, .. } = u {
        check_raw_consumed(bytes, u.iter().count(), u.len(), |b| {
            split_unsuccess(b).map(|r| r.1)
        })?;
    }
    Ok(())
}

/// A raw list must hold exactly `count` entries and nothing after them.
fn check_raw_consumed<E>(
    mut bytes: &[u8],
    seen: usize,
    count: usize,
    split: impl Fn(&[u8]) -> Result<&[u8], E>,
) -> Result<(), EncodeError> {
    if seen != count {
        return Err(EncodeError::MalformedList);
    }
    for _ in 0..count {
        bytes = split(bytes).map_err(|_| EncodeError::MalformedList)?;
    }
    if bytes.is_empty() {
        Ok(())
    } else {
        Err(EncodeError::MalformedList)
    }
}

fn bind(out: &mut Vec<u8>, b: &Bind<'_>) -> Result<(), EncodeError> {
    cstr(out, Field::SystemId, b.system_id, 16)?;
    cstr(out, Field::Password, b.password, 9)?;
    cstr(out, Field::SystemType, b.system_type, 13)?;
    out.extend_from_slice(&[b.interface_version, b.addr_ton, b.addr_npi]);
    cstr(out, Field::AddressRange, b.address_range, 41)
}

fn submit_sm(out: &mut Vec<u8>, s: &SubmitSm<'_>) -> Result<(), EncodeError> {
    cstr(out, Field::ServiceType, s.service_type, 6)?;
    out.extend_from_slice(&[s.source_addr_ton, s.source_addr_npi]);
    cstr(out, Field::SourceAddr, s.source_addr, 21)?;
    out.extend_from_slice(&[s.dest_addr_ton, s.dest_addr_npi]);
    cstr(out, Field::DestinationAddr, s.destination_addr, 21)?;
    out.extend_from_slice(&[s.esm_class, s.protocol_id, s.priority_flag]);
    time(out, Field::ScheduleDeliveryTime, s.schedule_delivery_time)?;
    time(out, Field::ValidityPeriod, s.validity_period)?;
    out.extend_from_slice(&[
        s.registered_delivery,
        s.replace_if_present_flag,
        s.data_coding,
        s.sm_default_msg_id,
    ]);
    short_message(out, s.short_message)?;
    tlvs(out, &s.tlvs)
}

fn message_id_resp(out: &mut Vec<u8>, r: &MessageIdResp<'_>) -> Result<(), EncodeError> {
    cstr(out, Field::MessageId, r.message_id, 65)?;
    tlvs(out, &r.tlvs)
}

fn bind_resp(out: &mut Vec<u8>, r: &BindResp<'_>) -> Result<(), EncodeError> {
    cstr(out, Field::SystemId, r.system_id, 16)?;
    tlvs(out, &r.tlvs)
}

fn body(out: &mut Vec<u8>, body: &Body<'_>, error: bool) -> Result<(), EncodeError> {
    match body {
        Body::BindTransmitter(b) | Body::BindReceiver(b) | Body::BindTransceiver(b) => bind(out, b),
        Body::BindTransmitterResp(r) | Body::BindReceiverResp(r) | Body::BindTransceiverResp(r) => {
            if error && r.system_id.is_empty() && r.tlvs.is_empty() {
                return Ok(());
            }
            bind_resp(out, r)
        }
        Body::Outbind(o) => {
            cstr(out, Field::SystemId, o.system_id, 16)?;
            cstr(out, Field::Password, o.password, 9)
        }
        Body::Unbind
        | Body::UnbindResp
        | Body::EnquireLink
        | Body::EnquireLinkResp
        | Body::GenericNack
        | Body::CancelSmResp
        | Body::ReplaceSmResp => Ok(()),
        Body::SubmitSm(s) | Body::DeliverSm(s) => submit_sm(out, s),
        Body::SubmitSmResp(r) | Body::DeliverSmResp(r) | Body::DataSmResp(r) => {
            if error && r.message_id.is_empty() && r.tlvs.is_empty() {
                return Ok(());
            }
            message_id_resp(out, r)
        }
        Body::DataSm(d) => {
            cstr(out, Field::ServiceType, d.service_type, 6)?;
            out.extend_from_slice(&[d.source_addr_ton, d.source_addr_npi]);
            cstr(out, Field::SourceAddr, d.source_addr, 65)?;
            out.extend_from_slice(&[d.dest_addr_ton, d.dest_addr_npi]);
            cstr(out, Field::DestinationAddr, d.destination_addr, 65)?;
            out.extend_from_slice(&[d.esm_class, d.registered_delivery, d.data_coding]);
            tlvs(out, &d.tlvs)
        }
        Body::QuerySm(q) => {
            cstr(out, Field::MessageId, q.message_id, 65)?;
            out.extend_from_slice(&[q.source_addr_ton, q.source_addr_npi]);
            cstr(out, Field::SourceAddr, q.source_addr, 21)
        }
        Body::QuerySmResp(q) => {
            if error && *q == QuerySmResp::default() {
                return Ok(());
            }
            cstr(out, Field::MessageId, q.message_id, 65)?;
            time(out, Field::FinalDate, q.final_date)?;
            out.extend_from_slice(&[q.message_state, q.error_code]);
            Ok(())
        }
        Body::CancelSm(c) => {
            cstr(out, Field::ServiceType, c.service_type, 6)?;
            cstr(out, Field::MessageId, c.message_id, 65)?;
            out.extend_from_slice(&[c.source_addr_ton, c.source_addr_npi]);
            cstr(out, Field::SourceAddr, c.source_addr, 21)?;
            out.extend_from_slice(&[c.dest_addr_ton, c.dest_addr_npi]);
            cstr(out, Field::DestinationAddr, c.destination_addr, 21)
        }
        Body::ReplaceSm(r) => {
            cstr(out, Field::MessageId, r.message_id, 65)?;
            out.extend_from_slice(&[r.source_addr_ton, r.source_addr_npi]);
            cstr(out, Field::SourceAddr, r.source_addr, 21)?;
            time(out, Field::ScheduleDeliveryTime, r.schedule_delivery_time)?;
            time(out, Field::ValidityPeriod, r.validity_period)?;
            out.extend_from_slice(&[r.registered_delivery, r.sm_default_msg_id]);
            short_message(out, r.short_message)?;
            tlvs(out, &r.tlvs)
        }
        Body::SubmitMulti(s) => {
            cstr(out, Field::ServiceType, s.service_type, 6)?;
            out.extend_from_slice(&[s.source_addr_ton, s.source_addr_npi]);
            cstr(out, Field::SourceAddr, s.source_addr, 21)?;
            dest_addresses(out, &s.dest_addresses)?;
            out.extend_from_slice(&[s.esm_class, s.protocol_id, s.priority_flag]);
            time(out, Field::ScheduleDeliveryTime, s.schedule_delivery_time)?;
            time(out, Field::ValidityPeriod, s.validity_period)?;
            out.extend_from_slice(&[
                s.registered_delivery,
                s.replace_if_present_flag,
                s.data_coding,
                s.sm_default_msg_id,
            ]);
            short_message(out, s.short_message)?;
            tlvs(out, &s.tlvs)
        }
        Body::SubmitMultiResp(r) => {
            if error && r.message_id.is_empty() && r.unsuccess_smes.is_empty() {
                return Ok(());
            }
            cstr(out, Field::MessageId, r.message_id, 65)?;
            unsuccess_smes(out, &r.unsuccess_smes)
        }
        Body::AlertNotification(a) => {
            out.extend_from_slice(&[a.source_addr_ton, a.source_addr_npi]);
            cstr(out, Field::SourceAddr, a.source_addr, 65)?;
            out.extend_from_slice(&[a.esme_addr_ton, a.esme_addr_npi]);
            cstr(out, Field::EsmeAddr, a.esme_addr, 65)?;
            tlvs(out, &a.tlvs)
        }
    }
}

/// Appends `pdu` to `out` and returns the number of octets written
/// (`command_length`). On error nothing is appended.
///
/// A response with a non-zero `command_status` whose fields are all
/// empty/zero is encoded without a body, as the spec allows.
///
/// ```
/// use hornet_smpp::{encode, Body, Pdu};
/// let mut out = Vec::new();
/// let n = encode(&Pdu::new(7, Body::EnquireLink), &mut out).unwrap();
/// assert_eq!(n, 16);
/// assert_eq!(out, [0, 0, 0, 16, 0, 0, 0, 0x15, 0, 0, 0, 0, 0, 0, 0, 7]);
/// ```
pub fn encode(pdu: &Pdu<'_>, out: &mut Vec<u8>) -> Result<usize, EncodeError> {
    let start = out.len();
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&pdu.body.command_id().as_u32().to_be_bytes());
    out.extend_from_slice(&pdu.command_status.0.to_be_bytes());
    out.extend_from_slice(&pdu.sequence_number.to_be_bytes());
    let error = !pdu.command_status.is_ok();
    let len = body(out, &pdu.body, error)
        .and_then(|()| u32::try_from(out.len() - start).map_err(|_| EncodeError::PduTooLong));
    match len {
        Ok(len) => {
            out[start..start + 4].copy_from_slice(&len.to_be_bytes());
            debug_assert!(len as usize >= HEADER_LEN);
            Ok(len as usize)
        }
        Err(e) => {
            out.truncate(start);
            Err(e)
        }
    }
}
