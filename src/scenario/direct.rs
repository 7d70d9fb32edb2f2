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

use mio::Token;

use hornet_http1::{Limits, ResponseDecoder, Status};

use super::exchange::{judge, render_request, Capture, Scratch, Sinks};
use super::failure::StepId;
use crate::engine::link;
use crate::engine::reactor::{EventLoop, Reactor};
use crate::profile::scenario::{HttpStep, Scenario, Step};
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
    let mut runner = Runner {
        scenario,
        scratch: Scratch::default(),
        cap: Capture::default(),
        rng: Rng::new(scenario.load.seed),
        // `seq()` counts from 1 here too (its own sequence, apart from the load's).
        counter: std::cell::Cell::new(0),
        stop,
    };
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
        let report = match step {
            Step::Sleep(d) => {
                if sleep_unless(*d, stop) {
                    continue;
                }
                StepReport {
                    name: "sleep".into(),
                    status: 0,
                    millis: 0.0,
                    failure: Some(INTERRUPTED.into()),
                }
            }
            Step::Http(s) => runner.http(s, id, globals),
            Step::Smpp(_) => continue, // rejected by compile
        };
        let failed = report.failure.is_some();
        reports.push(report);
        if failed {
            return false;
        }
    }
    true
}

/// What the steps of one setup or teardown share.
struct Runner<'s> {
    scenario: &'s Scenario,
    scratch: Scratch,
    cap: Capture,
    rng: Rng,
    counter: std::cell::Cell<u64>,
    stop: &'s dyn Fn() -> bool,
}

impl Runner<'_> {
    /// Renders, sends and judges one HTTP step.
    fn http(&mut self, step: &HttpStep, id: StepId, globals: &mut [Value]) -> StepReport {
        let scenario = self.scenario;
        let (setup_part, teardown_part) = globals.split_at_mut(scenario.globals.len());
        let target = scenario.http.as_ref().expect("compile requires a host");
        let started = Instant::now();
        let mut out = Vec::new();
        let counter = &self.counter;
        let seq = || {
            counter.set(counter.get() + 1);
            counter.get()
        };
        // Teardown templates may read teardown captures: render with both.
        let joined: Vec<Value>;
        let mut ctx = RenderCtx {
            globals: setup_part,
            user: &[],
            feeds: &scenario.feeds,
            rows: &[],
            user_id: 0,
            iteration: 0,
            seq: &seq,
            rng: &mut self.rng,
        };
        if !teardown_part.is_empty() {
            joined = setup_part
                .iter()
                .chain(teardown_part.iter())
                .cloned()
                .collect();
            ctx.globals = &joined;
        }
        let cap = &mut self.cap;
        let result = render_request(step, target, &mut ctx, &mut self.scratch, &mut out)
            .map_err(|e| format!("render: {}", e.0))
            .and_then(|()| {
                cap.start(step);
                let conn = Conn::new(target.addr, target.tls.as_ref(), scenario, self.stop)?;
                conn.exchange(&out, &*step.method == "HEAD", cap)
            });
        let mut report = StepReport {
            name: scenario.names[step.name].clone(),
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
                report.failure = judge(step, id, cap, &mut sinks).map(|f| f.describe(scenario));
            }
        }
        report
    }
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

/// One request on a fresh connection, with the bounds that apply to it.
struct Conn<'s> {
    /// The engine's event loop, used for one socket: its poll is the only
    /// kind in hornet.
    reactor: Reactor,
    s: Transport,
    stop: &'s dyn Fn() -> bool,
    /// The connect must end by then.
    connect_deadline: Instant,
    /// The whole exchange must end by then.
    deadline: Instant,
    connect_timeout: Duration,
    timeout: Duration,
}

const SOCK: Token = Token(0);

