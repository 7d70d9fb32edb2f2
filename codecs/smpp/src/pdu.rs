//! PDU types: a [`Pdu`] is a header's sequence number and status plus a
//! [`Body`], one variant per command.
//!
//! Every string and octet field borrows: from the frame after
//! [`decode`](crate::decode), from the caller before
//! [`encode`](crate::encode). C-Octet Strings are given without their NUL.

use crate::command::CommandId;
use crate::error::DecodeError;
use crate::status::CommandStatus;
use crate::tlv::Tlvs;
use core::fmt;

/// One SMPP PDU. The header's `command_length` is computed by
/// [`encode`](crate::encode) and its `command_id` comes from the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pdu<'a> {
    /// Correlates a response with its request.
    pub sequence_number: u32,
    /// Outcome, in responses; [`CommandStatus::ESME_ROK`] in requests.
    pub command_status: CommandStatus,
    /// The command and its fields.
    pub body: Body<'a>,
}

impl<'a> Pdu<'a> {
    /// A PDU with status `ESME_ROK`.
    pub const fn new(sequence_number: u32, body: Body<'a>) -> Self {
        Pdu {
            sequence_number,
            command_status: CommandStatus::ESME_ROK,
            body,
        }
    }

    /// The command id of the body.
    pub fn command_id(&self) -> CommandId {
        self.body.command_id()
    }
}

