//! HdrHistogram interval logs (`--hdr-log FILE`): one line per interval and
//! request name, in the standard format that HdrHistogram's log readers
//! (Java's HistogramLogReader, the Rust crate's `IntervalLogIterator`,
//! HdrHistogramVisualizer) read.
//!
//! Lines are written as each interval closes, so a long run's log streams
//! to disk instead of piling up in memory: to a hidden temporary file
//! beside the final path, renamed into place by [`HdrLog::finish`] (an
//! earlier log at that path survives a failed or killed run). Values are microseconds; the
//! `MaxValueDivisor` header makes the max column read in milliseconds, as
//! Java's tools expect. Tags are request names with the characters the
//! format forbids (space, comma, CR, LF) and `%` percent-encoded.

use std::io::{self, Write};
use std::path::Path;
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use hdrhistogram::serialization::{Serializer, V2DeflateSerializer};
use hdrhistogram::Histogram;

use super::output::AtomicFile;

/// A log being written.
pub struct HdrLog {
    out: AtomicFile,
    serializer: V2DeflateSerializer,
    bytes: Vec<u8>,
    text: String,
}

impl std::fmt::Debug for HdrLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The serializer (hdrhistogram's) has no `Debug`.
        f.debug_struct("HdrLog")
            .field("out", &self.out)
            .finish_non_exhaustive()
    }
}

impl HdrLog {
    /// Starts the log for `path` and writes the header; `start` is the
    /// run's start (the log's base time: interval timestamps are seconds
    /// after it). The file appears at `path` on [`HdrLog::finish`].
    pub fn create(path: &Path, start: SystemTime) -> io::Result<HdrLog> {
        let mut out = AtomicFile::create(path)?;
        let secs = start
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        writeln!(
            out,
            "#[Histogram log written by hornet {}]",
            env!("CARGO_PKG_VERSION")
        )?;
        writeln!(
            out,
            "#[StartTime: {secs:.3} (seconds since epoch), {}]",
            humantime::format_rfc3339_millis(start)
        )?;
        writeln!(out, "#[BaseTime: {secs:.3} (seconds since epoch)]")?;
        writeln!(out, "#[MaxValueDivisor: 1000.000]")?;
        writeln!(
            out,
            "\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\""
        )?;
        out.flush()?;
        Ok(HdrLog {
            out,
            serializer: V2DeflateSerializer::new(),
            bytes: Vec::new(),
            text: String::new(),
        })
    }

    /// Appends one interval histogram (microseconds) for request `name`,
    /// covering `start .. start + length` after the base time. Empty
    /// histograms are skipped, as Java's recorders do.
    pub fn write(
        &mut self,
        name: &str,
        start: Duration,
        length: Duration,
        h: &Histogram<u64>,
    ) -> io::Result<()> {
        if h.is_empty() {
            return Ok(());
        }
        self.bytes.clear();
        self.serializer
            .serialize(h, &mut self.bytes)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("{e:?}")))?;
        self.text.clear();
        base64::engine::general_purpose::STANDARD.encode_string(&self.bytes, &mut self.text);
        writeln!(
            self.out,
            "Tag={},{:.3},{:.3},{:.3},{}",
            tag(name),
            start.as_secs_f64(),
            length.as_secs_f64(),
            h.max() as f64 / 1000.0,
            self.text
        )
    }

    /// Flushes what is buffered (after each interval, so a crash loses at
    /// most one).
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    /// Completes the log: renames it into place.
    pub fn finish(self) -> io::Result<()> {
        self.out.commit()
    }
}

/// `name` with the characters a tag cannot hold percent-encoded (space,
/// comma, CR, LF, and `%` itself), so different names never share a tag
/// and the name can be read back.
pub fn tag(name: &str) -> String {
    let mut t = String::with_capacity(name.len());
    for c in name.chars() {
        match c {
            '%' => t.push_str("%25"),
            ' ' => t.push_str("%20"),
            ',' => t.push_str("%2C"),
            '\r' => t.push_str("%0D"),
            '\n' => t.push_str("%0A"),
            c => t.push(c),
        }
    }
    if t.is_empty() {
        "%00".to_string()
    } else {
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hdrhistogram::serialization::interval_log::{IntervalLogIterator, LogEntry};
    use hdrhistogram::serialization::Deserializer;

    #[test]
    fn round_trips_through_the_crates_reader() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.hlog");
        let mut log = HdrLog::create(&path, SystemTime::now()).unwrap();
        let mut h = crate::metrics::new_histogram();
        for v in [100u64, 250, 250, 9_000] {
            h.record(v).unwrap();
        }
        log.write(
            "create order",
            Duration::from_secs(1),
            Duration::from_secs(1),
            &h,
        )
        .unwrap();
        log.write(
            "empty",
            Duration::from_secs(1),
            Duration::from_secs(1),
            &crate::metrics::new_histogram(),
        )
        .unwrap();
        log.flush().unwrap();
        assert!(!path.exists(), "the log appears only when finished");
        log.finish().unwrap();
        let text = std::fs::read(&path).unwrap();
        let mut seen = Vec::new();
        for entry in IntervalLogIterator::new(&text) {
            if let LogEntry::Interval(ilh) = entry.unwrap() {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(ilh.encoded_histogram())
                    .unwrap();
                let back: Histogram<u64> =
                    Deserializer::new().deserialize(&mut &bytes[..]).unwrap();
                seen.push((
                    ilh.tag().unwrap().as_str().to_string(),
                    back.len(),
                    ilh.max(),
                ));
                assert_eq!(back.value_at_quantile(0.5), h.value_at_quantile(0.5));
            }
        }
        // The max column is the histogram's max (its bucket's highest
        // equivalent value) in milliseconds, three decimals.
        let max_ms = (h.max() as f64).round() / 1000.0;
        assert_eq!(seen, vec![("create%20order".to_string(), 4, max_ms)]);
        assert_ne!(tag("a b"), tag("a_b"));
        assert_ne!(tag("a b"), tag("a,b"));
        assert_eq!(tag("50%"), "50%25");
    }
}
