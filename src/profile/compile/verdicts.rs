//! `[thresholds]` and `[invariants]`: limits per request name and
//! expressions over captured values, parsed and checked for names that
//! exist.

use super::locate::literal_offset;
use super::Compiler;
use crate::profile::error::ProfileError;
use crate::profile::expr::Expr;
use crate::profile::model::RawProfile;
use crate::profile::scenario::*;

impl Compiler<'_> {
    pub(super) fn thresholds(&self, raw: &RawProfile) -> Result<Vec<Threshold>, ProfileError> {
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

    pub(super) fn invariants(&self, raw: &RawProfile) -> Result<Vec<Invariant>, ProfileError> {
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
}
