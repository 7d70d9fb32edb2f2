//! Long messages: splitting text into segments that each fit one SMS, and
//! reading the concatenation header back.
//!
//! An SMS carries 140 octets of user data. A concatenated segment spends
//! some on a user data header (UDH): 6 octets with the 8-bit reference IE
//! (0x00), 7 with the 16-bit one (0x08). What is left holds 153 GSM 7-bit
//! septets / 67 UCS-2 code units / 134 Latin-1 octets (8-bit reference),
//! or 152 / 66 / 133 (16-bit reference). A message that fits in one SMS
//! (160 septets / 70 code units / 140 octets) is not split.
//!
//! A segment with a UDH is sent with the UDHI bit ([`ESM_CLASS_UDHI`],
//! 0x40) set in esm_class and the UDH at the front of short_message. With
//! [`SplitMethod::Sar`] the segments carry no UDH; the sar_msg_ref_num,
//! sar_total_segments and sar_segment_seqnum TLVs say the same thing and
//! the MC builds the UDH, so segments are sized as for an 8-bit UDH.
//! GSM 7-bit text is carried unpacked (one septet per octet), as SMPP does
//! for data_coding 0; a segment never ends between an escape and its
//! extension character, nor between the halves of a UTF-16 surrogate pair.

use crate::text::{gsm7, Coding, TextError};
use core::fmt;
use core::ops::Range;

/// The esm_class bit (UDHI) saying short_message starts with a UDH.
pub const ESM_CLASS_UDHI: u8 = 0x40;

/// Octets of user data in one SMS.
pub const MAX_USER_DATA: usize = 140;

/// How a long message is carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SplitMethod {
    /// Concatenation UDH with an 8-bit reference (IE 0x00).
    Udh8,
    /// Concatenation UDH with a 16-bit reference (IE 0x08).
    Udh16,
    /// SAR TLVs (sar_msg_ref_num, sar_total_segments, sar_segment_seqnum).
    Sar,
    /// No splitting: the whole text in one message_payload TLV.
    MessagePayload,
}

/// The SAR TLV values of one segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Sar {
    /// sar_msg_ref_num: the same for every segment of a message.
    pub msg_ref_num: u16,
    /// sar_total_segments.
    pub total_segments: u8,
    /// sar_segment_seqnum, from 1.
    pub segment_seqnum: u8,
}

/// Why a text could not be split.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SplitError {
    /// The text cannot be encoded in the chosen coding.
    Text(TextError),
    /// The text needs more than 255 segments.
    TooManySegments {
        /// Segments needed.
        count: usize,
    },
}

impl fmt::Display for SplitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            SplitError::Text(e) => write!(f, "cannot encode text: {e}"),
            SplitError::TooManySegments { count } => {
                write!(f, "text needs {count} segments, the maximum is 255")
            }
        }
    }
}

impl std::error::Error for SplitError {}

impl From<TextError> for SplitError {
    fn from(e: TextError) -> Self {
        SplitError::Text(e)
    }
}

/// One segment of a split message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment<'a> {
    /// The UDH, length octet included; empty for SAR, message_payload and
    /// unsplit messages.
    pub udh: &'a [u8],
    /// The encoded text of this segment.
    pub payload: &'a [u8],
    /// SAR TLV values, for [`SplitMethod::Sar`] when split.
    pub sar: Option<Sar>,
}

impl Segment<'_> {
    /// `base` with the UDHI bit set if this segment has a UDH.
    pub fn esm_class(&self, base: u8) -> u8 {
        if self.udh.is_empty() {
            base
        } else {
            base | ESM_CLASS_UDHI
        }
    }

    /// Appends UDH then payload: the short_message of this segment.
    pub fn write_short_message(&self, out: &mut Vec<u8>) -> usize {
        out.extend_from_slice(self.udh);
        out.extend_from_slice(self.payload);
        self.udh.len() + self.payload.len()
    }
}

