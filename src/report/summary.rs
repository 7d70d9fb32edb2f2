//! The human summary printed on stdout after a run.

use std::fmt::Write;

use super::common::{Generator, Percentiles};
use super::result::{HttpResult, RunConfig};

/// Formats microseconds with a unit a person reads at a glance.
pub fn fmt_us(us: u64) -> String {
    if us < 1_000 {
        format!("{us}us")
    } else if us < 1_000_000 {
        format!("{:.2}ms", us as f64 / 1e3)
    } else {
        format!("{:.2}s", us as f64 / 1e6)
    }
}

/// Formats an integer with thousands separators.
pub fn fmt_count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// Appends one aligned row of latency percentiles.
pub fn latency_row(out: &mut String, label: &str, p: &Percentiles) {
    let _ = writeln!(
        out,
        "  {label:<12} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}",
        fmt_us(p.p50),
        fmt_us(p.p90),
        fmt_us(p.p99),
        fmt_us(p.p999),
        fmt_us(p.max),
        fmt_us(p.mean.round() as u64),
    );
}

/// The accounting equation's `abandoned` term: shown only when a signal
/// left requests in flight, so uninterrupted runs read as before.
pub fn abandoned_term(n: u64) -> String {
    if n == 0 {
        String::new()
    } else {
        format!(" + abandoned {}", fmt_count(n))
    }
}

/// `, N lost with nothing in flight (reset: N)` when usable connections
/// failed between requests; empty otherwise.
pub fn lost_clause(lost: &std::collections::BTreeMap<String, u64>) -> String {
    let n: u64 = lost.values().sum();
    if n == 0 {
        return String::new();
    }
    let kinds: Vec<String> = lost
        .iter()
        .map(|(k, c)| format!("{k}: {}", fmt_count(*c)))
        .collect();
    format!(
        ", {} lost with nothing in flight ({})",
        fmt_count(n),
        kinds.join(", ")
    )
}

/// The note for a run SIGINT (Ctrl-C) or SIGTERM stopped early.
pub fn interrupted_line(out: &mut String) {
    let _ = writeln!(
        out,
        "  note         {}: the load stopped early; requests in flight had 0.3 s to settle (any still unanswered are counted as abandoned) and every count above is complete",
        crate::interrupt::label()
    );
}

/// The local-resource warning: failures that are hornet's own (open
/// files, local ports, socket buffers), not the target's.
pub fn local_resource_line(out: &mut String, errors: &std::collections::BTreeMap<String, u64>) {
    let kind = crate::metrics::ErrorKind::LocalResource.name();
    if let Some(n) = errors.get(kind).filter(|n| **n > 0) {
        let _ = writeln!(
            out,
            "  warning      {kind}: {} failures were hornet's own, not the target's: {}",
            fmt_count(*n),
            crate::metrics::ErrorKind::LOCAL_RESOURCE_HINT
        );
    }
}

/// The `--threshold` table and the verdict, when thresholds were given.
pub fn verdict_lines(
    out: &mut String,
    thresholds: &[super::verdict::LimitVerdict],
    verdict: Option<&str>,
) {
    let Some(verdict) = verdict else {
        return;
    };
    let _ = writeln!(out);
    let _ = writeln!(out, "  thresholds");
    for t in thresholds {
        let _ = writeln!(
            out,
            "    {:<4}  {:<32} actual {}",
            if t.pass { "PASS" } else { "FAIL" },
            t.limit,
            t.actual
        );
    }
    let failed = thresholds.iter().filter(|t| !t.pass).count();
    let _ = writeln!(
        out,
        "  verdict      {}",
        if verdict == "pass" {
            "PASS".to_string()
        } else {
            format!("FAIL ({failed} of {} thresholds failed)", thresholds.len())
        }
    );
}

