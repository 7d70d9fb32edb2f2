//! Templates: `{{ name }}` placeholders in paths, headers and bodies,
//! compiled once before the run into literal bytes and slots, and rendered
//! per request by appending to a buffer the caller reuses.
//!
//! A placeholder is a variable (`token`, `users.email` for a CSV column,
//! `user_id`, `iteration`) or a generator call (`uuid()`, `seq()`,
//! `rand_int(1, 100)`, `rand_str(8)`, `now_ms()`, `now_s()`,
//! `now_rfc3339()`). Constants and environment variables are folded into
//! the literal text at compile time, so rendering them costs nothing.

use std::io::Write as _;
use std::time::SystemTime;

use std::sync::Arc;

use super::scenario::Feed;
use super::values::Value;

/// Where a placeholder's value comes from at run time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// A value captured by `setup` (shared by all users, read-only during
    /// the load).
    Global(usize),
    /// A user's own variable, captured by `extract`.
    User(usize),
    /// Column `col` of CSV feed `feed`, at the user's current row.
    Feed {
        /// Feed index.
        feed: usize,
        /// Column index.
        col: usize,
    },
    /// The user's number, from 0.
    UserId,
    /// The user's task iteration, from 0.
    Iteration,
    /// A run-wide sequence number from 1.
    Seq,
    /// A random UUID v4.
    Uuid,
    /// A random integer in `lo..=hi`.
    RandInt(i64, i64),
    /// Random alphanumeric text of this length.
    RandStr(usize),
    /// Unix time in milliseconds.
    NowMs,
    /// Unix time in seconds.
    NowS,
    /// RFC 3339 UTC time.
    NowRfc3339,
}

/// How a dynamic value is written into its surroundings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Escape {
    /// As is (paths, headers, raw bodies).
    Raw,
    /// Inside a JSON string literal: quotes, backslashes and controls
    /// escaped.
    JsonString,
    /// A whole JSON value: numbers, booleans and JSON captured as such go
    /// in bare, text is quoted.
    JsonValue,
}

/// One piece of a compiled template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// Bytes copied as they are.
    Lit(Box<[u8]>),
    /// A value looked up or generated per render.
    Dyn(Source, Escape),
}

/// A compiled template.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Template {
    pieces: Vec<Piece>,
}

/// Everything a render may read. Borrowed per render; cheap to build.
pub struct RenderCtx<'a> {
    /// Values captured by setup.
    pub globals: &'a [Value],
    /// The user's variables.
    pub user: &'a [Value],
    /// The profile's CSV feeds.
    pub feeds: &'a [Arc<Feed>],
    /// Per feed, the user's current row.
    pub rows: &'a [usize],
    /// The user's number.
    pub user_id: u64,
    /// The user's iteration.
    pub iteration: u64,
    /// Run-wide sequence source.
    pub seq: &'a dyn Fn() -> u64,
    /// The user's random generator.
    pub rng: &'a mut Rng,
}

impl std::fmt::Debug for RenderCtx<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // `seq` is a closure: shown by name only.
        f.debug_struct("RenderCtx")
            .field("globals", &self.globals)
            .field("user", &self.user)
            .field("feeds", &self.feeds)
            .field("rows", &self.rows)
            .field("user_id", &self.user_id)
            .field("iteration", &self.iteration)
            .field("rng", &self.rng)
            .finish_non_exhaustive()
    }
}

impl RenderCtx<'_> {
    /// Whether `src` has a value now: captured values only once captured
    /// (a slot outside the context, such as a user variable in setup, has
    /// none); everything else always.
    pub fn is_set(&self, src: Source) -> bool {
        match src {
            Source::Global(i) => self.globals.get(i).is_some_and(|v| v.set),
            Source::User(i) => self.user.get(i).is_some_and(|v| v.set),
            _ => true,
        }
    }
}

/// A placeholder the compiler could not resolve; `offset` is its byte
/// offset in the template text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    /// Byte offset of the `{{` in the source text.
    pub offset: usize,
    /// What is wrong.
    pub message: String,
}

impl Template {
    /// A template that renders `bytes` unchanged.
    pub fn literal(bytes: &[u8]) -> Template {
        let mut t = Template::default();
        t.push_lit(bytes);
        t
    }

    /// Compiles `text`, resolving each placeholder with `resolve` (which
    /// returns either literal text to fold in or a run-time source).
    pub fn compile(
        text: &str,
        esc: Escape,
        resolve: &mut dyn FnMut(&str) -> Result<Resolved, String>,
    ) -> Result<Template, TemplateError> {
        let mut t = Template::default();
        t.append(text, esc, resolve)?;
        Ok(t)
    }

