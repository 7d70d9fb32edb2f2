//! Delivery receipts: parsing the de facto text format (SMPP 3.4
//! appendix B), reading a receipt out of a deliver_sm, writing one for an
//! SMSC simulator, and matching receipt ids to submit_sm_resp ids.
//!
//! The text form is
//! `id:IIII sub:SSS dlvrd:DDD submit date:YYMMDDhhmm done date:YYMMDDhhmm stat:DDDDDDD err:E text:...`.
//! MCs vary: ids in hex or decimal, dates with seconds (12 digits), `Text:`
//! capitalised, doubled spaces, `err:` or `sub:` missing. The parser is
//! lenient about all of those and strict about the values it does read.

use crate::pdu::SubmitSm;
use crate::tlv::{MessageState, TypedTlv};
use core::fmt;
use std::io::Write;

/// esm_class message-type bits (mask 0x3C) for an MC delivery receipt.
pub const ESM_CLASS_MC_DELIVERY_RECEIPT: u8 = 0x04;
/// esm_class message-type bits for an intermediate delivery notification.
pub const ESM_CLASS_INTERMEDIATE_NOTIFICATION: u8 = 0x20;
/// Mask of the esm_class message-type bits.
pub const ESM_CLASS_TYPE_MASK: u8 = 0x3C;

/// A receipt date, `YYMMDDhhmm` with optional `ss`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReceiptDate {
    /// Two-digit year.
    pub year: u8,
    /// Month, 1 to 12.
    pub month: u8,
    /// Day, 1 to 31.
    pub day: u8,
    /// Hour, 0 to 23.
    pub hour: u8,
    /// Minute, 0 to 59.
    pub minute: u8,
    /// Second, 0 to 59, when the MC sends 12 digits.
    pub second: Option<u8>,
}

impl ReceiptDate {
    /// Reads 10 or 12 digits.
    pub fn parse(s: &[u8]) -> Option<ReceiptDate> {
        if !(s.len() == 10 || s.len() == 12) || !s.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let two = |i: usize| (s[i] - b'0') * 10 + (s[i + 1] - b'0');
        let d = ReceiptDate {
            year: two(0),
            month: two(2),
            day: two(4),
            hour: two(6),
            minute: two(8),
            second: (s.len() == 12).then(|| two(10)),
        };
        let ok = (1..=12).contains(&d.month)
            && (1..=31).contains(&d.day)
            && d.hour < 24
            && d.minute < 60
            && d.second.map_or(true, |s| s < 60);
        ok.then_some(d)
    }
}

impl fmt::Display for ReceiptDate {
    /// `YYMMDDhhmm`, plus `ss` when present.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:02}{:02}{:02}{:02}{:02}",
            self.year, self.month, self.day, self.hour, self.minute
        )?;
        if let Some(s) = self.second {
            write!(f, "{s:02}")?;
        }
        Ok(())
    }
}

/// A delivery receipt, borrowing from the message it was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Receipt<'a> {
    /// The MC's id of the receipted message, as sent (see [`message_id_key`]).
    pub id: &'a [u8],
    /// `sub:` messages originally submitted.
    pub sub: Option<u32>,
    /// `dlvrd:` messages delivered.
    pub dlvrd: Option<u32>,
    /// `submit date:`.
    pub submit_date: Option<ReceiptDate>,
    /// `done date:`.
    pub done_date: Option<ReceiptDate>,
    /// The final state, if `stat:` (or the message_state TLV) names a known one.
    pub stat: Option<MessageState>,
    /// `stat:` as sent (empty if absent).
    pub stat_raw: &'a [u8],
    /// `err:` as sent (a network-specific code, often 3 digits).
    pub err: Option<&'a [u8]>,
    /// `text:`: the first characters of the original message (empty if absent).
    pub text: &'a [u8],
}

