//! One HTTP exchange of a step, independent of how bytes move: render the
//! request into a reused buffer, capture what the step needs of the
//! response, then judge it (checks) and capture values (extract).
//!
//! The event-loop users and the blocking setup/teardown runner share this,
//! so a step behaves the same wherever it runs.

use hornet_http1::{encode_request, Request, ResponseHead, Sink};

use super::failure::{Failure, RenderFailure, StepId};
use crate::profile::json::{self, Found, Lookup, MAX_POINTERS};
use crate::profile::scenario::{CmpOp, ExtractFrom, HttpStep, HttpTarget, Slot};
use crate::profile::template::RenderCtx;
use crate::profile::values::Value;

/// Scratch buffers reused for every request a user or worker renders.
#[derive(Debug, Default)]
pub struct Scratch {
    path: Vec<u8>,
    headers: Vec<u8>,
    /// End offset of each header value in `headers`.
    ends: Vec<usize>,
    body: Vec<u8>,
}

/// Why a request could not be rendered (an extracted value put bytes into
/// the path or a header that HTTP does not allow there), as a typed id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderError(pub RenderFailure);

/// Renders `step` and appends the encoded request to `out`. A step that
/// needs a value that is unset does not render (`missing NAME`).
pub fn render_request(
    step: &HttpStep,
    target: &HttpTarget,
    ctx: &mut RenderCtx<'_>,
    scratch: &mut Scratch,
    out: &mut Vec<u8>,
) -> Result<(), RenderError> {
    if let Some(var) = step.missing(ctx) {
        return Err(RenderError(RenderFailure::Missing(var.into())));
    }
    let Scratch {
        path,
        headers,
        ends,
        body,
    } = scratch;
    path.clear();
    step.path.render(ctx, path);
    headers.clear();
    ends.clear();
    for (i, (_, t)) in step.headers.iter().enumerate() {
        // A `[target].headers` value that reads an unset value (a token
        // before the login) is left out, not sent half empty. `usize::MAX`
        // marks it.
        if i < step.defaults && t.missing(ctx).is_some() {
            ends.push(usize::MAX);
            continue;
        }
        t.render(ctx, headers);
        ends.push(headers.len());
    }
    body.clear();
    if let Some(b) = &step.body {
        b.render(ctx, body);
    }
    let path = std::str::from_utf8(path).map_err(|_| RenderError(RenderFailure::PathNotUtf8))?;
    let values =
        std::str::from_utf8(headers).map_err(|_| RenderError(RenderFailure::HeaderNotUtf8))?;
    // The header pairs sit on the stack, in an array sized for the step:
    // filling a 16-pair array for a step with one header costs more than
    // the header itself. More than 16 is rare and may allocate.
    if step.headers.len() <= 4 {
        encode_with::<4>(step, target, path, body, ends, values, out)
    } else {
        encode_with::<16>(step, target, path, body, ends, values, out)
    }
}

/// Encodes the step's request with its rendered path, body and header
/// values: `ends[i]` is where header `i`'s value ends in `values`
/// (`usize::MAX`: left out).
fn encode_with<const N: usize>(
    step: &HttpStep,
    target: &HttpTarget,
    path: &str,
    body: &[u8],
    ends: &[usize],
    values: &str,
    out: &mut Vec<u8>,
) -> Result<(), RenderError> {
    let mut pairs: smallvec_like::Pairs<'_, N> = smallvec_like::Pairs::new();
    let mut start = 0;
    for ((name, _), &end) in step.headers.iter().zip(ends.iter()) {
        if end == usize::MAX {
            continue;
        }
        pairs.push((name, &values[start..end]));
        start = end;
    }
    let req = Request {
        method: &step.method,
        target: path,
        host: &target.host_header,
        headers: pairs.as_slice(),
        body,
    };
    encode_request(&req, out)
        .map(|_| ())
        .map_err(|e| RenderError(RenderFailure::Encode(e)))
}

/// A tiny inline vector of header pairs.
mod smallvec_like {
    pub struct Pairs<'a, const N: usize> {
        inline: [(&'a str, &'a str); N],
        len: usize,
        spill: Vec<(&'a str, &'a str)>,
    }

    impl<'a, const N: usize> Pairs<'a, N> {
        pub fn new() -> Self {
            Pairs {
                inline: [("", ""); N],
                len: 0,
                spill: Vec::new(),
            }
        }

        pub fn push(&mut self, p: (&'a str, &'a str)) {
            if self.len < N && self.spill.is_empty() {
                self.inline[self.len] = p;
                self.len += 1;
            } else {
                if self.spill.is_empty() {
                    self.spill.extend_from_slice(&self.inline[..self.len]);
                }
                self.spill.push(p);
            }
        }

        pub fn as_slice(&self) -> &[(&'a str, &'a str)] {
            if self.spill.is_empty() {
                &self.inline[..self.len]
            } else {
                &self.spill
            }
        }
    }
}

