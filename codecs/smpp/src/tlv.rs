//! Optional parameters (TLVs): tag, length, value.
//!
//! A decoded PDU keeps its TLV region as raw bytes ([`Tlvs::Raw`]), checked
//! for framing at decode time but not copied or interpreted; a PDU being
//! encoded takes a caller's list ([`Tlvs::List`]). Both iterate as
//! [`Tlv`]s, unknown tags included, and compare equal when they hold the same
//! TLVs in the same order. [`TypedTlv::parse`] interprets a known tag and
//! checks its length against the spec.

use crate::error::DecodeError;
use crate::status::CommandStatus;
use core::fmt;

/// One optional parameter. `value` is the raw value: C-Octet String TLVs
/// (such as receipted_message_id) include their NUL here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tlv<'a> {
    /// The parameter tag (see [`tag`](crate::tag)).
    pub tag: u16,
    /// The value octets.
    pub value: &'a [u8],
}

impl<'a> Tlv<'a> {
    /// A TLV with this tag and value.
    pub const fn new(tag: u16, value: &'a [u8]) -> Self {
        Tlv { tag, value }
    }

    /// Octets this TLV takes on the wire (4 + value).
    pub const fn wire_len(&self) -> usize {
        4 + self.value.len()
    }
}

/// The optional parameters of a PDU.
#[derive(Clone, Copy)]
pub enum Tlvs<'a> {
    /// The TLV region as it came off the wire (what [`decode`](crate::decode)
    /// produces).
    Raw(&'a [u8]),
    /// A list to encode.
    List(&'a [Tlv<'a>]),
}

impl<'a> Tlvs<'a> {
    /// No optional parameters.
    pub const EMPTY: Tlvs<'static> = Tlvs::List(&[]);

    /// Iterates the TLVs in order. A malformed raw region yields one
    /// `Err(DecodeError::TlvTruncated)` and then ends.
    pub fn iter(&self) -> TlvIter<'a> {
        match *self {
            Tlvs::Raw(bytes) => TlvIter::Raw(bytes),
            Tlvs::List(list) => TlvIter::List(list.iter()),
        }
    }

    /// The value of the first TLV with this tag, if any.
    pub fn get(&self, tag: u16) -> Option<&'a [u8]> {
        self.iter()
            .map_while(Result::ok)
            .find(|t| t.tag == tag)
            .map(|t| t.value)
    }

    /// Whether there are no TLVs.
    pub fn is_empty(&self) -> bool {
        match *self {
            Tlvs::Raw(bytes) => bytes.is_empty(),
            Tlvs::List(list) => list.is_empty(),
        }
    }

    /// Octets the region takes on the wire.
    pub fn wire_len(&self) -> usize {
        match *self {
            Tlvs::Raw(bytes) => bytes.len(),
            Tlvs::List(list) => list.iter().map(Tlv::wire_len).sum(),
        }
    }
}

impl Default for Tlvs<'_> {
    fn default() -> Self {
        Tlvs::EMPTY
    }
}

impl PartialEq for Tlvs<'_> {
    fn eq(&self, other: &Self) -> bool {
        if let (Tlvs::Raw(a), Tlvs::Raw(b)) = (self, other) {
            return a == b;
        }
        self.iter().eq(other.iter())
    }
}

impl Eq for Tlvs<'_> {}

impl fmt::Debug for Tlvs<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<'a> IntoIterator for Tlvs<'a> {
    type Item = Result<Tlv<'a>, DecodeError>;
    type IntoIter = TlvIter<'a>;
    fn into_iter(self) -> TlvIter<'a> {
        self.iter()
    }
}

/// Iterator over [`Tlvs`], from [`Tlvs::iter`].
#[derive(Debug, Clone)]
pub enum TlvIter<'a> {
    /// Walking a raw region; the slice is what is left.
    Raw(&'a [u8]),
    /// Walking a list.
    List(core::slice::Iter<'a, Tlv<'a>>),
}

