//! User classes and their steps: request names numbered, HTTP and SMPP
//! steps checked against the targets the profile has, captures and
//! checks compiled.

use regex::bytes::Regex;
use toml::Spanned;

use super::{Compiler, Phase, StepCtx, MAX_USERS};
use crate::profile::error::ProfileError;
use crate::profile::model::{RawCheck, RawStep, RawUser};
use crate::profile::scenario::*;
use crate::profile::template::{builtin, Escape, Template};

impl Compiler<'_> {
    pub(super) fn name_id(&mut self, name: String) -> usize {
        match self.names.iter().position(|n| *n == name) {
            Some(i) => i,
            None => {
                self.names.push(name);
                self.names.len() - 1
            }
        }
    }

    pub(super) fn class(
        &mut self,
        u: &Spanned<RawUser>,
        ctx: &StepCtx<'_>,
    ) -> Result<Class, ProfileError> {
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

    pub(super) fn steps(
        &mut self,
        raw: &[Spanned<RawStep>],
        phase: Phase,
        ctx: &StepCtx<'_>,
    ) -> Result<Vec<Step>, ProfileError> {
        raw.iter()
            .map(|s| self.step(s, phase, ctx, false))
            .collect()
    }

    pub(super) fn step(
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

pub(super) fn has_request_keys(s: &RawStep) -> bool {
    s.path.is_some()
        || s.method.is_some()
        || !s.headers.is_empty()
        || s.json.is_some()
        || s.body.is_some()
        || !s.extract.is_empty()
        || s.check.is_some()
}

pub(super) fn check_var_name(name: &str) -> Result<(), String> {
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
