//! Every PDU type through encode -> decode -> equal (Rusmpp's instances
//! test), plus byte-exact encodings hand-computed from the SMPP 3.4 spec.

use hornet_smpp::*;

const TLVS: &[Tlv<'static>] = &[
    Tlv::new(tag::USER_MESSAGE_REFERENCE, &[0, 1]),
    Tlv::new(tag::MESSAGE_PAYLOAD, b"a longer payload"),
    Tlv::new(0x1400, b"vendor"),
    Tlv::new(tag::ALERT_ON_MESSAGE_DELIVERY, b""),
];

const BIND: Bind<'static> = Bind {
    system_id: b"hornet_loadgen1",
    password: b"pass1234",
    system_type: b"SMPP_LOADGEN",
    interface_version: 0x34,
    addr_ton: 1,
    addr_npi: 1,
    address_range: b"^44.*",
};

const SUBMIT: SubmitSm<'static> = SubmitSm {
    service_type: b"CMT",
    source_addr_ton: 5,
    source_addr_npi: 0,
    source_addr: b"hornet",
    dest_addr_ton: 1,
    dest_addr_npi: 1,
    destination_addr: b"447700900123",
    esm_class: 0x40,
    protocol_id: 0,
    priority_flag: 1,
    schedule_delivery_time: b"240514091244000+",
    validity_period: b"000001000000000R",
    registered_delivery: 1,
    replace_if_present_flag: 0,
    data_coding: 8,
    sm_default_msg_id: 0,
    short_message: &[5, 0, 3, 1, 2, 1, 0, b'h', 0, b'i'],
    tlvs: Tlvs::List(TLVS),
};

