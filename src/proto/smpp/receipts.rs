//! Matching delivery receipts to the submits they report on.
//!
//! SMSCs often answer submit_sm with a hex message id and write the same id
//! in decimal in the receipt (or pad it with zeros). The book keys every
//! submit by its raw id and by its value read as decimal and as hex; a
//! receipt matches by raw id first, then by its decimal value against the
//! submits' decimal and hex values, then by its hex value against their
//! decimal values.

use std::collections::{HashMap, VecDeque};

use hornet_smpp::receipt::message_id_key;

#[derive(Debug, Clone, Copy)]
struct Entry {
    sent: u64,
    dec: Option<u64>,
    hex: Option<u64>,
}

/// Most receipts awaited per session. An SMSC that never sends receipts
/// must not grow the book without bound at millions of submits a second:
/// past this, the oldest awaited receipt is given up (and counted).
pub const MAX_AWAITED: usize = 256 * 1024;

/// Submits waiting for their receipt.
#[derive(Debug, Default)]
pub struct ReceiptBook {
    by_raw: HashMap<u64, Entry>,
    by_dec: HashMap<u64, u64>,
    by_hex: HashMap<u64, u64>,
    /// Raw keys in insertion order, for giving up the oldest; keys already
    /// matched are skipped when they reach the front.
    order: VecDeque<u64>,
    given_up: u64,
}

/// FNV-1a: a stable 64-bit key for a message id's raw bytes.
fn raw_key(id: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in id {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

impl ReceiptBook {
    /// Remembers that the submit answered with `id` was sent at `sent`.
    pub fn insert(&mut self, id: &[u8], sent: u64) {
        while self.by_raw.len() >= MAX_AWAITED {
            let Some(oldest) = self.order.pop_front() else {
                break;
            };
            if self.remove(oldest).is_some() {
                self.given_up += 1;
            }
        }
        // Matched keys linger in `order` until they reach the front; keep
        // the queue from outgrowing the book when receipts do arrive.
        if self.order.len() >= 2 * MAX_AWAITED {
            let by_raw = &self.by_raw;
            self.order.retain(|k| by_raw.contains_key(k));
        }
        let raw = raw_key(id);
        let (dec, hex) = message_id_key(id);
        // An SMSC that answers every submit with the same id replaces the
        // entry; queue the key only once, or `order` would grow without the
        // book doing so.
        if self.by_raw.insert(raw, Entry { sent, dec, hex }).is_none() {
            self.order.push_back(raw);
        }
        if let Some(d) = dec {
            self.by_dec.insert(d, raw);
        }
        if let Some(h) = hex {
            self.by_hex.insert(h, raw);
        }
    }

    /// Finds and forgets the submit a receipt with `id` reports on;
    /// returns when it was sent.
    pub fn take(&mut self, id: &[u8]) -> Option<u64> {
        let raw = raw_key(id);
        let found = if self.by_raw.contains_key(&raw) {
            Some(raw)
        } else {
            let (dec, hex) = message_id_key(id);
            dec.and_then(|d| self.by_dec.get(&d).or_else(|| self.by_hex.get(&d)))
                .or_else(|| hex.and_then(|h| self.by_dec.get(&h)))
                .copied()
        }?;
        self.remove(found)
    }

    fn remove(&mut self, raw: u64) -> Option<u64> {
        let entry = self.by_raw.remove(&raw)?;
        // Only drop numeric keys that still point at this entry: another id
        // may have the same value in the other base.
        if let Some(d) = entry.dec {
            if self.by_dec.get(&d) == Some(&raw) {
                self.by_dec.remove(&d);
            }
        }
        if let Some(h) = entry.hex {
            if self.by_hex.get(&h) == Some(&raw) {
                self.by_hex.remove(&h);
            }
        }
        Some(entry.sent)
    }

    /// Receipts given up because too many were awaited at once.
    pub fn given_up(&self) -> u64 {
        self.given_up
    }

    /// Submits still waiting for a receipt.
    pub fn len(&self) -> usize {
        self.by_raw.len()
    }

    /// True when no receipt is awaited.
    pub fn is_empty(&self) -> bool {
        self.by_raw.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_raw_hex_to_decimal_and_padded_ids() {
        let mut book = ReceiptBook::default();
        book.insert(b"1A2B", 10);
        book.insert(b"777", 20);
        book.insert(b"abc-1", 30);
        // 0x1A2B = 6699: hex in the response, decimal in the receipt.
        assert_eq!(book.take(b"6699"), Some(10));
        assert_eq!(book.take(b"0000777"), Some(20));
        assert_eq!(book.take(b"abc-1"), Some(30));
        assert_eq!(book.take(b"abc-1"), None);
        assert!(book.is_empty());
    }

    #[test]
    fn the_book_is_bounded_and_counts_what_it_gives_up() {
        let mut book = ReceiptBook::default();
        for i in 0..(MAX_AWAITED as u64 + 10) {
            book.insert(format!("id-{i}").as_bytes(), i);
        }
        assert_eq!(book.len(), MAX_AWAITED);
        assert_eq!(book.given_up(), 10);
        assert_eq!(book.take(b"id-0"), None);
        assert_eq!(book.take(b"id-10"), Some(10));
    }

    #[test]
    fn a_constant_message_id_does_not_grow_the_queue() {
        let mut book = ReceiptBook::default();
        for i in 0..1000 {
            book.insert(b"0", i);
        }
        assert_eq!(book.len(), 1);
        assert_eq!(book.order.len(), 1);
        assert_eq!(book.take(b"0"), Some(999));
    }

    #[test]
    fn decimal_response_hex_receipt() {
        let mut book = ReceiptBook::default();
        book.insert(b"255", 5);
        assert_eq!(book.take(b"ff"), Some(5));
        assert_eq!(book.len(), 0);
    }
}