/// A receipt field, named in [`ReceiptError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReceiptField {
    /// `id:`.
    Id,
    /// `sub:`.
    Sub,
    /// `dlvrd:`.
    Dlvrd,
    /// `submit date:`.
    SubmitDate,
    /// `done date:`.
    DoneDate,
}

impl ReceiptField {
    /// The key as it appears in a receipt.
    pub const fn name(self) -> &'static str {
        match self {
            ReceiptField::Id => "id",
            ReceiptField::Sub => "sub",
            ReceiptField::Dlvrd => "dlvrd",
            ReceiptField::SubmitDate => "submit date",
            ReceiptField::DoneDate => "done date",
        }
    }
}

/// Why a message is not a readable receipt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReceiptError {
    /// No `id:` field (nor receipted_message_id TLV): not a receipt.
    MissingId,
    /// A field that must be a decimal number is not one (or overflows u32).
    BadNumber {
        /// The field.
        field: ReceiptField,
    },
    /// A date is not 10 or 12 digits forming a valid date and time.
    BadDate {
        /// The field.
        field: ReceiptField,
    },
}

impl fmt::Display for ReceiptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ReceiptError::MissingId => f.write_str("receipt has no id"),
            ReceiptError::BadNumber { field } => {
                write!(f, "receipt field {} is not a number", field.name())
            }
            ReceiptError::BadDate { field } => {
                write!(
                    f,
                    "receipt field {} is not a YYMMDDhhmm[ss] date",
                    field.name()
                )
            }
        }
    }
}

impl std::error::Error for ReceiptError {}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Key {
    Id,
    Sub,
    Dlvrd,
    SubmitDate,
    DoneDate,
    Stat,
    Err,
    Text,
}

const KEYS: &[(&[u8], Key)] = &[
    (b"id:", Key::Id),
    (b"sub:", Key::Sub),
    (b"dlvrd:", Key::Dlvrd),
    (b"submit date:", Key::SubmitDate),
    (b"submit_date:", Key::SubmitDate),
    (b"done date:", Key::DoneDate),
    (b"done_date:", Key::DoneDate),
    (b"stat:", Key::Stat),
    (b"err:", Key::Err),
    (b"text:", Key::Text),
];

/// The key at the front of `s`, ASCII case-insensitively, and its length.
fn key_at(s: &[u8]) -> Option<(Key, usize)> {
    KEYS.iter().find_map(|&(k, key)| {
        (s.len() >= k.len() && s[..k.len()].eq_ignore_ascii_case(k)).then_some((key, k.len()))
    })
}

fn number(v: &[u8], field: ReceiptField) -> Result<u32, ReceiptError> {
    let bad = ReceiptError::BadNumber { field };
    if v.is_empty() || !v.iter().all(u8::is_ascii_digit) {
        return Err(bad);
    }
    v.iter()
        .try_fold(0u32, |n, &d| {
            n.checked_mul(10)?.checked_add(u32::from(d - b'0'))
        })
        .ok_or(bad)
}

