//! hornet smpp against hand-written misbehaving SMSCs: unknown commands,
//! stray responses, oversized PDUs, refused connections. Counted, answered
//! or reported; never a panic or a hang.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use clap::Parser;
use hornet::cli::{Cli, Command};
use hornet::engine::run_smpp;
use hornet::report::smpp_result::SmppResult;
use hornet_smpp::{
    check_frame, decode, encode, BindResp, Body, CommandStatus, MessageIdResp, Pdu, Tlvs,
    DEFAULT_MAX_PDU,
};

fn run(endpoint: &str, args: &[&str]) -> SmppResult {
    let mut argv = vec![
        "hornet",
        "smpp",
        endpoint,
        "--system-id",
        "esme",
        "--password",
        "pw",
        "-q",
        "--sessions",
        "1",
        "-t",
        "1",
    ];
    argv.extend_from_slice(args);
    let Command::Smpp(smpp) = Cli::try_parse_from(argv).unwrap().command else {
        unreachable!()
    };
    let plan = smpp.into_plan().unwrap();
    let out = run_smpp(&plan, |_, _| {}).unwrap();
    SmppResult::new(&plan, &out)
}

/// Reads one whole PDU (bounded by the stream's read timeout).
fn read_pdu(s: &mut TcpStream, buf: &mut Vec<u8>) -> Option<Vec<u8>> {
    loop {
        if let Ok(Some(len)) = check_frame(buf, DEFAULT_MAX_PDU) {
            let frame = buf[..len].to_vec();
            buf.drain(..len);
            return Some(frame);
        }
        let mut chunk = [0u8; 4096];
        match s.read(&mut chunk) {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

fn send(s: &mut TcpStream, pdu: Pdu<'_>) {
    let mut out = Vec::new();
    encode(&pdu, &mut out).unwrap();
    let _ = s.write_all(&out);
}

/// A one-connection SMSC that binds the client, then runs `script`, then
/// answers submits until the client unbinds. Reports every PDU id it got.
fn fault_smsc(
    script: impl FnOnce(&mut TcpStream) + Send + 'static,
) -> (String, mpsc::Receiver<Vec<(u32, u32)>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        s.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
        let mut buf = Vec::new();
        let mut seen = Vec::new();
        let bind = read_pdu(&mut s, &mut buf).unwrap();
        let bind = decode(&bind).unwrap();
        send(
            &mut s,
            Pdu {
                sequence_number: bind.sequence_number,
                command_status: CommandStatus::ESME_ROK,
                body: Body::BindTransceiverResp(BindResp {
                    system_id: b"fault",
                    tlvs: Tlvs::List(&[]),
                }),
            },
        );
        script(&mut s);
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            let Some(frame) = read_pdu(&mut s, &mut buf) else {
                break;
            };
            let Ok(pdu) = decode(&frame) else { break };
            seen.push((pdu.command_id().as_u32(), pdu.command_status.0));
            match pdu.body {
                Body::SubmitSm(_) => send(
                    &mut s,
                    Pdu::new(
                        pdu.sequence_number,
                        Body::SubmitSmResp(MessageIdResp {
                            message_id: b"1000",
                            tlvs: Tlvs::List(&[]),
                        }),
                    ),
                ),
                Body::Unbind => {
                    send(&mut s, Pdu::new(pdu.sequence_number, Body::UnbindResp));
                    break;
                }
                _ => {}
            }
        }
        let _ = tx.send(seen);
    });
    (addr, rx)
}

#[test]
fn an_unknown_command_is_answered_with_generic_nack() {
    let (addr, seen) = fault_smsc(|s| {
        // command_id 0x00000099 does not exist in SMPP.
        let pdu = [0, 0, 0, 16, 0, 0, 0, 0x99, 0, 0, 0, 0, 0, 0, 0, 7];
        s.write_all(&pdu).unwrap();
    });
    let r = run(&addr, &["-R", "20", "-d", "300ms"]);
    assert!(r.accounting_holds(), "{r:#?}");
    assert!(r.ok > 0, "{r:#?}");
    let seen = seen.recv_timeout(Duration::from_secs(10)).unwrap();
    assert!(
        seen.contains(&(0x8000_0000, CommandStatus::ESME_RINVCMDID.0)),
        "{seen:x?}"
    );
}

