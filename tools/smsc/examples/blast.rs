//! Rough throughput check: pipelined submit_sm through an in-process
//! simulator (or one at `--addr`).
//!
//! `cargo run --release -p hornet-smsc --example blast -- [CONNS] [WINDOW] [SECONDS] [THREADS] [RECEIPTS 0|1] [LATENCY_US] [UNIFORM 0|1]`
//!
//! With `UNIFORM` 1 the latency is uniform in `0..=2*LATENCY_US`.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hornet_smpp::{check_frame, command_id, decode_header, encode, Bind, Body, Pdu, SubmitSm};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, d: u64| args.get(i).and_then(|s| s.parse().ok()).unwrap_or(d);
    let (conns, window, seconds, threads, receipts) =
        (arg(0, 4), arg(1, 256), arg(2, 5), arg(3, 1), arg(4, 0));
    let latency = Duration::from_micros(arg(5, 0));
    let latency = if arg(6, 0) == 1 {
        hornet_smsc::Latency::Uniform {
            min: Duration::ZERO,
            max: latency * 2,
        }
    } else {
        hornet_smsc::Latency::Fixed(latency)
    };
    let smsc = hornet_smsc::start(
        "127.0.0.1:0".parse().unwrap(),
        hornet_smsc::SmscConfig {
            threads: threads as usize,
            latency,
            ..Default::default()
        },
    )
    .unwrap();
    let addr = smsc.local_addr();
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let clients: Vec<_> = (0..conns)
        .map(|_| {
            let (stop, done) = (Arc::clone(&stop), Arc::clone(&done));
            std::thread::spawn(move || client(addr, window as usize, receipts == 1, &stop, &done))
        })
        .collect();
    let start = Instant::now();
    std::thread::sleep(Duration::from_secs(seconds));
    stop.store(true, Ordering::Relaxed);
    let elapsed = start.elapsed();
    let n = done.load(Ordering::Relaxed);
    for c in clients {
        c.join().unwrap();
    }
    println!(
        "{n} submit_sm_resp in {elapsed:.2?}: {:.0}/s ({conns} binds, window {window}, {threads} server threads)",
        n as f64 / elapsed.as_secs_f64()
    );
    print!("{}", smsc.counters().render());
}

fn client(addr: SocketAddr, window: usize, receipts: bool, stop: &AtomicBool, done: &AtomicU64) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_nodelay(true).unwrap();
    let mut out = Vec::new();
    let bind = Bind {
        system_id: b"blast",
        ..Bind::default()
    };
    encode(&Pdu::new(1, Body::BindTransceiver(bind)), &mut out).unwrap();
    s.write_all(&out).unwrap();
    let mut template = Vec::new();
    let sm = SubmitSm {
        source_addr: b"hornet",
        destination_addr: b"447700900123",
        short_message: b"Hello from the hornet load generator",
        registered_delivery: u8::from(receipts),
        ..SubmitSm::default()
    };
    encode(&Pdu::new(0, Body::SubmitSm(sm)), &mut template).unwrap();
    let mut seq = 1u32;
    let mut inflight = 0usize;
    let mut buf = vec![0u8; 256 * 1024];
    let (mut start, mut filled) = (0usize, 0usize);
    let mut local = 0u64;
    let mut bound = false;
    loop {
        out.clear();
        if bound && !stop.load(Ordering::Relaxed) {
            while inflight < window {
                seq += 1;
                let at = out.len();
                out.extend_from_slice(&template);
                out[at + 12..at + 16].copy_from_slice(&seq.to_be_bytes());
                inflight += 1;
            }
        }
        if !out.is_empty() {
            s.write_all(&out).unwrap();
        } else if stop.load(Ordering::Relaxed) && inflight == 0 {
            break;
        }
        if start == filled {
            start = 0;
            filled = 0;
        } else if filled == buf.len() {
            buf.copy_within(start..filled, 0);
            filled -= start;
            start = 0;
        }
        let n = s.read(&mut buf[filled..]).unwrap();
        if n == 0 {
            break;
        }
        filled += n;
        out.clear();
        while let Some(len) = check_frame(&buf[start..filled], 1 << 16).unwrap() {
            let h = decode_header(&buf[start..start + len]).unwrap();
            match h.command_id {
                command_id::SUBMIT_SM_RESP => {
                    inflight -= 1;
                    local += 1;
                }
                command_id::BIND_TRANSCEIVER_RESP => bound = true,
                command_id::DELIVER_SM => {
                    let mut ack = [0u8; 17];
                    ack[..4].copy_from_slice(&17u32.to_be_bytes());
                    ack[4..8].copy_from_slice(&command_id::DELIVER_SM_RESP.to_be_bytes());
                    ack[12..16].copy_from_slice(&h.sequence_number.to_be_bytes());
                    out.extend_from_slice(&ack);
                }
                _ => {}
            }
            start += len;
        }
        if !out.is_empty() {
            s.write_all(&out).unwrap();
        }
        if local >= 4096 {
            done.fetch_add(local, Ordering::Relaxed);
            local = 0;
        }
    }
    done.fetch_add(local, Ordering::Relaxed);
}
