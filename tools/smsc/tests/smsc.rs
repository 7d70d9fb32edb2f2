//! End-to-end tests over real sockets on 127.0.0.1.

mod common;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use common::*;
use hornet_smpp::receipt;
use hornet_smpp::{Bind, Body, CommandStatus, MessageIdResp, MessageState, Pdu, QuerySm};
use hornet_smsc::{IdFormat, Latency, SmscConfig, SmscCounters};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[test]
fn bind_ok_echoes_interface_version() {
    let smsc = server(SmscConfig::default());
    for (version, kind) in [(0x34u8, 0), (0x50, 1), (0x33, 2)] {
        let mut c = Client::connect(smsc.local_addr());
        let b = Bind {
            interface_version: version,
            ..bind("esme", "pw")
        };
        let body = match kind {
            0 => Body::BindTransmitter(b),
            1 => Body::BindReceiver(b),
            _ => Body::BindTransceiver(b),
        };
        let resp = c.bind_with(body);
        let pdu = resp.pdu();
        assert_eq!(pdu.command_status, CommandStatus::ESME_ROK);
        let r = match pdu.body {
            Body::BindTransmitterResp(r) if kind == 0 => r,
            Body::BindReceiverResp(r) if kind == 1 => r,
            Body::BindTransceiverResp(r) if kind == 2 => r,
            other => panic!("{other:?}"),
        };
        assert_eq!(r.system_id, b"hornet-smsc");
        let expect = if version == 0x50 { 0x50 } else { 0x34 };
        assert_eq!(tlv(&r.tlvs, SC_INTERFACE_VERSION), Some(&[expect][..]));
    }
    assert_eq!(smsc.counters().binds_ok, 3);
}

#[test]
fn credentials_are_checked() {
    let smsc = server(SmscConfig {
        credentials: Some(("hornet".into(), "secret".into())),
        ..Default::default()
    });
    let cases = [
        ("hornet", "wrong", CommandStatus::ESME_RINVPASWD),
        ("other", "secret", CommandStatus::ESME_RINVSYSID),
    ];
    for (system_id, password, status) in cases {
        let mut c = Client::connect(smsc.local_addr());
        let resp = c.bind_with(Body::BindTransceiver(bind(system_id, password)));
        assert_eq!(resp.status(), status);
        assert!(c.expect_close().is_empty(), "closes after the bind_resp");
    }
    let mut c = Client::connect(smsc.local_addr());
    c.bind_ok(Body::BindTransmitter(bind("hornet", "secret")));
    let counters = smsc.counters();
    assert_eq!((counters.binds_ok, counters.binds_failed), (1, 2));
}

#[test]
fn unsupported_interface_version_fails() {
    let smsc = server(SmscConfig::default());
    let mut c = Client::connect(smsc.local_addr());
    let resp = c.bind_with(Body::BindTransmitter(Bind {
        interface_version: 0x40,
        ..bind("esme", "")
    }));
    assert_eq!(resp.status(), CommandStatus::ESME_RBINDFAIL);
    assert!(c.expect_close().is_empty());
}

#[test]
fn requests_before_bind_and_second_bind() {
    let smsc = server(SmscConfig::default());
    let mut c = Client::connect(smsc.local_addr());
    let seq = c.submit(0);
    let resp = c.recv();
    assert_eq!(resp.seq(), seq);
    assert_eq!(resp.status(), CommandStatus::ESME_RINVBNDSTS);
    assert!(matches!(resp.pdu().body, Body::SubmitSmResp(_)));
    let seq = c.request(Body::QuerySm(QuerySm {
        message_id: b"1",
        ..QuerySm::default()
    }));
    let resp = c.recv();
    assert_eq!(
        (resp.seq(), resp.status()),
        (seq, CommandStatus::ESME_RINVBNDSTS)
    );
    assert!(matches!(resp.pdu().body, Body::QuerySmResp(_)));
    let seq = c.request(Body::Unbind);
    let resp = c.recv();
    assert_eq!(
        (resp.seq(), resp.status()),
        (seq, CommandStatus::ESME_RINVBNDSTS)
    );
    // enquire_link works in any state.
    let seq = c.request(Body::EnquireLink);
    let resp = c.recv();
    assert_eq!((resp.seq(), resp.status()), (seq, CommandStatus::ESME_ROK));
    c.bind_trx();
    let resp = c.bind_with(Body::BindTransmitter(bind("test", "pw")));
    assert_eq!(resp.status(), CommandStatus::ESME_RALYBND);
    // Still bound after the refused second bind.
    let seq = c.submit(0);
    let resp = c.recv();
    assert_eq!((resp.seq(), resp.status()), (seq, CommandStatus::ESME_ROK));
    let counters = smsc.counters();
    assert_eq!((counters.binds_ok, counters.binds_failed), (1, 1));
    assert_eq!(counters.submit_sm, 1, "refused submits are not counted");
}

