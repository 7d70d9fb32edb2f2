//! Compiling template strings and JSON bodies: names resolved against
//! what the phase may read, errors placed on the character they concern.

use std::ops::Range;

use toml::Spanned;

use super::locate::{key_at, literal_offset};
use super::{Compiler, Phase};
use crate::profile::error::ProfileError;
use crate::profile::template::{Escape, Source, Template, TemplateError};

impl Compiler<'_> {
    pub(super) fn template(
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
    pub(super) fn template_err(&self, span: Range<usize>, e: TemplateError) -> ProfileError {
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
    pub(super) fn json_err(&self, span: Range<usize>, s: &str, e: TemplateError) -> ProfileError {
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

    pub(super) fn json_template(
        &self,
        v: &Spanned<toml::Value>,
        phase: Phase,
    ) -> Result<Template, ProfileError> {
        let mut t = Template::default();
        self.json_value(v.get_ref(), v.span(), phase, &mut t)?;
        Ok(t)
    }

    pub(super) fn json_value(
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
                    crate::profile::template::json_escape(k.as_bytes(), &mut key);
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
    pub(super) fn needs<'t>(
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
}
