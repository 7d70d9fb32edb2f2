//! The message a run sends, encoded once before the run: text in the chosen
//! coding, split into the submit_sm parts of a long message.

use hornet_smpp::split::{split, SplitMethod};
use hornet_smpp::tag;
use hornet_smpp::text::Coding;

use super::Segment;

/// Concatenation reference of every multipart message. Each message goes to
/// its own destination number, so handsets and SMSCs, which reassemble by
/// (source, destination, reference), never mix two messages.
const REFERENCE: u16 = 0x42;

/// Encodes `text` and splits it into the parts one message needs. The error
/// says which character cannot be encoded or why splitting failed.
pub fn build_segments(
    text: &str,
    coding: Coding,
    method: SplitMethod,
) -> Result<Vec<Segment>, String> {
    if text.is_empty() {
        return Err("the message text is empty".into());
    }
    let parts = split(text, coding, method, REFERENCE).map_err(|e| e.to_string())?;
    let mut segments = Vec::with_capacity(parts.len());
    for part in parts.iter() {
        let mut tlvs = Vec::new();
        let mut short_message = Vec::new();
        if method == SplitMethod::MessagePayload {
            tlvs.push((tag::MESSAGE_PAYLOAD, part.payload.to_vec()));
        } else {
            part.write_short_message(&mut short_message);
        }
        if let Some(sar) = part.sar {
            tlvs.push((tag::SAR_MSG_REF_NUM, sar.msg_ref_num.to_be_bytes().to_vec()));
            tlvs.push((tag::SAR_TOTAL_SEGMENTS, vec![sar.total_segments]));
            tlvs.push((tag::SAR_SEGMENT_SEQNUM, vec![sar.segment_seqnum]));
        }
        segments.push(Segment {
            esm_class: part.esm_class(0),
            short_message,
            tlvs,
        });
    }
    Ok(segments)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_text_is_one_plain_part() {
        let s = build_segments("hello", Coding::Gsm7, SplitMethod::Udh8).unwrap();
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].esm_class, 0);
        assert_eq!(s[0].short_message, b"hello");
        assert!(s[0].tlvs.is_empty());
    }

    #[test]
    fn long_text_gets_udh_or_sar_or_payload() {
        let text = "a".repeat(200);
        let udh = build_segments(&text, Coding::Gsm7, SplitMethod::Udh8).unwrap();
        assert_eq!(udh.len(), 2);
        assert_eq!(udh[0].esm_class, 0x40);
        assert_eq!(&udh[0].short_message[..6], &[5, 0, 3, 0x42, 2, 1]);
        let sar = build_segments(&text, Coding::Gsm7, SplitMethod::Sar).unwrap();
        assert_eq!(sar.len(), 2);
        assert_eq!(sar[1].tlvs.len(), 3);
        let payload = build_segments(&text, Coding::Gsm7, SplitMethod::MessagePayload).unwrap();
        assert_eq!(payload.len(), 1);
        assert!(payload[0].short_message.is_empty());
        assert_eq!(payload[0].tlvs[0].1.len(), 200);
    }

    #[test]
    fn unencodable_text_says_so() {
        let e = build_segments("日本", Coding::Gsm7, SplitMethod::Udh8).unwrap_err();
        assert!(!e.is_empty());
        assert!(build_segments("日本", Coding::Ucs2, SplitMethod::Udh8).is_ok());
        assert!(build_segments("", Coding::Ucs2, SplitMethod::Udh8).is_err());
    }
}