/// What a step keeps of a response while it is decoded. Reused.
#[derive(Debug, Default)]
pub struct Capture {
    /// Final status.
    pub status: u16,
    /// Values of the step's wanted headers (empty when absent).
    pub headers: Vec<Vec<u8>>,
    /// Which wanted headers were present.
    pub present: Vec<bool>,
    /// The body, when the step needs it.
    pub body: Vec<u8>,
    keep_body: bool,
    /// Lower-case names wanted, copied from the step at `start`.
    wanted: Vec<Box<str>>,
}

/// Largest body kept for checks and extraction; longer bodies are cut
/// (and a JSON check on them fails as "not JSON").
pub const MAX_KEPT_BODY: usize = 8 << 20;

impl Capture {
    /// Prepares for a response to `step`.
    pub fn start(&mut self, step: &HttpStep) {
        self.status = 0;
        self.body.clear();
        self.keep_body = step.needs_body;
        if self.wanted.len() != step.wanted_headers.len()
            || self
                .wanted
                .iter()
                .zip(&step.wanted_headers)
                .any(|(a, b)| a != b)
        {
            self.wanted = step.wanted_headers.clone();
        }
        self.headers.resize_with(self.wanted.len(), Vec::new);
        self.present.clear();
        self.present.resize(self.wanted.len(), false);
        for h in &mut self.headers {
            h.clear();
        }
    }
}

impl Sink for Capture {
    fn head(&mut self, head: &ResponseHead<'_>) {
        self.status = head.status;
        if self.wanted.is_empty() {
            return;
        }
        for h in head.headers {
            if let Some(i) = self
                .wanted
                .iter()
                .position(|w| w.eq_ignore_ascii_case(h.name))
            {
                if !self.present[i] {
                    self.present[i] = true;
                    self.headers[i].extend_from_slice(h.value);
                }
            }
        }
    }

    fn body(&mut self, chunk: &[u8]) {
        if self.keep_body {
            let room = MAX_KEPT_BODY.saturating_sub(self.body.len());
            self.body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        }
    }
}

/// Where captured values go.
#[derive(Debug)]
pub struct Sinks<'a> {
    /// Setup globals (setup steps write here).
    pub globals: &'a mut [Value],
    /// Teardown values.
    pub teardown: &'a mut [Value],
    /// The user's variables.
    pub user: &'a mut [Value],
}

/// Judges a completed response: checks, then captures. Returns `None` when
/// it passed, else the reason (a short, stable text counted per reason).
pub fn judge(step: &HttpStep, id: StepId, cap: &Capture, sinks: &mut Sinks<'_>) -> Option<Failure> {
    let mut reason = check_status_and_body(step, id, cap);
    let doc = JsonDoc::parse(step, &cap.body);
    if reason.is_none() {
        reason = check_json(step, id, &doc);
    }
    // Captures run whatever the checks said (a 409 body may still carry a
    // useful field), but a missing value fails an otherwise passing step,
    // and leaves the variable unset: the steps that need it do not run
    // with an older value.
    for (i, e) in step.extract.iter().enumerate() {
        let dest = match e.slot {
            Slot::Global(i) => &mut sinks.globals[i],
            Slot::Teardown(i) => &mut sinks.teardown[i],
            Slot::User(i) => &mut sinks.user[i],
        };
        let found = match &e.from {
            ExtractFrom::Json(p) => match doc.get(step.check.json.len() + i, p) {
                Some(v) => {
                    v.store(dest);
                    true
                }
                None => false,
            },
            ExtractFrom::Header(i) => {
                if cap.present.get(*i).copied().unwrap_or(false) {
                    dest.set_text(&cap.headers[*i]);
                    true
                } else {
                    false
                }
            }
            ExtractFrom::Regex(rx) => match rx.captures(&cap.body) {
                Some(c) => {
                    let m = c
                        .get(1)
                        .or_else(|| c.get(0))
                        .expect("group 0 always matches");
                    dest.set_text(m.as_bytes());
                    true
                }
                None => false,
            },
        };
        if !found {
            dest.unset();
            if reason.is_none() {
                reason = Some(Failure::ExtractMissing {
                    step: id,
                    extract: index(i),
                });
            }
        }
    }
    reason
}

/// The status check, then the body text check.
fn check_status_and_body(step: &HttpStep, id: StepId, cap: &Capture) -> Option<Failure> {
    let check = &step.check;
    let status_ok = match &check.status {
        Some(list) => list.binary_search(&cap.status).is_ok(),
        None => cap.status < 400,
    };
    if !status_ok {
        return Some(Failure::Status {
            step: id,
            got: cap.status,
        });
    }
    match &check.body_contains {
        Some(needle) if !contains(&cap.body, needle) => Some(Failure::BodyMissing(id)),
        _ => None,
    }
}

