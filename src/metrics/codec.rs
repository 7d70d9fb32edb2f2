//! Histograms as text for the JSON documents: HdrHistogram's V2 compressed
//! encoding in base64, the form HdrHistogram's own logs use, so any report
//! can be rebuilt from a saved result exactly.

use base64::Engine as _;
use hdrhistogram::serialization::{Deserializer, Serializer, V2DeflateSerializer};
use hdrhistogram::Histogram;

/// Encodes `h` (empty string for an empty histogram).
pub fn encode(h: &Histogram<u64>) -> String {
    if h.is_empty() {
        return String::new();
    }
    let mut bytes = Vec::new();
    // Serializing into a Vec only fails on histograms too large for the
    // format, which hornet's fixed bounds rule out.
    let _ = V2DeflateSerializer::new().serialize(h, &mut bytes);
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Decodes what [`encode`] wrote (an empty string is an empty histogram
/// with hornet's bounds).
pub fn decode(s: &str) -> Result<Histogram<u64>, String> {
    if s.is_empty() {
        return Ok(super::new_histogram());
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(s)
        .map_err(|e| format!("histogram is not base64: {e}"))?;
    let h: Histogram<u64> = Deserializer::new()
        .deserialize(&mut &bytes[..])
        .map_err(|e| format!("histogram does not decode: {e:?}"))?;
    // Back to hornet's bounds, so merging with fresh histograms works.
    let mut out = super::new_histogram();
    out.add(&h)
        .map_err(|e| format!("histogram out of bounds: {e:?}"))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_exactly() {
        let mut h = crate::metrics::new_histogram();
        for v in [1u64, 7, 250, 250, 9_999, 3_600_000_000] {
            h.record(v).unwrap();
        }
        let back = decode(&encode(&h)).unwrap();
        assert_eq!(back, h);
        assert_eq!(
            decode(&encode(&crate::metrics::new_histogram()))
                .unwrap()
                .len(),
            0
        );
        assert!(decode("!!").is_err());
        assert!(decode("AAAA").is_err());
    }
}