impl<'a> Iterator for TlvIter<'a> {
    type Item = Result<Tlv<'a>, DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            TlvIter::List(it) => it.next().copied().map(Ok),
            TlvIter::Raw(rest) => {
                if rest.is_empty() {
                    return None;
                }
                let r = split_tlv(rest);
                match r {
                    Ok((_, tail)) => *rest = tail,
                    Err(_) => *rest = &[],
                }
                Some(r.map(|(tlv, _)| tlv))
            }
        }
    }
}

/// Splits the first TLV off `bytes`.
pub(crate) fn split_tlv(bytes: &[u8]) -> Result<(Tlv<'_>, &[u8]), DecodeError> {
    let (tag, len) = match bytes {
        [t0, t1, l0, l1, ..] => (
            u16::from_be_bytes([*t0, *t1]),
            u16::from_be_bytes([*l0, *l1]) as usize,
        ),
        [t0, t1, ..] => {
            return Err(DecodeError::TlvTruncated {
                tag: u16::from_be_bytes([*t0, *t1]),
            })
        }
        _ => return Err(DecodeError::TlvTruncated { tag: 0 }),
    };
    let rest = &bytes[4..];
    if rest.len() < len {
        return Err(DecodeError::TlvTruncated { tag });
    }
    let (value, tail) = rest.split_at(len);
    Ok((Tlv { tag, value }, tail))
}

/// Checks that `bytes` is a sequence of whole TLVs.
pub(crate) fn validate(mut bytes: &[u8]) -> Result<(), DecodeError> {
    while !bytes.is_empty() {
        bytes = split_tlv(bytes)?.1;
    }
    Ok(())
}

