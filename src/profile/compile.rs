//! From a parsed profile to a [`Scenario`]: resolves environment variables
//! and data files, compiles templates, numbers request names and checks
//! that everything named exists. Each failure is one [`ProfileError`] with
//! the place in the file; nothing is sent before this succeeds.

use crate::tls::{TlsClient, TlsOptions, TlsVersion};
use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use regex::bytes::Regex;
use toml::Spanned;

use super::error::{Locator, ProfileError};
use super::expr::Expr;
use super::model::{RawCheck, RawExtract, RawLoad, RawProfile, RawStep, RawTls, RawUser};
use super::scenario::*;
use super::template::{builtin, Escape, Resolved, Source, Template, TemplateError};
use crate::load::{Shape, Stage};
use crate::vocab::limits::{MAX_DURATION, MAX_RATE, MAX_THREADS};

/// Values given on the command line that replace the profile's.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// `--host`.
    pub host: Option<String>,
    /// `--smpp-endpoint`.
    pub smpp_endpoint: Option<String>,
    /// `--users`.
    pub users: Option<u64>,
    /// `--spawn-rate`.
    pub spawn_rate: Option<f64>,
    /// `--rate`.
    pub rate: Option<f64>,
    /// `--run-time`.
    pub run_time: Option<Duration>,
    /// `--iterations`.
    pub iterations: Option<u64>,
    /// `--threads`.
    pub threads: Option<usize>,
    /// `--user-class` (repeatable): keep only these classes.
    pub user_classes: Vec<String>,
}

/// Most users a profile may ask for.
pub const MAX_USERS: u64 = 1_000_000;
/// Default request timeout.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default connect timeout.
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Run time of a run bounded only by `iterations`.
const ITERATIONS_RUN_TIME: Duration = Duration::from_secs(600);

/// Reads, parses and compiles the profile at `path`.
pub fn load(path: &Path, ov: &Overrides) -> Result<Scenario, ProfileError> {
    let text = std::fs::read_to_string(path).map_err(|e| ProfileError {
        file: path.to_path_buf(),
        line: 0,
        column: 0,
        message: format!("cannot read the profile: {e}"),
    })?;
    compile_str(path, &text, ov, &|k| std::env::var(k).ok())
}