#[test]
fn receiver_cannot_submit() {
    let smsc = server(SmscConfig::default());
    let mut c = Client::connect(smsc.local_addr());
    c.bind_ok(Body::BindReceiver(bind("rx", "")));
    c.submit(0);
    assert_eq!(c.recv().status(), CommandStatus::ESME_RINVBNDSTS);
}

fn submit_ids(format: IdFormat) -> Vec<String> {
    let smsc = server(SmscConfig {
        message_id_format: format,
        ..Default::default()
    });
    let mut ids = Vec::new();
    for _ in 0..2 {
        let mut c = Client::connect(smsc.local_addr());
        c.bind_trx();
        for _ in 0..20 {
            let seq = c.submit(0);
            let resp = c.recv();
            assert_eq!((resp.seq(), resp.status()), (seq, CommandStatus::ESME_ROK));
            ids.push(resp.message_id());
        }
    }
    let unique: HashSet<_> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "ids are unique: {ids:?}");
    ids
}

#[test]
fn message_ids_hex_and_decimal() {
    let hex = submit_ids(IdFormat::Hex);
    assert!(hex
        .iter()
        .all(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_hexdigit())));
    assert!(
        hex.iter()
            .any(|id| id.bytes().any(|b| b.is_ascii_uppercase())),
        "40 consecutive ids include A-F: {hex:?}"
    );
    let dec = submit_ids(IdFormat::Decimal);
    assert!(dec.iter().all(|id| id.parse::<u64>().is_ok()), "{dec:?}");
}

#[test]
fn pipelined_submits_are_all_answered() {
    let smsc = server(SmscConfig::default());
    let mut c = Client::connect(smsc.local_addr());
    c.bind_trx();
    // All 100 in one write.
    let mut bytes = Vec::new();
    let mut sent = HashSet::new();
    for _ in 0..100 {
        let seq = c.next_seq();
        sent.insert(seq);
        hornet_smpp::encode(&Pdu::new(seq, Body::SubmitSm(submit_sm(0))), &mut bytes).unwrap();
    }
    c.send_raw(&bytes);
    let mut got = HashSet::new();
    for _ in 0..100 {
        let r = c.recv();
        assert_eq!(r.status(), CommandStatus::ESME_ROK);
        assert!(got.insert(r.seq()));
    }
    assert_eq!(got, sent);
    assert_eq!(smsc.counters().submit_ok, 100);
}

#[test]
fn uniform_latency_reorders_responses() {
    let smsc = server(SmscConfig {
        latency: Latency::Uniform {
            min: ms(1),
            max: ms(30),
        },
        ..Default::default()
    });
    let mut c = Client::connect(smsc.local_addr());
    c.bind_trx();
    let start = Instant::now();
    let sent: Vec<u32> = (0..50).map(|_| c.submit(0)).collect();
    let got: Vec<u32> = (0..50).map(|_| c.recv().seq()).collect();
    assert!(start.elapsed() >= ms(1));
    let mut sorted = got.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, sent);
    assert_ne!(got, sent, "responses should come out of order");
}

