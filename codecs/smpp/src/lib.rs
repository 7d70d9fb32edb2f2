//! Sans-IO SMPP 3.4 / 5.0 codec for hornet.
//!
//! [`check_frame`] finds a whole PDU at the front of a read buffer (and
//! rejects absurd lengths before a body is buffered); [`decode`] turns that
//! frame into a borrowed [`Pdu`]; [`encode`] appends a [`Pdu`] to a caller's
//! buffer. Nothing here touches sockets, clocks or threads, and the hot
//! paths (encode submit_sm, decode submit_sm_resp and deliver_sm) do not
//! allocate.
//!
//! Around the PDU codec: [`text`] (GSM 03.38, UCS-2, Latin-1), [`split`]
//! (long messages: UDH or SAR segments), [`receipt`] (delivery receipts and
//! message id matching).
//!
//! ```
//! use hornet_smpp::{check_frame, decode, encode, Body, Pdu, SubmitSm, DEFAULT_MAX_PDU};
//!
//! let mut out = Vec::new();
//! let sm = SubmitSm {
//!     source_addr: b"hornet",
//!     destination_addr: b"447700900123",
//!     short_message: b"hello",
//!     registered_delivery: 1,
//!     ..SubmitSm::default()
//! };
//! encode(&Pdu::new(1, Body::SubmitSm(sm)), &mut out).unwrap();
//!
//! let len = check_frame(&out, DEFAULT_MAX_PDU).unwrap().expect("whole PDU");
//! let pdu = decode(&out[..len]).unwrap();
//! assert_eq!(pdu.body, Body::SubmitSm(sm));
//! ```

#![warn(missing_docs)]

mod command;
mod decode;
mod encode;
mod error;
mod pdu;
pub mod receipt;
pub mod split;
mod status;
pub mod text;
mod tlv;

pub use command::{
    check_frame, command_id, decode_header, CommandId, Header, DEFAULT_MAX_PDU, HEADER_LEN,
};
pub use decode::decode;
pub use encode::encode;
pub use error::{DecodeError, EncodeError, Field, FrameError};
pub use pdu::{
    AlertNotification, Bind, BindResp, Body, CancelSm, DataSm, DestAddress, DestAddressIter,
    DestAddresses, MessageIdResp, Outbind, Pdu, QuerySm, QuerySmResp, ReplaceSm, SubmitMulti,
    SubmitMultiResp, SubmitSm, UnsuccessSme, UnsuccessSmeIter, UnsuccessSmes,
};
pub use status::CommandStatus;
pub use tlv::{tag, MessageState, Tlv, TlvIter, Tlvs, TypedTlv};