    /// Appends the compiled `text` (see [`Template::compile`]).
    pub fn append(
        &mut self,
        text: &str,
        esc: Escape,
        resolve: &mut dyn FnMut(&str) -> Result<Resolved, String>,
    ) -> Result<(), TemplateError> {
        let mut rest = text;
        let mut base = 0;
        while let Some(open) = rest.find("{{") {
            self.push_text(&rest[..open], esc);
            let after = &rest[open + 2..];
            let close = after.find("}}").ok_or_else(|| TemplateError {
                offset: base + open,
                message: "'{{' without a closing '}}'".into(),
            })?;
            let expr = after[..close].trim();
            let err = |message: String| TemplateError {
                offset: base + open,
                message,
            };
            match resolve(expr).map_err(err)? {
                Resolved::Text(s) => self.push_text(&s, esc),
                Resolved::Json(s) => match esc {
                    Escape::JsonValue => self.push_lit(s.as_bytes()),
                    _ => self.push_text(&s, esc),
                },
                Resolved::Source(src) => self.pieces.push(Piece::Dyn(src, esc)),
            }
            let consumed = open + 2 + close + 2;
            base += consumed;
            rest = &rest[consumed..];
        }
        self.push_text(rest, esc);
        Ok(())
    }

    /// Appends literal bytes.
    pub fn push_lit(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        if let Some(Piece::Lit(prev)) = self.pieces.last_mut() {
            let mut v = prev.to_vec();
            v.extend_from_slice(bytes);
            *prev = v.into_boxed_slice();
        } else {
            self.pieces.push(Piece::Lit(bytes.into()));
        }
    }

    /// Appends text escaped for `esc` (folded constants, literal parts).
    fn push_text(&mut self, text: &str, esc: Escape) {
        if text.is_empty() {
            // Nothing around a whole-value placeholder: no `""` either.
            return;
        }
        match esc {
            Escape::Raw => self.push_lit(text.as_bytes()),
            Escape::JsonString => {
                let mut out = Vec::with_capacity(text.len());
                json_escape(text.as_bytes(), &mut out);
                self.push_lit(&out);
            }
            Escape::JsonValue => {
                let mut out = Vec::with_capacity(text.len() + 2);
                out.push(b'"');
                json_escape(text.as_bytes(), &mut out);
                out.push(b'"');
                self.push_lit(&out);
            }
        }
    }

    /// True when rendering needs no context (a constant).
    pub fn is_static(&self) -> bool {
        self.pieces.iter().all(|p| matches!(p, Piece::Lit(_)))
    }

    /// The pieces, for inspection.
    pub fn pieces(&self) -> &[Piece] {
        &self.pieces
    }

    /// The captured values (setup, teardown or user variables) the
    /// template reads.
    pub fn captures(&self) -> impl Iterator<Item = Source> + '_ {
        self.pieces.iter().filter_map(|p| match p {
            Piece::Dyn(src @ (Source::Global(_) | Source::User(_)), _) => Some(*src),
            _ => None,
        })
    }

    /// The first captured value the template reads that is unset in `ctx`
    /// (never captured, or its capture found nothing), if any.
    pub fn missing(&self, ctx: &RenderCtx<'_>) -> Option<Source> {
        self.captures().find(|&src| !ctx.is_set(src))
    }

    /// Appends the rendered template to `out`.
    pub fn render(&self, ctx: &mut RenderCtx<'_>, out: &mut Vec<u8>) {
        for piece in &self.pieces {
            match piece {
                Piece::Lit(b) => out.extend_from_slice(b),
                Piece::Dyn(src, esc) => render_source(*src, *esc, ctx, out),
            }
        }
    }
}

/// What a placeholder resolves to at compile time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    /// Constant text, folded in.
    Text(String),
    /// A constant JSON scalar (number, boolean), folded in.
    Json(String),
    /// Looked up per render.
    Source(Source),
}

