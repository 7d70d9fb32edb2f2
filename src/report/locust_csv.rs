//! Locust-compatible CSV files (`--csv PREFIX`): `PREFIX_stats.csv`,
//! `PREFIX_failures.csv` and `PREFIX_stats_history.csv`, with Locust's
//! column names and order, so tooling that reads Locust's CSVs reads ours.
//! The same writer serves `hornet http`, `hornet smpp` and `hornet run`:
//! each result is put into a [`CsvReport`] by [`crate::report::view`].
//!
//! Times are milliseconds as Locust writes them, but not rounded to whole
//! milliseconds: a 0.12 ms response stays 0.12, not 0. Latency comes from
//! hornet's HdrHistograms (3 significant digits; corrected latency in the
//! open model). A request counts as failed when Locust would count it: a
//! transport error, a timeout, an HTTP status outside 200..399, an SMPP
//! status other than ESME_ROK, a failed check.

use std::io;
use std::path::{Path, PathBuf};

use crate::metrics::quantiles::Cumulative;
use crate::report::output::AtomicFile;

/// `_stats.csv` header, exactly as Locust writes it.
pub const STATS_HEADER: &str = "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%";
/// `_failures.csv` header.
pub const FAILURES_HEADER: &str = "Method,Name,Error,Occurrences";
/// `_stats_history.csv` header.
pub const HISTORY_HEADER: &str = "Timestamp,User Count,Type,Name,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%,Total Request Count,Total Failure Count,Total Median Response Time,Total Average Response Time,Total Min Response Time,Total Max Response Time,Total Average Content Size";

/// One `_stats.csv` row.
#[derive(Debug, Clone, PartialEq)]
pub struct StatsRow {
    /// `Type`: method, `SMPP`, empty for `Aggregated`.
    pub kind: String,
    /// `Name`.
    pub name: String,
    /// Requests that ended.
    pub requests: u64,
    /// Of which failed.
    pub failures: u64,
    /// Requests that reached the target (the `req/s` column): `requests`
    /// less the ones never sent (connection or SMPP bind failed).
    pub sent: u64,
    /// Totals of latency and size.
    pub latency: Cumulative,
    /// Latency at Locust's quantiles, microseconds.
    pub quantiles_us: [u64; 11],
}

/// One `_stats_history.csv` row (the `Aggregated` line of one second).
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryRow {
    /// Seconds since the load started.
    pub t_s: f64,
    /// Unix seconds.
    pub timestamp: u64,
    /// Users (or connections, or binds).
    pub users: u64,
    /// Requests per second in the interval.
    pub rps: f64,
    /// Failures per second in the interval.
    pub fps: f64,
    /// The interval's latency quantiles; `None` without responses.
    pub quantiles_us: Option<[u64; 11]>,
    /// Totals so far.
    pub total: Cumulative,
}

/// Everything the three files hold.
#[derive(Debug, Clone, PartialEq)]
pub struct CsvReport {
    /// Load time, seconds (for the per-second rates).
    pub elapsed_s: f64,
    /// Per name, then `Aggregated`.
    pub stats: Vec<StatsRow>,
    /// (method, name, error, occurrences).
    pub failures: Vec<(String, String, String, u64)>,
    /// One row per interval.
    pub history: Vec<HistoryRow>,
}

