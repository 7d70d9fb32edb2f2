//! Setup and teardown: the profile's steps before and after the load, run
//! one at a time. They capture the values invariants compare (a balance
//! before and after) and must not be mixed into the load's statistics.
//!
//! Each exchange runs on the load's transport (TLS for an `https://`
//! host) over a non-blocking socket polled in short slices, so
//! a stop request (Ctrl-C) ends a step within [`STOP_SLICE`], whatever the
//! step's timeout, and the step reports [`INTERRUPTED`].

use std::io::{self, Read, Write};
use std::time::{Duration, Instant};

use mio::{Events, Interest, Poll, Token};

use hornet_http1::{Limits, ResponseDecoder, Status};

use super::exchange::{judge, render_request, Capture, Scratch, Sinks};
use super::failure::StepId;
use crate::profile::scenario::{Scenario, Step};
use crate::profile::template::{RenderCtx, Rng};
use crate::profile::values::Value;
pub use crate::report::scenario_result::StepReport;
use crate::tls::{Connect, TlsClient, Transport};

/// The failure of a step cut short by a stop request.
pub const INTERRUPTED: &str = "interrupted (Ctrl-C)";

/// Longest wait between two looks at the stop request.
const STOP_SLICE: Duration = Duration::from_millis(50);

/// Runs `steps` (the profile's setup or teardown: `part` is
/// [`StepId::SETUP`] or [`StepId::TEARDOWN`]) in order; captures go into
/// `globals` (setup values first, then teardown values). Stops at the
/// first failing step; a step cut
/// short because `stop()` became true fails with [`INTERRUPTED`].
pub fn run_steps(
    scenario: &Scenario,
    part: u16,
    globals: &mut [Value],
    reports: &mut Vec<StepReport>,
    stop: &dyn Fn() -> bool,
) -> bool {
    let mut scratch = Scratch::default();
    let mut cap = Capture::default();
    let mut rng = Rng::new(scenario.load.seed);
    let (setup_part, teardown_part) = globals.split_at_mut(scenario.globals.len());
    // `seq()` counts from 1 here too (its own sequence, apart from the load's).
    let counter = std::cell::Cell::new(0u64);
    let steps = if part == StepId::SETUP {
        &scenario.setup
    } else {
        &scenario.teardown
    };
    for (index, step) in steps.iter().enumerate() {
        let id = StepId {
            class: part,
            section: 0,
            step: u16::try_from(index).unwrap_or(u16::MAX),
        };
        let step = match step {
            Step::Sleep(d) => {
                if !sleep_unless(*d, stop) {
                    reports.push(StepReport {
                        name: "sleep".into(),
                        status: 0,
                        millis: 0.0,
                        failure: Some(INTERRUPTED.into()),
                    });
                    return false;
                }
                continue;
            }
            Step::Http(s) => s,
            Step::Smpp(_) => continue, // rejected by compile
        };
        let target = scenario.http.as_ref().expect("compile requires a host");
        let name = scenario.names[step.name].clone();
        let started = Instant::now();
        let mut out = Vec::new();
        let seq = || {
            counter.set(counter.get() + 1);
            counter.get()
        };
        let mut ctx = RenderCtx {
            globals: setup_part,
            user: &[],
            feeds: &scenario.feeds,
            rows: &[],
            user_id: 0,
            iteration: 0,
            seq: &seq,
            rng: &mut rng,
        };
        // Teardown templates may read teardown captures: render with both.
        let joined: Vec<Value>;
        if !teardown_part.is_empty() {
            joined = setup_part
                .iter()
                .chain(teardown_part.iter())
                .cloned()
                .collect();
            ctx.globals = &joined;
        }
        let result = render_request(step, target, &mut ctx, &mut scratch, &mut out)
            .map_err(|e| format!("render: {}", e.0))
            .and_then(|()| {
                cap.start(step);
                exchange(
                    target.addr,
                    target.tls.as_ref(),
                    &out,
                    &*step.method == "HEAD",
                    scenario.timeout,
                    scenario.connect_timeout,
                    &mut cap,
                    stop,
                )
            });
        let mut report = StepReport {
            name,
            status: cap.status,
            millis: started.elapsed().as_secs_f64() * 1000.0,
            failure: None,
        };
        match result {
            Err(e) => report.failure = Some(e),
            Ok(()) => {
                let mut sinks = Sinks {
                    globals: setup_part,
                    teardown: teardown_part,
                    user: &mut [],
                };
                report.failure = judge(step, id, &cap, &mut sinks).map(|f| f.describe(scenario));
            }
        }
        let failed = report.failure.is_some();
        reports.push(report);
        if failed {
            return false;
        }
    }
    true
}