/// Parses a generator call or a built-in name; `None` if `expr` is not one.
pub fn builtin(expr: &str) -> Option<Result<Source, String>> {
    let (name, args) = match expr.find('(') {
        Some(i) => {
            let inner = expr[i + 1..].strip_suffix(')')?;
            (expr[..i].trim(), Some(inner))
        }
        None => (expr, None),
    };
    let ints = |a: &str| -> Result<Vec<i64>, String> {
        if a.trim().is_empty() {
            return Ok(Vec::new());
        }
        a.split(',')
            .map(|x| {
                x.trim()
                    .parse::<i64>()
                    .map_err(|_| format!("'{}' is not an integer in {expr}", x.trim()))
            })
            .collect()
    };
    let src = match (name, args) {
        ("user_id", None) => Ok(Source::UserId),
        ("iteration", None) => Ok(Source::Iteration),
        ("seq", Some(a)) => ints(a).and_then(|v| no_args(v, Source::Seq, expr)),
        ("uuid", Some(a)) => ints(a).and_then(|v| no_args(v, Source::Uuid, expr)),
        ("now_ms", Some(a)) => ints(a).and_then(|v| no_args(v, Source::NowMs, expr)),
        ("now_s", Some(a)) => ints(a).and_then(|v| no_args(v, Source::NowS, expr)),
        ("now_rfc3339", Some(a)) => ints(a).and_then(|v| no_args(v, Source::NowRfc3339, expr)),
        ("rand_int", Some(a)) => ints(a).and_then(|v| match v[..] {
            [lo, hi] if lo <= hi => Ok(Source::RandInt(lo, hi)),
            _ => Err(format!("{expr}: rand_int takes (low, high) with low <= high")),
        }),
        ("rand_str", Some(a)) => ints(a).and_then(|v| match v[..] {
            [n] if (1..=4096).contains(&n) => Ok(Source::RandStr(n as usize)),
            _ => Err(format!("{expr}: rand_str takes a length from 1 to 4096")),
        }),
        (_, Some(_)) => Err(format!(
            "unknown function in '{expr}' (known: seq(), uuid(), rand_int(a, b), rand_str(n), now_ms(), now_s(), now_rfc3339())"
        )),
        _ => return None,
    };
    Some(src)
}

fn no_args(v: Vec<i64>, src: Source, expr: &str) -> Result<Source, String> {
    if v.is_empty() {
        Ok(src)
    } else {
        Err(format!("{expr}: takes no arguments"))
    }
}

fn render_source(src: Source, esc: Escape, ctx: &mut RenderCtx<'_>, out: &mut Vec<u8>) {
    let num = |n: i128, out: &mut Vec<u8>| {
        // Formats straight into the buffer: no temporary string.
        let _ = write!(out, "{n}");
    };
    match src {
        Source::Global(i) => write_value(ctx.globals.get(i), esc, out),
        Source::User(i) => write_value(ctx.user.get(i), esc, out),
        Source::Feed { feed, col } => {
            let cell = ctx.feeds.get(feed).and_then(|f| {
                let row = ctx.rows.get(feed).copied().unwrap_or(0);
                f.rows.get(row % f.rows.len().max(1))?.get(col)
            });
            write_text(cell.map_or(&b""[..], |c| c.as_bytes()), esc, out);
        }
        Source::UserId => num(ctx.user_id as i128, out),
        Source::Iteration => num(ctx.iteration as i128, out),
        Source::Seq => num((ctx.seq)() as i128, out),
        Source::RandInt(lo, hi) => {
            let span = (hi as i128 - lo as i128 + 1) as u128;
            let v = lo as i128 + (ctx.rng.next_u64() as u128 % span) as i128;
            num(v, out);
        }
        Source::NowMs => num(unix_ns() / 1_000_000, out),
        Source::NowS => num(unix_ns() / 1_000_000_000, out),
        Source::Uuid => {
            let mut b = [0u8; 36];
            ctx.rng.uuid(&mut b);
            write_text(&b, esc, out);
        }
        Source::RandStr(n) => {
            const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
            if esc == Escape::JsonValue {
                out.push(b'"');
            }
            for _ in 0..n {
                out.push(ALNUM[(ctx.rng.next_u64() % ALNUM.len() as u64) as usize]);
            }
            if esc == Escape::JsonValue {
                out.push(b'"');
            }
        }
        Source::NowRfc3339 => {
            let s = humantime::format_rfc3339_millis(SystemTime::now()).to_string();
            write_text(s.as_bytes(), esc, out);
        }
    }
}

fn unix_ns() -> i128 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i128)
}

fn write_value(v: Option<&Value>, esc: Escape, out: &mut Vec<u8>) {
    match v {
        Some(v) if v.json && esc == Escape::JsonValue => out.extend_from_slice(&v.bytes),
        Some(v) => write_text(&v.bytes, esc, out),
        None => write_text(b"", esc, out),
    }
}

fn write_text(b: &[u8], esc: Escape, out: &mut Vec<u8>) {
    match esc {
        Escape::Raw => out.extend_from_slice(b),
        Escape::JsonString => json_escape(b, out),
        Escape::JsonValue => {
            out.push(b'"');
            json_escape(b, out);
            out.push(b'"');
        }
    }
}

