//! Every error variant of the PDU codec reached, plus the enums' tables.

use hornet_smpp::*;

fn frame(command_id: u32, status: u32, body: &[u8]) -> Vec<u8> {
    let mut f = Vec::new();
    f.extend_from_slice(&((16 + body.len()) as u32).to_be_bytes());
    f.extend_from_slice(&command_id.to_be_bytes());
    f.extend_from_slice(&status.to_be_bytes());
    f.extend_from_slice(&1u32.to_be_bytes());
    f.extend_from_slice(body);
    f
}

/// A valid submit_sm body up to (not including) short_message's sm_length.
const SM_HEAD: &[u8] = b"\0\x01\x01src\0\x01\x01dst\0\0\0\0\0\0\x01\0\0\0";

#[test]
fn frame_errors() {
    assert_eq!(check_frame(&[], 100), Ok(None));
    assert_eq!(check_frame(&[0, 0, 0], 100), Ok(None));
    assert_eq!(
        check_frame(&[0, 0, 0, 15], 100),
        Err(FrameError::TooShort { command_length: 15 })
    );
    assert_eq!(
        check_frame(&[0, 0, 0, 101], 100),
        Err(FrameError::TooLong {
            command_length: 101,
            max: 100
        })
    );
    assert_eq!(check_frame(&[0, 0, 0, 100, 1, 2], 100), Ok(None));
    assert!(FrameError::TooShort { command_length: 3 }
        .to_string()
        .contains("3"));
}

#[test]
fn decode_errors() {
    use command_id::*;
    let long = [b'x'; 70];
    let mut sm_long_src = b"\0\x01\x01".to_vec();
    sm_long_src.extend_from_slice(&long[..21]);
    sm_long_src.push(0);
    let mut sm_bad_time = b"\0\x01\x01src\0\x01\x01dst\0\0\0\0".to_vec();
    sm_bad_time.extend_from_slice(b"2405\0");
    let mut sm_too_long = SM_HEAD.to_vec();
    sm_too_long.push(255);
    sm_too_long.extend_from_slice(&[b'a'; 255]);
    let mut sm_truncated = SM_HEAD.to_vec();
    sm_truncated.extend_from_slice(&[5, b'a']);
    let mut sm_bad_tlv = SM_HEAD.to_vec();
    sm_bad_tlv.extend_from_slice(&[0, 0x02, 0x04, 0, 2, 0]);
    let mut sm_tlv_cut_tag = SM_HEAD.to_vec();
    sm_tlv_cut_tag.extend_from_slice(&[0, 0x02]);
    let cases: Vec<(Vec<u8>, DecodeError)> = vec![
        (vec![0; 10], DecodeError::TooShort { len: 10 }),
        (
            {
                let mut f = frame(ENQUIRE_LINK, 0, &[]);
                f.push(0);
                f
            },
            DecodeError::LengthMismatch {
                command_length: 16,
                frame_len: 17,
            },
        ),
        (
            frame(0x1234, 0, &[]),
            DecodeError::UnknownCommand { command_id: 0x1234 },
        ),
        (
            frame(BIND_TRANSMITTER, 0, b"id\0pw\0\0\x34"),
            DecodeError::Truncated {
                field: Field::AddrTon,
            },
        ),
        (
            frame(BIND_TRANSMITTER, 0, b"id\0pw"),
            DecodeError::MissingNul {
                field: Field::Password,
            },
        ),
        (
            frame(BIND_TRANSMITTER, 0, b"0123456789abcdefXYZ\0"),
            DecodeError::FieldTooLong {
                field: Field::SystemId,
                max: 15,
                len: 19,
            },
        ),
        (
            frame(SUBMIT_SM, 0, &sm_long_src),
            DecodeError::FieldTooLong {
                field: Field::SourceAddr,
                max: 20,
                len: 21,
            },
        ),
        (
            frame(SUBMIT_SM, 0, &sm_bad_time),
            DecodeError::InvalidTime {
                field: Field::ScheduleDeliveryTime,
                len: 4,
            },
        ),
        (
            frame(SUBMIT_SM, 0, &sm_too_long),
            DecodeError::ShortMessageTooLong { len: 255 },
        ),
        (
            frame(SUBMIT_SM, 0, &sm_truncated),
            DecodeError::Truncated {
                field: Field::ShortMessage,
            },
        ),
        (
            frame(SUBMIT_MULTI, 0, b"\0\x01\x01src\0\x01\x03"),
            DecodeError::InvalidDestFlag { flag: 3 },
        ),
        (
            frame(ENQUIRE_LINK, 0, &[0]),
            DecodeError::TrailingBytes { len: 1 },
        ),
        (
            frame(QUERY_SM, 0, b"1\0\x01\x01a\0zz"),
            DecodeError::TrailingBytes { len: 2 },
        ),
        (
            frame(SUBMIT_SM, 0, &sm_bad_tlv),
            DecodeError::TlvTruncated { tag: 0x0204 },
        ),
        (
            frame(SUBMIT_SM, 0, &sm_tlv_cut_tag),
            DecodeError::TlvTruncated { tag: 0 },
        ),
        (
            frame(SUBMIT_SM_RESP, 0, &[]),
            DecodeError::MissingNul {
                field: Field::MessageId,
            },
        ),
        (
            frame(SUBMIT_MULTI_RESP, 0, b"1\0\x01\x01\x01a\0\0\0"),
            DecodeError::Truncated {
                field: Field::ErrorStatusCode,
            },
        ),
    ];
    for (f, want) in &cases {
        assert_eq!(decode(f), Err(*want), "{f:02x?}");
        assert!(!want.to_string().is_empty());
    }
    // Header still readable for an unknown command, to answer generic_nack.
    let h = decode_header(&frame(0x1234, 0, &[])).unwrap();
    assert_eq!((h.command_id, h.sequence_number), (0x1234, 1));
    assert_eq!(
        decode_header(&[0; 4]),
        Err(DecodeError::TooShort { len: 4 })
    );
    // TLV length / value errors come from TypedTlv::parse.
    assert_eq!(
        TypedTlv::parse(Tlv::new(tag::SAR_MSG_REF_NUM, &[1])),
        Err(DecodeError::TlvLength {
            tag: tag::SAR_MSG_REF_NUM,
            len: 1
        })
    );
    assert_eq!(
        TypedTlv::parse(Tlv::new(tag::MESSAGE_STATE, &[42])),
        Err(DecodeError::TlvValue {
            tag: tag::MESSAGE_STATE
        })
    );
}

