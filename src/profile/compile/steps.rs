//! User classes and their steps: request names numbered, HTTP and SMPP
//! steps checked against the targets the profile has, captures and
//! checks compiled.

use toml::Spanned;

use super::{Compiler, Overrides, Phase, StepCtx, MAX_USERS};
use crate::profile::error::ProfileError;
use crate::profile::model::{RawProfile, RawSmppSubmit, RawStep, RawUser};
use crate::profile::scenario::*;
use crate::profile::template::{builtin, Escape, Template};

impl Compiler<'_> {
    /// Every `[[user]]` class, names unique, kept to `--user-class` if
    /// given.
    pub(super) fn classes(
        &mut self,
        raw: &RawProfile,
        ov: &Overrides,
        ctx: &StepCtx<'_>,
    ) -> Result<Vec<Class>, ProfileError> {
        if raw.users.is_empty() {
            return Err(self
                .loc
                .whole("the profile has no [[user]] class: nothing to run"));
        }
        let mut classes = Vec::new();
        for u in &raw.users {
            classes.push(self.class(u, ctx)?);
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
        Ok(classes)
    }

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
        let think = self.think(u, &name)?;
        let on_start = self.steps(&raw.on_start, Phase::User, ctx)?;
        if raw.tasks.is_empty() {
            return Err(self.err(
                raw.name.span(),
                format!("user `{name}` has no [[user.task]]"),
            ));
        }
        let mut tasks = Vec::new();
        for t in &raw.tasks {
            tasks.push(self.task(t, ctx)?);
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

    /// A class's `think`, `think_between` or `pacing` (at most one).
    fn think(&self, u: &Spanned<RawUser>, name: &str) -> Result<Think, ProfileError> {
        let raw = u.get_ref();
        match (&raw.think, &raw.think_between, &raw.pacing) {
            (None, None, None) => Ok(Think::None),
            (Some(d), None, None) => Ok(Think::Constant(d.0)),
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
                Ok(Think::Between(lo.0, hi.0))
            }
            (None, None, Some(p)) => Ok(Think::Pacing(p.0)),
            _ => Err(self.err(
                u.span(),
                format!("user `{name}`: give at most one of think, think_between, pacing"),
            )),
        }
    }

    /// One `[[user.task]]`: a single request or a flow of `steps`.
    fn task(&mut self, t: &Spanned<RawStep>, ctx: &StepCtx<'_>) -> Result<Task, ProfileError> {
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
        Ok(Task { weight, steps })
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
        match &raw.smpp {
            Some(sm) => self.smpp_step(s, sm, phase, ctx),
            None => self.http_step(s, phase, ctx),
        }
    }

    /// A step with `smpp`: one submit_sm.
    fn smpp_step(
        &mut self,
        s: &Spanned<RawStep>,
        sm: &Spanned<RawSmppSubmit>,
        phase: Phase,
        ctx: &StepCtx<'_>,
    ) -> Result<Step, ProfileError> {
        let raw = s.get_ref();
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
        Ok(Step::Smpp(Box::new(SmppStep {
            name,
            source,
            destination,
            text,
            registered_delivery: sm.registered_delivery,
            needs,
        })))
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
