//! Thresholds and invariants: judged from the merged stats and the values
//! setup and teardown captured. Any failure makes the run exit 3.
//!
//! One evaluator ([`judge`]) serves profile thresholds and the
//! `--threshold` flags of `hornet http` and `hornet smpp`; [`failure_rule`]
//! makes a profile run with failures fail unless something says how many
//! are acceptable.

use std::time::Duration;

use crate::metrics::{NameStats, RunStats};
use crate::profile::expr::{CountFn, CountKind, Env, Expr, Op, Val};
use crate::profile::scenario::{Limit, Scenario, Threshold};
use crate::profile::values::Value;
pub use crate::report::verdict::{InvariantVerdict, LimitVerdict};

/// What a limit is judged on: one request name (or all) of a profile run,
/// or the whole of a `hornet http` / `hornet smpp` run.
#[derive(Debug, Clone, Copy)]
pub struct Measured<'a> {
    /// Latency of the responses, microseconds.
    pub latency: &'a hdrhistogram::Histogram<u64>,
    /// Requests that ended: answered, failed or timed out (not those cut
    /// off in flight by the end of the run).
    pub ended: u64,
    /// Of those, the ones that failed (checks, error statuses, transport).
    pub failed: u64,
    /// Of those, the ones that passed their checks.
    pub passed: u64,
    /// Throughput, requests per second.
    pub rps: f64,
}

impl<'a> Measured<'a> {
    /// One request name of a profile run (or all names merged) over
    /// `elapsed`.
    pub fn of_name(n: &'a NameStats, elapsed: Duration) -> Measured<'a> {
        Measured {
            latency: &n.latency,
            ended: n.requests - n.interrupted,
            failed: n.failed(),
            passed: n.passed,
            rps: n.sent() as f64 / elapsed.as_secs_f64().max(1e-9),
        }
    }
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
    let m = Measured::of_name(&n, elapsed);
    t.limits
        .iter()
        .map(|l| {
            let (limit, actual, pass) = judge(l, false, &m);
            LimitVerdict {
                request: request.clone(),
                limit,
                actual,
                pass,
            }
        })
        .collect()
}

/// Judges one limit: its text, the measured value as text, and whether
/// it held. `strict` makes the comparison strict (`<` instead of `<=`,
/// `>` instead of `>=`), as a `--threshold` may ask. The one evaluator
/// of profile thresholds and of `hornet http` / `hornet smpp`
/// `--threshold`.
pub fn judge(l: &Limit, strict: bool, m: &Measured<'_>) -> (String, String, bool) {
    let (le, ge) = if strict { ("<", ">") } else { ("<=", ">=") };
    let at_most = |v: f64, bound: f64| if strict { v < bound } else { v <= bound };
    let at_least = |v: f64, bound: f64| if strict { v > bound } else { v >= bound };
    let n = m.latency;
    match *l {
        Limit::Quantile(q, d) => {
            let label = match q {
                x if x >= 1.0 => "max".to_string(),
                x if (x - 0.999).abs() < 1e-9 => "p99.9".to_string(),
                x => format!("p{}", (x * 100.0).round()),
            };
            let limit = format!("{label} {le} {}", fmt_dur_us(d.as_micros() as u64));
            if n.is_empty() {
                return (limit, "no responses".into(), false);
            }
            let v = if q >= 1.0 {
                n.max()
            } else {
                n.value_at_quantile(q)
            };
            (
                limit,
                fmt_dur_us(v),
                at_most(v as f64, d.as_micros() as f64),
            )
        }
        Limit::Mean(d) => {
            let limit = format!("mean {le} {}", fmt_dur_us(d.as_micros() as u64));
            if n.is_empty() {
                return (limit, "no responses".into(), false);
            }
            let v = n.mean();
            (
                limit,
                fmt_dur_us(v as u64),
                at_most(v, d.as_micros() as f64),
            )
        }
        Limit::ErrorRate(max) => {
            let share = if m.ended == 0 {
                0.0
            } else {
                m.failed as f64 / m.ended as f64
            };
            (
                format!("error rate {le} {}", pct(max)),
                pct(share),
                m.ended > 0 && at_most(share, max),
            )
        }
        Limit::Checks(min) => {
            let share = if m.ended == 0 {
                0.0
            } else {
                m.passed as f64 / m.ended as f64
            };
            (
                format!("checks passed {ge} {}", pct(min)),
                pct(share),
                m.ended > 0 && at_least(share, min),
            )
        }
        Limit::Rps(min) => (
            format!("throughput {ge} {min} req/s"),
            format!("{:.1} req/s", m.rps),
            at_least(m.rps, min),
        ),
    }
}

/// A threshold given on the command line (`--threshold "p99 < 50ms"`):
/// one of the limits a profile's `[[threshold]]` sets, with the same
/// names and value syntax, parsed by the profile's own value parsers.
#[derive(Debug, Clone, PartialEq)]
pub struct CliThreshold {
    /// The limit.
    pub limit: Limit,
    /// `<` or `>` rather than `<=` or `>=`.
    pub strict: bool,
}

impl CliThreshold {
    /// The metrics a `--threshold` can name.
    pub const METRICS: &'static str =
        "p50, p90, p95, p99, p999 (or p99.9), max, mean, error_rate, throughput (or rps)";

