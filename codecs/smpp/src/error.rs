//! Error types of the PDU codec.
//!
//! Small `Copy` enums with hand-written `Display`, as httparse does: the
//! engine counts errors by variant on the hot path, so an error must be cheap
//! to create, copy and compare, and must never allocate. Errors about a PDU
//! field name the field with [`Field`].

use core::fmt;

/// A PDU body field, named in errors. [`Field::name`] gives the spec's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    /// `system_id` (bind, bind_resp, outbind).
    SystemId,
    /// `password` (bind, outbind).
    Password,
    /// `system_type` (bind).
    SystemType,
    /// `interface_version` (bind).
    InterfaceVersion,
    /// `addr_ton` (bind).
    AddrTon,
    /// `addr_npi` (bind).
    AddrNpi,
    /// `address_range` (bind).
    AddressRange,
    /// `service_type`.
    ServiceType,
    /// `source_addr_ton`.
    SourceAddrTon,
    /// `source_addr_npi`.
    SourceAddrNpi,
    /// `source_addr`.
    SourceAddr,
    /// `dest_addr_ton`.
    DestAddrTon,
    /// `dest_addr_npi`.
    DestAddrNpi,
    /// `destination_addr`.
    DestinationAddr,
    /// `esm_class`.
    EsmClass,
    /// `protocol_id`.
    ProtocolId,
    /// `priority_flag`.
    PriorityFlag,
    /// `schedule_delivery_time`.
    ScheduleDeliveryTime,
    /// `validity_period`.
    ValidityPeriod,
    /// `registered_delivery`.
    RegisteredDelivery,
    /// `replace_if_present_flag`.
    ReplaceIfPresentFlag,
    /// `data_coding`.
    DataCoding,
    /// `sm_default_msg_id`.
    SmDefaultMsgId,
    /// `sm_length`.
    SmLength,
    /// `short_message`.
    ShortMessage,
    /// `message_id`.
    MessageId,
    /// `final_date` (query_sm_resp).
    FinalDate,
    /// `message_state` (query_sm_resp).
    MessageState,
    /// `error_code` (query_sm_resp).
    ErrorCode,
    /// `number_of_dests` (submit_multi).
    NumberOfDests,
    /// `dest_flag` (submit_multi).
    DestFlag,
    /// `dl_name` (submit_multi).
    DlName,
    /// `no_unsuccess` (submit_multi_resp).
    NoUnsuccess,
    /// `error_status_code` (submit_multi_resp).
    ErrorStatusCode,
    /// `esme_addr_ton` (alert_notification).
    EsmeAddrTon,
    /// `esme_addr_npi` (alert_notification).
    EsmeAddrNpi,
    /// `esme_addr` (alert_notification).
    EsmeAddr,
    /// The optional TLV region at the end of a body.
    Tlvs,
}

