//! The tables printed after a profile run: the run line, setup and
//! teardown steps, Locust's per-name table, accounting, user classes,
//! status codes, failures, TLS, the users' SMPP sessions, generator
//! warnings, captures, thresholds, invariants and the verdict. Read from
//! the result document only, so `hornet report` prints the same.

use std::fmt::Write as _;

use super::result::{NameResult, ScenarioResult, StepReport, UsersSmpp};

impl ScenarioResult {
    /// The tables printed after a run.
    pub fn render(&self) -> String {
        let mut o = String::new();
        let _ = writeln!(
            o,
            "\nprofile {} ({} model, {:.1}s, {} threads, {} users started, {} iterations)",
            self.profile,
            self.model,
            self.elapsed_s,
            self.threads,
            self.users_started,
            self.iterations
        );
        steps(&mut o, "setup", &self.setup);
        // Locust's end-of-run table (request counts are requests that
        // ended; interrupted ones are in the accounting line below).
        let _ = writeln!(o);
        o.push_str(&crate::report::locust_csv::console_table(
            &crate::report::locust_csv::CsvReport::from_scenario(self),
        ));
        self.render_accounting(&mut o);
        self.render_failures(&mut o);
        if let Some(tls) = &self.tls {
            tls.render(&mut o);
        }
        if let Some(tls) = &self.smpp_tls {
            let _ = writeln!(o, "SMSC:");
            tls.render(&mut o);
        }
        if let Some(smpp) = &self.smpp {
            let _ = writeln!(o, "{}", smpp.summary_line());
        }
        self.render_warnings(&mut o);
        steps(&mut o, "teardown", &self.teardown);
        for (phase, vals) in &self.captured {
            for (k, v) in vals {
                let _ = writeln!(o, "captured  {phase}.{k} = {v}");
            }
        }
        self.render_verdicts(&mut o);
        o
    }

    /// Where every request went, the user classes and the status codes.
    fn render_accounting(&self, o: &mut String) {
        let t = &self.total;
        let _ = writeln!(
            o,
            "accounting: {} requests = {} passed + {} failed checks + {} errors + {} interrupted",
            t.requests, t.passed, t.check_failed, t.errors, t.interrupted
        );
        if t.not_sent > 0 {
            let _ = writeln!(
                o,
                "not sent: {} of the errors never reached the target (connection or bind failed)",
                t.not_sent
            );
        }
        if self.classes.len() > 1 {
            let _ = writeln!(o, "user classes:");
            for c in &self.classes {
                let _ = writeln!(
                    o,
                    "  {:<32} {:>8} users {:>10} iterations ({:.1}%) {:>10} done",
                    truncate(&c.name, 32),
                    c.users,
                    c.iterations,
                    100.0 * c.iterations as f64 / self.iterations.max(1) as f64,
                    c.iterations_done
                );
            }
        }
        let statuses: Vec<String> = t.status.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        let _ = writeln!(
            o,
            "status codes: {}",
            if statuses.is_empty() {
                "none".into()
            } else {
                statuses.join(", ")
            }
        );
    }

    /// Failed checks and errors per request name.
    fn render_failures(&self, o: &mut String) {
        let failures: Vec<String> = self.requests.iter().flat_map(failure_lines).collect();
        if !failures.is_empty() {
            let _ = writeln!(o, "failures:");
            for f in failures {
                let _ = writeln!(o, "{f}");
            }
        }
    }

    /// The generator's own warnings: too few users, lateness, CPU.
    fn render_warnings(&self, o: &mut String) {
        if self.starved_starts > 0 || self.not_started > 0 {
            let _ = writeln!(
                o,
                "warning: the open model ran short of users: {} iterations started over 1 ms late with all {} users busy, {} never started (raise load.users)",
                self.starved_starts, self.users_started, self.not_started
            );
        }
        for n in &self.generator_notes {
            let _ = writeln!(o, "warning: {n}");
        }
    }

