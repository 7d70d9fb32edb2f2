//! The self-contained HTML report (`--html FILE`): one file, no script, no
//! fetch: inline CSS and inline SVG charts (throughput, latency percentiles,
//! users or connections, errors over time; the latency spectrum), the
//! per-name table, failures, thresholds and invariants, and the run's
//! configuration. Every string that came from a profile or a server is
//! escaped.

use std::fmt::Write as _;

use super::locust_csv::HistoryRow;
use super::svg::{esc, spectrum_chart, time_chart, Line};
use super::tls::TlsReport;
use super::view::RunView;

impl RunView {
    /// The HTML page of the run.
    pub fn render(&self) -> String {
        let mut o = String::with_capacity(64 * 1024);
        let _ = write!(
            o,
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>{}</style></head><body>",
            esc(&self.title),
            CSS
        );
        let _ = write!(o, "<h1>{}</h1>", esc(&self.title));
        if let Some(pass) = self.verdict {
            let _ = write!(
                o,
                "<p class=\"verdict {c}\">verdict: {t}</p>",
                c = if pass { "pass" } else { "fail" },
                t = if pass { "PASS" } else { "FAIL" }
            );
        }
        for n in &self.notes {
            let _ = write!(o, "<p class=\"note\">{}</p>", esc(n));
        }
        self.table(&mut o);
        let _ = write!(
            o,
            "<p class=\"acct\">accounting: {}</p>",
            esc(&self.accounting)
        );
        self.charts(&mut o);
        if !self.checks.is_empty() {
            o.push_str("<h2>Thresholds and invariants</h2><table><tr><th></th><th>check</th><th>result</th></tr>");
            for (pass, what, detail) in &self.checks {
                let _ = write!(
                    o,
                    "<tr><td class=\"{c}\">{t}</td><td>{w}</td><td>{d}</td></tr>",
                    c = if *pass { "pass" } else { "fail" },
                    t = if *pass { "PASS" } else { "FAIL" },
                    w = esc(what),
                    d = esc(detail)
                );
            }
            o.push_str("</table>");
        }
        o.push_str("<h2>Failures</h2>");
        if self.csv.failures.is_empty() {
            o.push_str("<p>none</p>");
        } else {
            o.push_str(
                "<table><tr><th>method</th><th>name</th><th>error</th><th>occurrences</th></tr>",
            );
            for (m, n, e, c) in &self.csv.failures {
                let _ = write!(
                    o,
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{c}</td></tr>",
                    esc(m),
                    esc(n),
                    esc(e)
                );
            }
            o.push_str("</table>");
        }
        for (heading, t) in &self.tls {
            tls_section(&mut o, heading, t);
        }
        o.push_str("<h2>Configuration</h2><table>");
        for (k, v) in &self.config {
            let _ = write!(o, "<tr><th>{}</th><td>{}</td></tr>", esc(k), esc(v));
        }
        let _ = writeln!(
            o,
            "</table><p class=\"foot\">hornet {} &middot; latency from HdrHistograms (3 significant digits), corrected for coordinated omission in the open model</p></body></html>",
            env!("CARGO_PKG_VERSION")
        );
        o
    }

    fn table(&self, o: &mut String) {
        o.push_str("<h2>Requests</h2><table><tr><th>type</th><th>name</th><th>requests</th><th>failures</th><th>avg</th><th>min</th><th>max</th><th>median</th><th>p90</th><th>p95</th><th>p99</th><th>req/s</th><th>failures/s</th></tr>");
        let secs = self.csv.elapsed_s.max(1e-9);
        for s in &self.csv.stats {
            let ms = |us: u64| format!("{:.2}", us as f64 / 1000.0);
            let _ = write!(
                o,
                "<tr{cls}><td>{k}</td><td>{n}</td><td class=\"n\">{r}</td><td class=\"n\">{f}</td><td class=\"n\">{avg:.2}</td><td class=\"n\">{min}</td><td class=\"n\">{max}</td><td class=\"n\">{med}</td><td class=\"n\">{p90}</td><td class=\"n\">{p95}</td><td class=\"n\">{p99}</td><td class=\"n\">{rps:.1}</td><td class=\"n\">{fps:.1}</td></tr>",
                cls = if s.name == "Aggregated" && s.kind.is_empty() { " class=\"agg\"" } else { "" },
                k = esc(&s.kind),
                n = esc(&s.name),
                r = s.requests,
                f = s.failures,
                avg = s.latency.mean_us / 1000.0,
                min = ms(s.latency.min_us),
                max = ms(s.latency.max_us),
                med = ms(s.latency.median_us),
                p90 = ms(s.quantiles_us[4]),
                p95 = ms(s.quantiles_us[5]),
                p99 = ms(s.quantiles_us[7]),
                rps = s.sent as f64 / secs,
                fps = s.failures as f64 / secs,
            );
        }
        o.push_str("</table><p class=\"foot\">times in milliseconds</p>");
    }