/// TLV tags of SMPP 3.4 (section 5.3.2) and SMPP 5.0 (section 4.8.4).
pub mod tag {
    /// dest_addr_subunit: subcomponent of the destination device (1 octet).
    pub const DEST_ADDR_SUBUNIT: u16 = 0x0005;
    /// dest_network_type: network of the destination (1 octet).
    pub const DEST_NETWORK_TYPE: u16 = 0x0006;
    /// dest_bearer_type: bearer for the destination (1 octet).
    pub const DEST_BEARER_TYPE: u16 = 0x0007;
    /// dest_telematics_id: telematics id of the destination (2 octets).
    pub const DEST_TELEMATICS_ID: u16 = 0x0008;
    /// source_addr_subunit: subcomponent of the source device (1 octet).
    pub const SOURCE_ADDR_SUBUNIT: u16 = 0x000D;
    /// source_network_type: network of the source (1 octet).
    pub const SOURCE_NETWORK_TYPE: u16 = 0x000E;
    /// source_bearer_type: bearer of the source (1 octet).
    pub const SOURCE_BEARER_TYPE: u16 = 0x000F;
    /// source_telematics_id: telematics id of the source (1 octet).
    pub const SOURCE_TELEMATICS_ID: u16 = 0x0010;
    /// qos_time_to_live: seconds to keep the message (4 octets).
    pub const QOS_TIME_TO_LIVE: u16 = 0x0017;
    /// payload_type: WDP or WCMP payload (1 octet).
    pub const PAYLOAD_TYPE: u16 = 0x0019;
    /// additional_status_info_text: text describing a response (C-Octet String, max 256).
    pub const ADDITIONAL_STATUS_INFO_TEXT: u16 = 0x001D;
    /// receipted_message_id: the MC's id of the message a receipt is about (C-Octet String, max 65).
    pub const RECEIPTED_MESSAGE_ID: u16 = 0x001E;
    /// ms_msg_wait_facilities: message-waiting indicator control (1 octet).
    pub const MS_MSG_WAIT_FACILITIES: u16 = 0x0030;
    /// privacy_indicator: privacy level (1 octet).
    pub const PRIVACY_INDICATOR: u16 = 0x0201;
    /// source_subaddress: subaddress of the originator (2 to 23 octets).
    pub const SOURCE_SUBADDRESS: u16 = 0x0202;
    /// dest_subaddress: subaddress of the recipient (2 to 23 octets).
    pub const DEST_SUBADDRESS: u16 = 0x0203;
    /// user_message_reference: ESME's reference for the message (2 octets).
    pub const USER_MESSAGE_REFERENCE: u16 = 0x0204;
    /// user_response_code: application response code (1 octet).
    pub const USER_RESPONSE_CODE: u16 = 0x0205;
    /// source_port: application port of the originator (2 octets).
    pub const SOURCE_PORT: u16 = 0x020A;
    /// destination_port: application port of the recipient (2 octets).
    pub const DESTINATION_PORT: u16 = 0x020B;
    /// sar_msg_ref_num: reference of a concatenated message (2 octets).
    pub const SAR_MSG_REF_NUM: u16 = 0x020C;
    /// language_indicator: language of the text (1 octet).
    pub const LANGUAGE_INDICATOR: u16 = 0x020D;
    /// sar_total_segments: segments in a concatenated message (1 octet).
    pub const SAR_TOTAL_SEGMENTS: u16 = 0x020E;
    /// sar_segment_seqnum: this segment's number, from 1 (1 octet).
    pub const SAR_SEGMENT_SEQNUM: u16 = 0x020F;
    /// sc_interface_version: SMPP version the MC supports, in bind responses (1 octet).
    pub const SC_INTERFACE_VERSION: u16 = 0x0210;
    /// callback_num_pres_ind: callback number presentation (1 octet).
    pub const CALLBACK_NUM_PRES_IND: u16 = 0x0302;
    /// callback_num_atag: alphanumeric tag of the callback number (max 65 octets).
    pub const CALLBACK_NUM_ATAG: u16 = 0x0303;
    /// number_of_messages: messages waiting in a mailbox (1 octet).
    pub const NUMBER_OF_MESSAGES: u16 = 0x0304;
    /// callback_num: callback number (4 to 19 octets).
    pub const CALLBACK_NUM: u16 = 0x0381;
    /// dpf_result: whether a delivery pending flag was set (1 octet).
    pub const DPF_RESULT: u16 = 0x0420;
    /// set_dpf: request to set the delivery pending flag (1 octet).
    pub const SET_DPF: u16 = 0x0421;
    /// ms_availability_status: availability of the mobile (1 octet).
    pub const MS_AVAILABILITY_STATUS: u16 = 0x0422;
    /// network_error_code: network type and error code (3 octets).
    pub const NETWORK_ERROR_CODE: u16 = 0x0423;
    /// message_payload: the message text, instead of short_message (any length).
    pub const MESSAGE_PAYLOAD: u16 = 0x0424;
    /// delivery_failure_reason: why a data_sm failed (1 octet).
    pub const DELIVERY_FAILURE_REASON: u16 = 0x0425;
    /// more_messages_to_send: more messages follow (1 octet).
    pub const MORE_MESSAGES_TO_SEND: u16 = 0x0426;
    /// message_state: state of the message a receipt is about (1 octet).
    pub const MESSAGE_STATE: u16 = 0x0427;
    /// congestion_state: the peer's load, 0 to 100 (SMPP 5.0, 1 octet).
    pub const CONGESTION_STATE: u16 = 0x0428;
    /// ussd_service_op: USSD operation (1 octet).
    pub const USSD_SERVICE_OP: u16 = 0x0501;
    /// broadcast_channel_indicator (SMPP 5.0, 1 octet).
    pub const BROADCAST_CHANNEL_INDICATOR: u16 = 0x0600;
    /// broadcast_content_type (SMPP 5.0, 3 octets).
    pub const BROADCAST_CONTENT_TYPE: u16 = 0x0601;
    /// broadcast_content_type_info (SMPP 5.0, variable).
    pub const BROADCAST_CONTENT_TYPE_INFO: u16 = 0x0602;
    /// broadcast_message_class (SMPP 5.0, 1 octet).
    pub const BROADCAST_MESSAGE_CLASS: u16 = 0x0603;
    /// broadcast_rep_num (SMPP 5.0, 2 octets).
    pub const BROADCAST_REP_NUM: u16 = 0x0604;
    /// broadcast_frequency_interval (SMPP 5.0, 3 octets).
    pub const BROADCAST_FREQUENCY_INTERVAL: u16 = 0x0605;
    /// broadcast_area_identifier (SMPP 5.0, variable).
    pub const BROADCAST_AREA_IDENTIFIER: u16 = 0x0606;
    /// broadcast_error_status (SMPP 5.0, 4 octets).
    pub const BROADCAST_ERROR_STATUS: u16 = 0x0607;
    /// broadcast_area_success (SMPP 5.0, 1 octet).
    pub const BROADCAST_AREA_SUCCESS: u16 = 0x0608;
    /// broadcast_end_time (SMPP 5.0, C-Octet String of 17).
    pub const BROADCAST_END_TIME: u16 = 0x0609;
    /// broadcast_service_group (SMPP 5.0, variable).
    pub const BROADCAST_SERVICE_GROUP: u16 = 0x060A;
    /// billing_identification (SMPP 5.0, variable).
    pub const BILLING_IDENTIFICATION: u16 = 0x060B;
    /// source_network_id (SMPP 5.0, C-Octet String, max 65).
    pub const SOURCE_NETWORK_ID: u16 = 0x060D;
    /// dest_network_id (SMPP 5.0, C-Octet String, max 65).
    pub const DEST_NETWORK_ID: u16 = 0x060E;
    /// source_node_id (SMPP 5.0, 6 octets).
    pub const SOURCE_NODE_ID: u16 = 0x060F;
    /// dest_node_id (SMPP 5.0, 6 octets).
    pub const DEST_NODE_ID: u16 = 0x0610;
    /// dest_addr_np_resolution (SMPP 5.0, 1 octet).
    pub const DEST_ADDR_NP_RESOLUTION: u16 = 0x0611;
    /// dest_addr_np_information (SMPP 5.0, 10 octets).
    pub const DEST_ADDR_NP_INFORMATION: u16 = 0x0612;
    /// dest_addr_np_country (SMPP 5.0, 1 to 5 octets).
    pub const DEST_ADDR_NP_COUNTRY: u16 = 0x0613;
    /// display_time: how the mobile displays the message (1 octet).
    pub const DISPLAY_TIME: u16 = 0x1201;
    /// sms_signal: alerting tone (2 octets).
    pub const SMS_SIGNAL: u16 = 0x1203;
    /// ms_validity: validity on the mobile (1 octet; 5.0 allows 4).
    pub const MS_VALIDITY: u16 = 0x1204;
    /// alert_on_message_delivery: alert the user on arrival (0 octets; 5.0 allows 1).
    pub const ALERT_ON_MESSAGE_DELIVERY: u16 = 0x130C;
    /// its_reply_type: ITS reply method (1 octet).
    pub const ITS_REPLY_TYPE: u16 = 0x1380;
    /// its_session_info: ITS session number and sequence (2 octets).
    pub const ITS_SESSION_INFO: u16 = 0x1383;
}

