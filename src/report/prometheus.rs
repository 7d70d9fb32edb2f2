//! `--prometheus ADDR`: the run's metrics in Prometheus' text format over
//! HTTP while it runs, for the Prometheus + Grafana setups users already
//! have. Counters by request name, status and error kind, a latency
//! histogram with fixed buckets, active users / connections / binds, the
//! current and target rate, and for TLS targets handshakes, their time and
//! failures by reason.
//!
//! This module only renders the text; `crate::serve::prometheus` serves
//! it over HTTP (a report never sees a socket).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use hdrhistogram::Histogram;

use crate::metrics::tls::TlsMetrics;
use crate::tls::TlsReason;

/// Histogram bucket bounds, seconds.
const BUCKETS_S: [f64; 15] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// One request name's counters so far.
#[derive(Debug)]
pub struct Series<'a> {
    /// Request name.
    pub name: &'a str,
    /// Requests that ended.
    pub requests: u64,
    /// Of which failed.
    pub failures: u64,
    /// Responses by status (HTTP code, SMPP `0x...`).
    pub statuses: BTreeMap<String, u64>,
    /// Errors by kind or reason.
    pub errors: BTreeMap<String, u64>,
    /// Corrected latency so far, microseconds.
    pub latency: &'a Histogram<u64>,
}

/// Everything one scrape shows.
#[derive(Debug)]
pub struct Snapshot<'a> {
    /// Per request name.
    pub series: Vec<Series<'a>>,
    /// Users, connections or binds alive.
    pub active: u64,
    /// What `active` counts.
    pub active_label: &'a str,
    /// Responses per second in the last interval.
    pub rate: f64,
    /// What the load model asks for now (open model).
    pub target_rate: Option<f64>,
    /// TLS so far, per TLS target (`http`, `smpp`).
    pub tls: Vec<(&'a str, &'a TlsMetrics)>,
}

/// Renders `s` in the text exposition format.
pub fn render(s: &Snapshot<'_>) -> String {
    let mut o = String::new();
    per_name(&mut o, &s.series);
    if !s.tls.is_empty() {
        tls(&mut o, &s.tls);
    }
    gauges(&mut o, s);
    o
}

