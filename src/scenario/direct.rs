//! Setup and teardown: the profile's steps before and after the load, run
//! one at a time on a blocking socket. They capture the values invariants
//! compare (a balance before and after) and must not be mixed into the
//! load's statistics.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use hornet_http1::{Limits, ResponseDecoder, Status};

use super::exchange::{judge, render_request, Capture, Scratch, Sinks};
use crate::profile::scenario::{Scenario, Step};
use crate::profile::template::{RenderCtx, Rng};
use crate::profile::values::Value;

/// What one setup or teardown step did.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StepReport {
    /// Request name.
    pub name: String,
    /// Response status (0: no response).
    pub status: u16,
    /// Milliseconds.
    #[serde(rename = "ms")]
    pub millis: f64,
    /// `None` if it passed, else why not.
    pub failure: Option<String>,
}

/// Runs `steps` in order; captures go into `globals` (setup values first,
/// then teardown values). Stops at the first failing step.
pub fn run_steps(
    scenario: &Scenario,
    steps: &[Step],
    globals: &mut [Value],
    reports: &mut Vec<StepReport>,
) -> bool {
    let mut scratch = Scratch::default();
    let mut cap = Capture::default();
    let mut rng = Rng::new(scenario.load.seed);
    let (setup_part, teardown_part) = globals.split_at_mut(scenario.globals.len());
    // `seq()` counts from 1 here too (its own sequence, apart from the load's).
    let counter = std::cell::Cell::new(0u64);
    for step in steps {
        let step = match step {
            Step::Sleep(d) => {
                std::thread::sleep(*d);
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
                    &out,
                    &*step.method == "HEAD",
                    scenario.timeout,
                    scenario.connect_timeout,
                    &mut cap,
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
                report.failure = judge(step, &cap, &mut sinks);
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

/// Sends one request on a fresh connection and decodes the response.
fn exchange(
    addr: std::net::SocketAddr,
    request: &[u8],
    head: bool,
    timeout: Duration,
    connect_timeout: Duration,
    cap: &mut Capture,
) -> Result<(), String> {
    let mut s =
        TcpStream::connect_timeout(&addr, connect_timeout).map_err(|e| format!("connect: {e}"))?;
    // The timeout bounds the whole exchange, not each read: a server that
    // trickles a byte at a time must not keep setup waiting.
    let deadline = Instant::now() + timeout;
    let left = || {
        deadline
            .checked_duration_since(Instant::now())
            .filter(|d| !d.is_zero())
            .ok_or_else(|| format!("no response within {}", humantime::format_duration(timeout)))
    };
    s.set_write_timeout(Some(left()?))
        .map_err(|e| e.to_string())?;
    s.write_all(request).map_err(|e| format!("write: {e}"))?;
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
        s.set_read_timeout(Some(left()?))
            .map_err(|e| e.to_string())?;
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
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return Err(format!(
                    "no response within {}",
                    humantime::format_duration(timeout)
                ))
            }
            Err(e) => return Err(format!("read: {e}")),
        }
    }
}