impl CsvReport {
    /// Writes the three files.
    pub fn write(&self, prefix: &Path) -> io::Result<()> {
        let [stats, failures, history] = paths(prefix);
        // Each file goes through a temporary file; the three are renamed
        // into place only once all three are complete.
        let open = |p: &Path| -> io::Result<csv::Writer<AtomicFile>> {
            Ok(csv::Writer::from_writer(AtomicFile::create(p)?))
        };
        let done = |w: csv::Writer<AtomicFile>| -> io::Result<AtomicFile> {
            w.into_inner().map_err(|e| e.into_error())
        };
        let mut w = open(&stats)?;
        w.write_record(STATS_HEADER.split(','))?;
        for s in &self.stats {
            let secs = self.elapsed_s.max(1e-9);
            let mut row = vec![
                s.kind.clone(),
                s.name.clone(),
                s.requests.to_string(),
                s.failures.to_string(),
                ms(s.latency.median_us),
                num(s.latency.mean_us / 1000.0),
                ms(s.latency.min_us),
                ms(s.latency.max_us),
                num(s.latency.avg_size),
                num(s.sent as f64 / secs),
                num(s.failures as f64 / secs),
            ];
            row.extend(s.quantiles_us.iter().map(|&us| ms(us)));
            w.write_record(&row)?;
        }
        let stats_file = done(w)?;

        let mut w = open(&failures)?;
        w.write_record(FAILURES_HEADER.split(','))?;
        for (method, name, error, n) in &self.failures {
            w.write_record([method.as_str(), name, error, &n.to_string()])?;
        }
        let failures_file = done(w)?;

        let mut w = open(&history)?;
        w.write_record(HISTORY_HEADER.split(','))?;
        for h in &self.history {
            let mut row = vec![
                h.timestamp.to_string(),
                h.users.to_string(),
                String::new(),
                "Aggregated".to_string(),
                num(h.rps),
                num(h.fps),
            ];
            match &h.quantiles_us {
                Some(q) => row.extend(q.iter().map(|&us| ms(us))),
                None => row.extend(std::iter::repeat("N/A".to_string()).take(11)),
            }
            let t = &h.total;
            row.extend([
                t.requests.to_string(),
                t.failures.to_string(),
                ms(t.median_us),
                num(t.mean_us / 1000.0),
                ms(t.min_us),
                ms(t.max_us),
                num(t.avg_size),
            ]);
            w.write_record(&row)?;
        }
        let history_file = done(w)?;
        stats_file.commit()?;
        failures_file.commit()?;
        history_file.commit()
    }
}

/// The per-name table as Locust prints it at the end of a run (type,
/// name, requests, failures, avg, min, max, median, p90, p95, p99, req/s,
/// failures/s), times in milliseconds.
pub fn console_table(r: &CsvReport) -> String {
    use std::fmt::Write as _;
    let mut o = String::new();
    let _ = writeln!(
        o,
        "  {:<6} {:<28} {:>10} {:>9} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>10} {:>10}",
        "Type",
        "Name",
        "# reqs",
        "# fails",
        "Avg",
        "Min",
        "Max",
        "Med",
        "p90",
        "p95",
        "p99",
        "req/s",
        "failures/s"
    );
    let secs = r.elapsed_s.max(1e-9);
    for s in &r.stats {
        let name: String = if s.name.chars().count() > 28 {
            s.name
                .chars()
                .take(27)
                .chain(std::iter::once('~'))
                .collect()
        } else {
            s.name.clone()
        };
        let _ = writeln!(
            o,
            "  {:<6} {:<28} {:>10} {:>9} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>10.1} {:>10.1}",
            s.kind,
            name,
            s.requests,
            s.failures,
            num(s.latency.mean_us / 1000.0),
            ms(s.latency.min_us),
            ms(s.latency.max_us),
            ms(s.latency.median_us),
            ms(s.quantiles_us[4]),
            ms(s.quantiles_us[5]),
            ms(s.quantiles_us[7]),
            s.sent as f64 / secs,
            s.failures as f64 / secs,
        );
    }
    o
}

/// The three file names for `prefix`.
pub fn paths(prefix: &Path) -> [PathBuf; 3] {
    let with = |suffix: &str| {
        let mut p = prefix.as_os_str().to_owned();
        p.push(suffix);
        PathBuf::from(p)
    };
    [
        with("_stats.csv"),
        with("_failures.csv"),
        with("_stats_history.csv"),
    ]
}

/// Microseconds as milliseconds, up to 3 decimals, no trailing zeros.
fn ms(us: u64) -> String {
    num(us as f64 / 1000.0)
}

fn num(x: f64) -> String {
    let s = format!("{x:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s.is_empty() || s == "-0" {
        "0".to_string()
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_keep_sub_millisecond_precision() {
        assert_eq!(ms(120), "0.12");
        assert_eq!(ms(5000), "5");
        assert_eq!(ms(0), "0");
        assert_eq!(num(2.5), "2.5");
        assert_eq!(STATS_HEADER.split(',').count(), 22);
        assert_eq!(HISTORY_HEADER.split(',').count(), 24);
        let [a, b, c] = paths(Path::new("/tmp/run1"));
        assert_eq!(a, Path::new("/tmp/run1_stats.csv"));
        assert_eq!(b, Path::new("/tmp/run1_failures.csv"));
        assert_eq!(c, Path::new("/tmp/run1_stats_history.csv"));
    }
}