    /// Thresholds, invariants, why the run stopped, and the verdict.
    fn render_verdicts(&self, o: &mut String) {
        if !self.thresholds.is_empty() {
            let _ = writeln!(o, "\nthresholds:");
            for v in &self.thresholds {
                let _ = writeln!(
                    o,
                    "  {:<4}  {:<28} {:<28} actual {}",
                    pass_word(v.pass),
                    truncate(&v.request, 28),
                    v.limit,
                    v.actual
                );
            }
        }
        if !self.invariants.is_empty() {
            let _ = writeln!(o, "\ninvariants:");
            for v in &self.invariants {
                let _ = writeln!(o, "  {:<4}  {}", pass_word(v.pass), v.expr);
                if !v.detail.is_empty() && !v.pass {
                    let _ = writeln!(o, "        {}", v.detail);
                }
            }
        }
        if let Some(a) = &self.aborted {
            let _ = writeln!(o, "aborted: {a}");
        }
        if let Some(e) = &self.worker_error {
            let _ = writeln!(o, "error: {e} (results are partial)");
        }
        let _ = writeln!(o, "\nverdict: {}", pass_word(self.passed()));
    }
}

impl UsersSmpp {
    /// One line on the users' SMPP sessions: binds, command statuses and
    /// what the SMSC sent, the rare counters only when not zero.
    pub fn summary_line(&self) -> String {
        let ss = &self.sessions;
        let mut o = format!("SMPP sessions: {} bound", ss.bound);
        if ss.bind_failed > 0 {
            let why = ss.last_bind_error.as_deref().unwrap_or("unknown");
            let _ = write!(o, ", {} bind failed ({why})", ss.bind_failed);
        }
        let statuses: Vec<String> = self
            .command_status
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect();
        if !statuses.is_empty() {
            let _ = write!(o, "; submit_sm_resp {}", statuses.join(", "));
        }
        let _ = write!(
            o,
            "; {} deliver_sm ({} receipts), {} enquire_link received",
            self.deliver_sm, self.receipts, self.enquire_links_received
        );
        for (n, what) in [
            (self.throttled, "throttled"),
            (ss.reconnects, "rebinds"),
            (ss.unbinds_received, "unbinds received"),
            (self.generic_nacks, "generic_nack"),
            (self.unknown_responses, "unknown responses"),
        ] {
            if n > 0 {
                let _ = write!(o, ", {n} {what}");
            }
        }
        o
    }
}

/// One line per setup or teardown step.
fn steps(o: &mut String, phase: &str, steps: &[StepReport]) {
    for s in steps {
        let _ = writeln!(
            o,
            "{:<9} {:<28} status {:>3}  {:>8.2}ms  {}",
            phase,
            s.name,
            s.status,
            s.millis,
            s.failure.as_deref().unwrap_or("ok")
        );
    }
}

/// A request name's failure lines: failed checks by reason, then errors by
/// kind; a kind whose every error has a reason is printed as its reasons.
fn failure_lines(n: &NameResult) -> impl Iterator<Item = String> + '_ {
    let line = move |count: &u64, what: &str| {
        format!("  {:<32} {:>8}  {}", truncate(&n.name, 32), count, what)
    };
    let unexplained = n.error_kinds.iter().filter(move |(k, c)| {
        let prefix = format!("{k}: ");
        let explained: u64 = n
            .error_reasons
            .iter()
            .filter(|(r, _)| r.starts_with(&prefix))
            .map(|(_, c)| c)
            .sum();
        explained != **c
    });
    n.failures.iter().map(move |(r, c)| line(c, r)).chain(
        unexplained
            .chain(&n.error_reasons)
            .map(move |(k, c)| line(c, k)),
    )
}

fn pass_word(pass: bool) -> &'static str {
    if pass {
        "PASS"
    } else {
        "FAIL"
    }
}

/// `s` cut to `n` characters, the last one `~` when cut.
pub(super) fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n - 1).collect();
        t.push('~');
        t
    }
}