#[test]
fn encode_errors() {
    let tlv_big = [Tlv::new(0x1400, &[0; 70_000])];
    let dests: Vec<DestAddress<'_>> = (0..255)
        .map(|_| DestAddress::DistributionList(b"x"))
        .collect();
    let cases: Vec<(Pdu<'_>, EncodeError)> = vec![
        (
            Pdu::new(
                1,
                Body::BindTransmitter(Bind {
                    system_id: b"01234567890123456789",
                    ..Bind::default()
                }),
            ),
            EncodeError::FieldTooLong {
                field: Field::SystemId,
                max: 15,
                len: 20,
            },
        ),
        (
            Pdu::new(
                1,
                Body::BindTransmitter(Bind {
                    password: b"a\0b",
                    ..Bind::default()
                }),
            ),
            EncodeError::NulInField {
                field: Field::Password,
            },
        ),
        (
            Pdu::new(
                1,
                Body::SubmitSm(SubmitSm {
                    validity_period: b"1h",
                    ..SubmitSm::default()
                }),
            ),
            EncodeError::InvalidTime {
                field: Field::ValidityPeriod,
                len: 2,
            },
        ),
        (
            Pdu::new(
                1,
                Body::SubmitSm(SubmitSm {
                    short_message: &[0; 255],
                    ..SubmitSm::default()
                }),
            ),
            EncodeError::ShortMessageTooLong { len: 255 },
        ),
        (
            Pdu::new(
                1,
                Body::SubmitSm(SubmitSm {
                    tlvs: Tlvs::List(&tlv_big),
                    ..SubmitSm::default()
                }),
            ),
            EncodeError::TlvTooLong {
                tag: 0x1400,
                len: 70_000,
            },
        ),
        (
            Pdu::new(
                1,
                Body::SubmitSm(SubmitSm {
                    tlvs: Tlvs::Raw(&[0, 1, 0, 5, 0]),
                    ..SubmitSm::default()
                }),
            ),
            EncodeError::MalformedTlvs,
        ),
        (
            Pdu::new(
                1,
                Body::SubmitMulti(SubmitMulti {
                    dest_addresses: DestAddresses::List(&dests),
                    ..SubmitMulti::default()
                }),
            ),
            EncodeError::TooManyEntries { count: 255 },
        ),
        (
            Pdu::new(
                1,
                Body::SubmitMulti(SubmitMulti {
                    dest_addresses: DestAddresses::Raw {
                        count: 1,
                        bytes: &[9],
                    },
                    ..SubmitMulti::default()
                }),
            ),
            EncodeError::MalformedList,
        ),
        (
            Pdu::new(
                1,
                Body::SubmitMulti(SubmitMulti {
                    dest_addresses: DestAddresses::Raw {
                        count: 1,
                        bytes: b"\x02a\0extra",
                    },
                    ..SubmitMulti::default()
                }),
            ),
            EncodeError::MalformedList,
        ),
        (
            Pdu::new(
                1,
                Body::DataSm(DataSm {
                    destination_addr: &[b'9'; 65],
                    ..DataSm::default()
                }),
            ),
            EncodeError::FieldTooLong {
                field: Field::DestinationAddr,
                max: 64,
                len: 65,
            },
        ),
    ];
    for (pdu, want) in &cases {
        let mut out = b"keep".to_vec();
        assert_eq!(encode(pdu, &mut out), Err(*want));
        assert_eq!(out, b"keep", "nothing appended on error");
        assert!(!want.to_string().is_empty());
    }
    // PduTooLong needs > 4 GiB; only its message is checked.
    assert!(!EncodeError::PduTooLong.to_string().is_empty());
}

