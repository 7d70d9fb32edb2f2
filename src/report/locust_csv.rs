//! Locust-compatible CSV files (`--csv PREFIX`): `PREFIX_stats.csv`,
//! `PREFIX_failures.csv` and `PREFIX_stats_history.csv`, with Locust's
//! column names and order, so tooling that reads Locust's CSVs reads ours.
//!
//! Times are milliseconds as Locust writes them, but not rounded to whole
//! milliseconds: a 0.12 ms response stays 0.12, not 0. Latency comes from
//! hornet's HdrHistograms (3 significant digits).

use std::io;
use std::path::{Path, PathBuf};

use crate::scenario::result::{NameResult, ScenarioResult};

/// `_stats.csv` header, exactly as Locust writes it.
pub const STATS_HEADER: &str = "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%";
/// `_failures.csv` header.
pub const FAILURES_HEADER: &str = "Method,Name,Error,Occurrences";
/// `_stats_history.csv` header.
pub const HISTORY_HEADER: &str = "Timestamp,User Count,Type,Name,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%,Total Request Count,Total Failure Count,Total Median Response Time,Total Average Response Time,Total Min Response Time,Total Max Response Time,Total Average Content Size";

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

/// Writes the three files for a profile run.
pub fn write_scenario(r: &ScenarioResult, prefix: &Path) -> io::Result<()> {
    let [stats, failures, history] = paths(prefix);
    let mut w = csv::Writer::from_writer(io::BufWriter::new(std::fs::File::create(&stats)?));
    w.write_record(STATS_HEADER.split(','))?;
    for n in r.requests.iter().chain(std::iter::once(&r.total)) {
        w.write_record(stats_row(n, r.elapsed_s))?;
    }
    w.flush()?;

    let mut w = csv::Writer::from_writer(io::BufWriter::new(std::fs::File::create(&failures)?));
    w.write_record(FAILURES_HEADER.split(','))?;
    for n in &r.requests {
        for (reason, count) in n.failures.iter().chain(&n.error_kinds) {
            w.write_record([n.kind.as_str(), &n.name, reason, &count.to_string()])?;
        }
    }
    w.flush()?;

    let mut w = csv::Writer::from_writer(io::BufWriter::new(std::fs::File::create(&history)?));
    w.write_record(HISTORY_HEADER.split(','))?;
    for h in &r.history {
        let mut row = vec![
            format!("{}", (r.started_at + h.t_s) as u64),
            h.users.to_string(),
            String::new(),
            "Aggregated".to_string(),
            num(h.rps),
            num(h.fps),
        ];
        if h.requests == 0 {
            row.extend(std::iter::repeat("N/A".to_string()).take(11));
        } else {
            row.extend(h.quantiles_us.iter().map(|&us| ms(us)));
        }
        let (median, mean, min, max, size) = h.totals;
        row.extend([
            h.total_requests.to_string(),
            h.total_failures.to_string(),
            ms(median),
            num(mean / 1000.0),
            ms(min),
            ms(max),
            num(size),
        ]);
        w.write_record(&row)?;
    }
    w.flush()?;
    Ok(())
}

fn stats_row(n: &NameResult, secs: f64) -> Vec<String> {
    let failures = n.check_failed + n.errors;
    let responses = n.passed + n.check_failed;
    let mut row = vec![
        n.kind.clone(),
        n.name.clone(),
        n.requests.to_string(),
        failures.to_string(),
        ms(n.latency_us.p50),
        num(n.latency_us.mean / 1000.0),
        ms(n.min_us),
        ms(n.latency_us.max),
        num(n.bytes as f64 / responses.max(1) as f64),
        num(n.requests as f64 / secs.max(1e-9)),
        num(failures as f64 / secs.max(1e-9)),
    ];
    row.extend(n.quantiles_us.iter().map(|&us| ms(us)));
    row
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