/// A metric family's `# HELP` and `# TYPE` lines.
fn family(o: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(o, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

/// Counters and latency per request name.
fn per_name(o: &mut String, series: &[Series<'_>]) {
    family(
        o,
        "hornet_requests_total",
        "counter",
        "Requests that ended (responses, errors, timeouts).",
    );
    for x in series {
        let _ = writeln!(
            o,
            "hornet_requests_total{{name=\"{}\"}} {}",
            label(x.name),
            x.requests
        );
    }
    family(
        o,
        "hornet_failures_total",
        "counter",
        "Requests that failed (error status, failed check, transport error, timeout).",
    );
    for x in series {
        let _ = writeln!(
            o,
            "hornet_failures_total{{name=\"{}\"}} {}",
            label(x.name),
            x.failures
        );
    }
    family(
        o,
        "hornet_responses_total",
        "counter",
        "Responses by status.",
    );
    for x in series {
        for (st, n) in &x.statuses {
            let _ = writeln!(
                o,
                "hornet_responses_total{{name=\"{}\",status=\"{}\"}} {n}",
                label(x.name),
                label(st)
            );
        }
    }
    family(
        o,
        "hornet_errors_total",
        "counter",
        "Failures by error kind or check reason.",
    );
    for x in series {
        for (k, n) in &x.errors {
            let _ = writeln!(
                o,
                "hornet_errors_total{{name=\"{}\",kind=\"{}\"}} {n}",
                label(x.name),
                label(k)
            );
        }
    }
    family(
        o,
        "hornet_latency_seconds",
        "histogram",
        "Latency, corrected for coordinated omission in the open model.",
    );
    for x in series {
        let labels = format!("name=\"{}\"", label(x.name));
        histogram(o, "hornet_latency_seconds", &labels, x.latency);
    }
}

/// Handshakes, failures by reason and handshake time per TLS target.
fn tls(o: &mut String, tls: &[(&str, &TlsMetrics)]) {
    family(
        o,
        "hornet_tls_handshakes_total",
        "counter",
        "TLS handshakes completed, full or resumed.",
    );
    for (target, t) in tls {
        let full = t.handshakes - t.resumed;
        let _ = writeln!(
            o,
            "hornet_tls_handshakes_total{{target=\"{target}\",kind=\"full\"}} {full}"
        );
        let _ = writeln!(
            o,
            "hornet_tls_handshakes_total{{target=\"{target}\",kind=\"resumed\"}} {}",
            t.resumed
        );
    }
    family(
        o,
        "hornet_tls_errors_total",
        "counter",
        "TLS failures by reason.",
    );
    for (target, t) in tls {
        for r in TlsReason::ALL {
            let n = t.errors[r as usize];
            if n > 0 {
                let _ = writeln!(
                    o,
                    "hornet_tls_errors_total{{target=\"{target}\",reason=\"{}\"}} {n}",
                    r.name()
                );
            }
        }
    }
    family(
        o,
        "hornet_tls_handshake_seconds",
        "histogram",
        "TLS handshake time, TCP connected to handshake complete.",
    );
    for (target, t) in tls {
        let labels = format!("target=\"{target}\"");
        histogram(o, "hornet_tls_handshake_seconds", &labels, &t.handshake);
    }
}

/// Users, connections or binds alive, and the rates.
fn gauges(o: &mut String, s: &Snapshot<'_>) {
    family(
        o,
        "hornet_active",
        "gauge",
        "Users, connections or binds alive.",
    );
    let _ = writeln!(
        o,
        "hornet_active{{what=\"{}\"}} {}",
        label(s.active_label),
        s.active
    );
    family(
        o,
        "hornet_rate_per_second",
        "gauge",
        "Responses per second over the last interval.",
    );
    let _ = writeln!(o, "hornet_rate_per_second {}", s.rate);
    if let Some(t) = s.target_rate {
        family(
            o,
            "hornet_target_rate_per_second",
            "gauge",
            "Rate the load model asks for now.",
        );
        let _ = writeln!(o, "hornet_target_rate_per_second {t}");
    }
}

/// Writes `h` (microseconds) as a Prometheus histogram in seconds.
fn histogram(o: &mut String, metric: &str, labels: &str, h: &Histogram<u64>) {
    for b in BUCKETS_S {
        let us = (b * 1e6) as u64;
        let count = if h.is_empty() {
            0
        } else {
            h.count_between(0, us)
        };
        let _ = writeln!(o, "{metric}_bucket{{{labels},le=\"{b}\"}} {count}");
    }
    let _ = writeln!(o, "{metric}_bucket{{{labels},le=\"+Inf\"}} {}", h.len());
    let sum = if h.is_empty() {
        0.0
    } else {
        h.mean() * h.len() as f64 / 1e6
    };
    let _ = writeln!(o, "{metric}_sum{{{labels}}} {sum}");
    let _ = writeln!(o, "{metric}_count{{{labels}}} {}", h.len());
}

/// Escapes a label value.
fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposition_format() {
        let mut tls = TlsMetrics::default();
        tls.record_handshake(2_000_000, false);
        tls.record_handshake(300_000, true);
        tls.errors[TlsReason::Expired as usize] = 3;
        let mut h = crate::metrics::new_histogram();
        h.record(800).unwrap();
        h.record(20_000).unwrap();
        let snap = Snapshot {
            series: vec![Series {
                name: "GET \"/x\"",
                requests: 2,
                failures: 1,
                statuses: [("200".to_string(), 1)].into(),
                errors: [("timeout".to_string(), 1)].into(),
                latency: &h,
            }],
            active: 5,
            active_label: "users",
            rate: 10.0,
            target_rate: Some(12.0),
            tls: vec![("http", &tls)],
        };
        let text = render(&snap);
        assert!(
            text.contains("hornet_requests_total{name=\"GET \\\"/x\\\"\"} 2"),
            "{text}"
        );
        assert!(text.contains("le=\"0.001\"} 1"), "{text}");
        assert!(text.contains("le=\"0.025\"} 2"), "{text}");
        assert!(text.contains("le=\"+Inf\"} 2"), "{text}");
        assert!(text.contains("hornet_target_rate_per_second 12"), "{text}");
        assert!(
            text.contains("hornet_tls_handshakes_total{target=\"http\",kind=\"resumed\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("hornet_tls_errors_total{target=\"http\",reason=\"expired\"} 3"),
            "{text}"
        );
        assert!(
            text.contains("hornet_tls_handshake_seconds_bucket{target=\"http\",le=\"0.001\"} 1"),
            "{text}"
        );
    }
}
