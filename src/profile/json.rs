//! Looking up a step's JSON pointers in a response body without building
//! the document.
//!
//! A step that checks `/balance >= 0` used to parse every response into a
//! `serde_json::Value` (a map, a `String` per key) and then follow the
//! pointer (a `String` per segment): several allocations per request. Here
//! one pass of serde_json's own deserializer walks the body, following only
//! the branches the pointers name and keeping the scalars they reach,
//! borrowed from the body.
//!
//! It accepts and rejects exactly the documents `serde_json::from_slice`
//! does: every value, wanted or not, goes through the same
//! `deserialize_any` and `deserialize_str` calls a `Value` does (same
//! number, string, escape and depth rules), and the body must end after the
//! value. Duplicate keys resolve as in a `Value` map: the last one wins.
//!
//! A pointer that reaches an object or an array, a string with escapes, or
//! a pointer with `~` escapes is not handled here ([`Lookup::Fallback`]):
//! the caller parses the whole document as before.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

/// Most pointers one lookup follows (a bit each in a `u16`).
pub const MAX_POINTERS: usize = 16;

/// What a pointer reached.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Found<'a> {
    /// Nothing (the pointer names no value in the document).
    #[default]
    Absent,
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A non-negative integer.
    U64(u64),
    /// A negative integer.
    I64(i64),
    /// Any other number.
    F64(f64),
    /// A string without escapes, borrowed from the body.
    Str(&'a str),
    /// An object, an array or a string with escapes: not kept.
    Other,
}

impl Found<'_> {
    /// The value as a `serde_json::Value` would give it, for scalars that
    /// need no allocation (`None` for strings, `Absent` and `Other`).
    pub fn scalar_value(&self) -> Option<serde_json::Value> {
        use serde_json::Value;
        Some(match *self {
            Found::Null => Value::Null,
            Found::Bool(b) => Value::Bool(b),
            Found::U64(n) => Value::Number(n.into()),
            Found::I64(n) => Value::Number(n.into()),
            // As `Value` does: a number that is not finite is null.
            Found::F64(x) => serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number),
            Found::Absent | Found::Str(_) | Found::Other => return None,
        })
    }
}

/// The result of [`lookup`].
#[derive(Debug)]
// Kept on the stack on purpose: boxing the found values would allocate
// per response, which is what this avoids.
#[allow(clippy::large_enum_variant)]
pub enum Lookup<'a> {
    /// The body is not JSON (`serde_json::from_slice` would fail).
    NotJson,
    /// What each pointer reached, in the order given.
    Found([Found<'a>; MAX_POINTERS]),
    /// Parse the document as a whole instead (see the module docs).
    Fallback,
}

/// Follows `pointers` (RFC 6901, as `serde_json::Value::pointer` reads
/// them) through `body` in one pass.
pub fn lookup<'a>(body: &'a [u8], pointers: &[&str]) -> Lookup<'a> {
    if pointers.len() > MAX_POINTERS || pointers.iter().any(|p| p.contains('~')) {
        return Lookup::Fallback;
    }
    let mut walk = Walk {
        pointers,
        lens: [0; MAX_POINTERS],
        found: [Found::Absent; MAX_POINTERS],
    };
    for (len, p) in walk.lens.iter_mut().zip(pointers) {
        *len = p.bytes().filter(|&b| b == b'/').count();
    }
    // A pointer that is neither empty nor starts with '/' reaches nothing.
    let active = pointers
        .iter()
        .enumerate()
        .filter(|(_, p)| p.is_empty() || p.starts_with('/'))
        .fold(0u16, |m, (i, _)| m | 1 << i);
    let mut de = serde_json::Deserializer::from_slice(body);
    let walked = Node {
        walk: &mut walk,
        active,
        depth: 0,
    }
    .deserialize(&mut de)
    .and_then(|()| de.end());
    match walked {
        Err(_) => Lookup::NotJson,
        Ok(()) if walk.found.contains(&Found::Other) => Lookup::Fallback,
        Ok(()) => Lookup::Found(walk.found),
    }
}

/// The pointers and what they reached so far.
struct Walk<'p, 'a> {
    pointers: &'p [&'p str],
    /// Each pointer's number of segments.
    lens: [usize; MAX_POINTERS],
    found: [Found<'a>; MAX_POINTERS],
}