/// Parses the text form of a receipt. `id:` is required; the other fields
/// are optional and may come in any order with any amount of space between
/// them; keys are matched in any ASCII case; `text:` takes the rest of the
/// message. Unknown `key:value` tokens are skipped.
///
/// ```
/// use hornet_smpp::{receipt, MessageState};
/// let r = receipt::parse_text(b"id:1A2B sub:001 dlvrd:001 submit date:2405140912 \
///     done date:240514091305 stat:DELIVRD err:000 Text:hello").unwrap();
/// assert_eq!((r.id, r.stat, r.text), (&b"1A2B"[..], Some(MessageState::Delivered), &b"hello"[..]));
/// ```
pub fn parse_text(s: &[u8]) -> Result<Receipt<'_>, ReceiptError> {
    let mut r = Receipt {
        id: b"",
        sub: None,
        dlvrd: None,
        submit_date: None,
        done_date: None,
        stat: None,
        stat_raw: b"",
        err: None,
        text: b"",
    };
    let mut have_id = false;
    let mut i = 0;
    while i < s.len() {
        if s[i].is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let Some((key, klen)) = key_at(&s[i..]) else {
            // Skip an unknown token.
            while i < s.len() && !s[i].is_ascii_whitespace() {
                i += 1;
            }
            continue;
        };
        i += klen;
        if key == Key::Text {
            r.text = &s[i..];
            break;
        }
        // Value: after optional spaces, up to the next whitespace; empty if
        // the next token is another key.
        let mut j = i;
        while j < s.len() && s[j] == b' ' {
            j += 1;
        }
        let mut end = j;
        if key_at(&s[j..]).is_none() {
            while end < s.len() && !s[end].is_ascii_whitespace() {
                end += 1;
            }
        }
        let v = &s[j..end];
        i = end;
        match key {
            Key::Id => {
                r.id = v;
                have_id = !v.is_empty();
            }
            Key::Sub => r.sub = Some(number(v, ReceiptField::Sub)?),
            Key::Dlvrd => r.dlvrd = Some(number(v, ReceiptField::Dlvrd)?),
            Key::SubmitDate => {
                r.submit_date = Some(ReceiptDate::parse(v).ok_or(ReceiptError::BadDate {
                    field: ReceiptField::SubmitDate,
                })?);
            }
            Key::DoneDate => {
                r.done_date = Some(ReceiptDate::parse(v).ok_or(ReceiptError::BadDate {
                    field: ReceiptField::DoneDate,
                })?);
            }
            Key::Stat => {
                r.stat_raw = v;
                r.stat = MessageState::from_stat(v);
            }
            Key::Err => r.err = Some(v),
            Key::Text => unreachable!("handled above"),
        }
    }
    if !have_id {
        return Err(ReceiptError::MissingId);
    }
    Ok(r)
}

/// Whether a deliver_sm's esm_class marks it as a receipt: message type
/// 0x04 (MC delivery receipt) or 0x20 (intermediate delivery notification).
pub fn is_receipt(esm_class: u8) -> bool {
    matches!(
        esm_class & ESM_CLASS_TYPE_MASK,
        ESM_CLASS_MC_DELIVERY_RECEIPT | ESM_CLASS_INTERMEDIATE_NOTIFICATION
    )
}

/// Reads the receipt in a deliver_sm (or data_sm mapped onto [`SubmitSm`]).
///
/// `None` if esm_class does not mark a receipt (see [`is_receipt`]). The
/// receipted_message_id and message_state TLVs, when present and valid,
/// win over the text's `id:` and `stat:`; the text (short_message, or the
/// message_payload TLV when short_message is empty) supplies the rest. If
/// the text is unreadable but the TLV id is present, the receipt has the
/// TLV fields only.
pub fn from_deliver_sm<'a>(sm: &SubmitSm<'a>) -> Option<Result<Receipt<'a>, ReceiptError>> {
    if !is_receipt(sm.esm_class) {
        return None;
    }
    let mut tlv_id = None;
    let mut tlv_state = None;
    let mut payload = None;
    for t in sm.tlvs.iter().map_while(Result::ok) {
        match TypedTlv::parse(t) {
            Ok(TypedTlv::ReceiptedMessageId(id)) if !id.is_empty() => tlv_id = Some(id),
            Ok(TypedTlv::MessageState(st)) => tlv_state = Some(st),
            Ok(TypedTlv::MessagePayload(p)) => payload = Some(p),
            _ => {}
        }
    }
    let text = match payload {
        Some(p) if sm.short_message.is_empty() => p,
        _ => sm.short_message,
    };
    let parsed = parse_text(text);
    let mut r = match (parsed, tlv_id) {
        (Ok(r), _) => r,
        (Err(_), Some(id)) => Receipt {
            id,
            sub: None,
            dlvrd: None,
            submit_date: None,
            done_date: None,
            stat: None,
            stat_raw: b"",
            err: None,
            text: b"",
        },
        (Err(e), None) => return Some(Err(e)),
    };
    if let Some(id) = tlv_id {
        r.id = id;
    }
    if let Some(st) = tlv_state {
        r.stat = Some(st);
        if r.stat_raw.is_empty() {
            r.stat_raw = st.stat_name().as_bytes();
        }
    }
    Some(Ok(r))
}

