//! The 16-octet PDU header, command ids and frame delimiting.
//!
//! Every SMPP PDU starts with four big-endian `u32`s: `command_length`
//! (the whole PDU, header included), `command_id`, `command_status` and
//! `sequence_number`. [`check_frame`] looks only at the first of them so a
//! connection can validate the length before it buffers a body, as Rusmpp
//! and mini-redis do.

use crate::error::{DecodeError, FrameError};
use crate::status::CommandStatus;

/// Octets in the PDU header.
pub const HEADER_LEN: usize = 16;

/// A sensible default for [`check_frame`]'s `max_len`: 64 KiB is far above
/// any legitimate PDU (a submit_sm with a full message_payload is the
/// largest) and small enough that a garbage length cannot make a connection
/// buffer megabytes.
pub const DEFAULT_MAX_PDU: u32 = 64 * 1024;

/// Checks whether a whole PDU is at the front of `buf`, before a body is
/// buffered.
///
/// `Ok(None)`: read more bytes. `Ok(Some(len))`: the first `len` bytes are
/// one PDU; pass `&buf[..len]` to [`decode`](crate::decode) and advance the
/// buffer by `len`. `Err` if `command_length` is below 16 or above
/// `max_len`, as soon as the four length octets are in.
///
/// ```
/// use hornet_smpp::{check_frame, DEFAULT_MAX_PDU};
/// let enquire_link = [0, 0, 0, 16, 0, 0, 0, 0x15, 0, 0, 0, 0, 0, 0, 0, 7];
/// assert_eq!(check_frame(&enquire_link[..10], DEFAULT_MAX_PDU), Ok(None));
/// assert_eq!(check_frame(&enquire_link, DEFAULT_MAX_PDU), Ok(Some(16)));
/// ```
pub fn check_frame(buf: &[u8], max_len: u32) -> Result<Option<usize>, FrameError> {
    let Some(len) = buf.first_chunk::<4>() else {
        return Ok(None);
    };
    let command_length = u32::from_be_bytes(*len);
    if (command_length as usize) < HEADER_LEN {
        return Err(FrameError::TooShort { command_length });
    }
    if command_length > max_len {
        return Err(FrameError::TooLong {
            command_length,
            max: max_len,
        });
    }
    let len = command_length as usize;
    Ok((buf.len() >= len).then_some(len))
}

/// The PDU header, as [`decode_header`] reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Length of the whole PDU in octets, header included.
    pub command_length: u32,
    /// The raw command id (see [`CommandId`] and [`command_id`](crate::command_id)).
    pub command_id: u32,
    /// Outcome of a request, in responses; zero in requests.
    pub command_status: CommandStatus,
    /// Correlates a response with its request.
    pub sequence_number: u32,
}

/// Reads the header of a frame without looking at the body, for instance to
/// answer an unknown command with a generic_nack carrying its sequence
/// number. Checks only that 16 octets are present.
pub fn decode_header(frame: &[u8]) -> Result<Header, DecodeError> {
    let Some(h) = frame.first_chunk::<HEADER_LEN>() else {
        return Err(DecodeError::TooShort { len: frame.len() });
    };
    let word = |i: usize| u32::from_be_bytes([h[i], h[i + 1], h[i + 2], h[i + 3]]);
    Ok(Header {
        command_length: word(0),
        command_id: word(4),
        command_status: CommandStatus(word(8)),
        sequence_number: word(12),
    })
}