/// The JSON checks, in order; the first that fails decides.
fn check_json(step: &HttpStep, id: StepId, doc: &JsonDoc<'_>) -> Option<Failure> {
    for (i, c) in step.check.json.iter().enumerate() {
        let got = doc.get(i, &c.pointer);
        let ok = match (got, c.op) {
            (None, _) => false,
            (Some(_), CmpOp::Exists) => true,
            (Some(g), CmpOp::Eq) => g.json_eq(&c.value),
            (Some(g), CmpOp::Ne) => !g.json_eq(&c.value),
            (Some(g), op) => match (g.as_f64(), c.value.as_f64()) {
                (Some(a), Some(b)) => match op {
                    CmpOp::Lt => a < b,
                    CmpOp::Le => a <= b,
                    CmpOp::Gt => a > b,
                    _ => a >= b,
                },
                _ => false,
            },
        };
        if !ok {
            let check = index(i);
            return Some(match (doc.is_json(), got) {
                (false, _) => Failure::NotJson,
                (true, None) => Failure::JsonMissing { step: id, check },
                (true, Some(_)) if c.op == CmpOp::Exists => {
                    Failure::JsonMissing { step: id, check }
                }
                (true, Some(_)) => Failure::JsonFailed { step: id, check },
            });
        }
    }
    None
}

/// A response body as the step's JSON checks and captures see it.
// Kept on the stack on purpose: boxing the found values would allocate
// per response, which is what this avoids.
#[allow(clippy::large_enum_variant)]
enum JsonDoc<'a> {
    /// Not needed, or not JSON.
    None,
    /// What each pointer reached (checks first, then captures), found in
    /// one pass without building the document: no allocation.
    Found([Found<'a>; MAX_POINTERS]),
    /// The whole document (a pointer reached an object, an array or an
    /// escaped string, or the step has more pointers than one pass takes).
    Full(serde_json::Value),
}

/// What a pointer reached, either way.
#[derive(Clone, Copy)]
enum Got<'d> {
    Found(Found<'d>),
    Value(&'d serde_json::Value),
}

impl<'a> JsonDoc<'a> {
    /// Parses `body` if the step needs it.
    fn parse(step: &HttpStep, body: &'a [u8]) -> JsonDoc<'a> {
        if !step.needs_json {
            return JsonDoc::None;
        }
        let mut pointers = [""; MAX_POINTERS];
        let checks = step.check.json.iter().map(|c| c.pointer.as_str());
        // A capture that is not JSON gets a pointer that reaches nothing.
        let extracts = step.extract.iter().map(|e| match &e.from {
            ExtractFrom::Json(p) => p.as_str(),
            _ => "-",
        });
        let n = step.check.json.len() + step.extract.len();
        let fast = if n <= MAX_POINTERS {
            for (slot, p) in pointers.iter_mut().zip(checks.chain(extracts)) {
                *slot = p;
            }
            json::lookup(body, &pointers[..n])
        } else {
            Lookup::Fallback
        };
        match fast {
            Lookup::NotJson => JsonDoc::None,
            Lookup::Found(found) => JsonDoc::Found(found),
            Lookup::Fallback => match serde_json::from_slice(body) {
                Ok(v) => JsonDoc::Full(v),
                Err(_) => JsonDoc::None,
            },
        }
    }

    fn is_json(&self) -> bool {
        !matches!(self, JsonDoc::None)
    }

    /// What pointer `k` (its text: `pointer`) reached.
    fn get(&self, k: usize, pointer: &str) -> Option<Got<'_>> {
        match self {
            JsonDoc::None => None,
            JsonDoc::Found(found) => match found[k] {
                Found::Absent => None,
                f => Some(Got::Found(f)),
            },
            JsonDoc::Full(v) => v.pointer(pointer).map(Got::Value),
        }
    }
}

impl Got<'_> {
    fn as_f64(self) -> Option<f64> {
        match self {
            Got::Found(Found::U64(n)) => Some(n as f64),
            Got::Found(Found::I64(n)) => Some(n as f64),
            Got::Found(Found::F64(x)) => Some(x).filter(|x| x.is_finite()),
            Got::Found(_) => None,
            Got::Value(v) => v.as_f64(),
        }
    }

    /// Numbers compare as numbers, anything else as JSON.
    fn json_eq(self, b: &serde_json::Value) -> bool {
        if let (Some(x), Some(y)) = (self.as_f64(), b.as_f64()) {
            return x == y;
        }
        match self {
            Got::Found(Found::Str(s)) => matches!(b, serde_json::Value::String(t) if t == s),
            Got::Found(f) => f.scalar_value().as_ref() == Some(b),
            Got::Value(v) => v == b,
        }
    }

    /// Captures the value: strings as their text, anything else as JSON.
    fn store(self, dest: &mut Value) {
        match self {
            Got::Found(Found::Str(s)) => dest.set_text(s.as_bytes()),
            Got::Found(f) => match f.scalar_value() {
                Some(v) => dest.set_from_json(&v),
                None => dest.unset(),
            },
            Got::Value(v) => dest.set_from_json(v),
        }
    }
}

/// A check's or extract's index as a failure stores it (profiles have far
/// fewer than 65,536 of either per step).
fn index(i: usize) -> u16 {
    u16::try_from(i).unwrap_or(u16::MAX)
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || hay.windows(needle.len()).any(|w| w == needle)
}