/// The state of a message, in the message_state TLV, query_sm_resp and
/// the `stat:` field of a text delivery receipt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum MessageState {
    /// Scheduled for later delivery (SMPP 5.0).
    Scheduled = 0,
    /// In transit.
    Enroute = 1,
    /// Delivered to the destination.
    Delivered = 2,
    /// Validity period expired.
    Expired = 3,
    /// Deleted.
    Deleted = 4,
    /// Undeliverable.
    Undeliverable = 5,
    /// Accepted (read by the user or an operator, on behalf of the subscriber).
    Accepted = 6,
    /// In an invalid state.
    Unknown = 7,
    /// Rejected.
    Rejected = 8,
    /// Skipped (SMPP 5.0): the message was not sent, by policy.
    Skipped = 9,
}

impl MessageState {
    /// The state with this wire value.
    pub const fn from_u8(v: u8) -> Option<MessageState> {
        Some(match v {
            0 => MessageState::Scheduled,
            1 => MessageState::Enroute,
            2 => MessageState::Delivered,
            3 => MessageState::Expired,
            4 => MessageState::Deleted,
            5 => MessageState::Undeliverable,
            6 => MessageState::Accepted,
            7 => MessageState::Unknown,
            8 => MessageState::Rejected,
            9 => MessageState::Skipped,
            _ => return None,
        })
    }

    /// The wire value.
    pub const fn as_u8(self) -> u8 {
        self as u8
    }