    /// Parses `METRIC OP VALUE`: `p99 < 50ms`, `error_rate <= 1%`,
    /// `throughput >= 9000`. Latencies and error_rate take `<` or `<=`,
    /// throughput `>` or `>=`.
    pub fn parse(text: &str) -> Result<CliThreshold, String> {
        use serde::de::value::{Error as DeError, StrDeserializer};
        use serde::Deserialize;
        let t = text.trim();
        let op_at = t.find(['<', '>', '=', '!']).ok_or_else(|| {
            format!(
                "expected METRIC OP VALUE, e.g. \"p99 < 50ms\" (metrics: {})",
                Self::METRICS
            )
        })?;
        let metric = t[..op_at].trim().to_ascii_lowercase();
        let rest = &t[op_at..];
        let (op, value) = ["<=", ">=", "<", ">"]
            .iter()
            .find_map(|op| rest.strip_prefix(op).map(|v| (*op, v.trim())))
            .ok_or_else(|| format!("unknown comparison in \"{t}\": use <, <=, > or >="))?;
        if value.is_empty() {
            return Err(format!("no value after `{op}`"));
        }
        let strict = op.len() == 1;
        let upper = op.starts_with('<');
        let dur = |v: &str| -> Result<Duration, String> {
            crate::profile::model::Dur::deserialize(StrDeserializer::<DeError>::new(v))
                .map(|d| d.0)
                .map_err(|e| e.to_string())
        };
        let limit = match metric.as_str() {
            "p50" | "p90" | "p95" | "p99" | "p999" | "p99.9" | "max" => {
                let q = match metric.as_str() {
                    "p50" => 0.5,
                    "p90" => 0.9,
                    "p95" => 0.95,
                    "p99" => 0.99,
                    "max" => 1.0,
                    _ => 0.999,
                };
                Limit::Quantile(q, dur(value)?)
            }
            "mean" => Limit::Mean(dur(value)?),
            "error_rate" => Limit::ErrorRate(
                crate::profile::model::Ratio::deserialize(StrDeserializer::<DeError>::new(value))
                    .map_err(|e| e.to_string())?
                    .0,
            ),
            "throughput" | "rps" => Limit::Rps(Self::parse_rps(value)?),
            "checks" => {
                return Err("checks applies to profiles (hornet run); use error_rate here".into())
            }
            other => {
                return Err(format!(
                    "unknown metric `{other}` (metrics: {})",
                    Self::METRICS
                ))
            }
        };
        let wants_upper = !matches!(limit, Limit::Rps(_));
        if upper != wants_upper {
            return Err(format!(
                "`{metric}` takes {}: a threshold says what is good",
                if wants_upper {
                    "< or <= (an upper bound)"
                } else {
                    "> or >= (a lower bound)"
                }
            ));
        }
        Ok(CliThreshold { limit, strict })
    }

