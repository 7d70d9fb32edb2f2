//! Destination address templates: `99890{seq:7}` or `99890{rand:7}`, so
//! every message of a run can go to a distinct number.
//!
//! Compiled once before the run; rendering writes digits into a fixed
//! buffer, no allocation per message.

use std::fmt;

/// Longest address SMPP 3.4 allows (21-octet C-string without its NUL).
pub const MAX_ADDR: usize = 20;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(Vec<u8>),
    Seq { width: usize },
    Rand { width: usize },
}

/// A compiled destination template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DestTemplate {
    parts: Vec<Part>,
    len: usize,
}

/// Why a template does not compile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError(String);

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TemplateError {}

impl DestTemplate {
    /// Compiles `text`: literal characters plus `{seq:N}` (the message
    /// number, zero-padded to N digits, wrapping at 10^N) and `{rand:N}` (N
    /// random digits). The rendered address must fit 20 characters.
    pub fn compile(text: &str) -> Result<DestTemplate, TemplateError> {
        let mut parts = Vec::new();
        let mut len = 0;
        let mut rest = text;
        while !rest.is_empty() {
            match rest.find('{') {
                Some(0) => {
                    let end = rest.find('}').ok_or_else(|| {
                        TemplateError(format!("unclosed '{{' in destination template '{text}'"))
                    })?;
                    let field = &rest[1..end];
                    let (kind, width) = field.split_once(':').ok_or_else(|| {
                        TemplateError(format!(
                            "'{{{field}}}' in '{text}' needs a width, like {{seq:7}} or {{rand:7}}"
                        ))
                    })?;
                    let width: usize = width
                        .parse()
                        .ok()
                        .filter(|w| (1..=MAX_ADDR).contains(w))
                        .ok_or_else(|| {
                            TemplateError(format!(
                                "width '{width}' in '{text}' must be 1..={MAX_ADDR}"
                            ))
                        })?;
                    parts.push(match kind {
                        "seq" => Part::Seq { width },
                        "rand" => Part::Rand { width },
                        other => {
                            return Err(TemplateError(format!(
                                "unknown field '{other}' in '{text}': use seq or rand"
                            )))
                        }
                    });
                    len += width;
                    rest = &rest[end + 1..];
                }
                found => {
                    let end = found.unwrap_or(rest.len());
                    let literal = &rest[..end];
                    if let Some(bad) = literal.chars().find(|c| !c.is_ascii_graphic() || *c == '}')
                    {
                        return Err(TemplateError(format!(
                            "character {bad:?} in destination template '{text}' is not allowed"
                        )));
                    }
                    parts.push(Part::Literal(literal.as_bytes().to_vec()));
                    len += literal.len();
                    rest = &rest[end..];
                }
            }
        }
        if len == 0 || len > MAX_ADDR {
            return Err(TemplateError(format!(
                "destination '{text}' renders {len} characters; SMPP addresses hold 1..={MAX_ADDR}"
            )));
        }
        Ok(DestTemplate { parts, len })
    }

    /// Rendered length in bytes (the same for every message).
    pub fn len(&self) -> usize {
        self.len
    }

    /// Always false: compile rejects empty templates.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Renders message number `seq` into `out`, drawing random digits from
    /// `rng`. Returns the address bytes.
    pub fn render<'b>(&self, seq: u64, rng: &mut u64, out: &'b mut [u8; MAX_ADDR]) -> &'b [u8] {
        let mut at = 0;
        for part in &self.parts {
            match part {
                Part::Literal(bytes) => {
                    out[at..at + bytes.len()].copy_from_slice(bytes);
                    at += bytes.len();
                }
                Part::Seq { width } => {
                    let mut v = seq;
                    for i in (0..*width).rev() {
                        out[at + i] = b'0' + (v % 10) as u8;
                        v /= 10;
                    }
                    at += width;
                }
                Part::Rand { width } => {
                    for slot in &mut out[at..at + width] {
                        *slot = b'0' + (next_random(rng) % 10) as u8;
                    }
                    at += width;
                }
            }
        }
        &out[..at]
    }
}

/// xorshift64*: fast, good enough for spreading destination numbers.
pub fn next_random(state: &mut u64) -> u64 {
    let mut x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    x.wrapping_mul(0x2545_F491_4F6C_DD1D)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seq_and_rand_render() {
        let t = DestTemplate::compile("99890{seq:7}").unwrap();
        let mut buf = [0; MAX_ADDR];
        let mut rng = 1;
        assert_eq!(t.render(42, &mut rng, &mut buf), b"998900000042");
        assert_eq!(t.render(123_456_789, &mut rng, &mut buf), b"998903456789");
        let r = DestTemplate::compile("7{rand:10}").unwrap();
        let a = r.render(0, &mut rng, &mut buf).to_vec();
        let b = r.render(0, &mut rng, &mut buf).to_vec();
        assert_eq!(a.len(), 11);
        assert!(a[1..].iter().all(u8::is_ascii_digit));
        assert_ne!(a, b);
        let plain = DestTemplate::compile("12345").unwrap();
        assert_eq!(plain.render(9, &mut rng, &mut buf), b"12345");
    }

    #[test]
    fn bad_templates_say_why() {
        for (t, needle) in [
            ("99{seq:7", "unclosed"),
            ("99{seq}", "needs a width"),
            ("99{seq:0}", "width"),
            ("99{foo:3}", "unknown field"),
            ("1234567890{seq:11}", "renders 21"),
            ("", "renders 0"),
            ("99 1", "not allowed"),
        ] {
            let e = DestTemplate::compile(t).unwrap_err().to_string();
            assert!(e.contains(needle), "{t}: {e}");
        }
    }
}