#[test]
fn a_response_to_an_unknown_sequence_number_is_counted() {
    let (addr, _seen) = fault_smsc(|s| {
        send(
            s,
            Pdu::new(
                0x7777,
                Body::SubmitSmResp(MessageIdResp {
                    message_id: b"1",
                    tlvs: Tlvs::List(&[]),
                }),
            ),
        );
    });
    let r = run(&addr, &["-R", "20", "-d", "300ms"]);
    assert!(r.accounting_holds(), "{r:#?}");
    assert_eq!(r.unknown_responses, 1, "{r:#?}");
    assert!(r.ok > 0, "{r:#?}");
}

#[test]
fn an_oversized_pdu_drops_the_connection_and_is_counted() {
    let (addr, _seen) = fault_smsc(|s| {
        // command_length 1 MiB, far over the 64 KiB limit.
        let header = [0, 0x10, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 9];
        let _ = s.write_all(&header);
        std::thread::sleep(Duration::from_millis(100));
    });
    let r = run(&addr, &["-R", "50", "-d", "400ms", "--window", "4"]);
    assert!(r.accounting_holds(), "{r:#?}");
    // The session was dropped before its first submit was answered or
    // right after; either way nothing panicked and every submit is
    // accounted for. A reconnect to this one-shot server fails.
    assert!(r.connections_opened >= 1);
    assert!(
        r.errors.contains_key("parse") || r.errors.contains_key("connect_refused"),
        "{r:#?}"
    );
}

#[test]
fn a_refused_port_exits_1_with_the_reason() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_hornet"))
        .args([
            "smpp",
            &format!("127.0.0.1:{port}"),
            "--system-id",
            "a",
            "--password",
            "b",
            "-d",
            "300ms",
            "-q",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no session could bind"), "{err}");
    assert!(err.contains("connect_refused"), "{err}");
}

#[test]
fn bad_smpp_flags_exit_2() {
    for (args, needle) in [
        (
            vec!["smpp", "127.0.0.1:1", "--system-id", "a"],
            "--password",
        ),
        (
            vec!["smpp", "nowhere", "--system-id", "a", "--password", "b"],
            "invalid SMSC address",
        ),
        (
            vec![
                "smpp",
                "127.0.0.1:1",
                "--system-id",
                "a",
                "--password",
                "b",
                "--coding",
                "klingon",
            ],
            "klingon",
        ),
    ] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_hornet"))
            .args(&args)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
    }
}

#[test]
fn a_malformed_deliver_sm_is_refused_and_the_bind_stays() {
    let (addr, seen) = fault_smsc(|s| {
        // deliver_sm (0x00000005) whose body is 4 bytes of nothing useful.
        let pdu = [
            0, 0, 0, 20, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 42, 0xff, 0xff, 0xff, 0xff,
        ];
        s.write_all(&pdu).unwrap();
    });
    let r = run(&addr, &["-R", "20", "-d", "300ms"]);
    assert!(r.accounting_holds(), "{r:#?}");
    assert!(r.ok > 0, "{r:#?}");
    assert_eq!(r.connections_opened, 1, "the bind survived: {r:#?}");
    let seen = seen.recv_timeout(Duration::from_secs(10)).unwrap();
    assert!(
        seen.contains(&(0x8000_0000, CommandStatus::ESME_RINVMSGLEN.0)),
        "{seen:x?}"
    );
}

#[test]
fn an_smsc_that_closes_instead_of_binding_is_retried_with_backoff() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let accepted = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let count = std::sync::Arc::clone(&accepted);
    let server = std::thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            match listener.accept() {
                Ok((s, _)) => {
                    count.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    drop(s);
                }
                Err(_) => std::thread::sleep(Duration::from_millis(1)),
            }
        }
    });
    let r = run(&addr, &["-d", "500ms"]);
    assert!(r.accounting_holds(), "{r:#?}");
    assert_eq!(r.sessions.bound, 0);
    assert!(r.sessions.bind_failed >= 1, "{r:#?}");
    // 10 ms doubling backoff: a handful of attempts in half a second, not
    // a reconnect storm.
    assert!(r.connections_opened <= 10, "{r:#?}");
    assert!(r.nothing_worked());
    server.join().unwrap();
    assert!(accepted.load(std::sync::atomic::Ordering::Relaxed) <= 10);
}
