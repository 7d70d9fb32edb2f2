//! Thresholds and invariants: judged from the merged stats and the values
//! setup and teardown captured. Any failure makes the run exit 3.

use std::time::Duration;

use serde::Serialize;

use super::stats::{NameStats, RunStats};
use crate::profile::expr::{CountFn, CountKind, Env, Expr, Op, Val};
use crate::profile::scenario::{Limit, Scenario, Threshold};
use crate::profile::values::Value;

/// One limit's outcome.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct LimitVerdict {
    /// Request name, or `all requests`.
    pub request: String,
    /// The limit as text, e.g. `p95 <= 500ms`.
    pub limit: String,
    /// The measured value as text.
    pub actual: String,
    /// Whether it held.
    pub pass: bool,
}

/// One invariant's outcome.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct InvariantVerdict {
    /// The expression.
    pub expr: String,
    /// Whether it held.
    pub pass: bool,
    /// Left and right values of a top-level comparison, and their
    /// difference, or the evaluation error.
    pub detail: String,
}

/// Evaluates one threshold against `stats` over `elapsed`.
pub fn threshold(
    sc: &Scenario,
    t: &Threshold,
    stats: &RunStats,
    elapsed: Duration,
) -> Vec<LimitVerdict> {
    let (request, n) = match t.request {
        Some(i) => (
            sc.names[i].clone(),
            stats.names.get(i).cloned().unwrap_or_default(),
        ),
        None => ("all requests".to_string(), stats.total()),
    };
    t.limits
        .iter()
        .map(|l| {
            let (limit, actual, pass) = judge_limit(l, &n, elapsed);
            LimitVerdict {
                request: request.clone(),
                limit,
                actual,
                pass,
            }
        })
        .collect()
}

fn judge_limit(l: &Limit, n: &NameStats, elapsed: Duration) -> (String, String, bool) {
    let ended = n.requests - n.interrupted;
    match *l {
        Limit::Quantile(q, d) => {
            let label = match q {
                x if x >= 1.0 => "max".to_string(),
                x if (x - 0.999).abs() < 1e-9 => "p99.9".to_string(),
                x => format!("p{}", (x * 100.0).round()),
            };
            let limit = format!("{label} <= {}", fmt_dur_us(d.as_micros() as u64));
            if n.latency.is_empty() {
                return (limit, "no responses".into(), false);
            }
            let v = if q >= 1.0 {
                n.latency.max()
            } else {
                n.latency.value_at_quantile(q)
            };
            (limit, fmt_dur_us(v), v as u128 <= d.as_micros())
        }
        Limit::Mean(d) => {
            let limit = format!("mean <= {}", fmt_dur_us(d.as_micros() as u64));
            if n.latency.is_empty() {
                return (limit, "no responses".into(), false);
            }
            let v = n.latency.mean();
            (limit, fmt_dur_us(v as u64), v <= d.as_micros() as f64)
        }
        Limit::ErrorRate(max) => {
            let share = if ended == 0 {
                0.0
            } else {
                n.failed() as f64 / ended as f64
            };
            (
                format!("error rate <= {}", pct(max)),
                pct(share),
                ended > 0 && share <= max,
            )
        }
        Limit::Checks(min) => {
            let share = if ended == 0 {
                0.0
            } else {
                n.passed as f64 / ended as f64
            };
            (
                format!("checks passed >= {}", pct(min)),
                pct(share),
                ended > 0 && share >= min,
            )
        }
        Limit::Rps(min) => {
            let rps = n.requests as f64 / elapsed.as_secs_f64().max(1e-9);
            (
                format!("throughput >= {min} req/s"),
                format!("{rps:.1} req/s"),
                rps >= min,
            )
        }
    }
}

fn pct(x: f64) -> String {
    format!("{:.2}%", x * 100.0)
}

/// Formats microseconds as ms (or s) for tables.
pub fn fmt_dur_us(us: u64) -> String {
    if us >= 10_000_000 {
        format!("{:.2}s", us as f64 / 1e6)
    } else {
        format!("{:.2}ms", us as f64 / 1e3)
    }
}

struct RunEnv<'a> {
    sc: &'a Scenario,
    stats: &'a RunStats,
    globals: &'a [Value],
}

impl Env for RunEnv<'_> {
    fn captured(&self, after: bool, name: &str) -> Result<f64, String> {
        let (list, offset, w) = if after {
            (&self.sc.teardown_vars, self.sc.globals.len(), "after")
        } else {
            (&self.sc.globals, 0, "before")
        };
        let i = list
            .iter()
            .position(|n| n == name)
            .ok_or_else(|| format!("{w}.{name} is not captured"))?;
        let v = &self.globals[offset + i];
        if v.bytes.is_empty() {
            return Err(format!(
                "{w}.{name} was never captured (did its step fail?)"
            ));
        }
        v.as_f64()
            .ok_or_else(|| format!("{w}.{name} is not a number: {}", v.display()))
    }

    fn count(&self, f: &CountFn) -> f64 {
        let pick = |n: &NameStats| -> u64 {
            match (f.kind, f.status) {
                (CountKind::Count, Some(s)) => n.status.get(&s).copied().unwrap_or(0),
                (CountKind::Count, None) => n.requests,
                (CountKind::Passed, _) => n.passed,
                (CountKind::Failed, _) => n.failed(),
                (CountKind::Errors, _) => n.error_total(),
            }
        };
        let total: u64 = match &f.name {
            Some(name) => self
                .sc
                .names
                .iter()
                .position(|n| n == name)
                .and_then(|i| self.stats.names.get(i))
                .map_or(0, pick),
            None => self.stats.names.iter().map(pick).sum(),
        };
        total as f64
    }
}

/// Evaluates every invariant.
pub fn invariants(sc: &Scenario, stats: &RunStats, globals: &[Value]) -> Vec<InvariantVerdict> {
    let env = RunEnv { sc, stats, globals };
    sc.invariants
        .iter()
        .map(|inv| {
            let (pass, detail) = match inv.expr.eval(&env) {
                Ok(Val::Bool(b)) => (b, comparison_detail(&inv.expr, &env)),
                Ok(Val::Num(_)) => (false, "the expression is a number, not a condition".into()),
                Err(e) => (false, e),
            };
            InvariantVerdict {
                expr: inv.text.clone(),
                pass,
                detail,
            }
        })
        .collect()
}

/// For `a OP b`, "actual a, expected OP b, difference a - b".
fn comparison_detail(e: &Expr, env: &dyn Env) -> String {
    match e {
        Expr::Bin(op, a, b)
            if matches!(op, Op::Eq | Op::Ne | Op::Lt | Op::Le | Op::Gt | Op::Ge) =>
        {
            match (a.eval(env), b.eval(env)) {
                (Ok(Val::Num(x)), Ok(Val::Num(y))) => format!(
                    "actual {}, expected {op} {}, difference {}",
                    Val::Num(x),
                    Val::Num(y),
                    Val::Num(x - y)
                ),
                _ => String::new(),
            }
        }
        Expr::Bin(Op::And | Op::Or, a, b) => {
            let parts: Vec<String> = [a, b]
                .iter()
                .map(|x| comparison_detail(x, env))
                .filter(|s| !s.is_empty())
                .collect();
            parts.join("; ")
        }
        _ => String::new(),
    }
}
