//! Throughput of the SMPP codec's hot paths on realistic PDUs.
//!
//! encode submit_sm (what a transmitter does per message, into a reused
//! buffer), decode submit_sm_resp (per response) and decode deliver_sm
//! carrying a delivery receipt, with and without reading the receipt.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use hornet_smpp::{decode, encode, receipt, tag, Body, MessageIdResp, Pdu, SubmitSm, Tlv, Tlvs};

fn submit_sm() -> SubmitSm<'static> {
    SubmitSm {
        source_addr_ton: 5,
        source_addr: b"HORNET",
        dest_addr_ton: 1,
        dest_addr_npi: 1,
        destination_addr: b"447700900123",
        registered_delivery: 1,
        short_message: b"Your verification code is 482913. It expires in 10 minutes.",
        ..SubmitSm::default()
    }
}

fn encoded(pdu: &Pdu<'_>) -> Vec<u8> {
    let mut out = Vec::new();
    encode(pdu, &mut out).unwrap();
    out
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("smpp");

    let submit = Pdu::new(1, Body::SubmitSm(submit_sm()));
    let len = encoded(&submit).len();
    let mut buf = Vec::with_capacity(512);
    g.throughput(Throughput::Bytes(len as u64));
    g.bench_function("encode_submit_sm", |b| {
        b.iter(|| {
            buf.clear();
            encode(black_box(&submit), &mut buf).unwrap()
        });
    });

    let resp = encoded(&Pdu::new(
        1,
        Body::SubmitSmResp(MessageIdResp {
            message_id: b"0a1b2c3d4e5f6071",
            tlvs: Tlvs::EMPTY,
        }),
    ));
    g.throughput(Throughput::Bytes(resp.len() as u64));
    g.bench_function("decode_submit_sm_resp", |b| {
        b.iter(|| decode(black_box(&resp)).unwrap());
    });

    let text = b"id:0a1b2c3d4e5f6071 sub:001 dlvrd:001 submit date:2405140912 \
done date:2405140913 stat:DELIVRD err:000 text:Your verification c";
    let tlvs = [
        Tlv::new(tag::RECEIPTED_MESSAGE_ID, b"0a1b2c3d4e5f6071\0"),
        Tlv::new(tag::MESSAGE_STATE, &[2]),
    ];
    let deliver = encoded(&Pdu::new(
        2,
        Body::DeliverSm(SubmitSm {
            source_addr_ton: 1,
            source_addr_npi: 1,
            source_addr: b"447700900123",
            dest_addr_ton: 5,
            destination_addr: b"HORNET",
            esm_class: 0x04,
            short_message: text,
            tlvs: Tlvs::List(&tlvs),
            ..SubmitSm::default()
        }),
    ));
    g.throughput(Throughput::Bytes(deliver.len() as u64));
    g.bench_function("decode_deliver_sm_receipt", |b| {
        b.iter(|| decode(black_box(&deliver)).unwrap());
    });
    g.bench_function("decode_deliver_sm_and_read_receipt", |b| {
        b.iter(|| {
            let pdu = decode(black_box(&deliver)).unwrap();
            let Body::DeliverSm(sm) = pdu.body else {
                unreachable!()
            };
            let r = receipt::from_deliver_sm(&sm).unwrap().unwrap();
            receipt::message_id_key(r.id)
        });
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
