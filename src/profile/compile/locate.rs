//! Places in the profile's text for error messages: the key a value
//! belongs to, and the byte in a string literal that a template error
//! points at (escapes make decoded and written offsets differ).

use std::ops::Range;

/// The key whose value starts at `offset`: the last `key =` before it on
/// its line or, for an element of an array written over several lines,
/// the key before the array's opening `[`.
pub(super) fn key_at(text: &str, offset: usize) -> Option<String> {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let before = &text[line_start..offset];
    if let Some(eq) = before.rfind('=') {
        return key_before(&before[..eq]);
    }
    // Walk back out of the enclosing brackets to the `key =` that opens them.
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut i = offset;
    while i > 0 {
        i -= 1;
        match bytes[i] {
            b']' | b'}' => depth += 1,
            b'[' | b'{' if depth > 0 => depth -= 1,
            b'[' | b'{' => {
                let head = text[..i].trim_end();
                if head.ends_with('=') {
                    let line_start = head.rfind('\n').map_or(0, |i| i + 1);
                    return key_before(&head[line_start..head.len() - 1]);
                }
                if !(head.ends_with(',') || head.ends_with('[')) {
                    return None;
                }
            }
            b'=' if depth == 0 => return None,
            _ => {}
        }
    }
    None
}

/// The key that ends `head` (the text before a `=` on its line).
pub(super) fn key_before(head: &str) -> Option<String> {
    let key = head
        .trim_end()
        .rsplit(|c: char| c == '{' || c == ',' || c.is_whitespace())
        .next()?
        .trim_matches('"');
    (!key.is_empty()).then(|| key.to_string())
}

/// Byte offset in `text` of byte `decoded` of the value of the string
/// literal at `span` (quotes included), stepping over escapes so that the
/// place stays right after `\"` or `\u00e9`.
pub(super) fn literal_offset(text: &str, span: Range<usize>, decoded: usize) -> usize {
    let Some(lit) = text.get(span.clone()) else {
        return span.start + 1 + decoded;
    };
    let (mut src, basic) = if lit.starts_with("\"\"\"") || lit.starts_with("'''") {
        // A newline right after the opening delimiter is not in the value.
        let open = 3 + [&b"\r\n"[..], b"\n"]
            .iter()
            .find(|nl| lit.as_bytes()[3..].starts_with(nl))
            .map_or(0, |nl| nl.len());
        (open, lit.starts_with('"'))
    } else if lit.starts_with('"') || lit.starts_with('\'') {
        (1, lit.starts_with('"'))
    } else {
        return span.start + 1 + decoded;
    };
    let b = lit.as_bytes();
    let mut left = decoded;
    while left > 0 && src < lit.len() {
        if basic && b[src] == b'\\' {
            match b.get(src + 1) {
                Some(&c @ (b'u' | b'U')) => {
                    let digits = if c == b'u' { 4 } else { 8 };
                    let len = lit
                        .get(src + 2..src + 2 + digits)
                        .and_then(|h| u32::from_str_radix(h, 16).ok())
                        .and_then(char::from_u32)
                        .map_or(1, char::len_utf8);
                    src += 2 + digits;
                    left = left.saturating_sub(len);
                }
                // A line-ending backslash: it and the whitespace after it
                // are not in the value.
                Some(c) if c.is_ascii_whitespace() => {
                    src += 1;
                    while src < b.len() && b[src].is_ascii_whitespace() {
                        src += 1;
                    }
                }
                Some(_) => {
                    src += 2;
                    left -= 1;
                }
                None => break,
            }
        } else {
            let len = lit[src..].chars().next().map_or(1, char::len_utf8);
            src += len;
            left = left.saturating_sub(len);
        }
    }
    span.start + src.min(lit.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_at_finds_the_key_of_a_value() {
        let t =
            "a = 1\nb = { c = \"x\", d = [1, \"y\"] }\ne = [\n  \"1s\",\n  [\"z\"],\n]\n[[f]]\n";
        let at = |needle: &str| t.find(needle).unwrap();
        assert_eq!(key_at(t, at("1")).as_deref(), Some("a"));
        assert_eq!(key_at(t, at("\"x\"")).as_deref(), Some("c"));
        assert_eq!(key_at(t, at("\"y\"")).as_deref(), Some("d"));
        assert_eq!(key_at(t, at("\"1s\"")).as_deref(), Some("e"));
        assert_eq!(key_at(t, at("\"z\"")).as_deref(), Some("e"));
        assert_eq!(key_at(t, at("[[f]]")), None);
        assert_eq!(key_at(t, at("[[f]]") + 2), None);
    }

    #[test]
    fn literal_offsets_step_over_escapes() {
        let t = r#"k = "a\"b\u00e9{{ x }}""#;
        let span = 4..t.len();
        // Decoded: a " b é(2 bytes) {{ -> the `{{` is decoded byte 5.
        assert_eq!(&t[literal_offset(t, span.clone(), 5)..][..2], "{{");
        assert_eq!(literal_offset(t, span, 0), 5);
        let t = "k = 'a\\b{{'";
        assert_eq!(&t[literal_offset(t, 4..t.len(), 3)..][..2], "{{");
        let t = "k = \"\"\"\nab{{ x }}\"\"\"";
        assert_eq!(&t[literal_offset(t, 4..t.len(), 2)..][..2], "{{");
    }
}