    fn charts(&self, o: &mut String) {
        let h = plotted(&self.csv.history);
        let t: Vec<f64> = h.iter().map(|p| p.t_s).collect();
        let q = |i: usize| -> Vec<f64> {
            h.iter()
                .map(|p| p.quantiles_us.map_or(f64::NAN, |q| q[i] as f64 / 1000.0))
                .collect()
        };
        o.push_str("<h2>Over time</h2><div class=\"charts\">");
        o.push_str("<h3>Throughput</h3>");
        o.push_str(&time_chart(
            "throughput",
            "/s",
            &t,
            &[Line {
                label: "requests/s",
                color: "#1f77b4",
                values: h.iter().map(|p| p.rps).collect(),
            }],
        ));
        o.push_str("<h3>Latency (p50, p95, p99)</h3>");
        o.push_str(&time_chart(
            "latency",
            " ms",
            &t,
            &[
                Line {
                    label: "p50",
                    color: "#2ca02c",
                    values: q(0),
                },
                Line {
                    label: "p95",
                    color: "#ff7f0e",
                    values: q(5),
                },
                Line {
                    label: "p99",
                    color: "#d62728",
                    values: q(7),
                },
            ],
        ));
        let _ = write!(o, "<h3>{}</h3>", esc(self.users_label));
        o.push_str(&time_chart(
            self.users_label,
            "",
            &t,
            &[Line {
                label: self.users_label,
                color: "#9467bd",
                values: h.iter().map(|p| p.users as f64).collect(),
            }],
        ));
        o.push_str("<h3>Errors</h3>");
        o.push_str(&time_chart(
            "errors",
            "/s",
            &t,
            &[Line {
                label: "failures/s",
                color: "#d62728",
                values: h.iter().map(|p| p.fps).collect(),
            }],
        ));
        o.push_str("</div>");
        self.spectrum(o);
    }

    /// Latency by percentile, over the whole run.
    fn spectrum(&self, o: &mut String) {
        o.push_str("<h2>Latency by percentile</h2>");
        let pts: Vec<(f64, f64)> = self
            .spectrum_us
            .iter()
            .map(|(q, us)| (*q, *us as f64 / 1000.0))
            .collect();
        if pts.is_empty() {
            o.push_str("<p>no responses</p>");
        } else {
            o.push_str(&spectrum_chart("latency by percentile", &pts));
        }
    }
}

/// The history points the charts draw: the drain after the load is a
/// sliver of an interval; as a point of its own it would draw a cliff to
/// zero on every chart.
fn plotted(history: &[HistoryRow]) -> &[HistoryRow] {
    let mut h = history;
    if let [.., a, b] = h {
        let prev = if h.len() > 2 { h[h.len() - 3].t_s } else { 0.0 };
        if b.t_s - a.t_s < 0.1 * (a.t_s - prev) {
            h = &h[..h.len() - 1];
        }
    }
    h
}

const CSS: &str = "body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:24px auto;max-width:900px;color:#222}\
h1{font-size:20px;word-break:break-all}h2{font-size:16px;margin-top:28px;border-bottom:1px solid #ddd;padding-bottom:4px}\
table{border-collapse:collapse;font-size:12px;width:100%}th,td{border:1px solid #e3e3e3;padding:3px 6px;text-align:left;overflow-wrap:anywhere}th,td.n{white-space:nowrap}\
th{background:#f6f6f6}td.n{text-align:right;font-variant-numeric:tabular-nums}tr.agg td{font-weight:bold;background:#fafafa}\
.pass{color:#1a7f37;font-weight:bold}.fail{color:#cf222e;font-weight:bold}.verdict{font-size:18px}\
.note{background:#fff8c5;padding:6px;border:1px solid #eed888}.acct,.foot{font-size:12px;color:#555}svg{display:block;margin:8px 0}h3{font-size:13px;margin:14px 0 0;color:#444}";

