//! The live view on stderr while a run is going. On a terminal: a compact
//! dashboard redrawn in place each interval (progress bar and stage, current
//! and target rate, active users / connections / binds, the interval's
//! p50 / p95 / p99, errors by kind so far, the busiest request names). In a
//! log (stderr not a terminal): one plain line per interval. `-q`: nothing.

use std::io::{IsTerminal, Write};

use super::summary::{fmt_count, fmt_us};

/// What one interval shows.
#[derive(Debug, Clone, Default)]
pub struct Frame {
    /// Seconds since the load started.
    pub elapsed_s: f64,
    /// Planned load time, seconds.
    pub total_s: f64,
    /// The current stage, e.g. `stage 2/4 ramp to 1500`.
    pub stage: Option<String>,
    /// Responses per second in the interval.
    pub rate: f64,
    /// What the load model asks for now (open model), per second.
    pub target_rate: Option<f64>,
    /// Users, connections or binds alive.
    pub active: u64,
    /// What `active` counts.
    pub active_label: &'static str,
    /// The interval's latency, microseconds.
    pub p50_us: u64,
    /// 95th percentile.
    pub p95_us: u64,
    /// 99th percentile.
    pub p99_us: u64,
    /// Requests and failures so far.
    pub total_requests: u64,
    /// Failures so far.
    pub total_failures: u64,
    /// Errors so far by kind or reason, largest first.
    pub errors: Vec<(String, u64)>,
    /// Busiest request names so far: (name, requests, failures).
    pub top: Vec<(String, u64, u64)>,
}

/// Draws frames on stderr.
#[derive(Debug)]
pub struct LiveView {
    mode: Mode,
    /// Lines of the last dashboard drawn (to redraw in place).
    drawn: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Off,
    Lines,
    Dashboard,
}

impl LiveView {
    /// A view: off with `quiet`, a dashboard on a terminal, lines otherwise.
    pub fn new(quiet: bool) -> LiveView {
        let mode = if quiet {
            Mode::Off
        } else if std::io::stderr().is_terminal() {
            Mode::Dashboard
        } else {
            Mode::Lines
        };
        LiveView { mode, drawn: 0 }
    }

    /// Shows one interval.
    pub fn update(&mut self, f: &Frame) {
        let mut err = std::io::stderr().lock();
        match self.mode {
            Mode::Off => {}
            Mode::Lines => {
                let _ = writeln!(err, "{}", line(f));
            }
            Mode::Dashboard => {
                let text = dashboard(f);
                if self.drawn > 0 {
                    // Up to the first line of the last frame, clear below.
                    let _ = write!(err, "\x1b[{}A\r\x1b[J", self.drawn);
                }
                let _ = write!(err, "{text}");
                self.drawn = text.lines().count();
            }
        }
        let _ = err.flush();
    }

    /// Leaves the last frame on screen; the summary follows below it.
    pub fn finish(&mut self) {
        self.drawn = 0;
    }
}

/// The plain one-line form.
pub fn line(f: &Frame) -> String {
    let mut s = format!(
        "[{:>5.1}s/{:.0}s] {:>9} req/s",
        f.elapsed_s,
        f.total_s,
        fmt_count(f.rate.round() as u64)
    );
    if let Some(t) = f.target_rate {
        s.push_str(&format!(" (target {})", fmt_count(t.round() as u64)));
    }
    s.push_str(&format!(
        "  p50 {}  p95 {}  p99 {}  {} {}  requests {}  failed {}",
        fmt_us(f.p50_us),
        fmt_us(f.p95_us),
        fmt_us(f.p99_us),
        f.active_label,
        f.active,
        fmt_count(f.total_requests),
        fmt_count(f.total_failures)
    ));
    if let Some(st) = &f.stage {
        s.push_str(&format!("  {st}"));
    }
    s
}

/// The multi-line form.
pub fn dashboard(f: &Frame) -> String {
    const BAR: usize = 30;
    let share = if f.total_s > 0.0 {
        (f.elapsed_s / f.total_s).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let filled = (share * BAR as f64).round() as usize;
    let mut s = format!(
        "hornet  [{}{}] {:>5.1}s / {:.0}s{}\n",
        "#".repeat(filled),
        "-".repeat(BAR - filled),
        f.elapsed_s,
        f.total_s,
        f.stage
            .as_deref()
            .map(|x| format!("  {x}"))
            .unwrap_or_default()
    );
    s.push_str(&format!(
        "  rate     {:>10} /s{}   {} {}\n",
        fmt_count(f.rate.round() as u64),
        f.target_rate
            .map(|t| format!(" (target {})", fmt_count(t.round() as u64)))
            .unwrap_or_default(),
        f.active_label,
        f.active
    ));
    s.push_str(&format!(
        "  latency  p50 {}  p95 {}  p99 {}   (last interval)\n",
        fmt_us(f.p50_us),
        fmt_us(f.p95_us),
        fmt_us(f.p99_us)
    ));
    s.push_str(&format!(
        "  totals   {} requests, {} failed\n",
        fmt_count(f.total_requests),
        fmt_count(f.total_failures)
    ));
    if f.errors.is_empty() {
        s.push_str("  errors   none\n");
    } else {
        let e: Vec<String> = f
            .errors
            .iter()
            .take(4)
            .map(|(k, n)| format!("{}: {}", clip(k, 40), fmt_count(*n)))
            .collect();
        s.push_str(&format!("  errors   {}\n", e.join(", ")));
    }
    for (name, n, failed) in f.top.iter().take(5) {
        s.push_str(&format!(
            "  {:<40} {:>10} req {:>8} failed\n",
            clip(name, 40),
            fmt_count(*n),
            fmt_count(*failed)
        ));
    }
    s
}

fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n - 1).collect();
        t.push('~');
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame() -> Frame {
        Frame {
            elapsed_s: 5.0,
            total_s: 10.0,
            stage: Some("stage 2/3 ramp to 1500".into()),
            rate: 12_345.0,
            target_rate: Some(12_000.0),
            active: 50,
            active_label: "connections",
            p50_us: 250,
            p95_us: 900,
            p99_us: 1_500,
            total_requests: 60_000,
            total_failures: 3,
            errors: vec![("timeout".into(), 3)],
            top: vec![("GET /".into(), 60_000, 3)],
        }
    }

    #[test]
    fn line_and_dashboard_show_the_interval() {
        let l = line(&frame());
        assert!(l.starts_with("[  5.0s/10s]"), "{l}");
        assert!(l.contains("12,345 req/s (target 12,000)"), "{l}");
        assert!(l.contains("p95 900us"), "{l}");
        let d = dashboard(&frame());
        assert!(d.contains("[###############---------------]"), "{d}");
        assert!(d.contains("stage 2/3"), "{d}");
        assert!(d.contains("timeout: 3"), "{d}");
        assert!(d.contains("GET /"), "{d}");
        assert_eq!(d.lines().count(), 6);
    }
}