/// The fields of a receipt to write, for an SMSC simulator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReceiptFields<'a> {
    /// The message id, as the simulator returned it in submit_sm_resp (or
    /// its decimal form, to exercise [`message_id_key`] matching).
    pub id: &'a [u8],
    /// `sub:`.
    pub sub: u32,
    /// `dlvrd:`.
    pub dlvrd: u32,
    /// `submit date:`.
    pub submit_date: ReceiptDate,
    /// `done date:`.
    pub done_date: ReceiptDate,
    /// `stat:`.
    pub stat: MessageState,
    /// `err:`, written as three digits.
    pub err: u16,
    /// The original message; the first 20 octets are written.
    pub text: &'a [u8],
}

/// Appends the text form of a receipt to `out` and returns the octets
/// written, e.g.
/// `id:1A2B sub:001 dlvrd:001 submit date:2405140912 done date:2405140913 stat:DELIVRD err:000 text:hello`.
pub fn write_text(f: &ReceiptFields<'_>, out: &mut Vec<u8>) -> usize {
    let start = out.len();
    out.extend_from_slice(b"id:");
    out.extend_from_slice(f.id);
    // Writing to a Vec cannot fail.
    let _ = write!(
        out,
        " sub:{:03} dlvrd:{:03} submit date:{} done date:{} stat:{} err:{:03} text:",
        f.sub,
        f.dlvrd,
        f.submit_date,
        f.done_date,
        f.stat.stat_name(),
        f.err
    );
    out.extend_from_slice(&f.text[..f.text.len().min(20)]);
    out.len() - start
}

/// Numeric interpretations of a message id: `(decimal, hex)`, each `None`
/// when the id is not a number in that base or overflows `u64`.
///
/// Many MCs return a hex id in submit_sm_resp and the same number in
/// decimal in the receipt's `id:` (or the other way round); others zero-pad.
/// The intended matching rule (implemented by [`ids_match`]): a receipt id
/// and a submit id match if their bytes are equal ignoring ASCII case, or
/// if any numeric interpretation of one equals any of the other. A client
/// keeps pending submits in a map keyed by each `Some` key it has (both
/// when both exist) and looks a receipt up by its keys in the same order:
/// raw bytes, then decimal, then hex. The cross-base match can in theory
/// pair two different messages (decimal "16" and hex "10"); within one
/// bind's window of recent ids that is rare enough for latency accounting.
///
/// ```
/// use hornet_smpp::receipt::message_id_key;
/// assert_eq!(message_id_key(b"1A2B"), (None, Some(0x1A2B)));
/// assert_eq!(message_id_key(b"0006699"), (Some(6699), Some(0x6699)));
/// assert_eq!(message_id_key(b"msg-1"), (None, None));
/// ```
pub fn message_id_key(id: &[u8]) -> (Option<u64>, Option<u64>) {
    let parse = |radix: u32| {
        if id.is_empty() {
            return None;
        }
        id.iter().try_fold(0u64, |n, &b| {
            let d = (b as char).to_digit(radix)?;
            n.checked_mul(u64::from(radix))?.checked_add(u64::from(d))
        })
    };
    (parse(10), parse(16))
}