/// Sleeps `d` in slices; false if `stop()` became true first.
fn sleep_unless(d: Duration, stop: &dyn Fn() -> bool) -> bool {
    let end = Instant::now() + d;
    loop {
        if stop() {
            return false;
        }
        let Some(left) = end.checked_duration_since(Instant::now()) else {
            return true;
        };
        if left.is_zero() {
            return true;
        }
        std::thread::sleep(left.min(STOP_SLICE));
    }
}

/// Sends one request on a fresh connection and decodes the response. The
/// connect is bounded by `connect_timeout`, the whole exchange by
/// `timeout` (a server trickling a byte at a time, or streaming without
/// end, cannot keep setup waiting), and every wait by `stop()`.
#[allow(clippy::too_many_arguments)]
fn exchange(
    addr: std::net::SocketAddr,
    tls: Option<&TlsClient>,
    request: &[u8],
    head: bool,
    timeout: Duration,
    connect_timeout: Duration,
    cap: &mut Capture,
    stop: &dyn Fn() -> bool,
) -> Result<(), String> {
    const SOCK: Token = Token(0);
    let mut poll = Poll::new().map_err(|e| format!("poll: {e}"))?;
    let mut events = Events::with_capacity(4);
    // The load's transport: TLS for an https:// host, as the users' own
    // connections (setup and teardown used to speak plain HTTP to it).
    let mut s = Transport::connect(addr, tls).map_err(|e| format!("connect: {e}"))?;
    poll.registry()
        .register(&mut s, SOCK, Interest::READABLE | Interest::WRITABLE)
        .map_err(|e| format!("poll: {e}"))?;
    let started = Instant::now();
    let connect_deadline = started + connect_timeout;
    // The timeout bounds the whole exchange, not each read.
    let deadline = started + timeout;
    let no_response = || format!("no response within {}", humantime::format_duration(timeout));
    // Waits for an event on the socket until `until`, a slice at a time,
    // looking at the stop request between slices.
    let mut wait = |poll: &mut Poll, until: Instant, late: &dyn Fn() -> String| loop {
        if stop() {
            return Err(INTERRUPTED.to_string());
        }
        let Some(left) = until
            .checked_duration_since(Instant::now())
            .filter(|d| !d.is_zero())
        else {
            return Err(late());
        };
        match poll.poll(&mut events, Some(left.min(STOP_SLICE))) {
            Ok(()) if !events.is_empty() => return Ok(()),
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(format!("poll: {e}")),
        }
    };
    // After each event: TLS forgets a drained socket and sends the records
    // it has queued.
    let ready = |s: &mut Transport| s.on_ready(true).map_err(|e| format!("tls: {e}"));
    // Connect (TCP, then the TLS handshake).
    loop {
        match s.poll_connect(0) {
            Ok(Connect::Ready(_)) => break,
            Ok(Connect::Pending) => {}
            Err(f) => {
                return Err(match f.tls {
                    Some(t) => format!("connect: TLS {}: {}", t.reason.name(), t.detail),
                    None => format!("connect: {}", f.kind.name()),
                })
            }
        }
        let late = || {
            format!(
                "connect: no connection within {}",
                humantime::format_duration(connect_timeout)
            )
        };
        wait(&mut poll, connect_deadline.min(deadline), &late)?;
        // A failure here shows in `poll_connect` next.
        let _ = s.on_ready(true);
    }
    // Write.
    let mut written = 0;
    while written < request.len() {
        match s.write(&request[written..]) {
            Ok(0) => return Err("write: the connection closed".into()),
            Ok(n) => written += n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                wait(&mut poll, deadline, &no_response)?;
                ready(&mut s)?;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(format!("write: {e}")),
        }
    }
    // Read and decode.
    let mut dec = ResponseDecoder::new(Limits::default());
    dec.expect(head);
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        if !buf.is_empty() {
            match dec.decode(&buf, &mut *cap) {
                Ok(Status::Complete { .. }) => return Ok(()),
                Ok(Status::Partial { consumed }) => {
                    buf.drain(..consumed);
                }
                Err(e) => return Err(format!("bad response: {e}")),
            }
        }
        // Between reads, even while bytes keep coming.
        if stop() {
            return Err(INTERRUPTED.to_string());
        }
        if Instant::now() >= deadline {
            return Err(no_response());
        }
        match s.read(&mut chunk) {
            Ok(0) => {
                return match dec.decode_eof(&mut *cap) {
                    Ok(Some(_)) => Ok(()),
                    _ => Err(
                        "the server closed the connection before the response was complete".into(),
                    ),
                }
            }
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                wait(&mut poll, deadline, &no_response)?;
                ready(&mut s)?;
            }
            Err(e) => return Err(format!("read: {e}")),
        }
    }
}