    /// The 7-letter name used in text receipts' `stat:` field (SMPP 3.4
    /// appendix B), e.g. `"DELIVRD"`.
    pub const fn stat_name(self) -> &'static str {
        match self {
            MessageState::Scheduled => "SCHEDUL",
            MessageState::Enroute => "ENROUTE",
            MessageState::Delivered => "DELIVRD",
            MessageState::Expired => "EXPIRED",
            MessageState::Deleted => "DELETED",
            MessageState::Undeliverable => "UNDELIV",
            MessageState::Accepted => "ACCEPTD",
            MessageState::Unknown => "UNKNOWN",
            MessageState::Rejected => "REJECTD",
            MessageState::Skipped => "SKIPPED",
        }
    }

    /// Reads a `stat:` value: the 7-letter names, the long forms some MCs
    /// send (`DELIVERED`, `UNDELIVERABLE`, `ACCEPTED`, `REJECTED`,
    /// `SCHEDULED`), any ASCII case.
    pub fn from_stat(stat: &[u8]) -> Option<MessageState> {
        const NAMES: &[(&[u8], MessageState)] = &[
            (b"DELIVRD", MessageState::Delivered),
            (b"DELIVERED", MessageState::Delivered),
            (b"EXPIRED", MessageState::Expired),
            (b"DELETED", MessageState::Deleted),
            (b"UNDELIV", MessageState::Undeliverable),
            (b"UNDELIVERABLE", MessageState::Undeliverable),
            (b"ACCEPTD", MessageState::Accepted),
            (b"ACCEPTED", MessageState::Accepted),
            (b"UNKNOWN", MessageState::Unknown),
            (b"REJECTD", MessageState::Rejected),
            (b"REJECTED", MessageState::Rejected),
            (b"ENROUTE", MessageState::Enroute),
            (b"SCHEDUL", MessageState::Scheduled),
            (b"SCHEDULED", MessageState::Scheduled),
            (b"SKIPPED", MessageState::Skipped),
        ];
        NAMES
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(stat))
            .map(|&(_, s)| s)
    }

    /// Whether the state is final (the MC will send no further receipt).
    pub const fn is_final(self) -> bool {
        !matches!(
            self,
            MessageState::Scheduled | MessageState::Enroute | MessageState::Accepted
        )
    }
}

impl fmt::Display for MessageState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.stat_name())
    }
}