impl<'a> Walk<'_, 'a> {
    /// Pointer `i`'s segment at `depth` (0: the first after the root).
    fn segment(&self, i: usize, depth: usize) -> Option<&str> {
        self.pointers[i].split('/').nth(depth + 1)
    }

    /// The pointers of `active` that end at `depth`.
    fn ending(&self, active: u16, depth: usize) -> u16 {
        bits(active)
            .filter(|&i| self.lens[i] == depth)
            .fold(0, |m, i| m | 1 << i)
    }

    /// The pointers of `active` that go on below `depth` through a child
    /// `is` accepts as their segment.
    fn through(&self, active: u16, depth: usize, is: impl Fn(&str) -> bool) -> u16 {
        bits(active)
            .filter(|&i| self.segment(i, depth).is_some_and(&is))
            .fold(0, |m, i| m | 1 << i)
    }

    /// Records `f` for every pointer of `mask`.
    fn set(&mut self, mask: u16, f: Found<'a>) {
        for i in bits(mask) {
            self.found[i] = f;
        }
    }
}

/// The indices of the set bits of `mask` (most nodes have none).
fn bits(mut mask: u16) -> impl Iterator<Item = usize> {
    std::iter::from_fn(move || {
        if mask == 0 {
            return None;
        }
        let i = mask.trailing_zeros() as usize;
        mask &= mask - 1;
        Some(i)
    })
}

/// An array index as `serde_json::Value::pointer` reads one.
fn parse_index(s: &str) -> Option<usize> {
    if s.starts_with('+') || (s.starts_with('0') && s.len() != 1) {
        return None;
    }
    s.parse().ok()
}

/// One value of the document; `active`: the pointers that lead to or
/// through it.
struct Node<'w, 'p, 'a> {
    walk: &'w mut Walk<'p, 'a>,
    active: u16,
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for Node<'_, '_, 'de> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        // Every value, wanted or not, through `deserialize_any`, as a
        // `Value` is: the same rules accept and reject.
        d.deserialize_any(self)
    }
}

impl<'de> Node<'_, '_, 'de> {
    fn scalar<E>(self, f: Found<'de>) -> Result<(), E> {
        let here = self.walk.ending(self.active, self.depth);
        self.walk.set(here, f);
        Ok(())
    }
}

impl<'de> Visitor<'de> for Node<'_, '_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        self.scalar(Found::Null)
    }

    fn visit_bool<E>(self, b: bool) -> Result<(), E> {
        self.scalar(Found::Bool(b))
    }

    fn visit_u64<E>(self, n: u64) -> Result<(), E> {
        self.scalar(Found::U64(n))
    }

    fn visit_i64<E>(self, n: i64) -> Result<(), E> {
        // As `Number::from(i64)`: a non-negative one is a `PosInt`.
        self.scalar(u64::try_from(n).map_or(Found::I64(n), Found::U64))
    }

    fn visit_f64<E>(self, x: f64) -> Result<(), E> {
        self.scalar(Found::F64(x))
    }

    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<(), E> {
        self.scalar(Found::Str(s))
    }

    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        // Unescaped into a scratch buffer: not kept (fall back).
        self.scalar(Found::Other)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let here = self.walk.ending(self.active, self.depth);
        self.walk.set(here, Found::Other);
        let mut index = 0usize;
        loop {
            let child = self
                .walk
                .through(self.active, self.depth, |s| parse_index(s) == Some(index));
            let node = Node {
                walk: &mut *self.walk,
                active: child,
                depth: self.depth + 1,
            };
            if seq.next_element_seed(node)?.is_none() {
                return Ok(());
            }
            index += 1;
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let here = self.walk.ending(self.active, self.depth);
        self.walk.set(here, Found::Other);
        loop {
            let key = Key {
                walk: &*self.walk,
                active: self.active,
                depth: self.depth,
            };
            let Some(child) = map.next_key_seed(key)? else {
                return Ok(());
            };
            // A later duplicate key replaces the earlier value, as in a
            // `Value` map: what the earlier one held is forgotten.
            self.walk.set(child, Found::Absent);
            map.next_value_seed(Node {
                walk: &mut *self.walk,
                active: child,
                depth: self.depth + 1,
            })?;
        }
    }
}

