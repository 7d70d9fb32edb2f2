//! JWT-shaped bearer tokens, signed and checked without any token table.
//!
//! Load tests log in thousands of times a second; keeping every issued
//! token would grow memory without bound. Instead a token carries its
//! subject and the state generation in its payload and a keyed hash as its
//! signature, so checking one is a hash and a small JSON parse. The key is
//! random per server and not cryptographic: this is a test target, the
//! tokens only have to look like JWTs (`header.payload.signature`, all
//! base64url) and be unforgeable by accident. A reset bumps the generation,
//! which invalidates every earlier token along with the users it named.

use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Deserialize;
use serde_json::json;

/// `{"alg":"HS256","typ":"JWT"}`, base64url: the header every token shares.
const HEADER: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9";

/// Whether a token grants access or only refreshes (seed 000's pair).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Accepted on protected endpoints.
    Access,
    /// Issued next to an access token; not accepted for access.
    Refresh,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Access => "access",
            Kind::Refresh => "refresh",
        }
    }
}

/// The payload fields [`Signer::verify`] checks; others are ignored.
#[derive(Debug, Deserialize)]
struct Claims {
    sub: String,
    typ: String,
    gen: u64,
}

/// Issues and checks tokens for one server.
#[derive(Debug)]
pub(crate) struct Signer {
    key: std::collections::hash_map::RandomState,
    /// Makes every token unique, even two issued in the same second.
    serial: AtomicU64,
}

impl Signer {
    /// A signer with a fresh random key.
    pub(crate) fn new() -> Signer {
        Signer {
            key: Default::default(),
            serial: AtomicU64::new(0),
        }
    }

    /// A token for `subject`, valid while the state generation is `generation`.
    pub(crate) fn issue(&self, subject: &str, kind: Kind, generation: u64) -> String {
        let iat = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let payload = json!({
            "sub": subject,
            "typ": kind.name(),
            "gen": generation,
            "jti": self.serial.fetch_add(1, Relaxed),
            "iat": iat,
        });
        let payload = encode(&serde_json::to_vec(&payload).unwrap_or_default());
        let signature = encode(&self.sign(&payload));
        format!("{HEADER}.{payload}.{signature}")
    }

    /// The subject of a valid access token of generation `generation`.
    pub(crate) fn verify(&self, token: &str, generation: u64) -> Option<String> {
        let mut parts = token.split('.');
        let (header, payload, signature) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() || header != HEADER {
            return None;
        }
        if decode(signature)? != self.sign(payload) {
            return None;
        }
        let claims: Claims = serde_json::from_slice(&decode(payload)?).ok()?;
        (claims.gen == generation && claims.typ == Kind::Access.name()).then_some(claims.sub)
    }

    /// 16 bytes of keyed hash over the encoded payload.
    fn sign(&self, payload: &str) -> [u8; 16] {
        let mut out = [0u8; 16];
        for (i, chunk) in out.chunks_mut(8).enumerate() {
            let mut h = self.key.build_hasher();
            h.write_usize(i);
            h.write(payload.as_bytes());
            chunk.copy_from_slice(&h.finish().to_le_bytes());
        }
        out
    }
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Unpadded base64url, as JWTs use.
pub(crate) fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
        }
    }
    out
}

/// Inverse of [`encode`]; `None` on any character outside the alphabet or
/// an impossible length.
fn decode(text: &str) -> Option<Vec<u8>> {
    if text.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    for chunk in text.as_bytes().chunks(4) {
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            let v = ALPHABET.iter().position(|&a| a == c)? as u32;
            n |= v << (18 - 6 * i);
        }
        for i in 0..chunk.len() - 1 {
            out.push((n >> (16 - 8 * i)) as u8);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_round_trips() {
        assert_eq!(encode(br#"{"alg":"HS256","typ":"JWT"}"#), HEADER);
        for len in 0..20 {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 37 + 250) as u8).collect();
            assert_eq!(decode(&encode(&bytes)).unwrap(), bytes);
        }
        assert_eq!(decode("a"), None);
        assert_eq!(decode("a=b="), None);
    }

    #[test]
    fn tokens_verify_only_as_issued() {
        let signer = Signer::new();
        let token = signer.issue("phone:+998", Kind::Access, 3);
        assert_eq!(token.split('.').count(), 3);
        assert_eq!(signer.verify(&token, 3).as_deref(), Some("phone:+998"));
        assert_eq!(signer.verify(&token, 4), None, "older generation");
        let refresh = signer.issue("phone:+998", Kind::Refresh, 3);
        assert_eq!(signer.verify(&refresh, 3), None, "refresh is no access");
        assert_eq!(Signer::new().verify(&token, 3), None, "other key");
        let mut forged = token.clone();
        forged.insert(HEADER.len() + 3, 'x');
        assert_eq!(signer.verify(&forged, 3), None);
        for junk in ["", "a.b.c", "...", "x.y", "\u{1F600}.a.b"] {
            assert_eq!(signer.verify(junk, 3), None);
        }
    }
}