#[test]
fn command_ids() {
    assert_eq!(CommandId::ALL.len(), 27);
    for &id in CommandId::ALL {
        assert_eq!(CommandId::from_u32(id.as_u32()), Some(id));
        if let Some(resp) = id.response() {
            assert!(resp.is_response() && !id.is_response());
            assert_eq!(resp.name(), format!("{}_resp", id.name()));
        }
    }
    assert_eq!(CommandId::SubmitSm.name(), "submit_sm");
    assert_eq!(
        CommandId::SubmitSm.response(),
        Some(CommandId::SubmitSmResp)
    );
    assert_eq!(CommandId::Outbind.response(), None);
    assert_eq!(CommandId::GenericNack.response(), None);
    assert!(CommandId::GenericNack.is_response());
    assert_eq!(CommandId::from_u32(command_id::BROADCAST_SM), None);
}

#[test]
fn command_status() {
    let s = CommandStatus::ESME_RTHROTTLED;
    assert_eq!(s.0, 0x58);
    assert_eq!(s.name(), Some("ESME_RTHROTTLED"));
    assert_eq!(s.to_string(), "ESME_RTHROTTLED (0x00000058)");
    assert_eq!(CommandStatus::ESME_RMSGQFUL.0, 0x14);
    assert!(CommandStatus::ESME_RMSGQFUL.is_throttle() && s.is_throttle());
    assert!(!CommandStatus::ESME_RSYSERR.is_throttle());
    assert_eq!(
        CommandStatus(0xff).to_string(),
        "ESME_RUNKNOWNERR (0x000000ff)"
    );
    assert_eq!(CommandStatus(0x4ff).to_string(), "0x000004ff");
    assert_eq!(CommandStatus(0x4ff).name(), None);
    assert!(CommandStatus::ESME_ROK.is_ok() && !s.is_ok());
    assert_eq!(
        CommandStatus::ESME_RINVTLVSTREAM,
        CommandStatus::ESME_RINVOPTPARSTREAM
    );
    assert_eq!(CommandStatus(0xC2).name(), Some("ESME_RINVPARLEN"));
    assert_eq!(CommandStatus(0x112).name(), Some("ESME_RINVBCASTCHANIND"));
}

