//! Property tests: submit_sm / deliver_sm round-trip with arbitrary valid
//! fields and TLVs; decode never panics on arbitrary bytes; check_frame and
//! decode agree; whatever decodes re-encodes to the same PDU.

use hornet_smpp::*;
use proptest::prelude::*;

/// A C-Octet String body of at most `max` non-NUL octets.
fn cstr(max: usize) -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(1u8..=255, 0..=max)
}

fn time() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![Just(Vec::new()), proptest::collection::vec(b'0'..=b'9', 16)]
}

fn tlvs() -> impl Strategy<Value = Vec<(u16, Vec<u8>)>> {
    proptest::collection::vec(
        (any::<u16>(), proptest::collection::vec(any::<u8>(), 0..40)),
        0..6,
    )
}

#[derive(Debug, Clone)]
struct Owned {
    service_type: Vec<u8>,
    source: Vec<u8>,
    dest: Vec<u8>,
    sched: Vec<u8>,
    validity: Vec<u8>,
    bytes: [u8; 10],
    short_message: Vec<u8>,
    tlvs: Vec<(u16, Vec<u8>)>,
    seq: u32,
    deliver: bool,
}

fn owned() -> impl Strategy<Value = Owned> {
    (
        (cstr(5), cstr(20), cstr(20), time(), time()),
        any::<[u8; 10]>(),
        proptest::collection::vec(any::<u8>(), 0..=254),
        tlvs(),
        any::<u32>(),
        any::<bool>(),
    )
        .prop_map(
            |(
                (service_type, source, dest, sched, validity),
                bytes,
                short_message,
                tlvs,
                seq,
                deliver,
            )| Owned {
                service_type,
                source,
                dest,
                sched,
                validity,
                bytes,
                short_message,
                tlvs,
                seq,
                deliver,
            },
        )
}

proptest! {
    #[test]
    fn submit_and_deliver_round_trip(o in owned()) {
        let tlvs: Vec<Tlv<'_>> = o.tlvs.iter().map(|(t, v)| Tlv::new(*t, v)).collect();
        let b = o.bytes;
        let sm = SubmitSm {
            service_type: &o.service_type,
            source_addr_ton: b[0],
            source_addr_npi: b[1],
            source_addr: &o.source,
            dest_addr_ton: b[2],
            dest_addr_npi: b[3],
            destination_addr: &o.dest,
            esm_class: b[4],
            protocol_id: b[5],
            priority_flag: b[6],
            schedule_delivery_time: &o.sched,
            validity_period: &o.validity,
            registered_delivery: b[7],
            replace_if_present_flag: b[8],
            data_coding: b[9],
            sm_default_msg_id: b[0] ^ b[9],
            short_message: &o.short_message,
            tlvs: Tlvs::List(&tlvs),
        };
        let body = if o.deliver { Body::DeliverSm(sm) } else { Body::SubmitSm(sm) };
        let pdu = Pdu::new(o.seq, body);
        let mut out = Vec::new();
        let n = encode(&pdu, &mut out).unwrap();
        prop_assert_eq!(n, out.len());
        prop_assert_eq!(check_frame(&out, DEFAULT_MAX_PDU), Ok(Some(n)));
        let back = decode(&out).unwrap();
        prop_assert_eq!(back, pdu);
        let got: Vec<_> = match back.body {
            Body::SubmitSm(s) | Body::DeliverSm(s) => s.tlvs.iter().map(Result::unwrap).collect(),
            _ => unreachable!(),
        };
        prop_assert_eq!(got, tlvs);
    }

    #[test]
    fn decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = decode(&bytes);
        let _ = decode_header(&bytes);
    }

    #[test]
    fn frame_and_decode_agree(
        id in prop::sample::select(CommandId::ALL),
        status in prop_oneof![Just(0u32), any::<u32>()],
        body in proptest::collection::vec(any::<u8>(), 0..120),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut f = Vec::new();
        f.extend_from_slice(&((16 + body.len()) as u32).to_be_bytes());
        f.extend_from_slice(&id.as_u32().to_be_bytes());
        f.extend_from_slice(&status.to_be_bytes());
        f.extend_from_slice(&7u32.to_be_bytes());
        f.extend_from_slice(&body);
        prop_assert_eq!(check_frame(&f, DEFAULT_MAX_PDU), Ok(Some(f.len())));
        let short = cut.index(f.len());
        prop_assert_eq!(check_frame(&f[..short], DEFAULT_MAX_PDU).ok().flatten(), None);
        // A framed PDU's decode never reports a framing error, and what
        // decodes re-encodes to an equal PDU.
        match decode(&f) {
            Ok(pdu) => {
                prop_assert_eq!(pdu.body.command_id(), id);
                let mut out = Vec::new();
                encode(&pdu, &mut out).unwrap();
                prop_assert_eq!(decode(&out).unwrap(), pdu);
            }
            Err(e) => {
                let framing = matches!(
                    e,
                    DecodeError::TooShort { .. }
                        | DecodeError::LengthMismatch { .. }
                        | DecodeError::UnknownCommand { .. }
                );
                prop_assert!(!framing, "framing error {:?}", e);
            }
        }
    }
}