/// The segments of a split message, in one buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    buf: Vec<u8>,
    segments: Vec<(Range<usize>, Range<usize>, Option<Sar>)>,
}

impl Split {
    /// Number of segments (1 if the text was not split).
    pub fn len(&self) -> usize {
        self.segments.len()
    }

    /// Whether there are no segments (never: empty text gives one empty
    /// segment).
    pub fn is_empty(&self) -> bool {
        self.segments.is_empty()
    }

    /// The `i`th segment.
    pub fn get(&self, i: usize) -> Option<Segment<'_>> {
        self.segments.get(i).map(|(u, p, sar)| Segment {
            udh: &self.buf[u.clone()],
            payload: &self.buf[p.clone()],
            sar: *sar,
        })
    }

    /// The segments in order.
    pub fn iter(&self) -> impl Iterator<Item = Segment<'_>> + '_ {
        (0..self.len()).filter_map(move |i| self.get(i))
    }
}

/// Octets of encoded text per segment: (unsplit, 8-bit UDH, 16-bit UDH).
fn limits(coding: Coding) -> (usize, usize, usize) {
    match coding {
        Coding::Gsm7 => (160, 153, 152),
        Coding::Ucs2 => (140, 134, 132),
        Coding::Latin1 => (140, 134, 133),
    }
}

/// Octets `c` takes in `coding` (its atomic unit: never split).
fn char_len(c: char, coding: Coding) -> usize {
    match coding {
        Coding::Gsm7 => match gsm7::lookup(c) {
            Some((_, Some(_))) => 2,
            _ => 1,
        },
        Coding::Ucs2 => c.len_utf16() * 2,
        Coding::Latin1 => 1,
    }
}

/// Splits `text` into segments for `method`.
///
/// `reference` is the concatenation reference (its low byte for
/// [`SplitMethod::Udh8`]); use a different one per message to the same
/// destination.
///
/// ```
/// use hornet_smpp::split::{split, SplitMethod};
/// use hornet_smpp::text::Coding;
/// let text = "x".repeat(161);
/// let s = split(&text, Coding::Gsm7, SplitMethod::Udh8, 0x42).unwrap();
/// assert_eq!(s.len(), 2);
/// let first = s.get(0).unwrap();
/// assert_eq!(first.udh, [5, 0, 3, 0x42, 2, 1]);
/// assert_eq!(first.payload.len(), 153);
/// ```
pub fn split(
    text: &str,
    coding: Coding,
    method: SplitMethod,
    reference: u16,
) -> Result<Split, SplitError> {
    let mut enc = Vec::with_capacity(text.len() * 2);
    coding.encode(text, &mut enc)?;
    let (single, l8, l16) = limits(coding);
    if method == SplitMethod::MessagePayload || enc.len() <= single {
        let len = enc.len();
        return Ok(Split {
            buf: enc,
            segments: vec![(0..0, 0..len, None)],
        });
    }
    let limit = if method == SplitMethod::Udh16 {
        l16
    } else {
        l8
    };
    // Cut points, on character boundaries.
    let mut cuts = vec![0];
    let (mut seg_start, mut pos) = (0, 0);
    for c in text.chars() {
        let n = char_len(c, coding);
        if pos + n - seg_start > limit {
            cuts.push(pos);
            seg_start = pos;
        }
        pos += n;
    }
    cuts.push(pos);
    debug_assert_eq!(pos, enc.len());
    let count = cuts.len() - 1;
    if count > 255 {
        return Err(SplitError::TooManySegments { count });
    }
    let mut buf = Vec::with_capacity(enc.len() + count * 7);
    let mut segments = Vec::with_capacity(count);
    for (i, w) in cuts.windows(2).enumerate() {
        let (total, seq) = (count as u8, (i + 1) as u8);
        let udh_start = buf.len();
        let [hi, lo] = reference.to_be_bytes();
        let sar = match method {
            SplitMethod::Udh8 => {
                buf.extend_from_slice(&[5, 0x00, 3, lo, total, seq]);
                None
            }
            SplitMethod::Udh16 => {
                buf.extend_from_slice(&[6, 0x08, 4, hi, lo, total, seq]);
                None
            }
            SplitMethod::Sar | SplitMethod::MessagePayload => Some(Sar {
                msg_ref_num: reference,
                total_segments: total,
                segment_seqnum: seq,
            }),
        };
        let udh = udh_start..buf.len();
        let p_start = buf.len();
        buf.extend_from_slice(&enc[w[0]..w[1]]);
        segments.push((udh, p_start..buf.len(), sar));
    }
    Ok(Split { buf, segments })
}

