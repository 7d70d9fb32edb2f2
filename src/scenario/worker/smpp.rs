//! A user's SMPP steps: rendering a submit_sm on the user's bind and
//! handling what the bind reads (answers, a refused bind, a broken session).

use std::sync::atomic::Ordering;

use hornet_smpp::CommandStatus;
use mio::Token;

use super::*;
use crate::profile::scenario::{SmppStep, Step};
use crate::scenario::failure::{ErrorDetail, Failure, RenderFailure};
use crate::scenario::smpp_conn::{SmppConn, SmppProgress};
use crate::scenario::user::Wait;

impl Worker {
    /// Renders and queues an SMPP submit. Returns true if the user now
    /// waits.
    pub(super) fn send_smpp(
        &mut self,
        sc: &Scenario,
        key: usize,
        step: &SmppStep,
        now: u64,
    ) -> bool {
        let target = sc
            .smpp
            .as_ref()
            .expect("compile requires [target.smpp] for smpp steps");
        if self.users[key].smpp.is_none() {
            if self.wait_to_reconnect(key, now) {
                return true;
            }
            let tls = self.smpp_tls.as_ref();
            let config = self.smpp_config.as_ref().expect("set with [target.smpp]");
            let token = Token(key * 2 + 1);
            match SmppConn::connect(target, config, tls, &self.registry, token) {
                Ok(c) => self.users[key].smpp = Some(c),
                Err(e) => return self.connect_failed(key, step.name, &e, now),
            }
        }
        let u = &mut self.users[key];
        // The SMSC throttled this bind: the submit waits out the pause,
        // as `hornet smpp`'s binds do, instead of hammering it at once.
        if let Some(until) = u.smpp.as_mut().and_then(|c| c.throttled_until(now)) {
            u.wait = Wait::Timer;
            self.arm(key, until);
            return true;
        }
        let seq = &self.s.shared.seq;
        let next_seq = || seq.fetch_add(1, Ordering::Relaxed) + 1;
        let conn = u.smpp.take().expect("just connected");
        let mut ctx = u.render_ctx(&self.s.globals, &sc.feeds, &next_seq);
        if let Some(var) = step.missing(&ctx) {
            u.smpp = Some(conn);
            return self.skip(key, step.name, &step.needs, var, now);
        }
        let [src, dst, text, enc] = &mut self.smpp_scratch;
        src.clear();
        dst.clear();
        text.clear();
        step.source.render(&mut ctx, src);
        step.destination.render(&mut ctx, dst);
        step.text.render(&mut ctx, text);
        let conn = u.smpp.insert(conn);
        let name = &mut self.stats.names[step.name];
        name.requests += 1;
        let queued = match std::str::from_utf8(text) {
            Ok(t) if src.len() <= 20 && dst.len() <= 20 => conn
                .submit(now, now, src, dst, t, step.registered_delivery, enc)
                .map_err(|words| RenderFailure::Submit(words.into())),
            Ok(_) => Err(RenderFailure::AddressTooLong),
            Err(_) => Err(RenderFailure::TextNotUtf8),
        };
        if let Err(e) = queued {
            name.check_failed += 1;
            *name.reasons.entry(Failure::Render(e)).or_default() += 1;
            self.stats.render_errors += 1;
            u.step += 1;
            return false;
        }
        u.intended = u.arrival.take().unwrap_or(now);
        u.sent_at = now;
        u.wait = Wait::Response;
        self.in_flight += 1;
        let at = now.saturating_add(sc.timeout.as_nanos() as u64);
        self.arm_timeout(key, at);
        // Writes now if the socket is up and bound; else on its event.
        self.on_smpp_event(key);
        true
    }

    pub(super) fn on_smpp_event(&mut self, key: usize) {
        let now = self.s.clock.now();
        let sc = self.s.scenario.clone();
        let Some(u) = self.users.get_mut(key) else {
            return;
        };
        let waiting = u.wait == Wait::Response
            && matches!(u.current(&sc.classes[u.class]), Some(Step::Smpp(_)));
        let Some(conn) = u.smpp.as_mut() else {
            return;
        };
        // SMPP sessions read on every event, so every event counts as
        // readable (for TLS: the socket may hold new records).
        let clock = self.s.clock;
        let tls = &mut self.stats.smpp_tls;
        let progress = match conn.on_ready(true, &|| clock.now(), tls, &mut self.smpp_rec) {
            Ok((p, again)) => {
                if again {
                    self.again.push(Token(key * 2 + 1));
                }
                Ok(p)
            }
            Err(e) => Err(e),
        };
        if conn.take_just_bound() && waiting {
            // The submit staged behind the bind goes out now: connection
            // setup and the bind are not its latency.
            u.sent_at = clock.now();
        }
        match progress {
            Ok(SmppProgress::Pending) => {}
            Ok(SmppProgress::Answered(status)) if waiting => self.submit_answered(key, status, now),
            Ok(SmppProgress::Answered(_)) => {}
            Ok(SmppProgress::BindRefused(status)) => self.bind_refused(key, status, waiting, now),
            Err(kind) => {
                if waiting {
                    self.fail(key, kind, now);
                } else if let Some(c) = u.smpp.take() {
                    // The session broke between submits (a malformed PDU,
                    // a reset): the next submit reconnects only after the
                    // back-off, so a session that breaks at once is not
                    // rebound in a busy loop.
                    c.close(&self.registry, &mut self.stats.smpp_tls);
                    u.conn_failed(now);
                }
            }
        }
    }

    /// The submit_sm_resp the user waited for: timed, and judged by its
    /// command_status; the user goes on.
    fn submit_answered(&mut self, key: usize, status: CommandStatus, now: u64) {
        let sc = self.s.scenario.clone();
        let u = &mut self.users[key];
        self.in_flight -= 1;
        u.deadline = None;
        let Some(Step::Smpp(step)) = u.current(&sc.classes[u.class]) else {
            return;
        };
        let n = &mut self.stats.names[step.name];
        n.record_latency(
            now.saturating_sub(u.intended),
            now.saturating_sub(u.sent_at),
        );
        u.conn_failures.reset();
        if status.is_ok() {
            n.passed += 1;
        } else {
            n.check_failed += 1;
            *n.reasons.entry(Failure::SubmitResp(status.0)).or_default() += 1;
        }
        u.step += 1;
        u.wait = Wait::Ready;
        self.ready.push_back(key);
    }

    /// The SMSC refused the user's bind: the session goes and the next one
    /// waits out the back-off; a submit waiting behind the bind never left
    /// (an error, not a failed check, and no throughput).
    fn bind_refused(&mut self, key: usize, status: CommandStatus, waiting: bool, now: u64) {
        let sc = self.s.scenario.clone();
        let u = &mut self.users[key];
        if let Some(c) = u.smpp.take() {
            c.close(&self.registry, &mut self.stats.smpp_tls);
        }
        u.conn_failed(now);
        if !waiting {
            return;
        }
        let Some(Step::Smpp(step)) = u.current(&sc.classes[u.class]) else {
            return;
        };
        let n = &mut self.stats.names[step.name];
        n.bind_failed += 1;
        n.not_sent += 1;
        *n.error_reasons
            .entry(ErrorDetail::BindRefused(status.0))
            .or_default() += 1;
        self.in_flight -= 1;
        self.abandon(key, now);
    }
}