/// Whether a receipt's id and a submit_sm_resp's id name the same message,
/// by the rule documented on [`message_id_key`].
pub fn ids_match(a: &[u8], b: &[u8]) -> bool {
    if a.eq_ignore_ascii_case(b) {
        return true;
    }
    let (ad, ah) = message_id_key(a);
    let (bd, bh) = message_id_key(b);
    [ad, ah]
        .iter()
        .flatten()
        .any(|x| [bd, bh].iter().flatten().any(|y| x == y))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tlv::{tag, Tlv, Tlvs};

    fn date(y: u8, mo: u8, d: u8, h: u8, mi: u8, s: Option<u8>) -> Option<ReceiptDate> {
        Some(ReceiptDate {
            year: y,
            month: mo,
            day: d,
            hour: h,
            minute: mi,
            second: s,
        })
    }

    #[test]
    fn real_world_variants() {
        type Want<'a> = (
            &'a [u8],
            Option<u32>,
            Option<MessageState>,
            Option<&'a [u8]>,
            &'a [u8],
        );
        let cases: &[(&[u8], Want<'_>)] = &[
            // Spec appendix B shape, hex id.
            (
                b"id:7F3A9C01 sub:001 dlvrd:001 submit date:2405140912 done date:2405140913 stat:DELIVRD err:000 text:Hello world",
                (b"7F3A9C01", Some(1), Some(MessageState::Delivered), Some(b"000"), b"Hello world"),
            ),
            // Decimal id, 12-digit dates, capitalised Text.
            (
                b"id:2138462101 sub:001 dlvrd:000 submit date:240514091244 done date:240514091301 stat:UNDELIV err:001 Text:",
                (b"2138462101", Some(1), Some(MessageState::Undeliverable), Some(b"001"), b""),
            ),
            // Missing err, extra spaces, lower-case stat.
            (
                b"id:  abc-123   sub:1  dlvrd:1   submit date:2405140912   done date:2405140913  stat:expired  text:x",
                (b"abc-123", Some(1), Some(MessageState::Expired), None, b"x"),
            ),
            // Only id and stat, long form.
            (b"id:42 stat:DELIVERED", (b"42", None, Some(MessageState::Delivered), None, b"")),
            // Unknown stat is kept raw; unknown tokens skipped.
            (
                b"id:9 foo:bar stat:WEIRD err:0 TEXT:id:nested",
                (b"9", None, None, Some(b"0"), b"id:nested"),
            ),
        ];
        for (input, (id, sub, stat, err, text)) in cases {
            let r = parse_text(input)
                .unwrap_or_else(|e| panic!("{}: {e}", String::from_utf8_lossy(input)));
            assert_eq!(r.id, *id);
            assert_eq!(r.sub, *sub);
            assert_eq!(r.stat, *stat);
            assert_eq!(r.err, *err);
            assert_eq!(r.text, *text);
        }
        let r = parse_text(cases[1].0).unwrap();
        assert_eq!(r.submit_date, date(24, 5, 14, 9, 12, Some(44)));
        assert_eq!(r.done_date, date(24, 5, 14, 9, 13, Some(1)));
        assert_eq!(r.dlvrd, Some(0));
        assert_eq!(r.stat_raw, b"UNDELIV");
    }

    #[test]
    fn garbage_is_an_error() {
        let cases: &[(&[u8], ReceiptError)] = &[
            (b"", ReceiptError::MissingId),
            (b"hello there", ReceiptError::MissingId),
            (b"id: sub:001", ReceiptError::MissingId),
            (b"\xff\x00\x01", ReceiptError::MissingId),
            (
                b"id:1 sub:x1",
                ReceiptError::BadNumber {
                    field: ReceiptField::Sub,
                },
            ),
            (
                b"id:1 dlvrd:99999999999",
                ReceiptError::BadNumber {
                    field: ReceiptField::Dlvrd,
                },
            ),
            (
                b"id:1 submit date:24051409",
                ReceiptError::BadDate {
                    field: ReceiptField::SubmitDate,
                },
            ),
            (
                b"id:1 done date:2413140913",
                ReceiptError::BadDate {
                    field: ReceiptField::DoneDate,
                },
            ),
        ];
        for (input, want) in cases {
            assert_eq!(
                parse_text(input),
                Err(*want),
                "{}",
                String::from_utf8_lossy(input)
            );
        }
    }

    #[test]
    fn write_then_parse() {
        let d = ReceiptDate {
            year: 24,
            month: 5,
            day: 14,
            hour: 9,
            minute: 12,
            second: None,
        };
        let f = ReceiptFields {
            id: b"1A2B",
            sub: 1,
            dlvrd: 1,
            submit_date: d,
            done_date: ReceiptDate {
                second: Some(5),
                ..d
            },
            stat: MessageState::Delivered,
            err: 0,
            text: b"a message longer than twenty octets",
        };
        let mut out = Vec::new();
        let n = write_text(&f, &mut out);
        assert_eq!(n, out.len());
        assert_eq!(
            out,
            b"id:1A2B sub:001 dlvrd:001 submit date:2405140912 done date:240514091205 stat:DELIVRD err:000 text:a message longer tha"
        );
        let r = parse_text(&out).unwrap();
        assert_eq!((r.id, r.sub, r.dlvrd), (&b"1A2B"[..], Some(1), Some(1)));
        assert_eq!((r.submit_date, r.done_date), (Some(d), Some(f.done_date)));
    }

    #[test]
    fn deliver_sm_prefers_tlvs() {
        let text = b"id:0001 sub:001 dlvrd:001 submit date:2405140912 done date:2405140913 stat:UNDELIV err:000 text:";
        let tlvs = [
            Tlv::new(tag::RECEIPTED_MESSAGE_ID, b"1A2B\0"),
            Tlv::new(tag::MESSAGE_STATE, &[2]),
        ];
        let mut sm = SubmitSm {
            esm_class: 0x04,
            short_message: text,
            tlvs: Tlvs::List(&tlvs),
            ..SubmitSm::default()
        };
        let r = from_deliver_sm(&sm).unwrap().unwrap();
        assert_eq!(
            (r.id, r.stat),
            (&b"1A2B"[..], Some(MessageState::Delivered))
        );
        assert_eq!(r.stat_raw, b"UNDELIV");
        assert_eq!(r.sub, Some(1));
        // No text: TLVs alone.
        sm.short_message = b"";
        let r = from_deliver_sm(&sm).unwrap().unwrap();
        assert_eq!((r.id, r.stat_raw), (&b"1A2B"[..], &b"DELIVRD"[..]));
        // Text only, in message_payload.
        let payload = [Tlv::new(tag::MESSAGE_PAYLOAD, text)];
        sm.tlvs = Tlvs::List(&payload);
        let r = from_deliver_sm(&sm).unwrap().unwrap();
        assert_eq!(
            (r.id, r.stat),
            (&b"0001"[..], Some(MessageState::Undeliverable))
        );
        // Not a receipt.
        sm.esm_class = 0x00;
        assert_eq!(from_deliver_sm(&sm), None);
        // A receipt with nothing readable.
        let sm = SubmitSm {
            esm_class: 0x04,
            short_message: b"??",
            ..SubmitSm::default()
        };
        assert_eq!(from_deliver_sm(&sm), Some(Err(ReceiptError::MissingId)));
    }

    #[test]
    fn message_id_keys_and_matching() {
        assert_eq!(message_id_key(b"12"), (Some(12), Some(0x12)));
        assert_eq!(message_id_key(b"ff"), (None, Some(255)));
        assert_eq!(message_id_key(b""), (None, None));
        assert_eq!(message_id_key(b"99999999999999999999"), (None, None));
        // Hex in submit_sm_resp, decimal in the receipt.
        assert!(ids_match(b"1A2B", b"6699"));
        assert!(ids_match(b"0000006699", b"6699"));
        assert!(ids_match(b"abc-1", b"ABC-1"));
        assert!(!ids_match(b"1A2B", b"6698"));
        assert!(!ids_match(b"msg-1", b"msg-2"));
    }
}
