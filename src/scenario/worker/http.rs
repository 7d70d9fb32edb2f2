//! A user's HTTP steps: rendering and sending the request on the user's
//! keep-alive connection, its readiness events, and judging the response.

use std::io;
use std::sync::atomic::Ordering;

use mio::Token;

use super::*;
use crate::metrics::ErrorKind;
use crate::profile::scenario::{HttpStep, Step};
use crate::profile::template::Source;
use crate::scenario::conn::{HttpConn, ReadResult};
use crate::scenario::exchange::{judge, render_request, Sinks};
use crate::scenario::failure::Failure;
use crate::scenario::user::Wait;

impl Worker {
    /// Renders and sends an HTTP step. Returns true if the user now waits.
    pub(super) fn send(&mut self, sc: &Scenario, key: usize, step: &HttpStep, now: u64) -> bool {
        let target = sc
            .http
            .as_ref()
            .expect("compile requires a host for HTTP steps");
        if self.users[key].http.is_none() {
            if self.wait_to_reconnect(key, now) {
                return true;
            }
            let tls = self.http_tls.as_ref();
            match HttpConn::connect(target.addr, tls, &self.registry, Token(key * 2)) {
                Ok(c) => self.users[key].http = Some(c),
                Err(e) => return self.connect_failed(key, step.name, &e, now),
            }
        }
        let u = &mut self.users[key];
        let seq = &self.s.shared.seq;
        let next_seq = || seq.fetch_add(1, Ordering::Relaxed) + 1;
        // The user lends its variables to the render beside its
        // connection, which stays in place (no copy of it).
        let (mut ctx, http) = u.render_ctx_http(&self.s.globals, &sc.feeds, &next_seq);
        if let Some(var) = step.missing(&ctx) {
            return self.skip(key, step.name, &step.needs, var, now);
        }
        let out = http.as_mut().expect("just connected").out();
        let name = &mut self.stats.names[step.name];
        name.requests += 1;
        let rendered = render_request(step, target, &mut ctx, &mut self.scratch, out);
        let conn = u.http.as_mut().expect("just connected");
        if let Err(e) = rendered {
            conn.out().clear();
            name.check_failed += 1;
            *name.reasons.entry(Failure::Render(e.0)).or_default() += 1;
            self.stats.render_errors += 1;
            u.step += 1;
            return false;
        }
        u.intended = u.arrival.take().unwrap_or(now);
        conn.capture().start(step);
        conn.queue(u.intended, &*step.method == "HEAD");
        u.sent_at = now;
        u.wait = Wait::Response;
        self.in_flight += 1;
        let flushed = if conn.connected {
            conn.flush(now)
        } else {
            Ok(())
        };
        let at = now.saturating_add(sc.timeout.as_nanos() as u64);
        self.arm_timeout(key, at);
        if let Err(kind) = flushed {
            self.fail(key, kind, now);
        }
        true
    }

    /// Closed model: a user whose last connection failed moments ago waits
    /// out its back-off before connecting again (true: it now waits). The
    /// open model's arrivals pace its connects already.
    pub(super) fn wait_to_reconnect(&mut self, key: usize, now: u64) -> bool {
        let u = &mut self.users[key];
        if self.schedule.is_some() || now >= u.reconnect_at {
            return false;
        }
        let at = u.reconnect_at;
        u.wait = Wait::Timer;
        self.arm(key, at);
        true
    }

    /// The step (request name `name`) needs `var`, one of its `needs`,
    /// which this iteration did not capture (or the capture found nothing):
    /// it is not sent, and the iteration ends there, as a Locust task that
    /// raises. It counts as a request of its name whose check failed, with
    /// the reason `skipped: missing VAR`. Returns true (the user waits: for
    /// its pause, the next arrival, or an `on_start` retry).
    pub(super) fn skip(
        &mut self,
        key: usize,
        name: usize,
        needs: &[(Source, Box<str>)],
        var: &str,
        now: u64,
    ) -> bool {
        let need = needs.iter().position(|(_, n)| &**n == var).unwrap_or(0);
        let failure = Failure::Skipped {
            step: self.users[key].step_id(),
            need: u16::try_from(need).unwrap_or(u16::MAX),
        };
        let n = &mut self.stats.names[name];
        n.requests += 1;
        n.check_failed += 1;
        *n.reasons.entry(failure).or_default() += 1;
        self.abandon(key, now);
        true
    }

