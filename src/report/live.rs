//! The one-line live progress shown on stderr while a run is going.

use std::io::{IsTerminal, Write};

use super::summary::{fmt_count, fmt_us};
use crate::metrics::collector::IntervalStat;

/// Redraws one status line on stderr per interval, when stderr is a
/// terminal and the user did not ask for quiet.
#[derive(Debug)]
pub struct LiveLine {
    enabled: bool,
    drawn: bool,
    interval_s: f64,
}

impl LiveLine {
    /// A live line that draws only if `!quiet` and stderr is a terminal.
    pub fn new(quiet: bool, interval_s: f64) -> LiveLine {
        LiveLine {
            enabled: !quiet && std::io::stderr().is_terminal(),
            drawn: false,
            interval_s,
        }
    }

    /// Formats one interval's line.
    pub fn format(stat: &IntervalStat, interval_s: f64) -> String {
        format!(
            "[{:>4.0}s] {:>10} req/s  p50 {:>8}  p99 {:>8}  errors {:>6}  conns {:>5}",
            (stat.index + 1) as f64 * interval_s,
            fmt_count((stat.completed as f64 / interval_s).round() as u64),
            fmt_us(stat.p50_us),
            fmt_us(stat.p99_us),
            fmt_count(stat.errors),
            stat.open_connections
        )
    }

    /// Draws the line for `stat`.
    pub fn update(&mut self, stat: &IntervalStat) {
        if !self.enabled {
            return;
        }
        let line = Self::format(stat, self.interval_s);
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r\x1b[2K{line}");
        let _ = err.flush();
        self.drawn = true;
    }

    /// Ends the line so the summary starts on a fresh one.
    pub fn finish(&mut self) {
        if self.drawn {
            let _ = writeln!(std::io::stderr());
            self.drawn = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_shows_rate_percentiles_errors_and_connections() {
        let stat = IntervalStat {
            index: 4,
            completed: 12_345,
            errors: 3,
            p50_us: 250,
            p90_us: 900,
            p99_us: 1_500,
            max_us: 9_000,
            open_connections: 50,
            quantiles_us: [0; 11],
            cumulative: Default::default(),
        };
        let line = LiveLine::format(&stat, 1.0);
        assert!(line.starts_with("[   5s]"), "{line}");
        assert!(line.contains("12,345 req/s"), "{line}");
        assert!(line.contains("p50    250us"), "{line}");
        assert!(line.contains("p99   1.50ms"), "{line}");
        assert!(line.contains("errors      3"), "{line}");
        assert!(line.contains("conns    50"), "{line}");
    }
}