#[test]
fn fixed_latency_delays_responses() {
    let smsc = server(SmscConfig {
        latency: Latency::Fixed(ms(50)),
        ..Default::default()
    });
    let mut c = Client::connect(smsc.local_addr());
    c.bind_trx();
    let start = Instant::now();
    let sent: Vec<u32> = (0..10).map(|_| c.submit(0)).collect();
    let got: Vec<u32> = (0..10).map(|_| c.recv().seq()).collect();
    assert!(start.elapsed() >= ms(50));
    assert_eq!(got, sent, "a fixed latency keeps the order");
}

#[test]
fn tps_limit_throttles_exactly_the_excess_of_a_burst() {
    let smsc = server(SmscConfig {
        tps_limit: Some(50),
        ..Default::default()
    });
    let mut c = Client::connect(smsc.local_addr());
    c.bind_trx();
    let mut bytes = Vec::new();
    for _ in 0..80 {
        let seq = c.next_seq();
        hornet_smpp::encode(&Pdu::new(seq, Body::SubmitSm(submit_sm(0))), &mut bytes).unwrap();
    }
    c.send_raw(&bytes);
    let statuses: Vec<CommandStatus> = (0..80).map(|_| c.recv().status()).collect();
    let ok = statuses.iter().filter(|s| s.is_ok()).count();
    let throttled = statuses
        .iter()
        .filter(|&&s| s == CommandStatus::ESME_RTHROTTLED)
        .count();
    assert_eq!((ok, throttled), (50, 30), "{statuses:?}");
    assert!(statuses[..50].iter().all(|s| s.is_ok()));
    let counters = smsc.counters();
    assert_eq!(
        (counters.submit_sm, counters.submit_ok, counters.throttled),
        (80, 50, 30)
    );
    // Another bind has its own bucket.
    let mut d = Client::connect(smsc.local_addr());
    d.bind_trx();
    d.submit(0);
    assert!(d.recv().status().is_ok());
}

#[test]
fn error_ratio_one_fails_everything() {
    let smsc = server(SmscConfig {
        error_ratio: 1.0,
        error_status: 0x14,
        ..Default::default()
    });
    let mut c = Client::connect(smsc.local_addr());
    c.bind_trx();
    for _ in 0..20 {
        c.submit(1);
        let r = c.recv();
        assert_eq!(r.status(), CommandStatus::ESME_RMSGQFUL);
        assert_eq!(r.message_id(), "");
    }
    c.expect_silence(ms(50));
    let counters = smsc.counters();
    assert_eq!((counters.errors_injected, counters.submit_ok), (20, 0));
    assert_eq!(counters.receipts_sent, 0, "failed submits get no receipt");
}

#[test]
fn receipts_follow_after_the_delay() {
    let smsc = server(SmscConfig {
        message_id_format: IdFormat::Hex,
        receipt_id_format: IdFormat::Decimal,
        receipt_delay: ms(150),
        ..Default::default()
    });
    let mut c = Client::connect(smsc.local_addr());
    c.bind_trx();
    let mut ids = Vec::new();
    let start = Instant::now();
    for _ in 0..3 {
        c.submit(1);
        let hex = c.recv().message_id();
        ids.push(u64::from_str_radix(&hex, 16).unwrap());
    }
    c.submit(0); // No receipt asked for.
    c.recv();
    for &id in &ids {
        let f = c.recv();
        assert!(start.elapsed() >= ms(150), "receipt too early");
        let pdu = f.pdu();
        let Body::DeliverSm(sm) = pdu.body else {
            panic!("not a deliver_sm: {f:?}");
        };
        assert_eq!(sm.esm_class, 0x04);
        assert_eq!(sm.source_addr, b"447700900123");
        assert_eq!(sm.destination_addr, b"hornet");
        let text = std::str::from_utf8(sm.short_message).unwrap();
        let prefix = format!("id:{id} sub:001 dlvrd:001 submit date:");
        assert!(text.starts_with(&prefix), "{text}");
        assert!(
            text.ends_with(" stat:DELIVRD err:000 text:Hello from the horne"),
            "{text}"
        );
        let r = receipt::from_deliver_sm(&sm).unwrap().unwrap();
        assert_eq!(r.stat, Some(MessageState::Delivered));
        assert!(r.submit_date.is_some() && r.done_date.is_some());
        let tlv_id = tlv(&sm.tlvs, RECEIPTED_MESSAGE_ID).unwrap();
        assert_eq!(tlv_id, format!("{id}\0").as_bytes());
        assert_eq!(tlv(&sm.tlvs, MESSAGE_STATE), Some(&[2u8][..]));
        assert_eq!(
            pdu.sequence_number,
            ids.iter().position(|&i| i == id).unwrap() as u32 + 1
        );
        c.ack_deliver(pdu.sequence_number);
    }
    c.expect_silence(ms(50));
    eventually("receipts acked", || smsc.counters().receipts_acked == 3);
    assert_eq!(smsc.counters().receipts_sent, 3);
}