/// Raw `command_id` values (SMPP 3.4 section 5.1.2.1, SMPP 5.0 section 4.7.5).
/// A response's id is its request's id with bit 31 set.
pub mod command_id {
    /// generic_nack.
    pub const GENERIC_NACK: u32 = 0x8000_0000;
    /// bind_receiver.
    pub const BIND_RECEIVER: u32 = 0x0000_0001;
    /// bind_receiver_resp.
    pub const BIND_RECEIVER_RESP: u32 = 0x8000_0001;
    /// bind_transmitter.
    pub const BIND_TRANSMITTER: u32 = 0x0000_0002;
    /// bind_transmitter_resp.
    pub const BIND_TRANSMITTER_RESP: u32 = 0x8000_0002;
    /// query_sm.
    pub const QUERY_SM: u32 = 0x0000_0003;
    /// query_sm_resp.
    pub const QUERY_SM_RESP: u32 = 0x8000_0003;
    /// submit_sm.
    pub const SUBMIT_SM: u32 = 0x0000_0004;
    /// submit_sm_resp.
    pub const SUBMIT_SM_RESP: u32 = 0x8000_0004;
    /// deliver_sm.
    pub const DELIVER_SM: u32 = 0x0000_0005;
    /// deliver_sm_resp.
    pub const DELIVER_SM_RESP: u32 = 0x8000_0005;
    /// unbind.
    pub const UNBIND: u32 = 0x0000_0006;
    /// unbind_resp.
    pub const UNBIND_RESP: u32 = 0x8000_0006;
    /// replace_sm.
    pub const REPLACE_SM: u32 = 0x0000_0007;
    /// replace_sm_resp.
    pub const REPLACE_SM_RESP: u32 = 0x8000_0007;
    /// cancel_sm.
    pub const CANCEL_SM: u32 = 0x0000_0008;
    /// cancel_sm_resp.
    pub const CANCEL_SM_RESP: u32 = 0x8000_0008;
    /// bind_transceiver.
    pub const BIND_TRANSCEIVER: u32 = 0x0000_0009;
    /// bind_transceiver_resp.
    pub const BIND_TRANSCEIVER_RESP: u32 = 0x8000_0009;
    /// outbind.
    pub const OUTBIND: u32 = 0x0000_000B;
    /// enquire_link.
    pub const ENQUIRE_LINK: u32 = 0x0000_0015;
    /// enquire_link_resp.
    pub const ENQUIRE_LINK_RESP: u32 = 0x8000_0015;
    /// submit_multi.
    pub const SUBMIT_MULTI: u32 = 0x0000_0021;
    /// submit_multi_resp.
    pub const SUBMIT_MULTI_RESP: u32 = 0x8000_0021;
    /// alert_notification.
    pub const ALERT_NOTIFICATION: u32 = 0x0000_0102;
    /// data_sm.
    pub const DATA_SM: u32 = 0x0000_0103;
    /// data_sm_resp.
    pub const DATA_SM_RESP: u32 = 0x8000_0103;
    /// broadcast_sm (SMPP 5.0; not decoded by this crate).
    pub const BROADCAST_SM: u32 = 0x0000_0111;
    /// broadcast_sm_resp (SMPP 5.0; not decoded by this crate).
    pub const BROADCAST_SM_RESP: u32 = 0x8000_0111;
    /// query_broadcast_sm (SMPP 5.0; not decoded by this crate).
    pub const QUERY_BROADCAST_SM: u32 = 0x0000_0112;
    /// query_broadcast_sm_resp (SMPP 5.0; not decoded by this crate).
    pub const QUERY_BROADCAST_SM_RESP: u32 = 0x8000_0112;
    /// cancel_broadcast_sm (SMPP 5.0; not decoded by this crate).
    pub const CANCEL_BROADCAST_SM: u32 = 0x0000_0113;
    /// cancel_broadcast_sm_resp (SMPP 5.0; not decoded by this crate).
    pub const CANCEL_BROADCAST_SM_RESP: u32 = 0x8000_0113;
}

