//! The values a profile declares before any step: `[env]` and constant
//! `[vars]` folded into templates, CSV feeds, variable names by phase, and
//! which of them are secrets.

use std::collections::BTreeMap;

use toml::Spanned;

use super::steps::check_var_name;
use super::{Compiler, Phase};
use crate::profile::error::ProfileError;
use crate::profile::model::{RawExtract, RawProfile};
use crate::profile::scenario::*;
use crate::profile::template::{builtin, Resolved, Source};

impl Compiler<'_> {
    pub(super) fn constants(
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
    pub(super) fn secret(&mut self, value: &str) {
        if value.len() >= 4 && !self.secrets.iter().any(|s| s == value) {
            self.secrets.push(value.to_string());
        }
    }

    pub(super) fn feed(
        &self,
        name: &str,
        data: &Spanned<crate::profile::model::RawData>,
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

    pub(super) fn declare(
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
    pub(super) fn resolve(&self, expr: &str, phase: Phase) -> Result<Resolved, String> {
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
}