/// An object key; yields the pointers that go on through its value.
struct Key<'w, 'p, 'a> {
    walk: &'w Walk<'p, 'a>,
    active: u16,
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for Key<'_, '_, '_> {
    type Value = u16;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<u16, D::Error> {
        // As a `Value`'s keys are read.
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key<'_, '_, '_> {
    type Value = u16;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<u16, E> {
        Ok(self.walk.through(self.active, self.depth, |s| s == key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `serde_json` says: the parsed document's `pointer`, or not JSON.
    fn reference(body: &[u8], p: &str) -> Result<Option<serde_json::Value>, ()> {
        let v: serde_json::Value = serde_json::from_slice(body).map_err(|_| ())?;
        Ok(v.pointer(p).cloned())
    }

    fn as_value(f: Found<'_>) -> Option<serde_json::Value> {
        match f {
            Found::Absent => None,
            Found::Str(s) => Some(serde_json::Value::String(s.into())),
            Found::Other => panic!("Other is never handed out"),
            f => f.scalar_value(),
        }
    }

    /// `lookup` agrees with `serde_json` on every pointer, or falls back.
    fn agrees(body: &str, pointers: &[&str]) -> bool {
        match lookup(body.as_bytes(), pointers) {
            Lookup::NotJson => {
                assert!(reference(body.as_bytes(), "").is_err(), "{body}: is JSON");
                true
            }
            Lookup::Fallback => false,
            Lookup::Found(found) => {
                for (i, p) in pointers.iter().enumerate() {
                    let want = reference(body.as_bytes(), p).expect("JSON");
                    assert_eq!(as_value(found[i]), want, "{body} {p}");
                }
                true
            }
        }
    }

    #[test]
    fn scalars_are_found_where_serde_json_finds_them() {
        let ps = [
            "/balance", "/a/b", "/a/0", "/list/1", "/list/01", "/list/+1", "/x", "", "nope",
            "/a/b/c", "/n", "/f", "/t", "/z", "/s", "/e",
        ];
        let bodies = [
            r#"{"balance":0}"#,
            r#"{"balance":-3,"a":{"b":"tok"},"list":[1,2.5,true]}"#,
            r#"{"a":{"b":1},"a":{"c":2}}"#,
            r#"{"a":{"b":1},"a":7}"#,
            r#"{"a":[5,6],"n":null,"f":1e3,"t":false,"z":-0,"s":"","e":18446744073709551615}"#,
            r#"{"list":[[1],{"x":2},3]}"#,
            r#" {"balance" : 12345678901234567890123} "#,
            "7",
            r#""text""#,
            "[1,2]",
        ];
        for b in bodies {
            agrees(b, &ps[..8]);
            for p in ps {
                agrees(b, &[p]);
            }
        }
        assert!(agrees(r#"{"status":"ok"}"#, &["/status"]));
        assert!(agrees(r#"{"balance":0}"#, &["/balance"]));
    }

    #[test]
    fn bodies_serde_json_rejects_are_not_json() {
        let bad = [
            "",
            "{",
            r#"{"a":1,}"#,
            r#"{"a":1} x"#,
            r#"{"a":"\ud800"}"#,
            "{\"a\":\"\u{1}\"}",
            r#"{"a":1e999}"#,
            r#"{"a":01}"#,
            r#"{"a":[1,]}"#,
            r#"{"\ud800":1}"#,
            r#"{"a":"\x"}"#,
        ];
        for b in bad {
            assert!(
                matches!(lookup(b.as_bytes(), &["/a"]), Lookup::NotJson),
                "{b}"
            );
            assert!(reference(b.as_bytes(), "").is_err(), "{b}");
        }
        // Invalid UTF-8 inside a string nobody asked for.
        let b = b"{\"x\":\"\xff\",\"a\":1}";
        assert!(matches!(lookup(b, &["/a"]), Lookup::NotJson));
        assert!(reference(b, "").is_err());
        // Nesting deeper than serde_json's limit.
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        assert!(matches!(lookup(deep.as_bytes(), &["/0"]), Lookup::NotJson));
        assert!(reference(deep.as_bytes(), "").is_err());
    }

    #[test]
    fn containers_escapes_and_tilde_pointers_fall_back() {
        assert!(matches!(
            lookup(br#"{"a":{"b":1}}"#, &["/a"]),
            Lookup::Fallback
        ));
        assert!(matches!(lookup(br#"{"a":[1]}"#, &["/a"]), Lookup::Fallback));
        assert!(matches!(
            lookup(br#"{"a":"x\ny"}"#, &["/a"]),
            Lookup::Fallback
        ));
        assert!(matches!(
            lookup(br#"{"a~b":1}"#, &["/a~0b"]),
            Lookup::Fallback
        ));
        assert!(matches!(lookup(br#"{"a":1}"#, &[""]), Lookup::Fallback));
        // An escaped key is compared unescaped.
        assert!(agrees(r#"{"a\u0062":1}"#, &["/ab"]));
        // Escapes in values nobody asked for do not matter.
        assert!(agrees(r#"{"x":"q\"\n","a":2}"#, &["/a"]));
        // More pointers than a mask holds.
        let many = ["/a"; MAX_POINTERS + 1];
        assert!(matches!(lookup(b"{}", &many), Lookup::Fallback));
    }
}