/// The body of a PDU, one variant per command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body<'a> {
    /// The `bind_transmitter` PDU.
    BindTransmitter(Bind<'a>),
    /// The `bind_transmitter_resp` PDU.
    BindTransmitterResp(BindResp<'a>),
    /// The `bind_receiver` PDU.
    BindReceiver(Bind<'a>),
    /// The `bind_receiver_resp` PDU.
    BindReceiverResp(BindResp<'a>),
    /// The `bind_transceiver` PDU.
    BindTransceiver(Bind<'a>),
    /// The `bind_transceiver_resp` PDU.
    BindTransceiverResp(BindResp<'a>),
    /// The `outbind` PDU.
    Outbind(Outbind<'a>),
    /// The `unbind` PDU.
    Unbind,
    /// The `unbind_resp` PDU.
    UnbindResp,
    /// The `enquire_link` PDU.
    EnquireLink,
    /// The `enquire_link_resp` PDU.
    EnquireLinkResp,
    /// The `generic_nack` PDU.
    GenericNack,
    /// The `submit_sm` PDU.
    SubmitSm(SubmitSm<'a>),
    /// The `submit_sm_resp` PDU.
    SubmitSmResp(MessageIdResp<'a>),
    /// deliver_sm has submit_sm's layout.
    DeliverSm(SubmitSm<'a>),
    /// The `deliver_sm_resp` PDU.
    DeliverSmResp(MessageIdResp<'a>),
    /// The `data_sm` PDU.
    DataSm(DataSm<'a>),
    /// The `data_sm_resp` PDU.
    DataSmResp(MessageIdResp<'a>),
    /// The `query_sm` PDU.
    QuerySm(QuerySm<'a>),
    /// The `query_sm_resp` PDU.
    QuerySmResp(QuerySmResp<'a>),
    /// The `cancel_sm` PDU.
    CancelSm(CancelSm<'a>),
    /// The `cancel_sm_resp` PDU.
    CancelSmResp,
    /// The `replace_sm` PDU.
    ReplaceSm(ReplaceSm<'a>),
    /// The `replace_sm_resp` PDU.
    ReplaceSmResp,
    /// The `submit_multi` PDU.
    SubmitMulti(SubmitMulti<'a>),
    /// The `submit_multi_resp` PDU.
    SubmitMultiResp(SubmitMultiResp<'a>),
    /// The `alert_notification` PDU.
    AlertNotification(AlertNotification<'a>),
}

impl Body<'_> {
    /// The command id this body is sent with.
    pub fn command_id(&self) -> CommandId {
        match self {
            Body::BindTransmitter(_) => CommandId::BindTransmitter,
            Body::BindTransmitterResp(_) => CommandId::BindTransmitterResp,
            Body::BindReceiver(_) => CommandId::BindReceiver,
            Body::BindReceiverResp(_) => CommandId::BindReceiverResp,
            Body::BindTransceiver(_) => CommandId::BindTransceiver,
            Body::BindTransceiverResp(_) => CommandId::BindTransceiverResp,
            Body::Outbind(_) => CommandId::Outbind,
            Body::Unbind => CommandId::Unbind,
            Body::UnbindResp => CommandId::UnbindResp,
            Body::EnquireLink => CommandId::EnquireLink,
            Body::EnquireLinkResp => CommandId::EnquireLinkResp,
            Body::GenericNack => CommandId::GenericNack,
            Body::SubmitSm(_) => CommandId::SubmitSm,
            Body::SubmitSmResp(_) => CommandId::SubmitSmResp,
            Body::DeliverSm(_) => CommandId::DeliverSm,
            Body::DeliverSmResp(_) => CommandId::DeliverSmResp,
            Body::DataSm(_) => CommandId::DataSm,
            Body::DataSmResp(_) => CommandId::DataSmResp,
            Body::QuerySm(_) => CommandId::QuerySm,
            Body::QuerySmResp(_) => CommandId::QuerySmResp,
            Body::CancelSm(_) => CommandId::CancelSm,
            Body::CancelSmResp => CommandId::CancelSmResp,
            Body::ReplaceSm(_) => CommandId::ReplaceSm,
            Body::ReplaceSmResp => CommandId::ReplaceSmResp,
            Body::SubmitMulti(_) => CommandId::SubmitMulti,
            Body::SubmitMultiResp(_) => CommandId::SubmitMultiResp,
            Body::AlertNotification(_) => CommandId::AlertNotification,
        }
    }
}

/// bind_transmitter, bind_receiver and bind_transceiver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bind<'a> {
    /// The ESME's identity (max 15 octets).
    pub system_id: &'a [u8],
    /// Password (max 8 octets).
    pub password: &'a [u8],
    /// Type of ESME (max 12 octets), often empty.
    pub system_type: &'a [u8],
    /// SMPP version the ESME speaks: 0x34 for 3.4, 0x50 for 5.0.
    pub interface_version: u8,
    /// TON of `address_range`.
    pub addr_ton: u8,
    /// NPI of `address_range`.
    pub addr_npi: u8,
    /// Addresses served by a receiver (max 40 octets), often empty.
    pub address_range: &'a [u8],
}

impl Default for Bind<'_> {
    /// Empty strings, zero TON/NPI and interface_version 0x34.
    fn default() -> Self {
        Bind {
            system_id: b"",
            password: b"",
            system_type: b"",
            interface_version: 0x34,
            addr_ton: 0,
            addr_npi: 0,
            address_range: b"",
        }
    }
}

/// The three bind responses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BindResp<'a> {
    /// The MC's identity (max 15 octets).
    pub system_id: &'a [u8],
    /// Optional parameters: sc_interface_version.
    pub tlvs: Tlvs<'a>,
}

/// outbind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Outbind<'a> {
    /// The MC's identity (max 15 octets).
    pub system_id: &'a [u8],
    /// Password (max 8 octets).
    pub password: &'a [u8],
}

/// submit_sm_resp, deliver_sm_resp and data_sm_resp.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MessageIdResp<'a> {
    /// The MC's id for the message (max 64 octets); empty in deliver_sm_resp.
    pub message_id: &'a [u8],
    /// Optional parameters (SMPP 5.0 allows some, e.g. additional_status_info_text).
    pub tlvs: Tlvs<'a>,
}

/// submit_sm and deliver_sm (same layout).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SubmitSm<'a> {
    /// Service type (max 5 octets), usually empty.
    pub service_type: &'a [u8],
    /// TON of `source_addr`.
    pub source_addr_ton: u8,
    /// NPI of `source_addr`.
    pub source_addr_npi: u8,
    /// Originator address (max 20 octets).
    pub source_addr: &'a [u8],
    /// TON of `destination_addr`.
    pub dest_addr_ton: u8,
    /// NPI of `destination_addr`.
    pub dest_addr_npi: u8,
    /// Recipient address (max 20 octets).
    pub destination_addr: &'a [u8],
    /// Messaging mode and type. Bit 0x40 (UDHI): `short_message` starts
    /// with a user data header; message type bits 0x3C: 0x04 = MC delivery
    /// receipt (deliver_sm).
    pub esm_class: u8,
    /// GSM TP-Protocol-Identifier.
    pub protocol_id: u8,
    /// Priority, 0 (lowest) to 3 (or 4).
    pub priority_flag: u8,
    /// Empty (immediate) or a 16-character SMPP time.
    pub schedule_delivery_time: &'a [u8],
    /// Empty (MC default) or a 16-character SMPP time.
    pub validity_period: &'a [u8],
    /// Receipt request: bits 0-1 = 1 asks for an MC delivery receipt.
    pub registered_delivery: u8,
    /// Replace a pending message with the same source, destination and
    /// service type.
    pub replace_if_present_flag: u8,
    /// Text encoding (see [`text::data_coding`](crate::text::data_coding)).
    pub data_coding: u8,
    /// Index of a predefined message, 0 if none.
    pub sm_default_msg_id: u8,
    /// The message, at most 254 octets (`sm_length` is derived from it).
    pub short_message: &'a [u8],
    /// Optional parameters.
    pub tlvs: Tlvs<'a>,
}

/// data_sm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DataSm<'a> {
    /// Service type (max 5 octets).
    pub service_type: &'a [u8],
    /// TON of `source_addr`.
    pub source_addr_ton: u8,
    /// NPI of `source_addr`.
    pub source_addr_npi: u8,
    /// Originator address (max 64 octets).
    pub source_addr: &'a [u8],
    /// TON of `destination_addr`.
    pub dest_addr_ton: u8,
    /// NPI of `destination_addr`.
    pub dest_addr_npi: u8,
    /// Recipient address (max 64 octets).
    pub destination_addr: &'a [u8],
    /// Messaging mode and type, as in submit_sm.
    pub esm_class: u8,
    /// Receipt request, as in submit_sm.
    pub registered_delivery: u8,
    /// Text encoding.
    pub data_coding: u8,
    /// Optional parameters; the text travels in message_payload.
    pub tlvs: Tlvs<'a>,
}

/// query_sm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct QuerySm<'a> {
    /// The MC's id of the message (max 64 octets).
    pub message_id: &'a [u8],
    /// TON of `source_addr`.
    pub source_addr_ton: u8,
    /// NPI of `source_addr`.
    pub source_addr_npi: u8,
    /// Originator address of the message (max 20 octets).
    pub source_addr: &'a [u8],
}

/// query_sm_resp.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct QuerySmResp<'a> {
    /// The MC's id of the message (max 64 octets).
    pub message_id: &'a [u8],
    /// Empty or a 16-character SMPP time at which the message reached a
    /// final state.
    pub final_date: &'a [u8],
    /// The raw message state (see [`MessageState::from_u8`](crate::MessageState::from_u8)).
    pub message_state: u8,
    /// Network error code, if any.
    pub error_code: u8,
}

/// cancel_sm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CancelSm<'a> {
    /// Service type (max 5 octets).
    pub service_type: &'a [u8],
    /// The MC's id of the message, or empty to cancel by addresses.
    pub message_id: &'a [u8],
    /// TON of `source_addr`.
    pub source_addr_ton: u8,
    /// NPI of `source_addr`.
    pub source_addr_npi: u8,
    /// Originator address (max 20 octets).
    pub source_addr: &'a [u8],
    /// TON of `destination_addr`.
    pub dest_addr_ton: u8,
    /// NPI of `destination_addr`.
    pub dest_addr_npi: u8,
    /// Recipient address (max 20 octets).
    pub destination_addr: &'a [u8],
}

/// replace_sm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReplaceSm<'a> {
    /// The MC's id of the message to replace (max 64 octets).
    pub message_id: &'a [u8],
    /// TON of `source_addr`.
    pub source_addr_ton: u8,
    /// NPI of `source_addr`.
    pub source_addr_npi: u8,
    /// Originator address (max 20 octets).
    pub source_addr: &'a [u8],
    /// Empty or a 16-character SMPP time.
    pub schedule_delivery_time: &'a [u8],
    /// Empty or a 16-character SMPP time.
    pub validity_period: &'a [u8],
    /// Receipt request.
    pub registered_delivery: u8,
    /// Index of a predefined message, 0 if none.
    pub sm_default_msg_id: u8,
    /// The new message, at most 254 octets.
    pub short_message: &'a [u8],
    /// Optional parameters (SMPP 5.0: message_payload).
    pub tlvs: Tlvs<'a>,
}

/// One destination of a submit_multi.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DestAddress<'a> {
    /// dest_flag 1: an SME address.
    Sme {
        /// TON.
        ton: u8,
        /// NPI.
        npi: u8,
        /// Address (max 20 octets).
        addr: &'a [u8],
    },
    /// dest_flag 2: a distribution list name (max 20 octets).
    DistributionList(&'a [u8]),
}

/// The destinations of a submit_multi: raw after decoding (already
/// validated), a list before encoding. Compares by content.
#[derive(Clone, Copy)]
pub enum DestAddresses<'a> {
    /// As on the wire: `count` entries in `bytes`.
    Raw {
        /// number_of_dests.
        count: u8,
        /// The entries' octets.
        bytes: &'a [u8],
    },
    /// A list to encode (at most 254 entries).
    List(&'a [DestAddress<'a>]),
}

/// One unsuccessful destination in a submit_multi_resp.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnsuccessSme<'a> {
    /// TON.
    pub dest_addr_ton: u8,
    /// NPI.
    pub dest_addr_npi: u8,
    /// Address (max 20 octets).
    pub destination_addr: &'a [u8],
    /// Why the message failed for this destination.
    pub error_status_code: CommandStatus,
}

/// The unsuccessful destinations of a submit_multi_resp: raw after
/// decoding (already validated), a list before encoding.
#[derive(Clone, Copy)]
pub enum UnsuccessSmes<'a> {
    /// As on the wire: `count` entries in `bytes`.
    Raw {
        /// no_unsuccess.
        count: u8,
        /// The entries' octets.
        bytes: &'a [u8],
    },
    /// A list to encode (at most 254 entries).
    List(&'a [UnsuccessSme<'a>]),
}

/// submit_multi.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SubmitMulti<'a> {
    /// Service type (max 5 octets).
    pub service_type: &'a [u8],
    /// TON of `source_addr`.
    pub source_addr_ton: u8,
    /// NPI of `source_addr`.
    pub source_addr_npi: u8,
    /// Originator address (max 20 octets).
    pub source_addr: &'a [u8],
    /// The destinations.
    pub dest_addresses: DestAddresses<'a>,
    /// As in submit_sm.
    pub esm_class: u8,
    /// As in submit_sm.
    pub protocol_id: u8,
    /// As in submit_sm.
    pub priority_flag: u8,
    /// Empty or a 16-character SMPP time.
    pub schedule_delivery_time: &'a [u8],
    /// Empty or a 16-character SMPP time.
    pub validity_period: &'a [u8],
    /// As in submit_sm.
    pub registered_delivery: u8,
    /// As in submit_sm.
    pub replace_if_present_flag: u8,
    /// As in submit_sm.
    pub data_coding: u8,
    /// As in submit_sm.
    pub sm_default_msg_id: u8,
    /// The message, at most 254 octets.
    pub short_message: &'a [u8],
    /// Optional parameters.
    pub tlvs: Tlvs<'a>,
}

/// submit_multi_resp.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SubmitMultiResp<'a> {
    /// The MC's id for the message (max 64 octets).
    pub message_id: &'a [u8],
    /// Destinations the message could not be submitted to.
    pub unsuccess_smes: UnsuccessSmes<'a>,
}

