//! Decoding one whole frame into a borrowed [`Pdu`], with nom.
//!
//! Every field parser fails with a [`DecodeError`] naming the field (as a
//! nom `Failure`, so nothing backtracks). Nothing is copied: strings,
//! `short_message` and the TLV region borrow from the frame.

use crate::command::{decode_header, CommandId, HEADER_LEN};
use crate::error::{DecodeError, Field};
use crate::pdu::*;
use crate::status::CommandStatus;
use crate::tlv::{self, Tlvs};
use nom::bytes::complete::{take, take_till};
use nom::number::complete::be_u8;
use nom::{IResult, Parser};

type In<'a> = &'a [u8];
type PResult<'a, T> = IResult<In<'a>, T, DecodeError>;

impl<'a> nom::error::ParseError<In<'a>> for DecodeError {
    fn from_error_kind(input: In<'a>, _kind: nom::error::ErrorKind) -> Self {
        // Only reached if a combinator fails without our mapping; every
        // parser below maps its own errors.
        DecodeError::TrailingBytes { len: input.len() }
    }

    fn append(_input: In<'a>, _kind: nom::error::ErrorKind, other: Self) -> Self {
        other
    }
}

fn fail<'a, T>(e: DecodeError) -> PResult<'a, T> {
    Err(nom::Err::Failure(e))
}

/// The error for a C-Octet String at the front of `input` that has no NUL
/// within its `size` octets (NUL included).
pub(crate) fn cstr_error(input: &[u8], field: Field, size: usize) -> DecodeError {
    match input.iter().position(|&b| b == 0) {
        None => DecodeError::MissingNul { field },
        Some(len) => DecodeError::FieldTooLong {
            field,
            max: size - 1,
            len,
        },
    }
}

/// One octet.
fn int8<'a>(field: Field) -> impl Fn(In<'a>) -> PResult<'a, u8> {
    move |i| be_u8::<_, ()>(i).or_else(|_| fail(DecodeError::Truncated { field }))
}

/// A C-Octet String of at most `size` octets, NUL included; returns it
/// without the NUL.
fn cstr<'a>(field: Field, size: usize) -> impl Fn(In<'a>) -> PResult<'a, &'a [u8]> {
    move |i: In<'a>| {
        let (rest, s) = take_till::<_, _, ()>(|b| b == 0)
            .parse(i)
            .or_else(|_| fail(DecodeError::MissingNul { field }))?;
        if rest.is_empty() {
            return fail(DecodeError::MissingNul { field });
        }
        if s.len() >= size {
            return fail(DecodeError::FieldTooLong {
                field,
                max: size - 1,
                len: s.len(),
            });
        }
        Ok((&rest[1..], s))
    }
}

/// An SMPP time: empty or 16 characters.
fn time<'a>(field: Field) -> impl Fn(In<'a>) -> PResult<'a, &'a [u8]> {
    move |i| {
        let (rest, s) = cstr(field, 17)(i)?;
        if !s.is_empty() && s.len() != 16 {
            return fail(DecodeError::InvalidTime {
                field,
                len: s.len(),
            });
        }
        Ok((rest, s))
    }
}