#[test]
fn typed_tlvs() {
    let cases: &[(Tlv<'_>, TypedTlv<'_>)] = &[
        (
            Tlv::new(tag::RECEIPTED_MESSAGE_ID, b"1A2B\0"),
            TypedTlv::ReceiptedMessageId(b"1A2B"),
        ),
        (
            Tlv::new(tag::RECEIPTED_MESSAGE_ID, b"1A2B"),
            TypedTlv::ReceiptedMessageId(b"1A2B"),
        ),
        (
            Tlv::new(tag::MESSAGE_STATE, &[2]),
            TypedTlv::MessageState(MessageState::Delivered),
        ),
        (
            Tlv::new(tag::MESSAGE_PAYLOAD, b"long"),
            TypedTlv::MessagePayload(b"long"),
        ),
        (
            Tlv::new(tag::SAR_MSG_REF_NUM, &[1, 2]),
            TypedTlv::SarMsgRefNum(0x0102),
        ),
        (
            Tlv::new(tag::SAR_TOTAL_SEGMENTS, &[3]),
            TypedTlv::SarTotalSegments(3),
        ),
        (
            Tlv::new(tag::SAR_SEGMENT_SEQNUM, &[1]),
            TypedTlv::SarSegmentSeqnum(1),
        ),
        (
            Tlv::new(tag::SC_INTERFACE_VERSION, &[0x34]),
            TypedTlv::ScInterfaceVersion(0x34),
        ),
        (
            Tlv::new(tag::CONGESTION_STATE, &[80]),
            TypedTlv::CongestionState(80),
        ),
        (
            Tlv::new(tag::QOS_TIME_TO_LIVE, &[0, 0, 1, 0]),
            TypedTlv::QosTimeToLive(256),
        ),
        (
            Tlv::new(tag::NETWORK_ERROR_CODE, &[3, 0, 1]),
            TypedTlv::NetworkErrorCode {
                network_type: 3,
                error_code: 1,
            },
        ),
        (
            Tlv::new(tag::ALERT_ON_MESSAGE_DELIVERY, &[]),
            TypedTlv::AlertOnMessageDelivery(None),
        ),
        (
            Tlv::new(0x1400, b"v"),
            TypedTlv::Unknown {
                tag: 0x1400,
                value: b"v",
            },
        ),
    ];
    for (tlv, want) in cases {
        assert_eq!(TypedTlv::parse(*tlv), Ok(*want));
    }
    for bad in [
        Tlv::new(tag::SC_INTERFACE_VERSION, &[]),
        Tlv::new(tag::RECEIPTED_MESSAGE_ID, &[b'1'; 66]),
        Tlv::new(tag::CALLBACK_NUM, &[1, 2, 3]),
        Tlv::new(tag::SOURCE_NODE_ID, &[1]),
    ] {
        assert!(
            matches!(TypedTlv::parse(bad), Err(DecodeError::TlvLength { .. })),
            "{bad:?}"
        );
    }
    // Tlvs: raw and list views agree; get finds the first.
    let list = [Tlv::new(1, b"a"), Tlv::new(2, b""), Tlv::new(1, b"b")];
    let raw = [0, 1, 0, 1, b'a', 0, 2, 0, 0, 0, 1, 0, 1, b'b'];
    assert_eq!(Tlvs::Raw(&raw), Tlvs::List(&list));
    assert_eq!(Tlvs::Raw(&raw).get(1), Some(&b"a"[..]));
    assert_eq!(Tlvs::List(&list).get(2), Some(&b""[..]));
    assert_eq!(Tlvs::EMPTY.get(1), None);
    assert_eq!(Tlvs::Raw(&raw).wire_len(), Tlvs::List(&list).wire_len());
    let broken: Vec<_> = Tlvs::Raw(&[0, 1, 0, 9]).iter().collect();
    assert_eq!(broken, [Err(DecodeError::TlvTruncated { tag: 1 })]);
}

#[test]
fn message_states() {
    for v in 0..=9u8 {
        let s = MessageState::from_u8(v).unwrap();
        assert_eq!(s.as_u8(), v);
        assert_eq!(MessageState::from_stat(s.stat_name().as_bytes()), Some(s));
        assert_eq!(s.stat_name().len(), 7);
    }
    assert_eq!(MessageState::from_u8(10), None);
    assert_eq!(
        MessageState::from_stat(b"delivrd"),
        Some(MessageState::Delivered)
    );
    assert_eq!(MessageState::from_stat(b"nope"), None);
}
