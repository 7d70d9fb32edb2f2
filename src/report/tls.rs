//! The TLS part of a result: how connections were secured, handshakes
//! (full and resumed) with their own latency distribution, and TLS failures
//! by reason, each explained once in the summary.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::common::Percentiles;
use super::summary::{fmt_count, fmt_us};
use crate::metrics::tls::TlsMetrics;
use crate::metrics::Metrics;
use crate::tls::{TlsClient, TlsReason};

/// TLS settings and measurements of a run (absent for plain runs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TlsReport {
    /// Name sent in SNI and verified.
    pub server_name: String,
    /// Lowest TLS version offered ("1.2" or "1.3").
    pub min_version: String,
    /// How the server certificate was verified: "system roots", "--cacert"
    /// or "none (--insecure)".
    pub verify: String,
    /// Whether sessions were resumed on reconnect (false with --no-resume).
    pub resumption: bool,
    /// Handshakes completed.
    pub handshakes: u64,
    /// Of those, resumed.
    pub resumed: u64,
    /// Of those, full.
    pub full: u64,
    /// Handshakes completed per second of run time.
    pub handshakes_per_s: f64,
    /// Handshake time (TCP connected to handshake complete), microseconds;
    /// not part of request latency.
    pub handshake_us: Percentiles,
    /// The handshake histogram: HdrHistogram V2 compressed, base64.
    pub handshake_histogram: String,
    /// TLS failures by reason (see the summary for what each means).
    pub errors: BTreeMap<String, u64>,
    /// The first failure's error text for each reason in `errors`.
    #[serde(default)]
    pub error_examples: BTreeMap<String, String>,
}

impl TlsReport {
    /// The TLS report of an engine run, or `None` when it did not use TLS.
    pub fn new(client: Option<&TlsClient>, m: &Metrics, elapsed_s: f64) -> Option<TlsReport> {
        let empty = TlsMetrics::default();
        TlsReport::of(client, m.tls.as_deref().unwrap_or(&empty), elapsed_s)
    }

    /// The TLS report of `t`, or `None` without a TLS client (no TLS).
    pub fn of(client: Option<&TlsClient>, t: &TlsMetrics, elapsed_s: f64) -> Option<TlsReport> {
        let client = client?;
        Some(TlsReport {
            server_name: client.server_name(),
            min_version: client.min_version().to_string(),
            verify: client.verify().to_string(),
            resumption: client.resumes(),
            handshakes: t.handshakes,
            resumed: t.resumed,
            full: t.handshakes - t.resumed,
            handshakes_per_s: if elapsed_s > 0.0 {
                t.handshakes as f64 / elapsed_s
            } else {
                0.0
            },
            handshake_us: Percentiles::of(&t.handshake),
            handshake_histogram: crate::metrics::codec::encode(&t.handshake),
            errors: TlsReason::ALL
                .iter()
                .filter(|r| t.errors[**r as usize] > 0)
                .map(|r| (r.name().to_string(), t.errors[*r as usize]))
                .collect(),
            error_examples: TlsReason::ALL
                .iter()
                .filter_map(|r| {
                    let text = t.examples[*r as usize].as_deref()?;
                    Some((r.name().to_string(), text.to_string()))
                })
                .collect(),
        })
    }

    /// The summary's TLS lines: settings, handshakes and their timing,
    /// then each failure reason once with what it means.
    pub fn render(&self, out: &mut String) {
        let _ = writeln!(
            out,
            "  tls          {} handshakes ({} resumed, {} full), {:.1}/s; server name {}, verify {}, TLS >= {}{}",
            fmt_count(self.handshakes),
            fmt_count(self.resumed),
            fmt_count(self.full),
            self.handshakes_per_s,
            self.server_name,
            self.verify,
            self.min_version,
            if self.resumption { "" } else { ", no resumption" }
        );
        if self.handshakes > 0 {
            let h = &self.handshake_us;
            let _ = writeln!(
                out,
                "  handshake    p50 {}, p90 {}, p99 {}, max {}, mean {} (not in request latency)",
                fmt_us(h.p50),
                fmt_us(h.p90),
                fmt_us(h.p99),
                fmt_us(h.max),
                fmt_us(h.mean.round() as u64)
            );
        }
        for (reason, n) in &self.errors {
            let explain = TlsReason::ALL
                .iter()
                .find(|r| r.name() == reason)
                .map_or("", |r| r.explain());
            let _ = writeln!(
                out,
                "  tls error    {reason}: {} - {explain}",
                fmt_count(*n)
            );
            if let Some(example) = self.error_examples.get(reason) {
                let _ = writeln!(out, "               first: {example}");
            }
        }
    }
}