/// `sm_length` then `short_message`.
fn short_message(i: In<'_>) -> PResult<'_, &[u8]> {
    let (i, len) = int8(Field::SmLength)(i)?;
    if len > 254 {
        return fail(DecodeError::ShortMessageTooLong { len: len as usize });
    }
    take::<_, _, ()>(len).parse(i).or_else(|_| {
        fail(DecodeError::Truncated {
            field: Field::ShortMessage,
        })
    })
}

/// The rest of the body as TLVs, checked for framing.
fn tlvs(i: In<'_>) -> PResult<'_, Tlvs<'_>> {
    match tlv::validate(i) {
        Ok(()) => Ok((&i[i.len()..], Tlvs::Raw(i))),
        Err(e) => fail(e),
    }
}

/// Requires the body to be used up.
fn end(i: In<'_>) -> PResult<'_, ()> {
    if i.is_empty() {
        Ok((i, ()))
    } else {
        fail(DecodeError::TrailingBytes { len: i.len() })
    }
}

fn bind(i: In<'_>) -> PResult<'_, Bind<'_>> {
    let (i, system_id) = cstr(Field::SystemId, 16)(i)?;
    let (i, password) = cstr(Field::Password, 9)(i)?;
    let (i, system_type) = cstr(Field::SystemType, 13)(i)?;
    let (i, interface_version) = int8(Field::InterfaceVersion)(i)?;
    let (i, addr_ton) = int8(Field::AddrTon)(i)?;
    let (i, addr_npi) = int8(Field::AddrNpi)(i)?;
    let (i, address_range) = cstr(Field::AddressRange, 41)(i)?;
    let (i, ()) = end(i)?;
    Ok((
        i,
        Bind {
            system_id,
            password,
            system_type,
            interface_version,
            addr_ton,
            addr_npi,
            address_range,
        },
    ))
}

fn bind_resp(i: In<'_>) -> PResult<'_, BindResp<'_>> {
    let (i, system_id) = cstr(Field::SystemId, 16)(i)?;
    let (i, tlvs) = tlvs(i)?;
    Ok((i, BindResp { system_id, tlvs }))
}

fn outbind(i: In<'_>) -> PResult<'_, Outbind<'_>> {
    let (i, system_id) = cstr(Field::SystemId, 16)(i)?;
    let (i, password) = cstr(Field::Password, 9)(i)?;
    let (i, ()) = end(i)?;
    Ok((
        i,
        Outbind {
            system_id,
            password,
        },
    ))
}

fn message_id_resp(i: In<'_>) -> PResult<'_, MessageIdResp<'_>> {
    let (i, message_id) = cstr(Field::MessageId, 65)(i)?;
    let (i, tlvs) = tlvs(i)?;
    Ok((i, MessageIdResp { message_id, tlvs }))
}

fn submit_sm(i: In<'_>) -> PResult<'_, SubmitSm<'_>> {
    let (i, service_type) = cstr(Field::ServiceType, 6)(i)?;
    let (i, source_addr_ton) = int8(Field::SourceAddrTon)(i)?;
    let (i, source_addr_npi) = int8(Field::SourceAddrNpi)(i)?;
    let (i, source_addr) = cstr(Field::SourceAddr, 21)(i)?;
    let (i, dest_addr_ton) = int8(Field::DestAddrTon)(i)?;
    let (i, dest_addr_npi) = int8(Field::DestAddrNpi)(i)?;
    let (i, destination_addr) = cstr(Field::DestinationAddr, 21)(i)?;
    let (i, esm_class) = int8(Field::EsmClass)(i)?;
    let (i, protocol_id) = int8(Field::ProtocolId)(i)?;
    let (i, priority_flag) = int8(Field::PriorityFlag)(i)?;
    let (i, schedule_delivery_time) = time(Field::ScheduleDeliveryTime)(i)?;
    let (i, validity_period) = time(Field::ValidityPeriod)(i)?;
    let (i, registered_delivery) = int8(Field::RegisteredDelivery)(i)?;
    let (i, replace_if_present_flag) = int8(Field::ReplaceIfPresentFlag)(i)?;
    let (i, data_coding) = int8(Field::DataCoding)(i)?;
    let (i, sm_default_msg_id) = int8(Field::SmDefaultMsgId)(i)?;
    let (i, short_message) = short_message(i)?;
    let (i, tlvs) = tlvs(i)?;
    Ok((
        i,
        SubmitSm {
            service_type,
            source_addr_ton,
            source_addr_npi,
            source_addr,
            dest_addr_ton,
            dest_addr_npi,
            destination_addr,
            esm_class,
            protocol_id,
            priority_flag,
            schedule_delivery_time,
            validity_period,
            registered_delivery,
            replace_if_present_flag,
            data_coding,
            sm_default_msg_id,
            short_message,
            tlvs,
        },
    ))
}

fn data_sm(i: In<'_>) -> PResult<'_, DataSm<'_>> {
    let (i, service_type) = cstr(Field::ServiceType, 6)(i)?;
    let (i, source_addr_ton) = int8(Field::SourceAddrTon)(i)?;
    let (i, source_addr_npi) = int8(Field::SourceAddrNpi)(i)?;
    let (i, source_addr) = cstr(Field::SourceAddr, 65)(i)?;
    let (i, dest_addr_ton) = int8(Field::DestAddrTon)(i)?;
    let (i, dest_addr_npi) = int8(Field::DestAddrNpi)(i)?;
    let (i, destination_addr) = cstr(Field::DestinationAddr, 65)(i)?;
    let (i, esm_class) = int8(Field::EsmClass)(i)?;
    let (i, registered_delivery) = int8(Field::RegisteredDelivery)(i)?;
    let (i, data_coding) = int8(Field::DataCoding)(i)?;
    let (i, tlvs) = tlvs(i)?;
    Ok((
        i,
        DataSm {
            service_type,
            source_addr_ton,
            source_addr_npi,
            source_addr,
            dest_addr_ton,
            dest_addr_npi,
            destination_addr,
            esm_class,
            registered_delivery,
            data_coding,
            tlvs,
        },
    ))
}

fn query_sm(i: In<'_>) -> PResult<'_, QuerySm<'_>> {
    let (i, message_id) = cstr(Field::MessageId, 65)(i)?;
    let (i, source_addr_ton) = int8(Field::SourceAddrTon)(i)?;
    let (i, source_addr_npi) = int8(Field::SourceAddrNpi)(i)?;
    let (i, source_addr) = cstr(Field::SourceAddr, 21)(i)?;
    let (i, ()) = end(i)?;
    Ok((
        i,
        QuerySm {
            message_id,
            source_addr_ton,
            source_addr_npi,
            source_addr,
        },
    ))
}

fn query_sm_resp(i: In<'_>) -> PResult<'_, QuerySmResp<'_>> {
    let (i, message_id) = cstr(Field::MessageId, 65)(i)?;
    let (i, final_date) = time(Field::FinalDate)(i)?;
    let (i, message_state) = int8(Field::MessageState)(i)?;
    let (i, error_code) = int8(Field::ErrorCode)(i)?;
    let (i, ()) = end(i)?;
    Ok((
        i,
        QuerySmResp {
            message_id,
            final_date,
            message_state,
            error_code,
        },
    ))
}

fn cancel_sm(i: In<'_>) -> PResult<'_, CancelSm<'_>> {
    let (i, service_type) = cstr(Field::ServiceType, 6)(i)?;
    let (i, message_id) = cstr(Field::MessageId, 65)(i)?;
    let (i, source_addr_ton) = int8(Field::SourceAddrTon)(i)?;
    let (i, source_addr_npi) = int8(Field::SourceAddrNpi)(i)?;
    let (i, source_addr) = cstr(Field::SourceAddr, 21)(i)?;
    let (i, dest_addr_ton) = int8(Field::DestAddrTon)(i)?;
    let (i, dest_addr_npi) = int8(Field::DestAddrNpi)(i)?;
    let (i, destination_addr) = cstr(Field::DestinationAddr, 21)(i)?;
    let (i, ()) = end(i)?;
    Ok((
        i,
        CancelSm {
            service_type,
            message_id,
            source_addr_ton,
            source_addr_npi,
            source_addr,
            dest_addr_ton,
            dest_addr_npi,
            destination_addr,
        },
    ))
}

fn replace_sm(i: In<'_>) -> PResult<'_, ReplaceSm<'_>> {
    let (i, message_id) = cstr(Field::MessageId, 65)(i)?;
    let (i, source_addr_ton) = int8(Field::SourceAddrTon)(i)?;
    let (i, source_addr_npi) = int8(Field::SourceAddrNpi)(i)?;
    let (i, source_addr) = cstr(Field::SourceAddr, 21)(i)?;
    let (i, schedule_delivery_time) = time(Field::ScheduleDeliveryTime)(i)?;
    let (i, validity_period) = time(Field::ValidityPeriod)(i)?;
    let (i, registered_delivery) = int8(Field::RegisteredDelivery)(i)?;
    let (i, sm_default_msg_id) = int8(Field::SmDefaultMsgId)(i)?;
    let (i, short_message) = short_message(i)?;
    let (i, tlvs) = tlvs(i)?;
    Ok((
        i,
        ReplaceSm {
            message_id,
            source_addr_ton,
            source_addr_npi,
            source_addr,
            schedule_delivery_time,
            validity_period,
            registered_delivery,
            sm_default_msg_id,
            short_message,
            tlvs,
        },
    ))
}

fn dest_addresses(i: In<'_>) -> PResult<'_, DestAddresses<'_>> {
    let (start, count) = int8(Field::NumberOfDests)(i)?;
    let mut rest = start;
    for _ in 0..count {
        match split_dest(rest) {
            Ok((_, r)) => rest = r,
            Err(e) => return fail(e),
        }
    }
    let bytes = &start[..start.len() - rest.len()];
    Ok((rest, DestAddresses::Raw { count, bytes }))
}

fn submit_multi(i: In<'_>) -> PResult<'_, SubmitMulti<'_>> {
    let (i, service_type) = cstr(Field::ServiceType, 6)(i)?;
    let (i, source_addr_ton) = int8(Field::SourceAddrTon)(i)?;
    let (i, source_addr_npi) = int8(Field::SourceAddrNpi)(i)?;
    let (i, source_addr) = cstr(Field::SourceAddr, 21)(i)?;
    let (i, dest_addresses) = dest_addresses(i)?;
    let (i, esm_class) = int8(Field::EsmClass)(i)?;
    let (i, protocol_id) = int8(Field::ProtocolId)(i)?;
    let (i, priority_flag) = int8(Field::PriorityFlag)(i)?;
    let (i, schedule_delivery_time) = time(Field::ScheduleDeliveryTime)(i)?;
    let (i, validity_period) = time(Field::ValidityPeriod)(i)?;
    let (i, registered_delivery) = int8(Field::RegisteredDelivery)(i)?;
    let (i, replace_if_present_flag) = int8(Field::ReplaceIfPresentFlag)(i)?;
    let (i, data_coding) = int8(Field::DataCoding)(i)?;
    let (i, sm_default_msg_id) = int8(Field::SmDefaultMsgId)(i)?;
    let (i, short_message) = short_message(i)?;
    let (i, tlvs) = tlvs(i)?;
    Ok((
        i,
        SubmitMulti {
            service_type,
            source_addr_ton,
            source_addr_npi,
            source_addr,
            dest_addresses,
            esm_class,
            protocol_id,
            priority_flag,
            schedule_delivery_time,
            validity_period,
            registered_delivery,
            replace_if_present_flag,
            data_coding,
            sm_default_msg_id,
            short_message,
            tlvs,
        },
    ))
}

fn submit_multi_resp(i: In<'_>) -> PResult<'_, SubmitMultiResp<'_>> {
    let (i, message_id) = cstr(Field::MessageId, 65)(i)?;
    let (start, count) = int8(Field::NoUnsuccess)(i)?;
    let mut rest = start;
    for _ in 0..count {
        match split_unsuccess(rest) {
            Ok((_, r)) => rest = r,
            Err(e) => return fail(e),
        }
    }
    let bytes = &start[..start.len() - rest.len()];
    let (i, ()) = end(rest)?;
    Ok((
        i,
        SubmitMultiResp {
            message_id,
            unsuccess_smes: UnsuccessSmes::Raw { count, bytes },
        },
    ))
}

fn alert_notification(i: In<'_>) -> PResult<'_, AlertNotification<'_>> {
    let (i, source_addr_ton) = int8(Field::SourceAddrTon)(i)?;
    let (i, source_addr_npi) = int8(Field::SourceAddrNpi)(i)?;
    let (i, source_addr) = cstr(Field::SourceAddr, 65)(i)?;
    let (i, esme_addr_ton) = int8(Field::EsmeAddrTon)(i)?;
    let (i, esme_addr_npi) = int8(Field::EsmeAddrNpi)(i)?;
    let (i, esme_addr) = cstr(Field::EsmeAddr, 65)(i)?;
    let (i, tlvs) = tlvs(i)?;
    Ok((
        i,
        AlertNotification {
            source_addr_ton,
            source_addr_npi,
            source_addr,
            esme_addr_ton,
            esme_addr_npi,
            esme_addr,
            tlvs,
        },
    ))
}

/// Runs a body parser to completion.
fn run<'a, T>(parser: impl Fn(In<'a>) -> PResult<'a, T>, body: In<'a>) -> Result<T, DecodeError> {
    match parser(body) {
        Ok((_, v)) => Ok(v),
        Err(nom::Err::Error(e) | nom::Err::Failure(e)) => Err(e),
        // Only complete parsers are used.
        Err(nom::Err::Incomplete(_)) => Err(DecodeError::TooShort { len: body.len() }),
    }
}