/// A concatenation information element read from a UDH.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Concat {
    /// The message reference (8-bit references are widened).
    pub reference: u16,
    /// Segments in the message.
    pub total: u8,
    /// This segment's number, from 1.
    pub seq: u8,
    /// Octets of UDH at the front of short_message, length octet included:
    /// the text starts here.
    pub udh_len: usize,
}

/// Reads the concatenation IE (0x00, 8-bit reference, or 0x08, 16-bit)
/// from the UDH at the front of `short_message`. Call it when esm_class
/// has [`ESM_CLASS_UDHI`]. `None` if the UDH is malformed or has no
/// concatenation IE.
pub fn parse_concat(short_message: &[u8]) -> Option<Concat> {
    let (&udhl, rest) = short_message.split_first()?;
    let mut ies = rest.get(..udhl as usize)?;
    let udh_len = 1 + udhl as usize;
    while let [iei, len, tail @ ..] = ies {
        let data = tail.get(..*len as usize)?;
        match (*iei, data) {
            (0x00, &[r, total, seq]) => {
                return Some(Concat {
                    reference: u16::from(r),
                    total,
                    seq,
                    udh_len,
                })
            }
            (0x08, &[r0, r1, total, seq]) => {
                return Some(Concat {
                    reference: u16::from_be_bytes([r0, r1]),
                    total,
                    seq,
                    udh_len,
                })
            }
            _ => {}
        }
        ies = &tail[*len as usize..];
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn septets_of(s: &Split) -> Vec<usize> {
        s.iter().map(|g| g.payload.len()).collect()
    }

    #[test]
    fn gsm7_boundaries() {
        for (n, want) in [
            (160, vec![160]),
            (161, vec![153, 8]),
            (306, vec![153, 153]),
            (307, vec![153, 153, 1]),
        ] {
            let s = split(&"a".repeat(n), Coding::Gsm7, SplitMethod::Udh8, 7).unwrap();
            assert_eq!(septets_of(&s), want, "{n}");
        }
        // 153 / 154 septets in the first segment (well beyond 160 in total).
        let s = split(&"a".repeat(153 + 100), Coding::Gsm7, SplitMethod::Udh8, 7).unwrap();
        assert_eq!(septets_of(&s), [153, 100]);
        let s = split(&"a".repeat(154 + 100), Coding::Gsm7, SplitMethod::Udh8, 7).unwrap();
        assert_eq!(septets_of(&s), [153, 101]);
        let s = split(&"a".repeat(200), Coding::Gsm7, SplitMethod::Udh16, 0x1234).unwrap();
        assert_eq!(septets_of(&s), [152, 48]);
        assert_eq!(s.get(1).unwrap().udh, [6, 8, 4, 0x12, 0x34, 2, 2]);
    }

    #[test]
    fn escape_pair_never_split() {
        // 152 plain septets then '€' (ESC + 0x65): the pair would straddle 153.
        let text = format!("{}€{}", "a".repeat(152), "b".repeat(20));
        let s = split(&text, Coding::Gsm7, SplitMethod::Udh8, 1).unwrap();
        assert_eq!(septets_of(&s), [152, 22]);
        assert_eq!(s.get(1).unwrap().payload[..2], [0x1B, 0x65]);
        // 151 + pair fits exactly.
        let text = format!("{}€{}", "a".repeat(151), "b".repeat(20));
        let s = split(&text, Coding::Gsm7, SplitMethod::Udh8, 1).unwrap();
        assert_eq!(septets_of(&s), [153, 20]);
    }

    #[test]
    fn ucs2_and_latin1_boundaries() {
        let s = split(&"я".repeat(70), Coding::Ucs2, SplitMethod::Udh8, 1).unwrap();
        assert_eq!(septets_of(&s), [140]);
        let s = split(&"я".repeat(71), Coding::Ucs2, SplitMethod::Udh8, 1).unwrap();
        assert_eq!(septets_of(&s), [134, 8]);
        let s = split(&"я".repeat(71), Coding::Ucs2, SplitMethod::Udh16, 1).unwrap();
        assert_eq!(septets_of(&s), [132, 10]);
        // Surrogate pair at the 67-unit boundary moves whole.
        let text = format!("{}😀{}", "я".repeat(66), "я".repeat(10));
        let s = split(&text, Coding::Ucs2, SplitMethod::Udh8, 1).unwrap();
        assert_eq!(septets_of(&s), [132, 24]);
        let s = split(&"é".repeat(141), Coding::Latin1, SplitMethod::Udh8, 1).unwrap();
        assert_eq!(septets_of(&s), [134, 7]);
        let s = split(&"é".repeat(141), Coding::Latin1, SplitMethod::Udh16, 1).unwrap();
        assert_eq!(septets_of(&s), [133, 8]);
    }

    #[test]
    fn sar_payload_and_errors() {
        let s = split(&"a".repeat(200), Coding::Gsm7, SplitMethod::Sar, 300).unwrap();
        let segs: Vec<_> = s.iter().collect();
        assert_eq!(segs.len(), 2);
        assert!(segs[0].udh.is_empty());
        assert_eq!(segs[0].esm_class(0), 0);
        assert_eq!(
            segs[1].sar,
            Some(Sar {
                msg_ref_num: 300,
                total_segments: 2,
                segment_seqnum: 2
            })
        );
        let s = split(
            &"a".repeat(1000),
            Coding::Gsm7,
            SplitMethod::MessagePayload,
            0,
        )
        .unwrap();
        assert_eq!(septets_of(&s), [1000]);
        assert_eq!(s.get(0).unwrap().sar, None);
        assert!(matches!(
            split("😀", Coding::Gsm7, SplitMethod::Udh8, 0),
            Err(SplitError::Text(_))
        ));
        assert_eq!(
            split(&"a".repeat(153 * 256), Coding::Gsm7, SplitMethod::Udh8, 0),
            Err(SplitError::TooManySegments { count: 256 })
        );
    }

    #[test]
    fn udh_round_trip() {
        for method in [SplitMethod::Udh8, SplitMethod::Udh16] {
            let s = split(&"a".repeat(400), Coding::Gsm7, method, 0x0102).unwrap();
            for (i, seg) in s.iter().enumerate() {
                assert_eq!(seg.esm_class(0), ESM_CLASS_UDHI);
                let mut sm = Vec::new();
                seg.write_short_message(&mut sm);
                let c = parse_concat(&sm).unwrap();
                let want_ref = if method == SplitMethod::Udh8 {
                    0x02
                } else {
                    0x0102
                };
                assert_eq!((c.reference, c.total, c.seq), (want_ref, 3, i as u8 + 1));
                assert_eq!(&sm[c.udh_len..], seg.payload);
            }
        }
        // Another IE first (port addressing 0x05), then concat.
        let sm = [11, 0x05, 4, 0x0B, 0x84, 0x23, 0xF0, 0x00, 3, 9, 2, 1, b'x'];
        assert_eq!(
            parse_concat(&sm),
            Some(Concat {
                reference: 9,
                total: 2,
                seq: 1,
                udh_len: 12
            })
        );
        assert_eq!(parse_concat(&[]), None);
        assert_eq!(parse_concat(&[5, 0, 3, 1]), None);
        assert_eq!(parse_concat(&[3, 0x05, 1, 0]), None);
    }
}
