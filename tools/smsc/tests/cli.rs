//! The `hornet-smsc` binary: startup line, signals, exit codes.

mod common;

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};

use common::*;

const BIN: &str = env!("CARGO_BIN_EXE_hornet-smsc");

#[test]
fn serves_until_sigterm_then_prints_counters() {
    for signal in [libc::SIGTERM, libc::SIGINT] {
        let mut child = Command::new(BIN)
            .args([
                "--listen",
                "127.0.0.1:0",
                "--threads",
                "2",
                "--id-format",
                "decimal",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        let addr = line
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("{line:?}"))
            .trim()
            .parse()
            .unwrap();
        let mut c = Client::connect(addr);
        c.bind_trx();
        c.submit(0);
        assert!(c.recv().message_id().parse::<u64>().is_ok());
        // SAFETY: plain syscall on our own child's pid.
        assert_eq!(unsafe { libc::kill(child.id() as libc::pid_t, signal) }, 0);
        let status = child.wait().unwrap();
        assert!(status.success(), "{status:?}");
        let mut rest = String::new();
        stdout.read_to_string(&mut rest).unwrap();
        assert!(rest.contains("connections:            1\n"), "{rest}");
        assert!(rest.contains("submit_ok:              1\n"), "{rest}");
    }
}

#[test]
fn bad_flags_exit_2_with_a_message() {
    let out = Command::new(BIN)
        .args(["--latency", "uniform:9ms-1ms"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--latency"), "{err}");
}

#[test]
fn port_in_use_fails() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = Command::new(BIN)
        .args(["--listen", &addr])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot serve"));
}