/// A response body: empty is allowed (all fields default) when the status
/// is an error, as the spec lets an MC omit the body then.
fn resp<'a, T: Default>(
    parser: impl Fn(In<'a>) -> PResult<'a, T>,
    body: In<'a>,
    status: CommandStatus,
) -> Result<T, DecodeError> {
    if body.is_empty() && !status.is_ok() {
        Ok(T::default())
    } else {
        run(parser, body)
    }
}

/// Decodes one whole frame, as delimited by
/// [`check_frame`](crate::check_frame).
///
/// `command_length` must equal `frame.len()`. A response with a non-zero
/// `command_status` and an empty body decodes with empty/zero fields.
///
/// ```
/// use hornet_smpp::{decode, Body, CommandStatus};
/// let frame = [0, 0, 0, 16, 0x80, 0, 0, 4, 0, 0, 0, 0x58, 0, 0, 0, 9];
/// let pdu = decode(&frame).unwrap();
/// assert_eq!(pdu.command_status, CommandStatus::ESME_RTHROTTLED);
/// assert!(matches!(pdu.body, Body::SubmitSmResp(r) if r.message_id.is_empty()));
/// ```
pub fn decode(frame: &[u8]) -> Result<Pdu<'_>, DecodeError> {
    let header = decode_header(frame)?;
    if header.command_length as usize != frame.len() {
        return Err(DecodeError::LengthMismatch {
            command_length: header.command_length,
            frame_len: frame.len(),
        });
    }
    let id = CommandId::from_u32(header.command_id).ok_or(DecodeError::UnknownCommand {
        command_id: header.command_id,
    })?;
    let b = &frame[HEADER_LEN..];
    let st = header.command_status;
    let empty = |body| run(end, b).map(|()| body);
    let body = match id {
        CommandId::BindTransmitter => Body::BindTransmitter(run(bind, b)?),
        CommandId::BindReceiver => Body::BindReceiver(run(bind, b)?),
        CommandId::BindTransceiver => Body::BindTransceiver(run(bind, b)?),
        CommandId::BindTransmitterResp => Body::BindTransmitterResp(resp(bind_resp, b, st)?),
        CommandId::BindReceiverResp => Body::BindReceiverResp(resp(bind_resp, b, st)?),
        CommandId::BindTransceiverResp => Body::BindTransceiverResp(resp(bind_resp, b, st)?),
        CommandId::Outbind => Body::Outbind(run(outbind, b)?),
        CommandId::Unbind => empty(Body::Unbind)?,
        CommandId::UnbindResp => empty(Body::UnbindResp)?,
        CommandId::EnquireLink => empty(Body::EnquireLink)?,
        CommandId::EnquireLinkResp => empty(Body::EnquireLinkResp)?,
        CommandId::GenericNack => empty(Body::GenericNack)?,
        CommandId::SubmitSm => Body::SubmitSm(run(submit_sm, b)?),
        CommandId::SubmitSmResp => Body::SubmitSmResp(resp(message_id_resp, b, st)?),
        CommandId::DeliverSm => Body::DeliverSm(run(submit_sm, b)?),
        CommandId::DeliverSmResp => Body::DeliverSmResp(resp(message_id_resp, b, st)?),
        CommandId::DataSm => Body::DataSm(run(data_sm, b)?),
        CommandId::DataSmResp => Body::DataSmResp(resp(message_id_resp, b, st)?),
        CommandId::QuerySm => Body::QuerySm(run(query_sm, b)?),
        CommandId::QuerySmResp => Body::QuerySmResp(resp(query_sm_resp, b, st)?),
        CommandId::CancelSm => Body::CancelSm(run(cancel_sm, b)?),
        CommandId::CancelSmResp => empty(Body::CancelSmResp)?,
        CommandId::ReplaceSm => Body::ReplaceSm(run(replace_sm, b)?),
        CommandId::ReplaceSmResp => empty(Body::ReplaceSmResp)?,
        CommandId::SubmitMulti => Body::SubmitMulti(run(submit_multi, b)?),
        CommandId::SubmitMultiResp => Body::SubmitMultiResp(resp(submit_multi_resp, b, st)?),
        CommandId::AlertNotification => Body::AlertNotification(run(alert_notification, b)?),
    };
    Ok(Pdu {
        sequence_number: header.sequence_number,
        command_status: st,
        body,
    })
}