/// Compiles profile `text` (read from `path`, which locates data files);
/// `env` reads environment variables.
pub fn compile_str(
    path: &Path,
    text: &str,
    ov: &Overrides,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Scenario, ProfileError> {
    let loc = Locator::new(path, text);
    let raw: RawProfile = toml::from_str(text).map_err(|e| {
        let mut err = loc.from_toml(&e);
        if let Some(span) = e.span() {
            let names_key = ["unknown field", "missing field", "duplicate key"]
                .iter()
                .any(|p| err.message.starts_with(p));
            if !names_key {
                if let Some(key) = key_at(text, span.start) {
                    err.message = format!("key `{key}`: {}", err.message);
                }
            }
        }
        err
    })?;
    Compiler {
        loc,
        dir: path.parent().unwrap_or(Path::new(".")),
        consts: HashMap::new(),
        feeds: Vec::new(),
        globals: Vec::new(),
        teardown_vars: Vec::new(),
        user_vars: Vec::new(),
        names: Vec::new(),
        secrets: Vec::new(),
    }
    .run(raw, ov, env)
}

/// The key whose value starts at `offset`: the last `key =` before it on
/// its line or, for an element of an array written over several lines,
/// the key before the array's opening `[`.
fn key_at(text: &str, offset: usize) -> Option<String> {
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
fn key_before(head: &str) -> Option<String> {
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
fn literal_offset(text: &str, span: Range<usize>, decoded: usize) -> usize {
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

struct Compiler<'a> {
    loc: Locator<'a>,
    dir: &'a Path,
    /// Constants and environment values, folded into templates.
    consts: HashMap<String, Resolved>,
    feeds: Vec<Arc<Feed>>,
    globals: Vec<String>,
    teardown_vars: Vec<String>,
    user_vars: Vec<String>,
    names: Vec<String>,
    /// See `Scenario::secrets`.
    secrets: Vec<String>,
}

/// Which variables a step may read and where its captures go.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    Setup,
    User,
    Teardown,
}

impl<'a> Compiler<'a> {
    fn err(&self, span: Range<usize>, msg: impl Into<String>) -> ProfileError {
        self.loc.at(span, msg)
    }

    fn run(
        mut self,
        raw: RawProfile,
        ov: &Overrides,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Scenario, ProfileError> {
        self.constants(&raw, env)?;
        for (name, data) in &raw.data {
            let feed = self.feed(name, data)?;
            self.feeds.push(Arc::new(feed));
        }
        // Capture names first, so templates may use a value captured by a
        // later-declared step (a flow's login used by another task).
        for s in &raw.setup {
            self.declare(&s.get_ref().extract, Phase::Setup)?;
        }
        for s in &raw.teardown {
            self.declare(&s.get_ref().extract, Phase::Teardown)?;
        }
        for u in &raw.users {
            let u = u.get_ref();
            for s in u.on_start.iter().chain(&u.tasks) {
                self.declare(&s.get_ref().extract, Phase::User)?;
                for f in s.get_ref().steps.iter().flatten() {
                    self.declare(&f.get_ref().extract, Phase::User)?;
                }
            }
        }

        let http = self.http_target(&raw, ov)?;
        let smpp = self.smpp_target(&raw, ov)?;
        if let Some(password) = smpp.as_ref().map(|t| t.password.clone()) {
            self.secret(&password);
        }
        let mut default_headers = Vec::new();
        for (k, v) in &raw.target.headers {
            check_header_name(k).map_err(|m| self.err(v.span(), m))?;
            default_headers.push((
                k.as_str().into(),
                self.template(v, Escape::Raw, Phase::User)?,
            ));
        }
        let ctx = StepCtx {
            http: http.as_ref(),
            smpp: smpp.is_some(),
            default_headers: &default_headers,
        };
        let setup = self.steps(&raw.setup, Phase::Setup, &ctx)?;
        let teardown = self.steps(&raw.teardown, Phase::Teardown, &ctx)?;

        if raw.users.is_empty() {
            return Err(self
                .loc
                .whole("the profile has no [[user]] class: nothing to run"));
        }
        let mut classes = Vec::new();
        for u in &raw.users {
            classes.push(self.class(u, &ctx)?);
        }
        for (i, c) in classes.iter().enumerate() {
            if classes[..i].iter().any(|d| d.name == c.name) {
                return Err(self.err(
                    raw.users[i].get_ref().name.span(),
                    format!("user class `{}` is defined twice", c.name),
                ));
            }
        }
        if !ov.user_classes.is_empty() {
            for want in &ov.user_classes {
                if !classes.iter().any(|c| &c.name == want) {
                    let known: Vec<_> = classes.iter().map(|c| c.name.as_str()).collect();
                    return Err(self.loc.whole(format!(
                        "--user-class {want}: no such user class (the profile has: {})",
                        known.join(", ")
                    )));
                }
            }
            classes.retain(|c| ov.user_classes.contains(&c.name));
        }

        let timeout = raw.target.timeout.map_or(DEFAULT_TIMEOUT, |d| d.0);
        if timeout.is_zero() {
            return Err(self.loc.whole("target.timeout: must be more than zero"));
        }
        let thresholds = self.thresholds(&raw)?;
        let invariants = self.invariants(&raw)?;
        let load = self.load(&raw.load, ov, &classes)?;
        Ok(Scenario {
            file: self.loc_file(),
            description: raw.description,
            http,
            smpp,
            default_headers,
            timeout,
            connect_timeout: raw
                .target
                .connect_timeout
                .map_or(DEFAULT_CONNECT_TIMEOUT, |d| d.0),
            load,
            globals: self.globals,
            teardown_vars: self.teardown_vars,
            user_vars: self.user_vars,
            feeds: self.feeds,
            setup,
            teardown,
            classes,
            names: self.names,
            thresholds,
            invariants,
            secrets: self.secrets,
        })
    }

    fn loc_file(&self) -> std::path::PathBuf {
        self.loc.whole("").file
    }

    fn constants(
        &mut self,
        raw: &RawProfile,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<(), ProfileError> {
        for (name, v) in &raw.vars {
            check_var_name(name).map_err(|m| self.err(v.span(), m))?;
            let r = match v.get_ref() {
                toml::Value::String(s) => Resolved::Text(s.clone()),
                toml::Value::Integer(i) => Resolved::Json(i.to_string()),
                toml::Value::Float(f) => Resolved::Json(f.to_string()),
                toml::Value::Boolean(b) => Resolved::Json(b.to_string()),
                other => {
                    return Err(self.err(
                        v.span(),
                        format!(
                            "vars.{name}: a variable is a string, number or boolean, not a {}",
                            other.type_str()
                        ),
                    ))
                }
            };
            self.consts.insert(name.clone(), r);
        }
        for (name, v) in &raw.env {
            check_var_name(name).map_err(|m| self.err(v.span(), m))?;
            if self.consts.contains_key(name) {
                return Err(self.err(
                    v.span(),
                    format!("env.{name}: `{name}` is also defined in [vars]"),
                ));
            }
            let spec = v.get_ref();
            let (var, default) = match spec.split_once(":-") {
                Some((k, d)) => (k.trim(), Some(d)),
                None => (spec.trim(), None),
            };
            let value = match (env(var), default) {
                (Some(x), _) => x,
                (None, Some(d)) => d.to_string(),
                (None, None) => {
                    return Err(self.err(
                        v.span(),
                        format!("env.{name}: environment variable {var} is not set (set it, or give a default as \"{var}:-value\")"),
                    ))
                }
            };
            self.secret(&value);
            self.consts.insert(name.clone(), Resolved::Text(value));
        }
        let secret_vars: Vec<String> = self
            .consts
            .iter()
            .filter(|(k, _)| crate::vocab::redact::is_secret_name(k))
            .filter_map(|(_, v)| match v {
                Resolved::Text(t) => Some(t.clone()),
                _ => None,
            })
            .collect();
        for v in &secret_vars {
            self.secret(v);
        }
        Ok(())
    }

    /// Remembers `value` as a secret. Short values are left out: redacting
    /// every captured value that contains `"1"` would hide everything.
    fn secret(&mut self, value: &str) {
        if value.len() >= 4 && !self.secrets.iter().any(|s| s == value) {
            self.secrets.push(value.to_string());
        }
    }

    fn feed(
        &self,
        name: &str,
        data: &Spanned<super::model::RawData>,
    ) -> Result<Feed, ProfileError> {
        check_var_name(name).map_err(|m| self.err(data.span(), m))?;
        let d = data.get_ref();
        let shared = match d.cursor.as_ref().map(|c| c.get_ref().as_str()) {
            None | Some("per_user") => false,
            Some("shared") => true,
            Some(other) => {
                let c = d.cursor.as_ref().expect("matched Some");
                return Err(self.err(
                    c.span(),
                    format!("data.{name}.cursor: '{other}' is not per_user or shared"),
                ));
            }
        };
        let file = self.dir.join(d.file.get_ref());
        let fail = |m: String| {
            self.err(
                d.file.span(),
                format!("data.{name}.file: {}: {m}", file.display()),
            )
        };
        let mut rdr = csv::Reader::from_path(&file).map_err(|e| fail(e.to_string()))?;
        let columns: Vec<String> = rdr
            .headers()
            .map_err(|e| fail(e.to_string()))?
            .iter()
            .map(str::to_string)
            .collect();
        let mut rows = Vec::new();
        for rec in rdr.records() {
            let rec = rec.map_err(|e| fail(e.to_string()))?;
            rows.push(
                rec.iter()
                    .map(Box::from)
                    .collect::<Vec<_>>()
                    .into_boxed_slice(),
            );
        }
        if rows.is_empty() {
            return Err(fail("the file has no data rows".into()));
        }
        Ok(Feed {
            name: name.to_string(),
            columns,
            rows,
            shared,
        })
    }

    fn declare(
        &mut self,
        extract: &BTreeMap<String, Spanned<RawExtract>>,
        phase: Phase,
    ) -> Result<(), ProfileError> {
        for (name, e) in extract {
            check_var_name(name).map_err(|m| self.err(e.span(), m))?;
            if self.consts.contains_key(name) || self.feeds.iter().any(|f| &f.name == name) {
                return Err(self.err(
                    e.span(),
                    format!("extract.{name}: `{name}` is already a constant or data feed"),
                ));
            }
            let list = match phase {
                Phase::Setup => &mut self.globals,
                Phase::Teardown => &mut self.teardown_vars,
                Phase::User => &mut self.user_vars,
            };
            if !list.contains(name) {
                list.push(name.clone());
            }
        }
        Ok(())
    }

    /// Resolves a placeholder name for a step of `phase`.
    fn resolve(&self, expr: &str, phase: Phase) -> Result<Resolved, String> {
        if let Some(b) = builtin(expr) {
            return b.map(Resolved::Source);
        }
        if let Some(c) = self.consts.get(expr) {
            return Ok(c.clone());
        }
        if let Some((feed, col)) = expr.split_once('.') {
            if let Some(fi) = self.feeds.iter().position(|f| f.name == feed) {
                let f = &self.feeds[fi];
                return match f.columns.iter().position(|c| c == col) {
                    Some(ci) => Ok(Resolved::Source(Source::Feed { feed: fi, col: ci })),
                    None => Err(format!(
                        "data feed `{feed}` has no column `{col}` (columns: {})",
                        f.columns.join(", ")
                    )),
                };
            }
        }
        if phase == Phase::User {
            if let Some(i) = self.user_vars.iter().position(|v| v == expr) {
                return Ok(Resolved::Source(Source::User(i)));
            }
        }
        if let Some(i) = self.globals.iter().position(|v| v == expr) {
            return Ok(Resolved::Source(Source::Global(i)));
        }
        if phase == Phase::Teardown {
            if let Some(i) = self.teardown_vars.iter().position(|v| v == expr) {
                // Teardown captures are stored after the globals.
                return Ok(Resolved::Source(Source::Global(self.globals.len() + i)));
            }
        }
        let hint = if phase != Phase::User && self.user_vars.iter().any(|v| v == expr) {
            " (it is captured per user, which setup and teardown cannot read)"
        } else {
            ""
        };
        Err(format!("unknown variable `{expr}`{hint}: define it in [vars], [env], a data feed or an extract"))
    }

    fn template(
        &self,
        t: &Spanned<String>,
        esc: Escape,
        phase: Phase,
    ) -> Result<Template, ProfileError> {
        Template::compile(t.get_ref(), esc, &mut |e| self.resolve(e, phase))
            .map_err(|e| self.template_err(t.span(), e))
    }

    /// A template error in the string literal at `span`: placed at the
    /// offending `{{`, naming the key the string is the value of.
    fn template_err(&self, span: Range<usize>, e: TemplateError) -> ProfileError {
        let text = self.loc.text();
        let at = literal_offset(text, span.clone(), e.offset);
        let message = match key_at(text, span.start) {
            Some(key) => format!("key `{key}`: {}", e.message),
            None => e.message,
        };
        self.err(at..span.end, message)
    }

    /// A template error in string `s` somewhere inside the JSON body at
    /// `span` (whose inner values carry no spans of their own): placed at
    /// the string when it can be found in the source.
    fn json_err(&self, span: Range<usize>, s: &str, e: TemplateError) -> ProfileError {
        let text = self.loc.text();
        let found = text
            .get(span.clone())
            .filter(|_| !s.is_empty())
            .and_then(|j| j.find(s))
            .filter(|&p| p > 0);
        match found {
            Some(p) => self.template_err(span.start + p - 1..span.end, e),
            None => self.template_err(span, TemplateError { offset: 0, ..e }),
        }
    }

    fn json_template(
        &self,
        v: &Spanned<toml::Value>,
        phase: Phase,
    ) -> Result<Template, ProfileError> {
        let mut t = Template::default();
        self.json_value(v.get_ref(), v.span(), phase, &mut t)?;
        Ok(t)
    }

    fn json_value(
        &self,
        v: &toml::Value,
        span: Range<usize>,
        phase: Phase,
        t: &mut Template,
    ) -> Result<(), ProfileError> {
        match v {
            toml::Value::String(s) => {
                let whole = s.trim_start().starts_with("{{")
                    && s.trim_end().ends_with("}}")
                    && s.matches("{{").count() == 1;
                if whole {
                    let lead = s.len() - s.trim_start().len();
                    t.append(s.trim(), Escape::JsonValue, &mut |e| self.resolve(e, phase))
                        .map_err(|e| {
                            let e = TemplateError {
                                offset: e.offset + lead,
                                ..e
                            };
                            self.json_err(span.clone(), s, e)
                        })?;
                } else {
                    t.push_lit(b"\"");
                    t.append(s, Escape::JsonString, &mut |e| self.resolve(e, phase))
                        .map_err(|e| self.json_err(span.clone(), s, e))?;
                    t.push_lit(b"\"");
                }
            }
            toml::Value::Integer(i) => t.push_lit(i.to_string().as_bytes()),
            toml::Value::Float(f) => {
                let n = serde_json::Number::from_f64(*f)
                    .ok_or_else(|| self.err(span.clone(), "JSON cannot hold NaN or infinity"))?;
                t.push_lit(n.to_string().as_bytes());
            }
            toml::Value::Boolean(b) => t.push_lit(b.to_string().as_bytes()),
            toml::Value::Datetime(d) => t.push_lit(format!("\"{d}\"").as_bytes()),
            toml::Value::Array(a) => {
                t.push_lit(b"[");
                for (i, x) in a.iter().enumerate() {
                    if i > 0 {
                        t.push_lit(b",");
                    }
                    self.json_value(x, span.clone(), phase, t)?;
                }
                t.push_lit(b"]");
            }
            toml::Value::Table(m) => {
                t.push_lit(b"{");
                for (i, (k, x)) in m.iter().enumerate() {
                    if i > 0 {
                        t.push_lit(b",");
                    }
                    let mut key = b"\"".to_vec();
                    super::template::json_escape(k.as_bytes(), &mut key);
                    key.extend_from_slice(b"\":");
                    t.push_lit(&key);
                    self.json_value(x, span.clone(), phase, t)?;
                }
                t.push_lit(b"}");
            }
        }
        Ok(())
    }

    /// The captured values `templates` read, each once, with its name.
    fn needs<'t>(
        &self,
        templates: impl IntoIterator<Item = &'t Template>,
    ) -> Vec<(Source, Box<str>)> {
        let mut out: Vec<(Source, Box<str>)> = Vec::new();
        for src in templates.into_iter().flat_map(Template::captures) {
            if out.iter().any(|(s, _)| *s == src) {
                continue;
            }
            let name = match src {
                Source::User(i) => self.user_vars.get(i),
                Source::Global(i) if i < self.globals.len() => self.globals.get(i),
                Source::Global(i) => self.teardown_vars.get(i - self.globals.len()),
                _ => None,
            };
            out.push((src, name.map_or("?", |n| n.as_str()).into()));
        }
        out
    }

    fn name_id(&mut self, name: String) -> usize {
        match self.names.iter().position(|n| *n == name) {
            Some(i) => i,
            None => {
                self.names.push(name);
                self.names.len() - 1
            }
        }
    }

    fn class(&mut self, u: &Spanned<RawUser>, ctx: &StepCtx<'_>) -> Result<Class, ProfileError> {
        let raw = u.get_ref();
        let name = raw.name.get_ref().clone();
        if name.is_empty() {
            return Err(self.err(raw.name.span(), "user.name: must not be empty"));
        }
        if let Some(n) = raw.fixed_count {
            if n == 0 || n > MAX_USERS {
                return Err(self.err(
                    raw.name.span(),
                    format!("user `{name}`: fixed_count {n} must be between 1 and {MAX_USERS}"),
                ));
            }
        }
        let weight = match &raw.weight {
            Some(w) if *w.get_ref() == 0 => {
                return Err(self.err(
                    w.span(),
                    format!("user `{name}`: weight must be at least 1"),
                ))
            }
            Some(w) => *w.get_ref(),
            None => 1,
        };
        let think = match (&raw.think, &raw.think_between, &raw.pacing) {
            (None, None, None) => Think::None,
            (Some(d), None, None) => Think::Constant(d.0),
            (None, Some(b), None) => {
                let [lo, hi] = *b.get_ref();
                if lo.0 > hi.0 {
                    return Err(self.err(
                        b.span(),
                        format!(
                            "user `{name}`: think_between: the first bound is above the second"
                        ),
                    ));
                }
                Think::Between(lo.0, hi.0)
            }
            (None, None, Some(p)) => Think::Pacing(p.0),
            _ => {
                return Err(self.err(
                    u.span(),
                    format!("user `{name}`: give at most one of think, think_between, pacing"),
                ))
            }
        };
        let on_start = self.steps(&raw.on_start, Phase::User, ctx)?;
        if raw.tasks.is_empty() {
            return Err(self.err(
                raw.name.span(),
                format!("user `{name}` has no [[user.task]]"),
            ));
        }
        let mut tasks = Vec::new();
        for t in &raw.tasks {
            let step = t.get_ref();
            let weight = match &step.weight {
                Some(w) if *w.get_ref() == 0 => {
                    return Err(self.err(w.span(), "task weight must be at least 1"))
                }
                Some(w) => *w.get_ref(),
                None => 1,
            };
            let steps = match &step.steps {
                Some(flow) => {
                    if has_request_keys(step) {
                        return Err(self.err(
                            t.span(),
                            "a task with `steps` is a flow: put the request keys inside its steps",
                        ));
                    }
                    if flow.is_empty() {
                        return Err(self.err(t.span(), "a flow needs at least one step"));
                    }
                    self.steps(flow, Phase::User, ctx)?
                }
                None => vec![self.step(t, Phase::User, ctx, true)?],
            };
            tasks.push(Task { weight, steps });
        }
        let total_weight = tasks.iter().map(|t| u64::from(t.weight)).sum();
        // What on_start captures belongs to the user for its whole life;
        // everything else to one iteration.
        let kept: Vec<usize> = on_start
            .iter()
            .filter_map(|s| match s {
                Step::Http(h) => Some(h.extract.iter()),
                _ => None,
            })
            .flatten()
            .filter_map(|e| match e.slot {
                Slot::User(i) => Some(i),
                _ => None,
            })
            .collect();
        let iteration_vars = (0..self.user_vars.len())
            .filter(|i| !kept.contains(i))
            .collect();
        Ok(Class {
            name,
            weight,
            fixed_count: raw.fixed_count,
            think,
            on_start,
            tasks,
            sequential: raw.sequential,
            total_weight,
            iteration_vars,
        })
    }

    fn steps(
        &mut self,
        raw: &[Spanned<RawStep>],
        phase: Phase,
        ctx: &StepCtx<'_>,
    ) -> Result<Vec<Step>, ProfileError> {
        raw.iter()
            .map(|s| self.step(s, phase, ctx, false))
            .collect()
    }

    fn step(
        &mut self,
        s: &Spanned<RawStep>,
        phase: Phase,
        ctx: &StepCtx<'_>,
        is_task: bool,
    ) -> Result<Step, ProfileError> {
        let raw = s.get_ref();
        if !is_task {
            if let Some(w) = &raw.weight {
                return Err(self.err(w.span(), "weight: only tasks have a weight"));
            }
            if raw.steps.is_some() {
                return Err(self.err(s.span(), "steps: flows are tasks; a step cannot hold steps"));
            }
        }
        if let Some(d) = raw.sleep {
            if has_request_keys(raw) || raw.smpp.is_some() {
                return Err(self.err(
                    s.span(),
                    "a `sleep` step is only a pause: no request keys with it",
                ));
            }
            return Ok(Step::Sleep(d.0));
        }
        if let Some(sm) = &raw.smpp {
            if has_request_keys(raw) {
                return Err(self.err(
                    s.span(),
                    "an `smpp` step sends submit_sm: no HTTP keys (path, method, ...) with it",
                ));
            }
            if !ctx.smpp {
                return Err(self.err(sm.span(), "an smpp step needs [target.smpp]"));
            }
            if phase != Phase::User {
                return Err(self.err(
                    sm.span(),
                    "smpp steps run in user classes, not in setup or teardown",
                ));
            }
            let sm = sm.get_ref();
            let name = raw
                .name
                .as_ref()
                .map_or_else(|| "submit_sm".to_string(), |n| n.get_ref().clone());
            let name = self.name_id(name);
            let source = match &sm.source {
                Some(t) => self.template(t, Escape::Raw, phase)?,
                None => Template::default(),
            };
            let destination = self.template(&sm.destination, Escape::Raw, phase)?;
            let text = self.template(&sm.text, Escape::Raw, phase)?;
            let needs = self.needs([&source, &destination, &text]);
            return Ok(Step::Smpp(Box::new(SmppStep {
                name,
                source,
                destination,
                text,
                registered_delivery: sm.registered_delivery,
                needs,
            })));
        }
        let path = raw.path.as_ref().ok_or_else(|| {
            self.err(
                s.span(),
                "a step needs `path` (an HTTP request), `smpp` or `sleep`",
            )
        })?;
        let target = ctx
            .http
            .ok_or_else(|| self.err(path.span(), "an HTTP step needs target.host (or --host)"))?;
        if !path.get_ref().starts_with('/') {
            return Err(self.err(
                path.span(),
                format!("path \"{}\" must start with '/'", path.get_ref()),
            ));
        }
        let method = match &raw.method {
            Some(m) => {
                let up = m.get_ref().to_ascii_uppercase();
                if up.is_empty() || !up.bytes().all(|b| b.is_ascii_alphabetic()) {
                    return Err(self.err(
                        m.span(),
                        format!("method \"{}\" is not an HTTP method", m.get_ref()),
                    ));
                }
                up
            }
            None if raw.json.is_some() || raw.body.is_some() => "POST".into(),
            None => "GET".into(),
        };
        if let (Some(_), Some(b)) = (&raw.json, &raw.body) {
            return Err(self.err(b.span(), "give `json` or `body`, not both"));
        }
        // A default name shows the path, but not a secret in its query.
        let name = raw.name.as_ref().map_or_else(
            || {
                format!(
                    "{method} {}",
                    crate::vocab::redact::redact_path(path.get_ref())
                )
            },
            |n| n.get_ref().clone(),
        );
        let name = self.name_id(name);
        let mut full_path = Template::literal(target.base_path.as_bytes());
        full_path
            .append(path.get_ref(), Escape::Raw, &mut |e| self.resolve(e, phase))
            .map_err(|e| self.template_err(path.span(), e))?;
        let mut headers: Vec<(Box<str>, Template)> = ctx.default_headers.to_vec();
        for (k, v) in &raw.headers {
            check_header_name(k).map_err(|m| self.err(v.span(), m))?;
            headers.retain(|(h, _)| !h.eq_ignore_ascii_case(k));
            headers.push((k.as_str().into(), self.template(v, Escape::Raw, phase)?));
        }
        // The defaults the step did not override stay first.
        let defaults = ctx
            .default_headers
            .iter()
            .filter(|(h, _)| !raw.headers.keys().any(|k| h.eq_ignore_ascii_case(k)))
            .count();
        let body = match (&raw.json, &raw.body) {
            (Some(j), _) => {
                if !headers
                    .iter()
                    .any(|(h, _)| h.eq_ignore_ascii_case("content-type"))
                {
                    headers.push((
                        "Content-Type".into(),
                        Template::literal(b"application/json"),
                    ));
                }
                Some(self.json_template(j, phase)?)
            }
            (None, Some(b)) => Some(self.template(b, Escape::Raw, phase)?),
            (None, None) => None,
        };
        let mut wanted_headers: Vec<Box<str>> = Vec::new();
        let mut extract = Vec::new();
        let (mut needs_body, mut needs_json) = (false, false);
        for (var, e) in &raw.extract {
            let re = e.get_ref();
            let slot = match phase {
                Phase::Setup => Slot::Global(
                    self.globals
                        .iter()
                        .position(|g| g == var)
                        .expect("declared"),
                ),
                Phase::Teardown => Slot::Teardown(
                    self.teardown_vars
                        .iter()
                        .position(|g| g == var)
                        .expect("declared"),
                ),
                Phase::User => Slot::User(
                    self.user_vars
                        .iter()
                        .position(|g| g == var)
                        .expect("declared"),
                ),
            };
            let from = match (&re.json, &re.header, &re.regex) {
                (Some(p), None, None) => {
                    check_pointer(p)
                        .map_err(|m| self.err(e.span(), format!("extract.{var}: {m}")))?;
                    needs_body = true;
                    needs_json = true;
                    ExtractFrom::Json(p.clone())
                }
                (None, Some(h), None) => {
                    let h = h.to_ascii_lowercase();
                    let i = wanted_headers
                        .iter()
                        .position(|w| **w == *h)
                        .unwrap_or_else(|| {
                            wanted_headers.push(h.as_str().into());
                            wanted_headers.len() - 1
                        });
                    ExtractFrom::Header(i)
                }
                (None, None, Some(r)) => {
                    needs_body = true;
                    let rx = Regex::new(r).map_err(|x| {
                        // The crate's message is a multi-line snippet whose
                        // last line says what is wrong.
                        let full = x.to_string();
                        let why = full
                            .lines()
                            .rev()
                            .find_map(|l| l.trim().strip_prefix("error: "))
                            .map_or_else(
                                || full.split_whitespace().collect::<Vec<_>>().join(" "),
                                str::to_string,
                            );
                        self.err(e.span(), format!("extract.{var}: bad regex \"{r}\": {why}"))
                    })?;
                    ExtractFrom::Regex(rx)
                }
                _ => {
                    return Err(self.err(
                        e.span(),
                        format!("extract.{var}: give exactly one of json, header, regex"),
                    ))
                }
            };
            extract.push(Extract {
                var: var.clone(),
                slot,
                from,
            });
        }
        let check = match &raw.check {
            Some(c) => self.check(c, &mut needs_body, &mut needs_json)?,
            None => Check::default(),
        };
        let needs = self.needs(
            std::iter::once(&full_path)
                .chain(headers[defaults..].iter().map(|(_, t)| t))
                .chain(body.as_ref()),
        );
        Ok(Step::Http(Box::new(HttpStep {
            name,
            method: method.into(),
            path: full_path,
            headers,
            defaults,
            needs,
            body,
            extract,
            check,
            needs_body,
            needs_json,
            wanted_headers,
        })))
    }

    fn check(
        &self,
        c: &Spanned<RawCheck>,
        needs_body: &mut bool,
        needs_json: &mut bool,
    ) -> Result<Check, ProfileError> {
        let raw = c.get_ref();
        let status = match &raw.status {
            Some(list) => {
                if list.is_empty() || list.iter().any(|s| !(100..=999).contains(s)) {
                    return Err(self.err(
                        c.span(),
                        "check.status: a non-empty list of codes from 100 to 999",
                    ));
                }
                let mut l = list.clone();
                l.sort_unstable();
                Some(l)
            }
            None => None,
        };
        if raw.body_contains.is_some() {
            *needs_body = true;
        }
        let mut json = Vec::new();
        for j in &raw.json {
            let r = j.get_ref();
            check_pointer(&r.pointer)
                .map_err(|m| self.err(j.span(), format!("check.json: {m}")))?;
            let op = match r.op.as_deref().unwrap_or("==") {
                "==" => CmpOp::Eq,
                "!=" => CmpOp::Ne,
                "<" => CmpOp::Lt,
                "<=" => CmpOp::Le,
                ">" => CmpOp::Gt,
                ">=" => CmpOp::Ge,
                "exists" => CmpOp::Exists,
                other => {
                    return Err(self.err(
                        j.span(),
                        format!(
                            "check.json: op '{other}' is not one of ==, !=, <, <=, >, >=, exists"
                        ),
                    ))
                }
            };
            let value = match (&r.value, op) {
                (None, CmpOp::Exists) => serde_json::Value::Null,
                (None, _) => {
                    return Err(self.err(
                        j.span(),
                        "check.json: `value` is required (except with op = \"exists\")",
                    ))
                }
                (Some(v), _) => serde_json::to_value(v)
                    .map_err(|e| self.err(j.span(), format!("check.json: value: {e}")))?,
            };
            if matches!(op, CmpOp::Lt | CmpOp::Le | CmpOp::Gt | CmpOp::Ge) && !value.is_number() {
                return Err(self.err(
                    j.span(),
                    format!(
                        "check.json: {} compares numbers; value is not a number",
                        op.as_str()
                    ),
                ));
            }
            *needs_body = true;
            *needs_json = true;
            json.push(JsonCheck {
                pointer: r.pointer.clone(),
                op,
                value,
            });
        }
        Ok(Check {
            status,
            body_contains: raw.body_contains.as_ref().map(|s| s.as_bytes().into()),
            json,
        })
    }

    fn http_target(
        &self,
        raw: &RawProfile,
        ov: &Overrides,
    ) -> Result<Option<HttpTarget>, ProfileError> {
        let (url, span) = match (&ov.host, &raw.target.host) {
            (Some(h), _) => (h.clone(), None),
            (None, Some(h)) => (h.get_ref().clone(), Some(h.span())),
            (None, None) => return Ok(None),
        };
        let t = crate::target::resolve_http_target(&url).map_err(|e| match &span {
            Some(s) => self.err(s.clone(), format!("target.host: {e}")),
            None => self.loc.whole(format!("--host: {e}")),
        })?;
        let mut base_path = t.path_and_query.clone();
        if base_path.contains('?') {
            let msg = "target.host: the base URL cannot have a query";
            return Err(match &span {
                Some(s) => self.err(s.clone(), msg),
                None => self.loc.whole(msg),
            });
        }
        while base_path.ends_with('/') {
            base_path.pop();
        }
        let tls = match (&raw.target.tls, t.tls) {
            (Some(opts), false) => {
                return Err(self.err(
                    opts.span(),
                    "target.tls: the host is http://; use an https:// URL for TLS",
                ))
            }
            (opts, true) => Some(self.tls_client(
                opts.as_ref(),
                "target.tls",
                &t.host,
                crate::tls::ALPN_HTTP1,
            )?),
            (None, false) => None,
        };
        Ok(Some(HttpTarget {
            url,
            addr: t.addr,
            host_header: t.host_header,
            base_path,
            tls,
        }))
    }

    /// Builds a TLS client from a `tls` table (`None`: all defaults).
    /// Certificate paths are relative to the profile's directory.
    fn tls_client(
        &self,
        raw: Option<&Spanned<RawTls>>,
        key: &str,
        host: &str,
        alpn: &[&[u8]],
    ) -> Result<TlsClient, ProfileError> {
        let empty = RawTls::default();
        let r = raw.map_or(&empty, |t| t.get_ref());
        let path = |p: &Option<Spanned<String>>| p.as_ref().map(|p| self.dir.join(p.get_ref()));
        let min_version = match &r.min_version {
            None => TlsVersion::default(),
            Some(v) => TlsVersion::parse(v.get_ref())
                .map_err(|e| self.err(v.span(), format!("{key}.min_version: {e}")))?,
        };
        let at = |field: &Option<Spanned<String>>| {
            field
                .as_ref()
                .map(|f| f.span())
                .or_else(|| raw.map(|t| t.span()))
        };
        if r.cert.is_some() != r.key.is_some() {
            let span = at(&r.cert).or_else(|| at(&r.key)).unwrap_or(0..0);
            return Err(self.err(span, format!("{key}: cert and key go together")));
        }
        if r.insecure && r.cacert.is_some() {
            let span = at(&r.cacert).unwrap_or(0..0);
            return Err(self.err(
                span,
                format!("{key}: insecure and cacert exclude each other"),
            ));
        }
        let opts = TlsOptions {
            cacert: path(&r.cacert),
            cert: path(&r.cert),
            key: path(&r.key),
            insecure: r.insecure,
            sni: r.sni.as_ref().map(|s| s.get_ref().clone()),
            min_version,
            no_resume: r.resume == Some(false),
        };
        TlsClient::new(&opts, host, alpn).map_err(|e| {
            let span = raw.map(|t| t.span()).unwrap_or(0..0);
            self.err(span, format!("{key}: {e}"))
        })
    }

    fn smpp_target(
        &self,
        raw: &RawProfile,
        ov: &Overrides,
    ) -> Result<Option<SmppTarget>, ProfileError> {
        let Some(s) = &raw.target.smpp else {
            return Ok(None);
        };
        let r = s.get_ref();
        let endpoint = ov
            .smpp_endpoint
            .clone()
            .unwrap_or_else(|| r.endpoint.get_ref().clone());
        let addr = crate::target::resolve_endpoint(&endpoint)
            .map_err(|e| self.err(r.endpoint.span(), format!("target.smpp.endpoint: {e}")))?;
        let constant = |t: &Spanned<String>, key: &str| -> Result<String, ProfileError> {
            let tpl = self.template(t, Escape::Raw, Phase::Setup)?;
            if !tpl.is_static() {
                return Err(self.err(
                    t.span(),
                    format!("target.smpp.{key}: only constants and env variables may be used here"),
                ));
            }
            let mut out = Vec::new();
            let seq = || 0;
            let mut rng = super::template::Rng::new(0);
            tpl.render(
                &mut super::template::RenderCtx {
                    globals: &[],
                    user: &[],
                    feeds: &[],
                    rows: &[],
                    user_id: 0,
                    iteration: 0,
                    seq: &seq,
                    rng: &mut rng,
                },
                &mut out,
            );
            Ok(String::from_utf8_lossy(&out).into_owned())
        };
        let system_id = constant(&r.system_id, "system_id")?;
        if system_id.len() > 15 {
            return Err(self.err(
                r.system_id.span(),
                "target.smpp.system_id: at most 15 characters",
            ));
        }
        let password = match &r.password {
            Some(p) => constant(p, "password")?,
            None => String::new(),
        };
        if password.len() > 8 {
            return Err(self.err(
                r.password.as_ref().expect("set").span(),
                "target.smpp.password: at most 8 characters",
            ));
        }
        let tls = match &r.tls {
            None => None,
            Some(opts) => {
                let host = endpoint
                    .rsplit_once(':')
                    .map_or(endpoint.as_str(), |(host, _)| host);
                Some(self.tls_client(Some(opts), "target.smpp.tls", host, &[])?)
            }
        };
        Ok(Some(SmppTarget {
            addr,
            endpoint,
            system_id,
            password,
            system_type: r.system_type.clone().unwrap_or_default(),
            tls,
        }))
    }

    fn thresholds(&self, raw: &RawProfile) -> Result<Vec<Threshold>, ProfileError> {
        let mut out = Vec::new();
        for t in &raw.thresholds {
            let r = t.get_ref();
            let request = match &r.request {
                Some(n) => Some(
                    self.names
                        .iter()
                        .position(|x| x == n.get_ref())
                        .ok_or_else(|| {
                            self.err(
                                n.span(),
                                format!(
                                    "threshold.request: no request is named `{}` (names: {})",
                                    n.get_ref(),
                                    self.names.join(", ")
                                ),
                            )
                        })?,
                ),
                None => None,
            };
            let mut limits = Vec::new();
            for (q, d) in [
                (0.5, r.p50),
                (0.9, r.p90),
                (0.95, r.p95),
                (0.99, r.p99),
                (0.999, r.p999),
                (1.0, r.max),
            ] {
                if let Some(d) = d {
                    limits.push(Limit::Quantile(q, d.0));
                }
            }
            if let Some(d) = r.mean {
                limits.push(Limit::Mean(d.0));
            }
            if let Some(x) = r.error_rate {
                limits.push(Limit::ErrorRate(x.0));
            }
            if let Some(x) = r.checks {
                limits.push(Limit::Checks(x.0));
            }
            if let Some(x) = &r.rps {
                if !(x.get_ref().is_finite() && *x.get_ref() >= 0.0) {
                    return Err(self.err(x.span(), "threshold.rps: must be 0 or more"));
                }
                limits.push(Limit::Rps(*x.get_ref()));
            }
            if limits.is_empty() {
                return Err(self.err(
                    t.span(),
                    "threshold: no limit given (p50 .. p999, max, mean, error_rate, checks, rps)",
                ));
            }
            out.push(Threshold {
                request,
                limits,
                abort_after: r.abort_after.map(|d| d.0),
            });
        }
        Ok(out)
    }

    fn invariants(&self, raw: &RawProfile) -> Result<Vec<Invariant>, ProfileError> {
        let mut out = Vec::new();
        for s in &raw.invariants {
            let text = s.get_ref();
            let at = |off: usize| literal_offset(self.loc.text(), s.span(), off)..s.span().end;
            let expr = Expr::parse(text)
                .map_err(|e| self.err(at(e.offset), format!("invariant: {}", e.message)))?;
            let mut bad = None;
            expr.visit(&mut |e| match e {
                Expr::Count(c) => {
                    if let Some(n) = &c.name {
                        if !self.names.contains(n) && bad.is_none() {
                            bad = Some((c.offset, format!("invariant: no request is named `{n}` (names: {})", self.names.join(", "))));
                        }
                    }
                }
                Expr::Captured { after, name } => {
                    let list = if *after { &self.teardown_vars } else { &self.globals };
                    if !list.contains(name) && bad.is_none() {
                        let (w, sec) = if *after { ("after", "teardown") } else { ("before", "setup") };
                        let off = text.find(&format!("{w}.{name}")).unwrap_or(0);
                        bad = Some((off, format!("invariant: `{w}.{name}` is not captured by any {sec} step's extract")));
                    }
                }
                _ => {}
            });
            if let Some((off, m)) = bad {
                return Err(self.err(at(off), m));
            }
            out.push(Invariant {
                text: text.clone(),
                expr,
            });
        }
        Ok(out)
    }

    fn load(
        &self,
        raw: &RawLoad,
        ov: &Overrides,
        classes: &[Class],
    ) -> Result<LoadSpec, ProfileError> {
        let whole = |m: String| self.loc.whole(m);
        let open = match raw.model.as_ref().map(|m| m.get_ref().as_str()) {
            Some("open") => true,
            Some("closed") => false,
            Some(other) => {
                return Err(self.err(
                    raw.model.as_ref().expect("set").span(),
                    format!("load.model: '{other}' is not closed or open"),
                ))
            }
            None => ov.rate.is_some() || raw.rate.is_some(),
        };
        let users = ov.users.or(raw.users.as_ref().map(|u| *u.get_ref()));
        if let Some(u) = users {
            if u == 0 || u > MAX_USERS {
                let m = format!("load.users: {u} must be between 1 and {MAX_USERS}");
                return Err(match (&ov.users, &raw.users) {
                    (None, Some(s)) => self.err(s.span(), m),
                    _ => whole(m.replace("load.users", "--users")),
                });
            }
        }
        let spawn_rate = ov
            .spawn_rate
            .or(raw.spawn_rate.as_ref().map(|s| *s.get_ref()));
        if let Some(r) = spawn_rate {
            if !(r.is_finite() && r > 0.0 && r <= MAX_RATE) {
                let m = format!("load.spawn_rate: {r} must be above 0 and at most {MAX_RATE}");
                return Err(match (&ov.spawn_rate, &raw.spawn_rate) {
                    (None, Some(s)) => self.err(s.span(), m),
                    _ => whole(m.replace("load.spawn_rate", "--spawn-rate")),
                });
            }
        }
        let rate = ov.rate.or(raw.rate.as_ref().map(|s| *s.get_ref()));
        if let Some(r) = rate {
            if !(r.is_finite() && r > 0.0 && r <= MAX_RATE) {
                let m = format!("load.rate: {r} must be above 0 and at most {MAX_RATE}");
                return Err(match (&ov.rate, &raw.rate) {
                    (None, Some(s)) => self.err(s.span(), m),
                    _ => whole(m.replace("load.rate", "--rate")),
                });
            }
        }
        let iterations = ov
            .iterations
            .or(raw.iterations.as_ref().map(|s| *s.get_ref()));
        if iterations == Some(0) {
            return Err(whole("load.iterations: must be at least 1".into()));
        }
        let mut stages: Vec<Stage> = raw
            .stages
            .iter()
            .map(|s| Stage {
                duration: s.duration.0,
                target: *s.target.get_ref(),
            })
            .collect();
        // Level at time 0: `stages` ramp from 0 (k6), `step` and `spike`
        // start at their first level.
        let mut start_level = 0.0;
        let shapes_given = usize::from(!stages.is_empty())
            + usize::from(raw.step.is_some())
            + usize::from(raw.spike.is_some());
        if shapes_given > 1 {
            return Err(whole(
                "load: give at most one of stages, step, spike".into(),
            ));
        }
        if let Some(st) = &raw.step {
            let s = st.get_ref();
            if s.steps == 0 || s.steps > 10_000 || s.every.0.is_zero() {
                return Err(self.err(
                    st.span(),
                    "load.step: steps must be 1..10000 and every more than zero",
                ));
            }
            // The first level holds from the start; later levels are
            // reached with a 1 ms ramp (a shape is continuous).
            start_level = s.start;
            let ramp = Duration::from_millis(1).min(s.every.0 / 2);
            for i in 0..s.steps {
                let level = s.start + s.step * f64::from(i);
                stages.push(Stage {
                    duration: ramp,
                    target: level,
                });
                stages.push(Stage {
                    duration: s.every.0 - ramp,
                    target: level,
                });
            }
        }
        if let Some(sp) = &raw.spike {
            let s = sp.get_ref();
            let ramp = s.ramp.map_or(Duration::from_secs(1), |d| d.0);
            if ramp.is_zero() || s.hold.0.is_zero() || s.before.0.is_zero() {
                return Err(self.err(
                    sp.span(),
                    "load.spike: before, ramp and hold must be more than zero",
                ));
            }
            // A spike starts at its base: no ramp from 0 before it.
            start_level = s.base;
            stages.push(Stage {
                duration: s.before.0,
                target: s.base,
            });
            stages.push(Stage {
                duration: ramp,
                target: s.peak,
            });
            stages.push(Stage {
                duration: s.hold.0,
                target: s.peak,
            });
            stages.push(Stage {
                duration: ramp,
                target: s.base,
            });
            if let Some(a) = s.after.filter(|a| !a.0.is_zero()) {
                stages.push(Stage {
                    duration: a.0,
                    target: s.base,
                });
            }
        }
        let stage_time: Duration = stages.iter().map(|s| s.duration).sum();
        let run_time = match (
            ov.run_time.or(raw.run_time.map(|d| d.0)),
            stages.is_empty(),
            iterations,
        ) {
            (Some(t), _, _) => t,
            (None, false, _) => stage_time,
            (None, true, Some(_)) => ITERATIONS_RUN_TIME,
            (None, true, None) => {
                return Err(whole(
                    "load.run_time is required (or stages, step, spike, or iterations)".into(),
                ))
            }
        };
        if run_time.is_zero() || run_time > MAX_DURATION {
            return Err(whole(format!(
                "load.run_time: {} must be more than zero and at most 30 days",
                humantime::format_duration(run_time)
            )));
        }
        let shape_err = |e: crate::load::ShapeError| whole(format!("load: {e}"));
        let model = if open {
            let shape = if !stages.is_empty() && ov.rate.is_none() {
                if stages.iter().any(|s| s.target > MAX_RATE) {
                    return Err(whole(format!(
                        "load: stage targets must be at most {MAX_RATE} iterations/s"
                    )));
                }
                Shape::from_stages_at(start_level, stages).map_err(shape_err)?
            } else {
                let r = rate
                    .ok_or_else(|| whole("load: the open model needs rate (or stages)".into()))?;
                Shape::constant(r, run_time)
            };
            LoadModel::Open {
                shape: Arc::new(shape),
                max_users: users.unwrap_or(10_000),
            }
        } else {
            if raw.rate.is_some() {
                return Err(whole(
                    "load.rate goes with the open model; the closed model takes users".into(),
                ));
            }
            let shape = if !stages.is_empty() && ov.users.is_none() {
                if stages.iter().any(|s| s.target > MAX_USERS as f64) {
                    return Err(whole(format!(
                        "load: stage targets must be at most {MAX_USERS} users"
                    )));
                }
                Shape::from_stages_at(start_level, stages).map_err(shape_err)?
            } else {
                let fixed: u64 = classes.iter().filter_map(|c| c.fixed_count).sum();
                if fixed > MAX_USERS {
                    return Err(whole(format!(
                        "user classes: fixed_count adds up to {fixed}, more than {MAX_USERS} users"
                    )));
                }
                let u = users.unwrap_or(fixed.max(1));
                match spawn_rate {
                    Some(r) if (u as f64 / r) < run_time.as_secs_f64() => {
                        let ramp = Duration::from_secs_f64(u as f64 / r);
                        let mut st = Vec::new();
                        if !ramp.is_zero() {
                            st.push(Stage {
                                duration: ramp,
                                target: u as f64,
                            });
                        }
                        st.push(Stage {
                            duration: run_time.saturating_sub(ramp).max(Duration::from_millis(1)),
                            target: u as f64,
                        });
                        Shape::from_stages(st).map_err(shape_err)?
                    }
                    Some(r) => Shape::from_stages(vec![Stage {
                        duration: run_time,
                        target: r * run_time.as_secs_f64(),
                    }])
                    .map_err(shape_err)?,
                    None => Shape::constant(u as f64, run_time),
                }
            };
            LoadModel::Closed {
                shape: Arc::new(shape),
            }
        };
        let peak_users = match &model {
            LoadModel::Closed { shape } => shape.peak().ceil() as u64,
            LoadModel::Open { max_users, .. } => *max_users,
        }
        .max(1);
        let threads = match (ov.threads, &raw.threads) {
            (Some(t), _) => t,
            (None, Some(t)) => *t.get_ref() as usize,
            (None, None) => std::thread::available_parallelism().map_or(1, |n| n.get()),
        };
        if threads == 0 || threads > MAX_THREADS {
            return Err(whole(format!(
                "load.threads: {threads} must be between 1 and {MAX_THREADS}"
            )));
        }
        let seed = raw.seed.unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64)
        });
        Ok(LoadSpec {
            model,
            run_time,
            iterations,
            threads: threads.min(peak_users as usize).max(1),
            seed,
        })
    }
}