impl Field {
    /// The field's name as the SMPP specification spells it.
    pub const fn name(self) -> &'static str {
        match self {
            Field::SystemId => "system_id",
            Field::Password => "password",
            Field::SystemType => "system_type",
            Field::InterfaceVersion => "interface_version",
            Field::AddrTon => "addr_ton",
            Field::AddrNpi => "addr_npi",
            Field::AddressRange => "address_range",
            Field::ServiceType => "service_type",
            Field::SourceAddrTon => "source_addr_ton",
            Field::SourceAddrNpi => "source_addr_npi",
            Field::SourceAddr => "source_addr",
            Field::DestAddrTon => "dest_addr_ton",
            Field::DestAddrNpi => "dest_addr_npi",
            Field::DestinationAddr => "destination_addr",
            Field::EsmClass => "esm_class",
            Field::ProtocolId => "protocol_id",
            Field::PriorityFlag => "priority_flag",
            Field::ScheduleDeliveryTime => "schedule_delivery_time",
            Field::ValidityPeriod => "validity_period",
            Field::RegisteredDelivery => "registered_delivery",
            Field::ReplaceIfPresentFlag => "replace_if_present_flag",
            Field::DataCoding => "data_coding",
            Field::SmDefaultMsgId => "sm_default_msg_id",
            Field::SmLength => "sm_length",
            Field::ShortMessage => "short_message",
            Field::MessageId => "message_id",
            Field::FinalDate => "final_date",
            Field::MessageState => "message_state",
            Field::ErrorCode => "error_code",
            Field::NumberOfDests => "number_of_dests",
            Field::DestFlag => "dest_flag",
            Field::DlName => "dl_name",
            Field::NoUnsuccess => "no_unsuccess",
            Field::ErrorStatusCode => "error_status_code",
            Field::EsmeAddrTon => "esme_addr_ton",
            Field::EsmeAddrNpi => "esme_addr_npi",
            Field::EsmeAddr => "esme_addr",
            Field::Tlvs => "optional parameters",
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why [`check_frame`](crate::check_frame) refused the front of a buffer.
/// The stream cannot be resynchronised: the caller should close the
/// connection (after a generic_nack with `ESME_RINVCMDLEN`, if it likes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameError {
    /// `command_length` is below the 16-octet header.
    TooShort {
        /// The `command_length` read.
        command_length: u32,
    },
    /// `command_length` is above the caller's limit.
    TooLong {
        /// The `command_length` read.
        command_length: u32,
        /// The limit the caller passed.
        max: u32,
    },
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            FrameError::TooShort { command_length } => {
                write!(
                    f,
                    "command_length {command_length} is below the 16-octet header"
                )
            }
            FrameError::TooLong {
                command_length,
                max,
            } => write!(
                f,
                "command_length {command_length} exceeds the limit of {max}"
            ),
        }
    }
}

impl std::error::Error for FrameError {}

/// Why a frame could not be decoded into a PDU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecodeError {
    /// The frame is shorter than the 16-octet header.
    TooShort {
        /// Octets in the frame.
        len: usize,
    },
    /// `command_length` differs from the frame's length (or is below 16).
    LengthMismatch {
        /// The `command_length` read from the header.
        command_length: u32,
        /// Octets in the frame.
        frame_len: usize,
    },
    /// `command_id` is not a PDU this codec knows. Answer with generic_nack
    /// and `ESME_RINVCMDID`; [`decode_header`](crate::decode_header) still
    /// gives the sequence number.
    UnknownCommand {
        /// The unknown `command_id`.
        command_id: u32,
    },
    /// The body ended inside a fixed-size field.
    Truncated {
        /// The field being read.
        field: Field,
    },
    /// A C-Octet String has no terminating NUL before the end of the body.
    MissingNul {
        /// The field being read.
        field: Field,
    },
    /// A C-Octet String is longer than the spec allows.
    FieldTooLong {
        /// The field being read.
        field: Field,
        /// Maximum octets, not counting the NUL.
        max: usize,
        /// Octets found, not counting the NUL.
        len: usize,
    },
    /// A time field (`schedule_delivery_time`, `validity_period`,
    /// `final_date`) is neither empty nor exactly 16 characters.
    InvalidTime {
        /// The field being read.
        field: Field,
        /// Octets found, not counting the NUL.
        len: usize,
    },
    /// `sm_length` is above 254.
    ShortMessageTooLong {
        /// The `sm_length` read.
        len: usize,
    },
    /// `dest_flag` in submit_multi is neither 1 (SME address) nor 2
    /// (distribution list).
    InvalidDestFlag {
        /// The flag read.
        flag: u8,
    },
    /// A PDU that carries no optional parameters has bytes after its last
    /// mandatory field.
    TrailingBytes {
        /// How many octets are left over.
        len: usize,
    },
    /// The TLV region ends inside a TLV's 4-octet header or inside its value.
    TlvTruncated {
        /// The tag of the TLV being read (0 if the tag itself is cut).
        tag: u16,
    },
    /// A TLV's length is not one the spec allows for its tag
    /// (from [`TypedTlv::parse`](crate::TypedTlv::parse)).
    TlvLength {
        /// The TLV's tag.
        tag: u16,
        /// The length found.
        len: usize,
    },
    /// A TLV's value is outside the range the spec defines for its tag
    /// (from [`TypedTlv::parse`](crate::TypedTlv::parse)).
    TlvValue {
        /// The TLV's tag.
        tag: u16,
    },
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            DecodeError::TooShort { len } => {
                write!(f, "frame of {len} octets is shorter than the PDU header")
            }
            DecodeError::LengthMismatch {
                command_length,
                frame_len,
            } => write!(
                f,
                "command_length {command_length} does not match the frame of {frame_len} octets"
            ),
            DecodeError::UnknownCommand { command_id } => {
                write!(f, "unknown command_id 0x{command_id:08x}")
            }
            DecodeError::Truncated { field } => write!(f, "body ends inside {field}"),
            DecodeError::MissingNul { field } => write!(f, "{field} has no terminating NUL"),
            DecodeError::FieldTooLong { field, max, len } => {
                write!(f, "{field} is {len} octets long, the maximum is {max}")
            }
            DecodeError::InvalidTime { field, len } => {
                write!(f, "{field} is {len} octets long, it must be 0 or 16")
            }
            DecodeError::ShortMessageTooLong { len } => {
                write!(f, "sm_length {len} exceeds 254")
            }
            DecodeError::InvalidDestFlag { flag } => write!(f, "invalid dest_flag {flag}"),
            DecodeError::TrailingBytes { len } => {
                write!(f, "{len} unexpected octets after the last field")
            }
            DecodeError::TlvTruncated { tag } => write!(f, "TLV 0x{tag:04x} is truncated"),
            DecodeError::TlvLength { tag, len } => {
                write!(f, "TLV 0x{tag:04x} has invalid length {len}")
            }
            DecodeError::TlvValue { tag } => write!(f, "TLV 0x{tag:04x} has an invalid value"),
        }
    }
}