fn instances() -> Vec<Pdu<'static>> {
    let ok = |seq, body| Pdu::new(seq, body);
    let err = |seq, status, body| Pdu {
        sequence_number: seq,
        command_status: status,
        body,
    };
    let bind_resp = BindResp {
        system_id: b"SMSC",
        tlvs: Tlvs::List(&[Tlv {
            tag: tag::SC_INTERFACE_VERSION,
            value: &[0x34],
        }]),
    };
    let mid = MessageIdResp {
        message_id: b"0a1b2c3d4e",
        tlvs: Tlvs::EMPTY,
    };
    static DESTS: [DestAddress<'static>; 3] = [
        DestAddress::Sme {
            ton: 1,
            npi: 1,
            addr: b"447700900001",
        },
        DestAddress::DistributionList(b"friends"),
        DestAddress::Sme {
            ton: 0,
            npi: 0,
            addr: b"",
        },
    ];
    static UNSUCCESS: [UnsuccessSme<'static>; 2] = [
        UnsuccessSme {
            dest_addr_ton: 1,
            dest_addr_npi: 1,
            destination_addr: b"447700900002",
            error_status_code: CommandStatus::ESME_RINVDSTADR,
        },
        UnsuccessSme {
            dest_addr_ton: 0,
            dest_addr_npi: 0,
            destination_addr: b"",
            error_status_code: CommandStatus(0x0400),
        },
    ];
    let data_sm = DataSm {
        service_type: b"WAP",
        source_addr_ton: 1,
        source_addr_npi: 1,
        source_addr: b"1234567890123456789012345678901234567890123456789012345678901234",
        dest_addr_ton: 2,
        dest_addr_npi: 3,
        destination_addr: b"x",
        esm_class: 0,
        registered_delivery: 1,
        data_coding: 4,
        tlvs: Tlvs::List(TLVS),
    };
    let mut v = vec![
        ok(1, Body::BindTransmitter(BIND)),
        ok(2, Body::BindReceiver(BIND)),
        ok(3, Body::BindTransceiver(Bind::default())),
        ok(4, Body::BindTransmitterResp(bind_resp)),
        ok(5, Body::BindReceiverResp(BindResp::default())),
        ok(6, Body::BindTransceiverResp(bind_resp)),
        ok(
            7,
            Body::Outbind(Outbind {
                system_id: b"SMSC",
                password: b"pw",
            }),
        ),
        ok(8, Body::Unbind),
        ok(9, Body::UnbindResp),
        ok(10, Body::EnquireLink),
        ok(11, Body::EnquireLinkResp),
        err(12, CommandStatus::ESME_RINVCMDID, Body::GenericNack),
        ok(13, Body::SubmitSm(SUBMIT)),
        ok(14, Body::SubmitSm(SubmitSm::default())),
        ok(15, Body::SubmitSmResp(mid)),
        ok(16, Body::DeliverSm(SUBMIT)),
        ok(17, Body::DeliverSmResp(MessageIdResp::default())),
        ok(18, Body::DataSm(data_sm)),
        ok(
            19,
            Body::DataSmResp(MessageIdResp {
                message_id: b"42",
                tlvs: Tlvs::List(&[Tlv {
                    tag: tag::DELIVERY_FAILURE_REASON,
                    value: &[1],
                }]),
            }),
        ),
        ok(
            20,
            Body::QuerySm(QuerySm {
                message_id: b"42",
                source_addr_ton: 1,
                source_addr_npi: 1,
                source_addr: b"hornet",
            }),
        ),
        ok(
            21,
            Body::QuerySmResp(QuerySmResp {
                message_id: b"42",
                final_date: b"240514091244000+",
                message_state: 2,
                error_code: 0,
            }),
        ),
        ok(
            22,
            Body::CancelSm(CancelSm {
                service_type: b"",
                message_id: b"42",
                source_addr_ton: 1,
                source_addr_npi: 1,
                source_addr: b"a",
                dest_addr_ton: 1,
                dest_addr_npi: 1,
                destination_addr: b"b",
            }),
        ),
        ok(23, Body::CancelSmResp),
        ok(
            24,
            Body::ReplaceSm(ReplaceSm {
                message_id: b"42",
                source_addr_ton: 1,
                source_addr_npi: 1,
                source_addr: b"a",
                schedule_delivery_time: b"",
                validity_period: b"240514091244000+",
                registered_delivery: 1,
                sm_default_msg_id: 0,
                short_message: b"new text",
                tlvs: Tlvs::EMPTY,
            }),
        ),
        ok(25, Body::ReplaceSmResp),
        ok(
            26,
            Body::SubmitMulti(SubmitMulti {
                source_addr: b"hornet",
                dest_addresses: DestAddresses::List(&DESTS),
                short_message: b"to many",
                registered_delivery: 1,
                tlvs: Tlvs::List(TLVS),
                ..SubmitMulti::default()
            }),
        ),
        ok(
            27,
            Body::SubmitMultiResp(SubmitMultiResp {
                message_id: b"77",
                unsuccess_smes: UnsuccessSmes::List(&UNSUCCESS),
            }),
        ),
        ok(28, Body::SubmitMultiResp(SubmitMultiResp::default())),
        ok(
            29,
            Body::AlertNotification(AlertNotification {
                source_addr_ton: 1,
                source_addr_npi: 1,
                source_addr: b"447700900123",
                esme_addr_ton: 0,
                esme_addr_npi: 0,
                esme_addr: b"hornet",
                tlvs: Tlvs::List(&[Tlv {
                    tag: tag::MS_AVAILABILITY_STATUS,
                    value: &[0],
                }]),
            }),
        ),
        ok(
            u32::MAX,
            Body::SubmitSm(SubmitSm {
                short_message: &[0x55; 254],
                ..SubmitSm::default()
            }),
        ),
    ];
    // Error responses with empty bodies.
    for status in [
        CommandStatus::ESME_RTHROTTLED,
        CommandStatus::ESME_RMSGQFUL,
        CommandStatus(0xdead),
    ] {
        v.extend([
            err(100, status, Body::SubmitSmResp(MessageIdResp::default())),
            err(101, status, Body::DeliverSmResp(MessageIdResp::default())),
            err(102, status, Body::DataSmResp(MessageIdResp::default())),
            err(103, status, Body::BindTransmitterResp(BindResp::default())),
            err(104, status, Body::BindReceiverResp(BindResp::default())),
            err(105, status, Body::BindTransceiverResp(BindResp::default())),
            err(106, status, Body::QuerySmResp(QuerySmResp::default())),
            err(
                107,
                status,
                Body::SubmitMultiResp(SubmitMultiResp::default()),
            ),
            err(108, status, Body::CancelSmResp),
            err(109, status, Body::ReplaceSmResp),
            err(110, status, Body::UnbindResp),
            err(111, status, Body::GenericNack),
            err(112, status, Body::SubmitSmResp(mid)),
        ]);
    }
    v
}

