//! The human summary printed on stdout after an SMPP run.

use std::fmt::Write;

use super::smpp_result::{SessionStats, SmppResult};
use super::summary::{fmt_count, generator_lines, join_counts, latency_row};

/// Renders the summary text.
pub fn render(r: &SmppResult) -> String {
    let mut out = String::new();
    let c = &r.config;
    let model = match c.rate {
        Some(rate) => format!("open model at {rate} submit_sm/s"),
        None => "closed model".to_string(),
    };
    let _ = writeln!(
        out,
        "hornet smpp {} - {} bind as '{}', {model}, {} sessions, window {}, {} threads, {}s",
        c.endpoint, c.bind, c.system_id, c.sessions, c.window, c.threads, c.duration_s
    );
    let _ = writeln!(out);
    let s = &r.submit_sm;
    let _ = writeln!(
        out,
        "  submit_sm    {} sent, {} ok = {:.1}/s, {} throttled, {} failed, {} timed out, {} not sent",
        fmt_count(s.sent),
        fmt_count(s.ok),
        r.throughput,
        fmt_count(s.throttled),
        fmt_count(s.failed),
        fmt_count(s.timed_out),
        fmt_count(s.not_sent)
    );
    let _ = writeln!(
        out,
        "  latency      {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}",
        "p50", "p90", "p99", "p99.9", "max", "mean"
    );
    latency_row(&mut out, "corrected", &r.latency_us);
    latency_row(&mut out, "uncorrected", &r.latency_uncorrected_us);
    if r.receipts.received > 0 || c.dlr {
        latency_row(&mut out, "receipt", &r.receipts.latency_us);
    }
    let _ = writeln!(out, "  status       {}", join_counts(&r.command_status));
    receipts(&mut out, r);
    sessions(&mut out, &r.sessions, &r.connections_lost);
    if r.generic_nacks > 0 || r.unknown_responses > 0 {
        let _ = writeln!(
            out,
            "  protocol     {} generic_nack, {} responses to unknown sequence numbers",
            fmt_count(r.generic_nacks),
            fmt_count(r.unknown_responses)
        );
    }
    let _ = writeln!(out, "  errors       {}", join_counts(&r.errors));
    accounting_line(&mut out, r);
    if let Some(tls) = &r.tls {
        tls.render(&mut out);
    }
    if r.interrupted {
        super::summary::interrupted_line(&mut out);
    }
    let mut local = r.errors.clone();
    for (k, n) in &r.connect_errors {
        *local.entry(k.clone()).or_default() += n;
    }
    super::summary::local_resource_line(&mut out, &local);
    generator_lines(&mut out, &r.generator, c.rate.is_some());
    let _ = writeln!(out);
    out.push_str(&crate::report::locust_csv::console_table(
        &crate::report::locust_csv::CsvReport::from_smpp(r),
    ));
    super::summary::verdict_lines(&mut out, &r.thresholds, r.verdict.as_deref());
    out
}

/// The accounting line: scheduled = ok + failed + throttled + timed_out +
/// not_sent (+ abandoned), and whether it holds.
fn accounting_line(out: &mut String, r: &SmppResult) {
    let s = &r.submit_sm;
    let _ = writeln!(
        out,
        "  accounting   scheduled {} = ok {} + failed {} + throttled {} + timed_out {} + not_sent {}{} ({})",
        fmt_count(r.scheduled),
        fmt_count(s.ok),
        fmt_count(s.failed),
        fmt_count(s.throttled),
        fmt_count(s.timed_out),
        fmt_count(s.not_sent),
        super::summary::abandoned_term(s.abandoned),
        if r.accounting_holds() {
            "holds"
        } else {
            "DOES NOT HOLD: this is a bug in hornet"
        }
    );
}

/// Delivery receipts, submits whose receipts cannot be matched, and
/// mobile-originated deliver_sm.
fn receipts(out: &mut String, r: &SmppResult) {
    let c = &r.config;
    let rc = &r.receipts;
    if rc.received > 0 || c.dlr {
        let _ = writeln!(
            out,
            "  receipts     {} received, {} matched, {} unmatched, {} still pending at the end ({})",
            fmt_count(rc.received),
            fmt_count(rc.matched),
            fmt_count(rc.unmatched),
            fmt_count(rc.pending),
            join_counts(&rc.stat)
        );
    }
    if rc.unmatchable > 0 {
        let why = if c.bind == "tx" {
            "asked for receipts on transmitter binds, which never receive deliver_sm: their receipts go to another bind (a receiver) and cannot be matched by this run"
        } else {
            "answered ESME_ROK with an empty message_id: their receipts cannot be matched"
        };
        let _ = writeln!(
            out,
            "  warning      {} submits {why}",
            fmt_count(rc.unmatchable)
        );
    }
    if r.deliver_sm > rc.received {
        let _ = writeln!(
            out,
            "  deliver_sm   {} received from the SMSC, {} of them mobile-originated",
            fmt_count(r.deliver_sm),
            fmt_count(r.deliver_sm - rc.received)
        );
    }
}

/// Binds, their failures and the last bind error.
fn sessions(out: &mut String, ss: &SessionStats, lost: &std::collections::BTreeMap<String, u64>) {
    let mut sessions = format!(
        "  sessions     {} bound, {} bind failed, {} reconnects, {} unbinds from the SMSC, {} enquire_link sent",
        fmt_count(ss.bound),
        fmt_count(ss.bind_failed),
        fmt_count(ss.reconnects),
        fmt_count(ss.unbinds_received),
        fmt_count(ss.enquire_links)
    );
    if ss.bind_timeouts + ss.bind_closed > 0 {
        let _ = write!(
            sessions,
            " ({} unanswered: {} timed out, {} closed)",
            fmt_count(ss.bind_timeouts + ss.bind_closed),
            fmt_count(ss.bind_timeouts),
            fmt_count(ss.bind_closed)
        );
    }
    if let Some(e) = &ss.last_bind_error {
        let what = if ss.bind_failed > ss.bind_timeouts + ss.bind_closed {
            "bind refused"
        } else {
            "bind unanswered"
        };
        let _ = write!(sessions, " ({what}: {e})");
    }
    sessions.push_str(&super::summary::lost_clause(lost));
    let _ = writeln!(out, "{sessions}");
}