/// alert_notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AlertNotification<'a> {
    /// TON of `source_addr`.
    pub source_addr_ton: u8,
    /// NPI of `source_addr`.
    pub source_addr_npi: u8,
    /// The mobile that became available (max 64 octets).
    pub source_addr: &'a [u8],
    /// TON of `esme_addr`.
    pub esme_addr_ton: u8,
    /// NPI of `esme_addr`.
    pub esme_addr_npi: u8,
    /// The ESME that asked to be alerted (max 64 octets).
    pub esme_addr: &'a [u8],
    /// Optional parameters: ms_availability_status.
    pub tlvs: Tlvs<'a>,
}

// ---- raw list iteration -------------------------------------------------

/// Reads a C-Octet String of at most `max` octets (NUL excluded).
fn cstr(b: &[u8], max: usize) -> Option<(&[u8], &[u8])> {
    let n = b.iter().position(|&c| c == 0)?;
    (n <= max).then(|| (&b[..n], &b[n + 1..]))
}

pub(crate) fn split_dest(b: &[u8]) -> Result<(DestAddress<'_>, &[u8]), DecodeError> {
    use crate::error::Field;
    let (&flag, rest) = b.split_first().ok_or(DecodeError::Truncated {
        field: Field::DestFlag,
    })?;
    let cs = |rest, field| cstr(rest, 20).ok_or_else(|| crate::decode::cstr_error(rest, field, 21));
    match flag {
        1 => {
            let [ton, npi, rest @ ..] = rest else {
                return Err(DecodeError::Truncated {
                    field: if rest.is_empty() {
                        Field::DestAddrTon
                    } else {
                        Field::DestAddrNpi
                    },
                });
            };
            let (addr, rest) = cs(rest, Field::DestinationAddr)?;
            Ok((
                DestAddress::Sme {
                    ton: *ton,
                    npi: *npi,
                    addr,
                },
                rest,
            ))
        }
        2 => {
            let (name, rest) = cs(rest, Field::DlName)?;
            Ok((DestAddress::DistributionList(name), rest))
        }
        flag => Err(DecodeError::InvalidDestFlag { flag }),
    }
}