#[test]
fn every_pdu_round_trips() {
    let all = instances();
    let mut seen = std::collections::HashSet::new();
    for pdu in &all {
        let mut out = b"prefix".to_vec();
        let n = encode(pdu, &mut out).unwrap_or_else(|e| panic!("{pdu:?}: {e}"));
        assert_eq!(n, out.len() - 6);
        let frame = &out[6..];
        assert_eq!(check_frame(frame, DEFAULT_MAX_PDU), Ok(Some(n)));
        assert_eq!(check_frame(&frame[..n - 1], DEFAULT_MAX_PDU), Ok(None));
        let back = decode(frame).unwrap_or_else(|e| panic!("{pdu:?}: {e}"));
        assert_eq!(&back, pdu);
        let h = decode_header(frame).unwrap();
        assert_eq!(h.command_length as usize, n);
        assert_eq!(h.command_id, pdu.body.command_id().as_u32());
        // Re-encoding the decoded (raw) form gives the same bytes.
        let mut again = Vec::new();
        encode(&back, &mut again).unwrap();
        assert_eq!(again, frame);
        seen.insert(pdu.body.command_id());
    }
    for id in CommandId::ALL {
        assert!(seen.contains(id), "no instance of {}", id.name());
    }
}

#[test]
fn error_responses_omit_the_body() {
    let pdu = Pdu {
        sequence_number: 9,
        command_status: CommandStatus::ESME_RTHROTTLED,
        body: Body::SubmitSmResp(MessageIdResp::default()),
    };
    let mut out = Vec::new();
    assert_eq!(encode(&pdu, &mut out), Ok(16));
    // An MC that sends the NUL anyway decodes the same.
    let with_nul = [0, 0, 0, 17, 0x80, 0, 0, 4, 0, 0, 0, 0x58, 0, 0, 0, 9, 0];
    assert_eq!(decode(&with_nul), Ok(pdu));
    // A successful response needs its body.
    let ok_empty = [0, 0, 0, 16, 0x80, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 9];
    assert_eq!(
        decode(&ok_empty),
        Err(DecodeError::MissingNul {
            field: Field::MessageId
        })
    );
}

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn byte_exact_encodings() {
    let bind = Bind {
        system_id: b"SMPP3TEST",
        password: b"secret08",
        system_type: b"SUBMIT1",
        interface_version: 0x34,
        addr_ton: 1,
        addr_npi: 1,
        address_range: b"",
    };
    let sm = SubmitSm {
        source_addr_ton: 5,
        source_addr: b"hornet",
        dest_addr_ton: 1,
        dest_addr_npi: 1,
        destination_addr: b"447700900123",
        registered_delivery: 1,
        short_message: b"hi",
        ..SubmitSm::default()
    };
    let umr = [Tlv::new(tag::USER_MESSAGE_REFERENCE, &[0, 1])];
    let cases: &[(Pdu<'_>, &str)] = &[
        (
            Pdu::new(1, Body::BindTransmitter(bind)),
            "0000002F 00000002 00000000 00000001
             534D5050335445535400 73656372657430380000[..]",
        ),
        (
            Pdu::new(2, Body::SubmitSm(sm)),
            "00000035 00000004 00000000 00000002
             00 05 00 686F726E657400 01 01 34343737303039303031323300
             00 00 00 00 00 01 00 00 00 02 6869",
        ),
        (
            Pdu::new(
                3,
                Body::SubmitSm(SubmitSm {
                    tlvs: Tlvs::List(&umr),
                    ..sm
                }),
            ),
            "0000003B 00000004 00000000 00000003
             00 05 00 686F726E657400 01 01 34343737303039303031323300
             00 00 00 00 00 01 00 00 00 02 6869 0204 0002 0001",
        ),
        (
            Pdu::new(1, Body::EnquireLink),
            "00000010 00000015 00000000 00000001",
        ),
        (
            Pdu::new(1, Body::EnquireLinkResp),
            "00000010 80000015 00000000 00000001",
        ),
        (
            Pdu {
                sequence_number: 5,
                command_status: CommandStatus::ESME_RINVCMDID,
                body: Body::GenericNack,
            },
            "00000010 80000000 00000003 00000005",
        ),
        (
            Pdu::new(
                6,
                Body::SubmitSmResp(MessageIdResp {
                    message_id: b"AB12",
                    tlvs: Tlvs::EMPTY,
                }),
            ),
            "00000015 80000004 00000000 00000006 4142313200",
        ),
    ];
    for (pdu, want) in cases {
        let want = if want.contains("[..]") {
            // bind_transmitter: system_type, version, ton, npi, address_range.
            let mut w = hex(&want.replace("0000[..]", "00"));
            w.extend(hex("5355424D49543100 34 01 01 00"));
            w
        } else {
            hex(want)
        };
        let mut out = Vec::new();
        encode(pdu, &mut out).unwrap();
        assert_eq!(out, want, "{:?}", pdu.body.command_id());
        assert_eq!(decode(&want).unwrap(), *pdu);
    }
}