macro_rules! command_ids {
    ($( $(#[$doc:meta])* $variant:ident = $konst:ident, $name:literal; )*) => {
        /// The PDUs this codec decodes and encodes (all of SMPP 3.4; the 5.0
        /// broadcast operations have ids in [`command_id`](crate::command_id)
        /// only).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[repr(u32)]
        pub enum CommandId {
            $( $(#[$doc])* $variant = command_id::$konst, )*
        }

        impl CommandId {
            /// Every command id, requests and responses.
            pub const ALL: &'static [CommandId] = &[$(CommandId::$variant,)*];

            /// The command with this raw id, if this codec knows it.
            pub const fn from_u32(id: u32) -> Option<CommandId> {
                match id {
                    $( command_id::$konst => Some(CommandId::$variant), )*
                    _ => None,
                }
            }

            /// The spec's name, e.g. `"submit_sm"`.
            pub const fn name(self) -> &'static str {
                match self {
                    $( CommandId::$variant => $name, )*
                }
            }
        }
    };
}

command_ids! {
    /// Negative acknowledgement of a PDU that could not be understood.
    GenericNack = GENERIC_NACK, "generic_nack";
    /// Bind as a receiver (MC to ESME messages only).
    BindReceiver = BIND_RECEIVER, "bind_receiver";
    /// Response to bind_receiver.
    BindReceiverResp = BIND_RECEIVER_RESP, "bind_receiver_resp";
    /// Bind as a transmitter (ESME to MC messages only).
    BindTransmitter = BIND_TRANSMITTER, "bind_transmitter";
    /// Response to bind_transmitter.
    BindTransmitterResp = BIND_TRANSMITTER_RESP, "bind_transmitter_resp";
    /// Query the state of a submitted message.
    QuerySm = QUERY_SM, "query_sm";
    /// Response to query_sm.
    QuerySmResp = QUERY_SM_RESP, "query_sm_resp";
    /// Submit a short message.
    SubmitSm = SUBMIT_SM, "submit_sm";
    /// Response to submit_sm, carrying the MC's message_id.
    SubmitSmResp = SUBMIT_SM_RESP, "submit_sm_resp";
    /// Deliver a short message (or a delivery receipt) to the ESME.
    DeliverSm = DELIVER_SM, "deliver_sm";
    /// Response to deliver_sm.
    DeliverSmResp = DELIVER_SM_RESP, "deliver_sm_resp";
    /// End the session.
    Unbind = UNBIND, "unbind";
    /// Response to unbind.
    UnbindResp = UNBIND_RESP, "unbind_resp";
    /// Replace a previously submitted message.
    ReplaceSm = REPLACE_SM, "replace_sm";
    /// Response to replace_sm.
    ReplaceSmResp = REPLACE_SM_RESP, "replace_sm_resp";
    /// Cancel a previously submitted message.
    CancelSm = CANCEL_SM, "cancel_sm";
    /// Response to cancel_sm.
    CancelSmResp = CANCEL_SM_RESP, "cancel_sm_resp";
    /// Bind as a transceiver (both directions).
    BindTransceiver = BIND_TRANSCEIVER, "bind_transceiver";
    /// Response to bind_transceiver.
    BindTransceiverResp = BIND_TRANSCEIVER_RESP, "bind_transceiver_resp";
    /// The MC asks the ESME to bind as a receiver.
    Outbind = OUTBIND, "outbind";
    /// Link keep-alive.
    EnquireLink = ENQUIRE_LINK, "enquire_link";
    /// Response to enquire_link.
    EnquireLinkResp = ENQUIRE_LINK_RESP, "enquire_link_resp";
    /// Submit one message to several destinations.
    SubmitMulti = SUBMIT_MULTI, "submit_multi";
    /// Response to submit_multi.
    SubmitMultiResp = SUBMIT_MULTI_RESP, "submit_multi_resp";
    /// The MC tells the ESME that a mobile became available.
    AlertNotification = ALERT_NOTIFICATION, "alert_notification";
    /// Transfer data in either direction (alternative to submit/deliver).
    DataSm = DATA_SM, "data_sm";
    /// Response to data_sm.
    DataSmResp = DATA_SM_RESP, "data_sm_resp";
}

impl CommandId {
    /// The raw id.
    pub const fn as_u32(self) -> u32 {
        self as u32
    }

    /// Whether this is a response (bit 31 set; generic_nack included).
    pub const fn is_response(self) -> bool {
        self.as_u32() & 0x8000_0000 != 0
    }

    /// The response that answers this request; `None` for responses and for
    /// the requests that have none (outbind, alert_notification).
    pub const fn response(self) -> Option<CommandId> {
        if self.is_response() {
            return None;
        }
        CommandId::from_u32(self.as_u32() | 0x8000_0000)
    }
}

impl core::fmt::Display for CommandId {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}
