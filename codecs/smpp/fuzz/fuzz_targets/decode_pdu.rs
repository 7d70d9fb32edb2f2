//! Feeds arbitrary bytes to `check_frame` then `decode`, and checks that
//! they never panic, agree on framing, and that whatever decodes
//! re-encodes to bytes that decode to an equal PDU. Also runs the receipt
//! parser and TLV interpretation on what decodes.
//!
//! Run with `cargo +nightly fuzz run decode_pdu` from codecs/smpp.

#![no_main]

use hornet_smpp::{
    check_frame, decode, encode, receipt, Body, DecodeError, TypedTlv, DEFAULT_MAX_PDU,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut buf = data;
    // Walk the input as a stream of PDUs, as a connection would.
    while let Ok(Some(len)) = check_frame(buf, DEFAULT_MAX_PDU) {
        assert!(len >= 16 && len <= buf.len());
        let frame = &buf[..len];
        match decode(frame) {
            Ok(pdu) => {
                let mut out = Vec::new();
                let n = encode(&pdu, &mut out).expect("a decoded PDU re-encodes");
                assert_eq!(n, out.len());
                assert_eq!(check_frame(&out, u32::MAX), Ok(Some(n)));
                let again = decode(&out).expect("a re-encoded PDU decodes");
                assert_eq!(again, pdu);
                if let Body::DeliverSm(sm) | Body::SubmitSm(sm) = pdu.body {
                    let _ = receipt::from_deliver_sm(&sm);
                    let _ = receipt::parse_text(sm.short_message);
                    for t in sm.tlvs.iter() {
                        let _ = TypedTlv::parse(t.expect("decode validated the TLVs"));
                    }
                }
            }
            Err(DecodeError::TooShort { .. } | DecodeError::LengthMismatch { .. }) => {
                panic!("check_frame delimited a frame that decode rejects as mis-framed")
            }
            Err(_) => {}
        }
        buf = &buf[len..];
    }
});