impl<'s> Conn<'s> {
    /// Starts a connect on the load's transport (TLS for an https://
    /// host, as the users' own connections: setup and teardown used to
    /// speak plain HTTP to it), bounded by the scenario's timeouts.
    fn new(
        addr: std::net::SocketAddr,
        tls: Option<&TlsClient>,
        scenario: &Scenario,
        stop: &'s dyn Fn() -> bool,
    ) -> Result<Conn<'s>, String> {
        let poll_error = |e: io::Error| format!("poll: {e}");
        let reactor = Reactor::new().map_err(poll_error)?;
        let net = reactor.net().map_err(poll_error)?;
        let s = link::open(addr, tls, &net, SOCK).map_err(|e| format!("connect: {e}"))?;
        let started = Instant::now();
        Ok(Conn {
            reactor,
            s,
            stop,
            connect_deadline: started + scenario.connect_timeout,
            // The timeout bounds the whole exchange, not each read.
            deadline: started + scenario.timeout,
            connect_timeout: scenario.connect_timeout,
            timeout: scenario.timeout,
        })
    }

    /// Sends `request` and decodes the response into `cap`. The connect is
    /// bounded by the connect timeout, the whole exchange by the timeout
    /// (a server trickling a byte at a time, or streaming without end,
    /// cannot keep setup waiting), and every wait by `stop()`.
    fn exchange(mut self, request: &[u8], head: bool, cap: &mut Capture) -> Result<(), String> {
        self.connect()?;
        self.write_all(request)?;
        self.read_response(head, cap)
    }

    fn no_response(&self) -> String {
        format!(
            "no response within {}",
            humantime::format_duration(self.timeout)
        )
    }

    /// Waits for an event on the socket until `until`, a slice at a time,
    /// looking at the stop request between slices.
    fn wait(&mut self, until: Instant, late: &dyn Fn() -> String) -> Result<(), String> {
        loop {
            if (self.stop)() {
                return Err(INTERRUPTED.to_string());
            }
            let Some(left) = until
                .checked_duration_since(Instant::now())
                .filter(|d| !d.is_zero())
            else {
                return Err(late());
            };
            match self.reactor.wait(left.min(STOP_SLICE)) {
                Ok(true) => return Ok(()),
                Ok(false) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(format!("poll: {e}")),
            }
        }
    }

    /// Waits for the socket within the exchange's deadline, then lets TLS
    /// forget a drained socket and send the records it has queued.
    fn wait_ready(&mut self) -> Result<(), String> {
        let late = self.no_response();
        self.wait(self.deadline, &|| late.clone())?;
        self.s.on_ready(true).map_err(|e| format!("tls: {e}"))
    }

    /// Connects: TCP, then the TLS handshake.
    fn connect(&mut self) -> Result<(), String> {
        loop {
            match self.s.poll_connect(0) {
                Ok(Connect::Ready(_)) => return Ok(()),
                Ok(Connect::Pending) => {}
                Err(f) => {
                    return Err(match f.tls {
                        Some(t) => format!("connect: TLS {}: {}", t.reason.name(), t.detail),
                        None => format!("connect: {}", f.kind.name()),
                    })
                }
            }
            let connect_timeout = self.connect_timeout;
            let late = || {
                format!(
                    "connect: no connection within {}",
                    humantime::format_duration(connect_timeout)
                )
            };
            self.wait(self.connect_deadline.min(self.deadline), &late)?;
            // A failure here shows in `poll_connect` next.
            let _ = self.s.on_ready(true);
        }
    }

    fn write_all(&mut self, request: &[u8]) -> Result<(), String> {
        let mut written = 0;
        while written < request.len() {
            match self.s.write(&request[written..]) {
                Ok(0) => return Err("write: the connection closed".into()),
                Ok(n) => written += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.wait_ready()?,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(format!("write: {e}")),
            }
        }
        Ok(())
    }

    fn read_response(&mut self, head: bool, cap: &mut Capture) -> Result<(), String> {
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
            if (self.stop)() {
                return Err(INTERRUPTED.to_string());
            }
            if Instant::now() >= self.deadline {
                return Err(self.no_response());
            }
            match self.s.read(&mut chunk) {
                Ok(0) => {
                    return match dec.decode_eof(&mut *cap) {
                        Ok(Some(_)) => Ok(()),
                        _ => Err(
                            "the server closed the connection before the response was complete"
                                .into(),
                        ),
                    }
                }
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.wait_ready()?,
                Err(e) => return Err(format!("read: {e}")),
            }
        }
    }
}
