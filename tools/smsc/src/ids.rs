//! Message ids, their text forms, receipt dates and small inline strings.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use hornet_smpp::receipt::ReceiptDate;

use crate::config::IdFormat;

/// Ids a thread takes from the shared counter at a time, so that the
/// shared cache line is touched once per this many messages.
const BLOCK: u64 = 1024;

/// One thread's supply of server-wide unique message ids.
#[derive(Debug)]
pub(crate) struct IdBlock {
    next: u64,
    end: u64,
}

impl IdBlock {
    /// An empty block: the first [`IdBlock::next`] takes a fresh range.
    pub(crate) fn new() -> IdBlock {
        IdBlock { next: 0, end: 0 }
    }

    /// The next id, never 0; `shared` is the server's counter of handed-out
    /// ids.
    pub(crate) fn next(&mut self, shared: &AtomicU64) -> u64 {
        if self.next == self.end {
            self.next = shared.fetch_add(BLOCK, Relaxed) + 1;
            self.end = self.next + BLOCK;
        }
        let id = self.next;
        self.next += 1;
        id
    }
}

/// A message id written out, without allocating.
#[derive(Debug, Clone, Copy)]
pub(crate) struct IdText {
    buf: [u8; 20],
    start: u8,
}

impl IdText {
    /// `id` in `format`.
    pub(crate) fn new(id: u64, format: IdFormat) -> IdText {
        let mut buf = [0u8; 20];
        let mut i = buf.len();
        let mut v = id;
        let radix = match format {
            IdFormat::Hex => 16,
            IdFormat::Decimal => 10,
        };
        loop {
            i -= 1;
            buf[i] = b"0123456789ABCDEF"[(v % radix) as usize];
            v /= radix;
            if v == 0 {
                break;
            }
        }
        IdText {
            buf,
            start: i as u8,
        }
    }

    /// The text.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.buf[self.start as usize..]
    }
}

/// Up to `N` octets stored inline, e.g. an address kept for a receipt.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ShortBytes<const N: usize> {
    buf: [u8; N],
    len: u8,
}

impl<const N: usize> ShortBytes<N> {
    /// The first `N` octets of `s`.
    pub(crate) fn new(s: &[u8]) -> Self {
        let len = s.len().min(N);
        let mut buf = [0u8; N];
        buf[..len].copy_from_slice(&s[..len]);
        ShortBytes {
            buf,
            len: len as u8,
        }
    }

    /// The stored octets.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len as usize]
    }
}

/// The UTC receipt date (`YYMMDDhhmm`) of a Unix time in seconds.
pub(crate) fn receipt_date(unix_secs: u64) -> ReceiptDate {
    let days = (unix_secs / 86_400) as i64;
    let secs = unix_secs % 86_400;
    let (year, month, day) = civil_from_days(days);
    ReceiptDate {
        year: (year.rem_euclid(100)) as u8,
        month,
        day,
        hour: (secs / 3600) as u8,
        minute: (secs / 60 % 60) as u8,
        second: None,
    }
}

/// Gregorian `(year, month, day)` of days since 1970-01-01 (Howard
/// Hinnant's `civil_from_days`).
fn civil_from_days(z: i64) -> (i64, u8, u8) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_across_blocks() {
        let shared = AtomicU64::new(0);
        let mut a = IdBlock::new();
        let mut b = IdBlock::new();
        assert_eq!(a.next(&shared), 1);
        assert_eq!(a.next(&shared), 2);
        assert_eq!(b.next(&shared), BLOCK + 1);
        let mut seen = std::collections::HashSet::new();
        for _ in 0..3000 {
            assert!(seen.insert(a.next(&shared)));
            assert!(seen.insert(b.next(&shared)));
        }
        assert!(!seen.contains(&0));
    }

    #[test]
    fn formats_ids() {
        assert_eq!(IdText::new(0, IdFormat::Hex).as_bytes(), b"0");
        assert_eq!(IdText::new(0x1A2B, IdFormat::Hex).as_bytes(), b"1A2B");
        assert_eq!(IdText::new(6699, IdFormat::Decimal).as_bytes(), b"6699");
        assert_eq!(
            IdText::new(u64::MAX, IdFormat::Decimal).as_bytes(),
            b"18446744073709551615"
        );
        assert_eq!(
            IdText::new(u64::MAX, IdFormat::Hex).as_bytes(),
            b"FFFFFFFFFFFFFFFF"
        );
    }

    #[test]
    fn short_bytes_truncate() {
        assert_eq!(ShortBytes::<4>::new(b"abcdef").as_bytes(), b"abcd");
        assert_eq!(ShortBytes::<4>::new(b"ab").as_bytes(), b"ab");
    }

    #[test]
    fn receipt_dates() {
        assert_eq!(receipt_date(0).to_string(), "7001010000");
        // 2024-05-14 09:12:59 UTC.
        assert_eq!(receipt_date(1_715_677_979).to_string(), "2405140912");
        // 2000-02-29 23:59 UTC (leap day).
        assert_eq!(receipt_date(951_868_740).to_string(), "0002292359");
    }
}