    /// Parses a throughput limit in requests per second: `9000`,
    /// `9000/s` or `9000 req/s`; finite and not negative.
    fn parse_rps(value: &str) -> Result<f64, String> {
        let v = value
            .strip_suffix("req/s")
            .or_else(|| value.strip_suffix("/s"))
            .unwrap_or(value)
            .trim();
        match v.parse::<f64>() {
            Ok(x) if x.is_finite() && x >= 0.0 => Ok(x),
            _ => Err(format!(
                "\"{value}\" is not a rate in requests per second (e.g. 9000)"
            )),
        }
    }
}

/// Judges `--threshold` limits on a whole `hornet http` / `hornet smpp`
/// run.
pub fn judge_cli(thresholds: &[CliThreshold], m: &Measured<'_>) -> Vec<LimitVerdict> {
    thresholds
        .iter()
        .map(|t| {
            let (limit, actual, pass) = judge(&t.limit, t.strict, m);
            LimitVerdict {
                request: "all requests".into(),
                limit,
                actual,
                pass,
            }
        })
        .collect()
}

/// The rule for failures without a threshold on them (`hornet run`): a
/// failed request or check fails the run unless the profile judges
/// failures itself (a threshold with `error_rate` or `checks`, or an
/// invariant over `failed()`, `errors()` or `passed()`) or the user
/// allowed them (`--allow-failures`). Returns the verdict row that says
/// which, or `None` when the rule has nothing to say (no failures, or the
/// profile's own thresholds judge them).
pub fn failure_rule(sc: &Scenario, total: &NameStats, allowed: bool) -> Option<LimitVerdict> {
    let failed = total.failed();
    if failed == 0 || judges_failures(sc) {
        return None;
    }
    let ended = total.requests - total.interrupted;
    let actual = format!("{failed} of {ended} failed");
    Some(if allowed {
        LimitVerdict {
            request: "all requests".into(),
            limit: "failures allowed (--allow-failures)".into(),
            actual,
            pass: true,
        }
    } else {
        LimitVerdict {
            request: "all requests".into(),
            limit: "no failures (no error_rate or checks threshold; --allow-failures allows them)"
                .into(),
            actual,
            pass: false,
        }
    })
}

/// Whether the profile says itself how many failures are acceptable.
pub fn judges_failures(sc: &Scenario) -> bool {
    let thresholds = sc.thresholds.iter().any(|t| {
        t.limits
            .iter()
            .any(|l| matches!(l, Limit::ErrorRate(_) | Limit::Checks(_)))
    });
    let invariants = sc.invariants.iter().any(|i| {
        let mut found = false;
        i.expr.visit(&mut |e| {
            if let Expr::Count(c) = e {
                found |= matches!(
                    c.kind,
                    CountKind::Failed | CountKind::Errors | CountKind::Passed
                );
            }
        });
        found
    });
    thresholds || invariants
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_thresholds_parse_with_the_profiles_value_syntax() {
        let t = CliThreshold::parse("p99 < 50ms").unwrap();
        assert_eq!(t.limit, Limit::Quantile(0.99, Duration::from_millis(50)));
        assert!(t.strict);
        let t = CliThreshold::parse("error_rate<=1%").unwrap();
        assert_eq!(t.limit, Limit::ErrorRate(0.01));
        assert!(!t.strict);
        let t = CliThreshold::parse(" throughput >= 9000 ").unwrap();
        assert_eq!(t.limit, Limit::Rps(9000.0));
        assert_eq!(
            CliThreshold::parse("p99.9 <= 1s").unwrap().limit,
            Limit::Quantile(0.999, Duration::from_secs(1))
        );
        for bad in [
            "p99",
            "p99 > 5ms",
            "throughput < 10",
            "p42 < 1ms",
            "error_rate < 150%",
            "p99 < fast",
            "p99 == 5ms",
            "checks >= 99%",
        ] {
            assert!(CliThreshold::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn strict_and_inclusive_limits_differ_only_at_the_bound() {
        let mut h = crate::metrics::new_histogram();
        h.record(1000).unwrap();
        let m = Measured {
            latency: &h,
            ended: 10,
            failed: 1,
            passed: 9,
            rps: 100.0,
        };
        let d = Duration::from_micros(h.max());
        assert!(judge(&Limit::Quantile(1.0, d), false, &m).2);
        assert!(!judge(&Limit::Quantile(1.0, d), true, &m).2);
        assert!(judge(&Limit::ErrorRate(0.1), false, &m).2);
        assert!(!judge(&Limit::ErrorRate(0.1), true, &m).2);
        assert!(judge(&Limit::Rps(100.0), false, &m).2);
        assert!(!judge(&Limit::Rps(100.0), true, &m).2);
        assert_eq!(
            judge(&Limit::Rps(100.0), true, &m).0,
            "throughput > 100 req/s"
        );
    }
}
