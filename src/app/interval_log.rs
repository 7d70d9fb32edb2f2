//! `--hdr-log` of `hornet http` and `hornet smpp`: the HdrHistogram log
//! written while the run goes, one histogram per interval, renamed into
//! place when the run ends.

use std::path::Path;
use std::time::Duration;

use crate::metrics::collector::IntervalStat;
use crate::metrics::Metrics;
use crate::report::hdr_log::HdrLog;

use super::AppError;

/// `--hdr-log`: the log, fed once per interval; the first write error is
/// kept and reported after the run (the run itself is not cut short).
pub(super) struct IntervalLog {
    log: HdrLog,
    path: std::path::PathBuf,
    name: String,
    interval: Duration,
    error: Option<std::io::Error>,
    /// The latest interval, held back until the next one (or the end)
    /// says how long it really was: the last one is usually partial.
    pending: Option<(Duration, hdrhistogram::Histogram<u64>)>,
}

impl IntervalLog {
    /// Starts the log at `path`, if asked for (a temporary file until
    /// [`IntervalLog::finish`]).
    pub(super) fn open(
        path: Option<&Path>,
        name: String,
        interval: Duration,
    ) -> Result<Option<IntervalLog>, AppError> {
        let Some(path) = path else {
            return Ok(None);
        };
        let log = HdrLog::create(path, std::time::SystemTime::now()).map_err(|source| {
            AppError::HdrLog {
                path: path.display().to_string(),
                source,
            }
        })?;
        Ok(Some(IntervalLog {
            log,
            path: path.to_path_buf(),
            name,
            interval,
            error: None,
            pending: None,
        }))
    }

    /// One interval: writes the one before it, now that its length is
    /// known.
    pub(super) fn record(&mut self, stat: &IntervalStat, m: &Metrics) {
        let start = self.interval * stat.index as u32;
        if let Some((s, h)) = self.pending.replace((start, m.latency.clone())) {
            self.write(s, self.interval, &h);
        }
    }

    fn write(&mut self, start: Duration, length: Duration, h: &hdrhistogram::Histogram<u64>) {
        if self.error.is_some() {
            return;
        }
        let r = self
            .log
            .write(&self.name, start, length, h)
            .and_then(|()| self.log.flush());
        self.error = r.err();
    }

    /// Writes the last interval, `elapsed` after the start, and reports
    /// the first write error.
    pub(super) fn finish(mut log: Option<IntervalLog>, elapsed: Duration) -> Result<(), AppError> {
        if let Some(l) = log.as_mut() {
            if let Some((s, h)) = l.pending.take() {
                let length = elapsed.saturating_sub(s).max(Duration::from_millis(1));
                l.write(s, length.min(l.interval), &h);
            }
        }
        let Some(l) = log else {
            return Ok(());
        };
        // Complete: rename it into place. After a write error the
        // temporary file is dropped and an earlier log there stays.
        let error = match l.error {
            Some(e) => Some(e),
            None => l.log.finish().err(),
        };
        match error {
            Some(source) => Err(AppError::HdrLog {
                path: l.path.display().to_string(),
                source,
            }),
            None => Ok(()),
        }
    }
}
