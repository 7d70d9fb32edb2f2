//! HTTP steps: the request (method, path, headers, body), the captures
//! (`extract`) and the checks a response must pass.

use regex::bytes::Regex;
use toml::Spanned;

use super::{Compiler, Phase, StepCtx};
use crate::profile::error::ProfileError;
use crate::profile::model::{RawCheck, RawExtract, RawStep};
use crate::profile::scenario::*;
use crate::profile::template::{Escape, Template};

impl Compiler<'_> {
    /// A step with `path`: one HTTP request, its captures and checks.
    pub(super) fn http_step(
        &mut self,
        s: &Spanned<RawStep>,
        phase: Phase,
        ctx: &StepCtx<'_>,
    ) -> Result<Step, ProfileError> {
        let raw = s.get_ref();
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
        let method = self.http_method(raw)?;
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
        let (headers, defaults, body) = self.headers_and_body(raw, phase, ctx)?;
        let mut x = self.extracts(raw, phase)?;
        let check = match &raw.check {
            Some(c) => self.check(c, &mut x.needs_body, &mut x.needs_json)?,
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
            extract: x.extract,
            check,
            needs_body: x.needs_body,
            needs_json: x.needs_json,
            wanted_headers: x.wanted_headers,
        })))
    }

    /// The step's method, upper-cased; POST with a body, else GET.
    fn http_method(&self, raw: &RawStep) -> Result<String, ProfileError> {
        Ok(match &raw.method {
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
        })
    }

    /// The request's headers (the profile's defaults the step did not
    /// override first, and how many those are) and its body.
    fn headers_and_body(
        &self,
        raw: &RawStep,
        phase: Phase,
        ctx: &StepCtx<'_>,
    ) -> Result<(Headers, usize, Option<Template>), ProfileError> {
        let mut headers: Headers = ctx.default_headers.to_vec();
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
        Ok((headers, defaults, body))
    }

    /// The step's `extract` table: where each value comes from and the
    /// slot it goes to, and what of the response that needs.
    fn extracts(&self, raw: &RawStep, phase: Phase) -> Result<Extracts, ProfileError> {
        let mut x = Extracts::default();
        for (var, e) in &raw.extract {
            let slot = self.slot(phase, var);
            let from = self.extract_from(var, e, &mut x)?;
            x.extract.push(Extract {
                var: var.clone(),
                slot,
                from,
            });
        }
        Ok(x)
    }

    /// Where a capture named `var` (declared before any step) is stored.
    fn slot(&self, phase: Phase, var: &str) -> Slot {
        match phase {
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
        }
    }

    /// One capture's source: a JSON pointer, a header or a regex.
    fn extract_from(
        &self,
        var: &str,
        e: &Spanned<RawExtract>,
        x: &mut Extracts,
    ) -> Result<ExtractFrom, ProfileError> {
        let re = e.get_ref();
        Ok(match (&re.json, &re.header, &re.regex) {
            (Some(p), None, None) => {
                check_pointer(p).map_err(|m| self.err(e.span(), format!("extract.{var}: {m}")))?;
                x.needs_body = true;
                x.needs_json = true;
                ExtractFrom::Json(p.clone())
            }
            (None, Some(h), None) => {
                let h = h.to_ascii_lowercase();
                let i = x
                    .wanted_headers
                    .iter()
                    .position(|w| **w == *h)
                    .unwrap_or_else(|| {
                        x.wanted_headers.push(h.as_str().into());
                        x.wanted_headers.len() - 1
                    });
                ExtractFrom::Header(i)
            }
            (None, None, Some(r)) => {
                x.needs_body = true;
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
        })
    }

    pub(super) fn check(
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
}

pub(super) fn check_header_name(name: &str) -> Result<(), String> {
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

pub(super) fn check_pointer(p: &str) -> Result<(), String> {
    if p.is_empty() || p.starts_with('/') {
        Ok(())
    } else {
        Err(format!(
            "JSON pointer \"{p}\" must be empty or start with '/' (e.g. \"/access\")"
        ))
    }
}

/// A request's headers: name and value template.
type Headers = Vec<(Box<str>, Template)>;

/// A step's captures and what of the response they need.
#[derive(Default)]
struct Extracts {
    extract: Vec<Extract>,
    /// Response headers captures read, lower-case.
    wanted_headers: Vec<Box<str>>,
    needs_body: bool,
    needs_json: bool,
}
