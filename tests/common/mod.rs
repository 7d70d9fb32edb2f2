//! Shared helpers for the integration tests: start targets and fault
//! servers on 127.0.0.1 port 0, run hornet through its library API.

#![allow(dead_code)]

pub mod certs;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use clap::Parser;
use hornet::cli::{Cli, Command};
use hornet::engine::run_http;
use hornet::report::HttpResult;
use hornet_target::{TargetConfig, TargetHandle};

/// Starts the built-in target on an ephemeral loopback port.
pub fn target(config: TargetConfig) -> TargetHandle {
    hornet_target::start("127.0.0.1:0".parse().unwrap(), config).expect("target starts")
}

/// Runs `hornet http URL ARGS...` through the library and returns the
/// result document.
pub fn run(url: &str, args: &[&str]) -> HttpResult {
    let mut argv = vec!["hornet", "http", url, "-q"];
    argv.extend_from_slice(args);
    let Command::Http(http) = Cli::try_parse_from(argv).expect("valid flags").command else {
        panic!("not an http command");
    };
    let plan = http.into_plan().expect("valid plan");
    let out = run_http(&plan, |_, _| {}).expect("run completes");
    HttpResult::new(&plan, &out)
}

/// The accounting equation, and that every error is tied to a request.
pub fn assert_accounting(r: &HttpResult) {
    assert_eq!(
        r.scheduled,
        r.requests + r.failed + r.timed_out + r.not_sent,
        "accounting: {r:#?}"
    );
    let errors: u64 = r.errors.values().sum();
    assert_eq!(errors, r.failed + r.timed_out, "errors by kind: {r:#?}");
    let statuses: u64 = r.status.values().sum();
    assert_eq!(statuses, r.requests);
}

/// A hand-written misbehaving server: `serve` is called for each accepted
/// connection (on the accept thread). Stops when dropped.
pub struct FaultServer {
    pub addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl FaultServer {
    pub fn start(serve: impl Fn(TcpStream) + Send + 'static) -> FaultServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            // Bounded: the test drops the server well before this.
            let deadline = Instant::now() + Duration::from_secs(60);
            while !flag.load(Ordering::Relaxed) && Instant::now() < deadline {
                match listener.accept() {
                    Ok((stream, _)) => {
                        stream.set_nonblocking(false).unwrap();
                        stream
                            .set_read_timeout(Some(Duration::from_secs(5)))
                            .unwrap();
                        serve(stream);
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(2)),
                }
            }
        });
        FaultServer {
            addr,
            stop,
            thread: Some(thread),
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }
}

impl Drop for FaultServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Reads one request head (up to the blank line) from a blocking stream.
pub fn read_head(stream: &mut TcpStream) -> bool {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => buf.push(byte[0]),
            _ => return false,
        }
        if buf.len() > 64 * 1024 {
            return false;
        }
    }
    true
}

/// Writes all of `bytes`, ignoring errors (the peer may be gone).
pub fn send(stream: &mut TcpStream, bytes: &[u8]) {
    let _ = stream.write_all(bytes);
}

/// Compiles `profile` (with `HOST` replaced by `host`) and runs it through
/// the library.
pub fn run_profile(profile: &str, host: &str) -> hornet::scenario::result::ScenarioResult {
    let text = profile.replace("HOST", host);
    let sc = hornet::profile::compile_str(
        std::path::Path::new("test.toml"),
        &text,
        &hornet::profile::Overrides::default(),
        &|_| None,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    hornet::scenario::run(sc, false).unwrap()
}
