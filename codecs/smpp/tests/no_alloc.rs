//! The hot paths do not allocate: encode submit_sm into a buffer with
//! capacity, decode submit_sm_resp, decode deliver_sm and read its receipt.

use hornet_smpp::*;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

/// Forwards to the system allocator, counting allocations on this thread.
struct Counting;

thread_local! {
    static ALLOCS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: every call is forwarded unchanged to `System`.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.with(|a| a.set(a.get() + 1));
        // SAFETY: the caller's contract for `alloc` is `System`'s.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System` with this `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCS.with(|a| a.set(a.get() + 1));
        // SAFETY: `ptr` came from `System` with this `layout`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn count(f: impl FnOnce()) -> usize {
    let before = ALLOCS.with(Cell::get);
    f();
    ALLOCS.with(Cell::get) - before
}

#[test]
fn hot_paths_do_not_allocate() {
    let tlvs = [
        Tlv::new(tag::RECEIPTED_MESSAGE_ID, b"1A2B\0"),
        Tlv::new(tag::MESSAGE_STATE, &[2]),
    ];
    let sm = SubmitSm {
        source_addr: b"HORNET",
        destination_addr: b"447700900123",
        esm_class: 0x04,
        short_message: b"id:6699 sub:001 dlvrd:001 submit date:2405140912 done date:2405140913 stat:DELIVRD err:000 text:hi",
        tlvs: Tlvs::List(&tlvs),
        ..SubmitSm::default()
    };
    let mut buf = Vec::with_capacity(1024);
    let mut resp = Vec::new();
    encode(
        &Pdu::new(
            1,
            Body::SubmitSmResp(MessageIdResp {
                message_id: b"1A2B",
                tlvs: Tlvs::EMPTY,
            }),
        ),
        &mut resp,
    )
    .unwrap();
    let mut deliver = Vec::new();
    encode(&Pdu::new(2, Body::DeliverSm(sm)), &mut deliver).unwrap();

    let n = count(|| {
        for _ in 0..100 {
            buf.clear();
            encode(&Pdu::new(3, Body::SubmitSm(sm)), &mut buf).unwrap();
            let r = decode(&resp).unwrap();
            let Body::SubmitSmResp(r) = r.body else {
                panic!()
            };
            let d = decode(&deliver).unwrap();
            let Body::DeliverSm(d) = d.body else { panic!() };
            let rc = receipt::from_deliver_sm(&d).unwrap().unwrap();
            assert!(receipt::ids_match(rc.id, r.message_id));
        }
    });
    assert_eq!(n, 0);
}