/// A TLV interpreted by tag, from [`TypedTlv::parse`]. C-Octet String values
/// are given without their NUL (a missing NUL is tolerated, as many MCs
/// omit it in receipted_message_id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TypedTlv<'a> {
    /// The `dest_addr_subunit` TLV.
    DestAddrSubunit(u8),
    /// The `dest_network_type` TLV.
    DestNetworkType(u8),
    /// The `dest_bearer_type` TLV.
    DestBearerType(u8),
    /// The `dest_telematics_id` TLV.
    DestTelematicsId(u16),
    /// The `source_addr_subunit` TLV.
    SourceAddrSubunit(u8),
    /// The `source_network_type` TLV.
    SourceNetworkType(u8),
    /// The `source_bearer_type` TLV.
    SourceBearerType(u8),
    /// The `source_telematics_id` TLV.
    SourceTelematicsId(u8),
    /// The `qos_time_to_live` TLV.
    QosTimeToLive(u32),
    /// The `payload_type` TLV.
    PayloadType(u8),
    /// The `additional_status_info_text` TLV.
    AdditionalStatusInfoText(&'a [u8]),
    /// The `receipted_message_id` TLV.
    ReceiptedMessageId(&'a [u8]),
    /// The `ms_msg_wait_facilities` TLV.
    MsMsgWaitFacilities(u8),
    /// The `privacy_indicator` TLV.
    PrivacyIndicator(u8),
    /// The `source_subaddress` TLV.
    SourceSubaddress(&'a [u8]),
    /// The `dest_subaddress` TLV.
    DestSubaddress(&'a [u8]),
    /// The `user_message_reference` TLV.
    UserMessageReference(u16),
    /// The `user_response_code` TLV.
    UserResponseCode(u8),
    /// The `source_port` TLV.
    SourcePort(u16),
    /// The `destination_port` TLV.
    DestinationPort(u16),
    /// The `sar_msg_ref_num` TLV.
    SarMsgRefNum(u16),
    /// The `language_indicator` TLV.
    LanguageIndicator(u8),
    /// The `sar_total_segments` TLV.
    SarTotalSegments(u8),
    /// The `sar_segment_seqnum` TLV.
    SarSegmentSeqnum(u8),
    /// The `sc_interface_version` TLV.
    ScInterfaceVersion(u8),
    /// The `callback_num_pres_ind` TLV.
    CallbackNumPresInd(u8),
    /// The `callback_num_atag` TLV.
    CallbackNumAtag(&'a [u8]),
    /// The `number_of_messages` TLV.
    NumberOfMessages(u8),
    /// The `callback_num` TLV.
    CallbackNum(&'a [u8]),
    /// The `dpf_result` TLV.
    DpfResult(u8),
    /// The `set_dpf` TLV.
    SetDpf(u8),
    /// The `ms_availability_status` TLV.
    MsAvailabilityStatus(u8),
    /// network_error_code: network type (1 = ANSI-136, 2 = IS-95, 3 = GSM, ...) and error code.
    NetworkErrorCode {
        /// Network type.
        network_type: u8,
        /// Network-specific error code.
        error_code: u16,
    },
    /// The `message_payload` TLV.
    MessagePayload(&'a [u8]),
    /// The `delivery_failure_reason` TLV.
    DeliveryFailureReason(u8),
    /// The `more_messages_to_send` TLV.
    MoreMessagesToSend(u8),
    /// The `message_state` TLV.
    MessageState(MessageState),
    /// The `congestion_state` TLV.
    CongestionState(u8),
    /// The `ussd_service_op` TLV.
    UssdServiceOp(u8),
    /// The `broadcast_channel_indicator` TLV.
    BroadcastChannelIndicator(u8),
    /// The `broadcast_content_type` TLV.
    BroadcastContentType(&'a [u8]),
    /// The `broadcast_content_type_info` TLV.
    BroadcastContentTypeInfo(&'a [u8]),
    /// The `broadcast_message_class` TLV.
    BroadcastMessageClass(u8),
    /// The `broadcast_rep_num` TLV.
    BroadcastRepNum(u16),
    /// The `broadcast_frequency_interval` TLV.
    BroadcastFrequencyInterval(&'a [u8]),
    /// The `broadcast_area_identifier` TLV.
    BroadcastAreaIdentifier(&'a [u8]),
    /// The `broadcast_error_status` TLV.
    BroadcastErrorStatus(CommandStatus),
    /// The `broadcast_area_success` TLV.
    BroadcastAreaSuccess(u8),
    /// The `broadcast_end_time` TLV.
    BroadcastEndTime(&'a [u8]),
    /// The `broadcast_service_group` TLV.
    BroadcastServiceGroup(&'a [u8]),
    /// The `billing_identification` TLV.
    BillingIdentification(&'a [u8]),
    /// The `source_network_id` TLV.
    SourceNetworkId(&'a [u8]),
    /// The `dest_network_id` TLV.
    DestNetworkId(&'a [u8]),
    /// The `source_node_id` TLV.
    SourceNodeId(&'a [u8]),
    /// The `dest_node_id` TLV.
    DestNodeId(&'a [u8]),
    /// The `dest_addr_np_resolution` TLV.
    DestAddrNpResolution(u8),
    /// The `dest_addr_np_information` TLV.
    DestAddrNpInformation(&'a [u8]),
    /// The `dest_addr_np_country` TLV.
    DestAddrNpCountry(&'a [u8]),
    /// The `display_time` TLV.
    DisplayTime(u8),
    /// The `sms_signal` TLV.
    SmsSignal(u16),
    /// ms_validity: 1 octet in 3.4, 1 or 4 in 5.0; the raw octets.
    MsValidity(&'a [u8]),
    /// alert_on_message_delivery: empty in 3.4, optionally 1 octet in 5.0.
    AlertOnMessageDelivery(Option<u8>),
    /// The `its_reply_type` TLV.
    ItsReplyType(u8),
    /// The `its_session_info` TLV.
    ItsSessionInfo(u16),
    /// A tag this codec does not interpret.
    Unknown {
        /// The tag.
        tag: u16,
        /// The raw value.
        value: &'a [u8],
    },
}

impl<'a> TypedTlv<'a> {
    /// Interprets `tlv` by its tag, checking the value's length (and, for
    /// message_state, its range). Unknown tags give [`TypedTlv::Unknown`].
    pub fn parse(tlv: Tlv<'a>) -> Result<TypedTlv<'a>, DecodeError> {
        use tag::*;
        let Tlv { tag, value: v } = tlv;
        let bad = || DecodeError::TlvLength { tag, len: v.len() };
        let u8v = || match v {
            [b] => Ok(*b),
            _ => Err(bad()),
        };
        let u16v = || match v {
            [a, b] => Ok(u16::from_be_bytes([*a, *b])),
            _ => Err(bad()),
        };
        let u32v = || match v {
            [a, b, c, d] => Ok(u32::from_be_bytes([*a, *b, *c, *d])),
            _ => Err(bad()),
        };
        let range = |lo: usize, hi: usize| {
            if (lo..=hi).contains(&v.len()) {
                Ok(v)
            } else {
                Err(bad())
            }
        };
        // C-Octet String of at most `max` octets with its NUL; NUL optional.
        let cstr = |max: usize| {
            let s = v.strip_suffix(&[0]).unwrap_or(v);
            if s.len() < max && !s.contains(&0) {
                Ok(s)
            } else {
                Err(bad())
            }
        };
        Ok(match tag {
            DEST_ADDR_SUBUNIT => TypedTlv::DestAddrSubunit(u8v()?),
            DEST_NETWORK_TYPE => TypedTlv::DestNetworkType(u8v()?),
            DEST_BEARER_TYPE => TypedTlv::DestBearerType(u8v()?),
            DEST_TELEMATICS_ID => TypedTlv::DestTelematicsId(u16v()?),
            SOURCE_ADDR_SUBUNIT => TypedTlv::SourceAddrSubunit(u8v()?),
            SOURCE_NETWORK_TYPE => TypedTlv::SourceNetworkType(u8v()?),
            SOURCE_BEARER_TYPE => TypedTlv::SourceBearerType(u8v()?),
            SOURCE_TELEMATICS_ID => TypedTlv::SourceTelematicsId(u8v()?),
            QOS_TIME_TO_LIVE => TypedTlv::QosTimeToLive(u32v()?),
            PAYLOAD_TYPE => TypedTlv::PayloadType(u8v()?),
            ADDITIONAL_STATUS_INFO_TEXT => TypedTlv::AdditionalStatusInfoText(cstr(256)?),
            RECEIPTED_MESSAGE_ID => TypedTlv::ReceiptedMessageId(cstr(65)?),
            MS_MSG_WAIT_FACILITIES => TypedTlv::MsMsgWaitFacilities(u8v()?),
            PRIVACY_INDICATOR => TypedTlv::PrivacyIndicator(u8v()?),
            SOURCE_SUBADDRESS => TypedTlv::SourceSubaddress(range(2, 23)?),
            DEST_SUBADDRESS => TypedTlv::DestSubaddress(range(2, 23)?),
            USER_MESSAGE_REFERENCE => TypedTlv::UserMessageReference(u16v()?),
            USER_RESPONSE_CODE => TypedTlv::UserResponseCode(u8v()?),
            SOURCE_PORT => TypedTlv::SourcePort(u16v()?),
            DESTINATION_PORT => TypedTlv::DestinationPort(u16v()?),
            SAR_MSG_REF_NUM => TypedTlv::SarMsgRefNum(u16v()?),
            LANGUAGE_INDICATOR => TypedTlv::LanguageIndicator(u8v()?),
            SAR_TOTAL_SEGMENTS => TypedTlv::SarTotalSegments(u8v()?),
            SAR_SEGMENT_SEQNUM => TypedTlv::SarSegmentSeqnum(u8v()?),
            SC_INTERFACE_VERSION => TypedTlv::ScInterfaceVersion(u8v()?),
            CALLBACK_NUM_PRES_IND => TypedTlv::CallbackNumPresInd(u8v()?),
            CALLBACK_NUM_ATAG => TypedTlv::CallbackNumAtag(range(0, 65)?),
            NUMBER_OF_MESSAGES => TypedTlv::NumberOfMessages(u8v()?),
            CALLBACK_NUM => TypedTlv::CallbackNum(range(4, 19)?),
            DPF_RESULT => TypedTlv::DpfResult(u8v()?),
            SET_DPF => TypedTlv::SetDpf(u8v()?),
            MS_AVAILABILITY_STATUS => TypedTlv::MsAvailabilityStatus(u8v()?),
            NETWORK_ERROR_CODE => match v {
                [t, a, b] => TypedTlv::NetworkErrorCode {
                    network_type: *t,
                    error_code: u16::from_be_bytes([*a, *b]),
                },
                _ => return Err(bad()),
            },
            MESSAGE_PAYLOAD => TypedTlv::MessagePayload(v),
            DELIVERY_FAILURE_REASON => TypedTlv::DeliveryFailureReason(u8v()?),
            MORE_MESSAGES_TO_SEND => TypedTlv::MoreMessagesToSend(u8v()?),
            MESSAGE_STATE => TypedTlv::MessageState(
                MessageState::from_u8(u8v()?).ok_or(DecodeError::TlvValue { tag })?,
            ),
            CONGESTION_STATE => TypedTlv::CongestionState(u8v()?),
            USSD_SERVICE_OP => TypedTlv::UssdServiceOp(u8v()?),
            BROADCAST_CHANNEL_INDICATOR => TypedTlv::BroadcastChannelIndicator(u8v()?),
            BROADCAST_CONTENT_TYPE => TypedTlv::BroadcastContentType(range(3, 3)?),
            BROADCAST_CONTENT_TYPE_INFO => TypedTlv::BroadcastContentTypeInfo(v),
            BROADCAST_MESSAGE_CLASS => TypedTlv::BroadcastMessageClass(u8v()?),
            BROADCAST_REP_NUM => TypedTlv::BroadcastRepNum(u16v()?),
            BROADCAST_FREQUENCY_INTERVAL => TypedTlv::BroadcastFrequencyInterval(range(3, 3)?),
            BROADCAST_AREA_IDENTIFIER => TypedTlv::BroadcastAreaIdentifier(v),
            BROADCAST_ERROR_STATUS => TypedTlv::BroadcastErrorStatus(CommandStatus(u32v()?)),
            BROADCAST_AREA_SUCCESS => TypedTlv::BroadcastAreaSuccess(u8v()?),
            BROADCAST_END_TIME => TypedTlv::BroadcastEndTime(cstr(17)?),
            BROADCAST_SERVICE_GROUP => TypedTlv::BroadcastServiceGroup(v),
            BILLING_IDENTIFICATION => TypedTlv::BillingIdentification(v),
            SOURCE_NETWORK_ID => TypedTlv::SourceNetworkId(cstr(65)?),
            DEST_NETWORK_ID => TypedTlv::DestNetworkId(cstr(65)?),
            SOURCE_NODE_ID => TypedTlv::SourceNodeId(range(6, 6)?),
            DEST_NODE_ID => TypedTlv::DestNodeId(range(6, 6)?),
            DEST_ADDR_NP_RESOLUTION => TypedTlv::DestAddrNpResolution(u8v()?),
            DEST_ADDR_NP_INFORMATION => TypedTlv::DestAddrNpInformation(range(10, 10)?),
            DEST_ADDR_NP_COUNTRY => TypedTlv::DestAddrNpCountry(range(1, 5)?),
            DISPLAY_TIME => TypedTlv::DisplayTime(u8v()?),
            SMS_SIGNAL => TypedTlv::SmsSignal(u16v()?),
            MS_VALIDITY => match v.len() {
                1 | 4 => TypedTlv::MsValidity(v),
                _ => return Err(bad()),
            },
            ALERT_ON_MESSAGE_DELIVERY => match v {
                [] => TypedTlv::AlertOnMessageDelivery(None),
                [b] => TypedTlv::AlertOnMessageDelivery(Some(*b)),
                _ => return Err(bad()),
            },
            ITS_REPLY_TYPE => TypedTlv::ItsReplyType(u8v()?),
            ITS_SESSION_INFO => TypedTlv::ItsSessionInfo(u16v()?),
            _ => TypedTlv::Unknown { tag, value: v },
        })
    }
}