/// A TLS target's handshakes, settings and failures (explained).
fn tls_section(o: &mut String, heading: &str, t: &TlsReport) {
    let ms = |us: u64| format!("{:.2} ms", us as f64 / 1000.0);
    let h = &t.handshake_us;
    let _ = write!(o, "<h2>{}</h2><table>", esc(heading));
    let rows = [
        (
            "handshakes",
            format!(
                "{} ({} resumed, {} full), {:.1}/s",
                t.handshakes, t.resumed, t.full, t.handshakes_per_s
            ),
        ),
        (
            "handshake time",
            format!(
                "p50 {}, p90 {}, p99 {}, max {} (not in request latency)",
                ms(h.p50),
                ms(h.p90),
                ms(h.p99),
                ms(h.max)
            ),
        ),
        ("server name", t.server_name.clone()),
        ("verification", t.verify.clone()),
        ("versions", format!("TLS {} and up", t.min_version)),
        (
            "resumption",
            if t.resumption {
                "on"
            } else {
                "off (--no-resume)"
            }
            .to_string(),
        ),
    ];
    for (k, v) in rows {
        let _ = write!(o, "<tr><th>{}</th><td>{}</td></tr>", esc(k), esc(&v));
    }
    o.push_str("</table>");
    if !t.errors.is_empty() {
        o.push_str("<table><tr><th>TLS failure</th><th>count</th><th>meaning</th><th>first error</th></tr>");
        for (reason, n) in &t.errors {
            let meaning = crate::tls::TlsReason::ALL
                .iter()
                .find(|r| r.name() == reason)
                .map_or("", |r| r.explain());
            let first = t.error_examples.get(reason).map_or("", String::as_str);
            let _ = write!(
                o,
                "<tr><td>{}</td><td class=\"n\">{n}</td><td>{}</td><td>{}</td></tr>",
                esc(reason),
                esc(meaning),
                esc(first)
            );
        }
        o.push_str("</table>");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::quantiles::Cumulative;
    use crate::report::locust_csv::{CsvReport, HistoryRow, StatsRow};
    use crate::report::view::redact;

    #[test]
    fn strings_from_servers_and_profiles_are_escaped_and_secrets_redacted() {
        let row = StatsRow {
            kind: "GET".into(),
            name: "<script>alert(1)</script>".into(),
            requests: 3,
            failures: 1,
            sent: 3,
            latency: Cumulative::default(),
            quantiles_us: [0; 11],
        };
        let r = RunView {
            title: "t & <b>".into(),
            verdict: Some(false),
            config: vec![
                redact("password", "hunter2".into()),
                redact("url", "http://x/?a<b".into()),
            ],
            csv: CsvReport {
                elapsed_s: 1.0,
                stats: vec![row],
                failures: vec![(
                    "GET".into(),
                    "n".into(),
                    "body does not contain \"<img src=x>\"".into(),
                    1,
                )],
                history: vec![HistoryRow {
                    t_s: 1.0,
                    timestamp: 0,
                    users: 1,
                    rps: 3.0,
                    fps: 1.0,
                    quantiles_us: None,
                    total: Cumulative::default(),
                }],
            },
            users_label: "users",
            spectrum_us: vec![(0.5, 100), (1.0, 900)],
            accounting: "a".into(),
            checks: vec![(false, "x < 1".into(), "actual 2".into())],
            notes: vec![],
            tls: vec![(
                "TLS",
                TlsReport {
                    server_name: "<script>x</script>".into(),
                    min_version: "1.2".into(),
                    verify: "--cacert".into(),
                    resumption: true,
                    handshakes: 4,
                    resumed: 3,
                    full: 1,
                    handshakes_per_s: 4.0,
                    handshake_us: Default::default(),
                    handshake_histogram: String::new(),
                    errors: [("unknown_issuer".to_string(), 2)].into(),
                    error_examples: [("unknown_issuer".to_string(), "<img src=y>".to_string())]
                        .into(),
                },
            )],
            log: Vec::new(),
            started_unix_s: 0.0,
        };
        let html = r.render();
        assert!(html.contains("<h2>TLS</h2>"));
        assert!(html.contains("4 (3 resumed, 1 full)"));
        assert!(html.contains("pass --cacert FILE"), "reasons are explained");
        assert!(!html.contains("<script"), "no markup from data");
        assert!(!html.contains("<img"));
        assert!(!html.contains("hunter2"));
        assert!(html.contains("(redacted)"));
        assert!(html.contains("&lt;script&gt;"));
        assert!(html.contains("FAIL"));
        assert!(!html.contains("http://") || html.contains("http://x/?a&lt;b"));
        assert!(
            !html.contains("<link") && !html.contains("src=\"http"),
            "self-contained"
        );
    }
}