    /// A socket could not even be created for request name `name`: the
    /// request counts as started and failed. Returns true (the user waits).
    pub(super) fn connect_failed(
        &mut self,
        key: usize,
        name: usize,
        e: &io::Error,
        now: u64,
    ) -> bool {
        self.stats.names[name].requests += 1;
        self.fail(key, ErrorKind::from_connect_error(e), now);
        true
    }

    pub(super) fn on_event(&mut self, key: usize, readable: bool, read_closed: bool) {
        // Borrowed, not cloned: an `Arc` clone per response is two atomic
        // operations on the hot path.
        let sc = &*self.s.scenario;
        let Some(u) = self.users.get_mut(key) else {
            return;
        };
        let waiting = u.wait == Wait::Response
            && matches!(u.current(&sc.classes[u.class]), Some(Step::Http(_)));
        let Some(conn) = u.http.as_mut() else {
            return;
        };
        // Connect, flush and read; the first failure decides.
        let outcome: Result<Option<ReadResult>, ErrorKind> = (|| {
            let was_connected = conn.connected;
            let clock = self.s.clock;
            if !conn.on_ready(readable, &|| clock.now(), &mut self.stats.http_tls)? {
                return Ok(None);
            }
            if !was_connected {
                self.stats.connects += 1;
                if waiting {
                    // The request goes out now, after TCP and TLS: setting
                    // up the connection is not its service time.
                    u.sent_at = clock.now();
                }
            }
            if conn.wants_write() {
                conn.flush(clock.now())?;
            }
            if !readable {
                return Ok(None);
            }
            if !waiting {
                // The server closed an idle keep-alive connection (or sent
                // bytes nobody asked for): the next request opens a new one.
                return Err(ErrorKind::ClosedEarly);
            }
            conn.read(&mut || clock.now(), read_closed).map(Some)
        })();
        match outcome {
            Ok(None) | Ok(Some(ReadResult::Pending)) => {}
            Ok(Some(ReadResult::More)) => self.again.push(Token(key * 2)),
            Ok(Some(ReadResult::Done {
                keep_alive,
                body_len,
                at,
            })) => self.complete(key, keep_alive, body_len, at),
            Err(kind) => self.fail_or_drop(key, kind, self.s.clock.now()),
        }
    }

    pub(super) fn fail_or_drop(&mut self, key: usize, kind: ErrorKind, now: u64) {
        let sc = self.s.scenario.clone();
        let u = &self.users[key];
        if u.wait == Wait::Response
            && matches!(u.current(&sc.classes[u.class]), Some(Step::Http(_)))
        {
            self.fail(key, kind, now);
        } else {
            self.drop_conn(key);
        }
    }

    pub(super) fn drop_conn(&mut self, key: usize) {
        if let Some(c) = self.users[key].http.take() {
            c.close(&self.registry, &mut self.stats.http_tls);
        }
    }

    /// The response completed at `now` (when its last bytes were read).
    pub(super) fn complete(&mut self, key: usize, keep_alive: bool, body_len: u64, now: u64) {
        // Borrowed, not cloned: an `Arc` clone per response is two atomic
        // operations on the hot path.
        let sc = &*self.s.scenario;
        let u = &mut self.users[key];
        let Some(Step::Http(step)) = u.current(&sc.classes[u.class]) else {
            return;
        };
        self.in_flight -= 1;
        u.deadline = None;
        u.conn_failures.reset();
        let id = u.step_id();
        let Some(conn) = u.http.as_mut() else {
            return;
        };
        let cap = conn.capture();
        let n = &mut self.stats.names[step.name];
        n.record_latency(
            now.saturating_sub(u.intended),
            now.saturating_sub(u.sent_at),
        );
        *n.status.entry(cap.status).or_default() += 1;
        n.bytes += body_len;
        let mut sinks = Sinks {
            globals: &mut [],
            teardown: &mut [],
            user: &mut u.vars,
        };
        match judge(step, id, cap, &mut sinks) {
            None => n.passed += 1,
            Some(reason) => {
                n.check_failed += 1;
                *n.reasons.entry(reason).or_default() += 1;
            }
        }
        if !keep_alive {
            if let Some(c) = u.http.take() {
                c.close(&self.registry, &mut self.stats.http_tls);
            }
        }
        u.step += 1;
        u.wait = Wait::Ready;
        self.ready.push_back(key);
    }
}