struct StepCtx<'a> {
    http: Option<&'a HttpTarget>,
    smpp: bool,
    default_headers: &'a [(Box<str>, Template)],
}

fn has_request_keys(s: &RawStep) -> bool {
    s.path.is_some()
        || s.method.is_some()
        || !s.headers.is_empty()
        || s.json.is_some()
        || s.body.is_some()
        || !s.extract.is_empty()
        || s.check.is_some()
}

fn check_var_name(name: &str) -> Result<(), String> {
    let ok = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !ok {
        return Err(format!(
            "`{name}` is not a variable name (letters, digits and _, not starting with a digit)"
        ));
    }
    if builtin(name).is_some() || matches!(name, "before" | "after" | "setup" | "teardown") {
        return Err(format!("`{name}` is a built-in name; choose another"));
    }
    Ok(())
}

fn check_header_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
    if !ok {
        return Err(format!(
            "header name `{name}` is not a valid HTTP field name"
        ));
    }
    if name.eq_ignore_ascii_case("content-length") || name.eq_ignore_ascii_case("transfer-encoding")
    {
        return Err(format!("header `{name}` is set by hornet from the body"));
    }
    Ok(())
}

fn check_pointer(p: &str) -> Result<(), String> {
    if p.is_empty() || p.starts_with('/') {
        Ok(())
    } else {
        Err(format!(
            "JSON pointer \"{p}\" must be empty or start with '/' (e.g. \"/access\")"
        ))
    }
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