#[test]
fn receipt_mix_and_no_tlvs() {
    let smsc = server(SmscConfig {
        receipt_mix: vec![(MessageState::Undeliverable, 1)],
        receipt_tlvs: false,
        ..Default::default()
    });
    let mut c = Client::connect(smsc.local_addr());
    c.bind_trx();
    c.submit(1);
    assert!(c.recv().status().is_ok());
    let f = c.recv();
    let Body::DeliverSm(sm) = f.pdu().body else {
        panic!("{f:?}")
    };
    assert!(sm.tlvs.is_empty());
    let text = std::str::from_utf8(sm.short_message).unwrap();
    assert!(
        text.contains(" dlvrd:000 ") && text.contains(" stat:UNDELIV "),
        "{text}"
    );
    // query_sm reports the last receipt's state.
    let seq = c.request(Body::QuerySm(QuerySm {
        message_id: b"1",
        ..QuerySm::default()
    }));
    let r = c.recv();
    assert_eq!(r.seq(), seq);
    match r.pdu().body {
        Body::QuerySmResp(q) => {
            assert_eq!(q.message_id, b"1");
            assert_eq!(q.message_state, MessageState::Undeliverable.as_u8());
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn transmitter_gets_no_receipt_but_a_sibling_receiver_does() {
    let smsc = server(SmscConfig::default());
    let mut tx = Client::connect(smsc.local_addr());
    tx.bind_ok(Body::BindTransmitter(bind("tx-only", "")));
    tx.submit(1);
    assert!(tx.recv().status().is_ok());
    tx.expect_silence(ms(50));
    eventually("undeliverable", || {
        smsc.counters().receipts_undeliverable == 1
    });
    // A receiver of the same system_id takes the transmitter's receipts.
    let mut rx = Client::connect(smsc.local_addr());
    rx.bind_ok(Body::BindReceiver(bind("tx-only", "")));
    let mut other = Client::connect(smsc.local_addr());
    other.bind_ok(Body::BindReceiver(bind("someone-else", "")));
    tx.submit(1);
    let id = tx.recv().message_id();
    let f = rx.recv();
    let Body::DeliverSm(sm) = f.pdu().body else {
        panic!("{f:?}")
    };
    assert!(std::str::from_utf8(sm.short_message)
        .unwrap()
        .starts_with(&format!("id:{id} ")));
    rx.ack_deliver(f.seq());
    tx.expect_silence(ms(20));
    other.expect_silence(ms(20));
    eventually("acked", || smsc.counters().receipts_acked == 1);
    let c = smsc.counters();
    assert_eq!((c.receipts_sent, c.receipts_undeliverable), (1, 1));
}

#[test]
fn enquire_link_is_answered() {
    let smsc = server(SmscConfig::default());
    let mut c = Client::connect(smsc.local_addr());
    c.bind_trx();
    let seq = c.request(Body::EnquireLink);
    let r = c.recv();
    assert_eq!(r.seq(), seq);
    assert_eq!(r.pdu().body, Body::EnquireLinkResp);
    assert_eq!(smsc.counters().enquire_link_received, 1);
}

#[test]
fn unknown_command_gets_generic_nack_and_the_session_stays() {
    let smsc = server(SmscConfig::default());
    let mut c = Client::connect(smsc.local_addr());
    c.bind_trx();
    c.send_raw(&[0, 0, 0, 16, 0, 0, 0x99, 0x99, 0, 0, 0, 0, 0, 0, 0, 42]);
    let r = c.recv();
    assert_eq!(r.pdu().body, Body::GenericNack);
    assert_eq!((r.seq(), r.status()), (42, CommandStatus::ESME_RINVCMDID));
    // A known id with a broken body.
    c.send_raw(&[0, 0, 0, 18, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 43, 1, 2]);
    let r = c.recv();
    assert_eq!(r.pdu().body, Body::GenericNack);
    assert_eq!((r.seq(), r.status()), (43, CommandStatus::ESME_RINVMSGLEN));
    // A response to nothing the server sent.
    c.send(&Pdu::new(77, Body::DeliverSmResp(MessageIdResp::default())));
    c.send(&Pdu::new(78, Body::GenericNack));
    let seq = c.submit(0);
    assert_eq!(c.recv().seq(), seq);
    let counters = smsc.counters();
    assert_eq!(counters.generic_nacks_sent, 2);
    assert_eq!(counters.generic_nacks_received, 1);
    assert_eq!(counters.unknown_responses, 1);
}

#[test]
fn bad_command_length_nacks_and_closes() {
    for len in [8u32, 70_000] {
        let smsc = server(SmscConfig::default());
        let mut c = Client::connect(smsc.local_addr());
        c.bind_trx();
        let mut bytes = len.to_be_bytes().to_vec();
        bytes.extend_from_slice(&[0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 9]);
        c.send_raw(&bytes);
        let frames = c.expect_close();
        assert_eq!(frames.len(), 1, "{frames:?}");
        assert_eq!(frames[0].pdu().body, Body::GenericNack);
        assert_eq!(frames[0].status(), CommandStatus::ESME_RINVCMDLEN);
        assert_eq!(frames[0].seq(), 9);
    }
}

#[test]
fn client_unbind_is_answered_then_closed() {
    let smsc = server(SmscConfig::default());
    let mut c = Client::connect(smsc.local_addr());
    c.bind_trx();
    let seq = c.request(Body::Unbind);
    let frames = c.expect_close();
    assert_eq!(frames.len(), 1);
    assert_eq!(
        (frames[0].seq(), frames[0].pdu().body),
        (seq, Body::UnbindResp)
    );
    assert_eq!(smsc.counters().unbinds_received, 1);
}

#[test]
fn drop_after_closes_without_unbind() {
    let smsc = server(SmscConfig {
        drop_after: Some(3),
        ..Default::default()
    });
    let mut c = Client::connect(smsc.local_addr());
    c.bind_trx();
    let mut bytes = Vec::new();
    for _ in 0..5 {
        let seq = c.next_seq();
        hornet_smpp::encode(&Pdu::new(seq, Body::SubmitSm(submit_sm(0))), &mut bytes).unwrap();
    }
    c.send_raw(&bytes);
    let frames = c.expect_close();
    let seqs: Vec<u32> = frames.iter().map(Frame::seq).collect();
    assert_eq!(
        seqs,
        [2, 3, 4],
        "the 3 first submits are answered, then EOF"
    );
    assert!(frames
        .iter()
        .all(|f| matches!(f.pdu().body, Body::SubmitSmResp(_))));
    let counters = smsc.counters();
    assert_eq!((counters.submit_sm, counters.unbinds_sent), (3, 0));
}

#[test]
fn drop_after_with_latency() {
    let smsc = server(SmscConfig {
        drop_after: Some(2),
        latency: Latency::Fixed(ms(20)),
        ..Default::default()
    });
    let mut c = Client::connect(smsc.local_addr());
    c.bind_trx();
    c.submit(0);
    c.submit(0);
    let frames = c.expect_close();
    assert_eq!(frames.len(), 2, "{frames:?}");
}

#[test]
fn unbind_after_sends_unbind_and_closes_on_resp() {
    let smsc = server(SmscConfig {
        unbind_after: Some(2),
        ..Default::default()
    });
    let mut c = Client::connect(smsc.local_addr());
    c.bind_trx();
    c.submit(0);
    c.submit(0);
    let a = c.recv();
    let b = c.recv();
    assert!(a.status().is_ok() && b.status().is_ok());
    let unbind = c.recv();
    assert_eq!(unbind.pdu().body, Body::Unbind);
    assert_eq!(unbind.seq(), 1, "server sequence numbers start at 1");
    // Requests are still answered before the client confirms.
    let seq = c.request(Body::EnquireLink);
    assert_eq!(c.recv().seq(), seq);
    c.send(&Pdu::new(unbind.seq(), Body::UnbindResp));
    assert!(c.expect_close().is_empty());
    assert_eq!(smsc.counters().unbinds_sent, 1);
    assert_eq!(smsc.counters().unknown_responses, 0);
}

#[test]
fn unbind_after_closes_after_a_second_without_resp() {
    let smsc = server(SmscConfig {
        unbind_after: Some(1),
        ..Default::default()
    });
    let mut c = Client::connect(smsc.local_addr());
    c.bind_trx();
    c.submit(0);
    c.recv();
    let start = Instant::now();
    assert_eq!(c.recv().pdu().body, Body::Unbind);
    assert!(c.expect_close().is_empty());
    let waited = start.elapsed();
    assert!(waited >= ms(900) && waited < ms(3000), "{waited:?}");
}

#[test]
fn server_enquire_link_and_mo() {
    let smsc = server(SmscConfig {
        enquire_link: Some(ms(30)),
        mo_rate: Some(50.0),
        ..Default::default()
    });
    let mut c = Client::connect(smsc.local_addr());
    c.bind_trx();
    let (mut links, mut mos) = (0, 0);
    let mut last_seq = 0;
    while links < 2 || mos < 3 {
        let f = c.recv();
        assert!(f.seq() > last_seq, "server sequence numbers increase");
        last_seq = f.seq();
        match f.pdu().body {
            Body::EnquireLink => {
                links += 1;
                c.send(&Pdu::new(f.seq(), Body::EnquireLinkResp));
            }
            Body::DeliverSm(sm) => {
                assert_eq!(sm.esm_class, 0);
                assert_eq!(sm.destination_addr, b"test");
                assert!(sm.short_message.starts_with(b"hornet-smsc MO #"));
                mos += 1;
                c.ack_deliver(f.seq());
            }
            other => panic!("{other:?}"),
        }
    }
    c.request(Body::Unbind);
    let rest = c.expect_close();
    assert!(rest.iter().any(|f| f.pdu().body == Body::UnbindResp));
    let counters = smsc.counters();
    assert!(counters.enquire_link_sent >= 2 && counters.mo_sent >= 3);
    assert_eq!(counters.mo_acked, mos);
    assert_eq!(counters.unknown_responses, 0);
}

#[test]
fn counters_are_exact() {
    let smsc = server(SmscConfig {
        tps_limit: Some(3),
        ..Default::default()
    });
    let mut c = Client::connect(smsc.local_addr());
    c.bind_trx();
    for _ in 0..4 {
        c.submit(1);
    }
    let mut acked = 0;
    let mut responses = 0;
    while responses < 4 || acked < 3 {
        let f = c.recv();
        match f.pdu().body {
            Body::SubmitSmResp(_) => responses += 1,
            Body::DeliverSm(_) => {
                c.ack_deliver(f.seq());
                acked += 1;
            }
            other => panic!("{other:?}"),
        }
    }
    c.request(Body::EnquireLink);
    c.recv();
    c.send(&Pdu::new(999, Body::EnquireLinkResp));
    c.request(Body::Unbind);
    c.expect_close();
    let expected = SmscCounters {
        connections: 1,
        binds_ok: 1,
        submit_sm: 4,
        submit_ok: 3,
        throttled: 1,
        receipts_sent: 3,
        receipts_acked: 3,
        enquire_link_received: 1,
        unbinds_received: 1,
        unknown_responses: 1,
        ..Default::default()
    };
    eventually("counters", || smsc.counters() == expected);
    let text = smsc.counters().render();
    assert!(text.contains("submit_ok:"), "{text}");
}

#[test]
fn garbage_never_kills_the_server() {
    let smsc = server(SmscConfig::default());
    let mut rng = 0x1234_5678_9abc_def0u64;
    for round in 0..20 {
        let mut c = Client::connect(smsc.local_addr());
        if round % 2 == 0 {
            c.bind_trx();
        }
        let mut bytes = Vec::new();
        for _ in 0..5 {
            // A plausible header with a random id and body.
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            let body_len = (rng % 40) as u32;
            bytes.extend_from_slice(&(16 + body_len).to_be_bytes());
            let id = [
                0x0000_0004u32,
                0x8000_0005,
                0x0000_0002,
                0x0000_0021,
                rng as u32,
            ][(rng >> 40) as usize % 5];
            bytes.extend_from_slice(&id.to_be_bytes());
            bytes.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 1]);
            bytes.extend((0..body_len).map(|i| (rng >> (i % 56)) as u8));
        }
        c.send_raw(&bytes);
        c.stream.shutdown(std::net::Shutdown::Write).unwrap();
        c.expect_close();
    }
    let mut c = Client::connect(smsc.local_addr());
    c.bind_trx();
    c.submit(0);
    assert!(c.recv().status().is_ok());
}

#[test]
fn threads_share_the_port() {
    let smsc = server(SmscConfig {
        threads: 3,
        ..Default::default()
    });
    let mut ids = HashSet::new();
    let mut clients: Vec<Client> = (0..9).map(|_| Client::connect(smsc.local_addr())).collect();
    for c in &mut clients {
        c.bind_trx();
        for _ in 0..5 {
            c.submit(0);
            assert!(ids.insert(c.recv().message_id()));
        }
    }
    assert_eq!(smsc.counters().connections, 9);
    assert_eq!(smsc.counters().submit_ok, 45);
}

#[test]
fn a_client_that_stops_reading_is_paused_not_buffered() {
    use std::io::{Read, Write};
    let smsc = server(SmscConfig::default());
    let mut c = Client::connect(smsc.local_addr());
    c.bind_trx();
    // Up to 32 MiB of enquire_links (2M) whose answers the client does not
    // read: the server must stop reading rather than queue them all.
    c.stream.set_write_timeout(Some(ms(500))).unwrap();
    let chunk: Vec<u8> = (0..4096u32)
        .flat_map(|i| {
            let mut p = vec![0, 0, 0, 16, 0, 0, 0, 0x15, 0, 0, 0, 0];
            p.extend_from_slice(&(i + 10).to_be_bytes());
            p
        })
        .collect();
    let total = 512 * chunk.len();
    let mut written = 0usize;
    for _ in 0..512 {
        match c.stream.write(&chunk) {
            Ok(n) if n == chunk.len() => written += n,
            Ok(n) => {
                written += n;
                break;
            }
            Err(_) => break,
        }
    }
    assert!(written < total, "the server should push back");
    // Others are still served meanwhile.
    let mut d = Client::connect(smsc.local_addr());
    d.bind_trx();
    d.submit(0);
    assert!(d.recv().status().is_ok());
    // Once the client reads, every whole request is answered.
    let expected = written / 16 * 16;
    let mut got = 0usize;
    let mut buf = vec![0u8; 1 << 20];
    let deadline = Instant::now() + Duration::from_secs(30);
    while got < expected {
        assert!(Instant::now() < deadline, "only {got} of {expected} bytes");
        match c.stream.read(&mut buf) {
            Ok(0) => panic!("closed"),
            Ok(n) => got += n,
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(got, expected);
    assert_eq!(
        smsc.counters().enquire_link_received,
        (expected / 16) as u64
    );
}

#[test]
fn shutdown_is_prompt_and_closes_connections() {
    let smsc = server(SmscConfig {
        threads: 2,
        enquire_link: Some(Duration::from_secs(3600)),
        ..Default::default()
    });
    let mut c = Client::connect(smsc.local_addr());
    c.bind_trx();
    let start = Instant::now();
    smsc.shutdown();
    assert!(start.elapsed() < ms(500));
    assert!(c.expect_close().is_empty());
}

#[test]
fn invalid_config_is_rejected() {
    let err = hornet_smsc::start(
        "127.0.0.1:0".parse().unwrap(),
        SmscConfig {
            threads: 0,
            ..Default::default()
        },
    )
    .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
}

#[test]
fn other_operations_get_sensible_answers() {
    use hornet_smpp::{CancelSm, DataSm, DestAddress, DestAddresses, ReplaceSm, SubmitMulti};
    let smsc = server(SmscConfig::default());
    let mut c = Client::connect(smsc.local_addr());
    c.bind_trx();
    let seq = c.request(Body::DataSm(DataSm {
        destination_addr: b"447700900123",
        ..DataSm::default()
    }));
    let r = c.recv();
    assert_eq!((r.seq(), r.status()), (seq, CommandStatus::ESME_ROK));
    assert!(matches!(r.pdu().body, Body::DataSmResp(m) if !m.message_id.is_empty()));
    let dests = [DestAddress::Sme {
        ton: 1,
        npi: 1,
        addr: b"447700900123",
    }];
    let seq = c.request(Body::SubmitMulti(SubmitMulti {
        dest_addresses: DestAddresses::List(&dests),
        short_message: b"hi",
        ..SubmitMulti::default()
    }));
    let r = c.recv();
    assert_eq!((r.seq(), r.status()), (seq, CommandStatus::ESME_ROK));
    assert!(matches!(r.pdu().body, Body::SubmitMultiResp(m) if !m.message_id.is_empty()));
    let seq = c.request(Body::QuerySm(QuerySm {
        message_id: b"ABC",
        ..QuerySm::default()
    }));
    let r = c.recv();
    assert_eq!(r.seq(), seq);
    assert!(matches!(r.pdu().body,
        Body::QuerySmResp(q) if q.message_id == b"ABC" && q.message_state == MessageState::Enroute.as_u8()));
    let seq = c.request(Body::CancelSm(CancelSm {
        message_id: b"ABC",
        ..CancelSm::default()
    }));
    let r = c.recv();
    assert_eq!((r.seq(), r.pdu().body), (seq, Body::CancelSmResp));
    let seq = c.request(Body::ReplaceSm(ReplaceSm {
        message_id: b"ABC",
        ..ReplaceSm::default()
    }));
    let r = c.recv();
    assert_eq!((r.seq(), r.pdu().body), (seq, Body::ReplaceSmResp));
    // An MC-to-ESME operation from the client.
    let seq = c.request(Body::DeliverSm(submit_sm(0)));
    let r = c.recv();
    assert_eq!(r.pdu().body, Body::GenericNack);
    assert_eq!((r.seq(), r.status()), (seq, CommandStatus::ESME_RINVCMDID));
}

#[test]
fn half_closed_client_still_gets_delayed_responses() {
    let smsc = server(SmscConfig {
        latency: Latency::Fixed(ms(30)),
        ..Default::default()
    });
    let mut c = Client::connect(smsc.local_addr());
    c.bind_trx();
    for _ in 0..3 {
        c.submit(0);
    }
    c.stream.shutdown(std::net::Shutdown::Write).unwrap();
    let frames = c.expect_close();
    assert_eq!(frames.len(), 3, "{frames:?}");
    assert!(frames.iter().all(|f| f.status().is_ok()));
}