/// Appends `b` escaped for the inside of a JSON string.
pub fn json_escape(b: &[u8], out: &mut Vec<u8>) {
    for &c in b {
        match c {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0..=0x1f => {
                const HEX: &[u8] = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                out.push(HEX[(c >> 4) as usize]);
                out.push(HEX[(c & 15) as usize]);
            }
            _ => out.push(c),
        }
    }
}

/// A small, fast, seedable generator (SplitMix64): think times, task
/// picks and random values. Not for secrets.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A float in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Writes a random UUID v4 in its 36-character text form.
    pub fn uuid(&mut self, out: &mut [u8; 36]) {
        const HEX: &[u8] = b"0123456789abcdef";
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&self.next_u64().to_le_bytes());
        bytes[8..].copy_from_slice(&self.next_u64().to_le_bytes());
        bytes[6] = (bytes[6] & 0x0f) | 0x40;
        bytes[8] = (bytes[8] & 0x3f) | 0x80;
        let mut j = 0;
        for (i, b) in bytes.iter().enumerate() {
            if matches!(i, 4 | 6 | 8 | 10) {
                out[j] = b'-';
                j += 1;
            }
            out[j] = HEX[(b >> 4) as usize];
            out[j + 1] = HEX[(b & 15) as usize];
            j += 2;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(e: &str) -> Result<Resolved, String> {
        match e {
            "host" => Ok(Resolved::Text("a\"b".into())),
            "amount" => Ok(Resolved::Json("10000".into())),
            "token" => Ok(Resolved::Source(Source::User(0))),
            _ => builtin(e)
                .unwrap_or_else(|| Err(format!("unknown variable '{e}'")))
                .map(Resolved::Source),
        }
    }

    fn render(t: &Template, user: &[Value]) -> String {
        let seq = || 7;
        let mut rng = Rng::new(1);
        let mut ctx = RenderCtx {
            globals: &[],
            user,
            feeds: &[],
            rows: &[],
            user_id: 3,
            iteration: 0,
            seq: &seq,
            rng: &mut rng,
        };
        let mut out = Vec::new();
        t.render(&mut ctx, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn folds_constants_and_escapes_by_context() {
        let t = Template::compile("/x/{{ host }}/{{user_id}}", Escape::Raw, &mut resolve).unwrap();
        assert_eq!(render(&t, &[]), "/x/a\"b/3");
        let t = Template::compile("{{ host }}", Escape::JsonValue, &mut resolve).unwrap();
        assert!(t.is_static());
        assert_eq!(render(&t, &[]), "\"a\\\"b\"");
        let t = Template::compile("{{amount}}", Escape::JsonValue, &mut resolve).unwrap();
        assert_eq!(render(&t, &[]), "10000");
        let t = Template::compile("Bearer {{ token }}", Escape::Raw, &mut resolve).unwrap();
        assert_eq!(render(&t, &[Value::text("abc")]), "Bearer abc");
        let t = Template::compile("{{ token }}", Escape::JsonValue, &mut resolve).unwrap();
        assert_eq!(render(&t, &[Value::json("42")]), "42");
        assert_eq!(render(&t, &[Value::text("4\"2")]), "\"4\\\"2\"");
        let t = Template::compile("n{{seq()}}", Escape::Raw, &mut resolve).unwrap();
        assert_eq!(render(&t, &[]), "n7");
    }

    #[test]
    fn reports_unknown_names_with_offsets() {
        let e = Template::compile("ab{{ nope }}", Escape::Raw, &mut resolve).unwrap_err();
        assert_eq!(e.offset, 2);
        assert!(e.message.contains("nope"));
        let e = Template::compile("ab{{ nope", Escape::Raw, &mut resolve).unwrap_err();
        assert!(e.message.contains("closing"));
        let e = Template::compile("{{ rand_int(5, 1) }}", Escape::Raw, &mut resolve).unwrap_err();
        assert!(e.message.contains("low <= high"));
    }

    #[test]
    fn generators_produce_well_formed_values() {
        let t = Template::compile("{{uuid()}}", Escape::Raw, &mut resolve).unwrap();
        let u = render(&t, &[]);
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
        let t = Template::compile("{{rand_int(-2, 2)}}", Escape::Raw, &mut resolve).unwrap();
        for _ in 0..50 {
            let v: i64 = render(&t, &[]).parse().unwrap();
            assert!((-2..=2).contains(&v));
        }
        let t = Template::compile("{{rand_str(12)}}", Escape::JsonValue, &mut resolve).unwrap();
        assert_eq!(render(&t, &[]).len(), 14);
    }
}