/// Appends the generator's health: CPU, schedule lag (open model) and any
/// warning that hornet itself was the bottleneck.
pub fn generator_lines(out: &mut String, g: &Generator, open_model: bool) {
    let mut gen = format!(
        "  generator    {} workers, {:.2} CPU-s, busiest worker {:.0}% of a core",
        g.workers,
        g.cpu_s,
        g.max_worker_busy * 100.0
    );
    if open_model {
        let _ = write!(
            gen,
            ", schedule lag p99 {} max {}, {} late sends",
            fmt_us(g.schedule_lag_us.p99),
            fmt_us(g.schedule_lag_us.max),
            fmt_count(g.late_sends)
        );
    }
    let _ = writeln!(out, "{gen}");
    for note in &g.notes {
        let _ = writeln!(out, "  warning      {note}");
    }
}

/// `key: count` pairs joined, or `none`.
pub fn join_counts(map: &std::collections::BTreeMap<String, u64>) -> String {
    if map.is_empty() {
        return "none".to_string();
    }
    map.iter()
        .map(|(k, n)| format!("{k}: {}", fmt_count(*n)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The first line: what ran, against what, how.
fn header(out: &mut String, c: &RunConfig) {
    let model = match c.rate {
        Some(rate) => format!("open model at {rate} req/s"),
        None => "closed model".to_string(),
    };
    let _ = writeln!(
        out,
        "hornet {} {} - {model}, {} connections, {} threads, pipeline {}{}, {}s",
        c.method,
        crate::report::common::redact_url(&c.url),
        c.connections,
        c.threads,
        c.pipeline,
        if c.new_conn {
            ", one request per connection"
        } else {
            ""
        },
        c.duration_s
    );
}

/// Renders the summary text.
pub fn render(r: &HttpResult) -> String {
    let mut out = String::new();
    let c = &r.config;
    header(&mut out, c);
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "  requests     {} responses in {:.2}s = {:.1} req/s ({} ok)",
        fmt_count(r.requests),
        r.duration_s,
        r.throughput,
        fmt_count(r.ok)
    );
    let _ = writeln!(
        out,
        "  latency      {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}",
        "p50", "p90", "p99", "p99.9", "max", "mean"
    );
    latency_row(&mut out, "corrected", &r.latency_us);
    latency_row(&mut out, "uncorrected", &r.latency_uncorrected_us);
    let _ = writeln!(out, "  status       {}", join_counts(&r.status));
    let _ = writeln!(out, "  errors       {}", join_counts(&r.errors));
    let _ = writeln!(
        out,
        "  accounting   scheduled {} = completed {} + failed {} + timed_out {} + not_sent {}{} ({})",
        fmt_count(r.scheduled),
        fmt_count(r.requests),
        fmt_count(r.failed),
        fmt_count(r.timed_out),
        fmt_count(r.not_sent),
        abandoned_term(r.abandoned),
        if r.accounting_holds() {
            "holds"
        } else {
            "DOES NOT HOLD: this is a bug in hornet"
        }
    );
    let _ = writeln!(
        out,
        "  connections  {} opened, {} open at peak{}",
        fmt_count(r.connections_opened),
        fmt_count(r.connections_peak),
        lost_clause(&r.connections_lost)
    );
    if let Some(tls) = &r.tls {
        tls.render(&mut out);
    }
    if r.interrupted {
        interrupted_line(&mut out);
    }
    local_resource_line(&mut out, &r.errors);
    generator_lines(&mut out, &r.generator, c.rate.is_some());
    if r.clamped_samples > 0 {
        let _ = writeln!(
            out,
            "  note         {} latency samples exceeded 1 h and were recorded as 1 h",
            fmt_count(r.clamped_samples)
        );
    }
    let _ = writeln!(out);
    out.push_str(&crate::report::locust_csv::console_table(
        &crate::report::locust_csv::CsvReport::from_http(r),
    ));
    verdict_lines(&mut out, &r.thresholds, r.verdict.as_deref());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_and_separators() {
        assert_eq!(fmt_us(999), "999us");
        assert_eq!(fmt_us(1_500), "1.50ms");
        assert_eq!(fmt_us(2_500_000), "2.50s");
        assert_eq!(fmt_count(0), "0");
        assert_eq!(fmt_count(1234567), "1,234,567");
        assert_eq!(fmt_count(100), "100");
    }
}