pub(crate) fn split_unsuccess(b: &[u8]) -> Result<(UnsuccessSme<'_>, &[u8]), DecodeError> {
    use crate::error::Field;
    let [ton, npi, rest @ ..] = b else {
        return Err(DecodeError::Truncated {
            field: if b.is_empty() {
                Field::DestAddrTon
            } else {
                Field::DestAddrNpi
            },
        });
    };
    let (addr, rest) = cstr(rest, 20)
        .ok_or_else(|| crate::decode::cstr_error(rest, Field::DestinationAddr, 21))?;
    let (code, rest) = rest
        .split_first_chunk::<4>()
        .ok_or(DecodeError::Truncated {
            field: Field::ErrorStatusCode,
        })?;
    Ok((
        UnsuccessSme {
            dest_addr_ton: *ton,
            dest_addr_npi: *npi,
            destination_addr: addr,
            error_status_code: CommandStatus(u32::from_be_bytes(*code)),
        },
        rest,
    ))
}

macro_rules! raw_list {
    ($list:ident, $item:ident, $iter:ident, $split:ident) => {
        impl<'a> $list<'a> {
            /// Number of entries.
            pub fn len(&self) -> usize {
                match *self {
                    $list::Raw { count, .. } => count as usize,
                    $list::List(l) => l.len(),
                }
            }

            /// Whether there are no entries.
            pub fn is_empty(&self) -> bool {
                self.len() == 0
            }

            /// Iterates the entries. A malformed raw list (only possible if
            /// the caller built one) yields one `Err` and then ends.
            pub fn iter(&self) -> $iter<'a> {
                match *self {
                    $list::Raw { count, bytes } => $iter::Raw { left: count, bytes },
                    $list::List(l) => $iter::List(l.iter()),
                }
            }
        }

        impl Default for $list<'_> {
            fn default() -> Self {
                $list::List(&[])
            }
        }

        impl PartialEq for $list<'_> {
            fn eq(&self, other: &Self) -> bool {
                self.len() == other.len() && self.iter().eq(other.iter())
            }
        }

        impl Eq for $list<'_> {}

        impl fmt::Debug for $list<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_list().entries(self.iter()).finish()
            }
        }

        /// Iterator over the entries of a list.
        #[derive(Debug, Clone)]
        pub enum $iter<'a> {
            /// Walking raw bytes.
            Raw {
                /// Entries left.
                left: u8,
                /// Octets left.
                bytes: &'a [u8],
            },
            /// Walking a list.
            List(core::slice::Iter<'a, $item<'a>>),
        }

        impl<'a> Iterator for $iter<'a> {
            type Item = Result<$item<'a>, DecodeError>;

            fn next(&mut self) -> Option<Self::Item> {
                match self {
                    $iter::List(it) => it.next().copied().map(Ok),
                    $iter::Raw { left, bytes } => {
                        if *left == 0 {
                            return None;
                        }
                        match $split(bytes) {
                            Ok((item, rest)) => {
                                *left -= 1;
                                *bytes = rest;
                                Some(Ok(item))
                            }
                            Err(e) => {
                                *left = 0;
                                Some(Err(e))
                            }
                        }
                    }
                }
            }
        }
    };
}

raw_list!(DestAddresses, DestAddress, DestAddressIter, split_dest);
raw_list!(
    UnsuccessSmes,
    UnsuccessSme,
    UnsuccessSmeIter,
    split_unsuccess
);