impl std::error::Error for DecodeError {}

/// Why a PDU could not be encoded. Nothing was appended to the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EncodeError {
    /// A C-Octet String is longer than the spec allows.
    FieldTooLong {
        /// The offending field.
        field: Field,
        /// Maximum octets, not counting the NUL.
        max: usize,
        /// Octets given.
        len: usize,
    },
    /// A C-Octet String contains a NUL, which would end it early.
    NulInField {
        /// The offending field.
        field: Field,
    },
    /// A time field is neither empty nor exactly 16 characters.
    InvalidTime {
        /// The offending field.
        field: Field,
        /// Octets given.
        len: usize,
    },
    /// `short_message` is longer than 254 octets (use the message_payload
    /// TLV or [`split`](crate::split)).
    ShortMessageTooLong {
        /// Octets given.
        len: usize,
    },
    /// A TLV value is longer than 65535 octets.
    TlvTooLong {
        /// The TLV's tag.
        tag: u16,
        /// Octets given.
        len: usize,
    },
    /// A raw TLV region ([`Tlvs::Raw`](crate::Tlvs::Raw)) is malformed.
    MalformedTlvs,
    /// More than 254 destinations or unsuccessful SMEs in submit_multi(_resp),
    /// or a raw list whose count disagrees with its bytes.
    TooManyEntries {
        /// Entries given.
        count: usize,
    },
    /// A raw destination or unsuccessful-SME list is malformed.
    MalformedList,
    /// The PDU would be longer than `u32::MAX` octets.
    PduTooLong,
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            EncodeError::FieldTooLong { field, max, len } => {
                write!(f, "{field} is {len} octets long, the maximum is {max}")
            }
            EncodeError::NulInField { field } => write!(f, "{field} contains a NUL octet"),
            EncodeError::InvalidTime { field, len } => {
                write!(f, "{field} is {len} octets long, it must be 0 or 16")
            }
            EncodeError::ShortMessageTooLong { len } => {
                write!(f, "short_message of {len} octets exceeds 254")
            }
            EncodeError::TlvTooLong { tag, len } => {
                write!(f, "TLV 0x{tag:04x} value of {len} octets exceeds 65535")
            }
            EncodeError::MalformedTlvs => f.write_str("raw TLV region is malformed"),
            EncodeError::TooManyEntries { count } => {
                write!(f, "{count} list entries, the maximum is 254")
            }
            EncodeError::MalformedList => f.write_str("raw destination list is malformed"),
            EncodeError::PduTooLong => f.write_str("PDU longer than 4 GiB"),
        }
    }
}

impl std::error::Error for EncodeError {}
