//! Why a profile request failed, as a small value: built and counted on
//! the hot path without formatting a string, put in words only when the
//! results are rendered (summary, JSON, live view, Prometheus).
//!
//! A failure names its step by position ([`StepId`]), so its words can
//! quote the step's own check (`status 500 not in [200, 201]`) however
//! many steps share a request name. The ids themselves are shared
//! vocabulary ([`crate::vocab::failure`]): the metrics count by them.

use std::fmt::Write;

use crate::profile::scenario::{HttpStep, JsonCheck, Scenario, Step};
pub use crate::vocab::failure::{ErrorDetail, Failure, RenderFailure, StepId};

impl StepId {
    /// The step it names.
    pub fn resolve<'s>(&self, sc: &'s Scenario) -> Option<&'s Step> {
        let steps = match self.class {
            Self::SETUP => &sc.setup,
            Self::TEARDOWN => &sc.teardown,
            c => {
                let class = sc.classes.get(usize::from(c))?;
                match self.section {
                    0 => &class.on_start,
                    t => &class.tasks.get(usize::from(t) - 1)?.steps,
                }
            }
        };
        steps.get(usize::from(self.step))
    }
}

impl Failure {
    /// The failure in words, as results print it.
    pub fn describe(&self, sc: &Scenario) -> String {
        let http = |id: &StepId| match id.resolve(sc) {
            Some(Step::Http(s)) => Some(&**s),
            _ => None,
        };
        match self {
            Failure::Status { step, got } => {
                status_words(*got, http(step).and_then(|s| s.check.status.as_deref()))
            }
            Failure::BodyMissing(step) => {
                let needle = http(step)
                    .and_then(|s| s.check.body_contains.as_deref())
                    .unwrap_or_default();
                format!(
                    "body does not contain \"{}\"",
                    String::from_utf8_lossy(needle)
                )
            }
            Failure::NotJson => "body is not JSON".to_string(),
            Failure::JsonMissing { step, check } => match json_check(http(step), *check) {
                Some(c) => format!("json {} missing", c.pointer),
                None => "json value missing".to_string(),
            },
            Failure::JsonFailed { step, check } => match json_check(http(step), *check) {
                Some(c) => {
                    // The expected value of a check on a secret field
                    // (`/token`) is not printed.
                    let value = c.value.to_string();
                    let value = crate::report::common::redact_value(&c.pointer, &value, &[]);
                    format!("json {} {} {} failed", c.pointer, c.op.as_str(), value)
                }
                None => "json check failed".to_string(),
            },
            Failure::ExtractMissing { step, extract } => {
                let var = http(step)
                    .and_then(|s| s.extract.get(usize::from(*extract)))
                    .map_or("value", |e| e.var.as_str());
                format!("extract {var}: not found")
            }
            Failure::SubmitResp(status) => {
                format!("submit_sm_resp {}", hornet_smpp::CommandStatus(*status))
            }
            Failure::Skipped { step, need } => {
                let needs = match step.resolve(sc) {
                    Some(Step::Http(s)) => Some(&s.needs),
                    Some(Step::Smpp(s)) => Some(&s.needs),
                    _ => None,
                };
                let var = needs
                    .and_then(|n| n.get(usize::from(*need)))
                    .map_or("a value", |(_, name)| &**name);
                format!("skipped: missing {var}")
            }
            Failure::Render(why) => format!("render: {why}"),
        }
    }
}

impl ErrorDetail {
    /// The detail in words, as results print it.
    pub fn describe(&self) -> String {
        match self {
            ErrorDetail::BindRefused(status) => format!(
                "bind_failed: bind refused: {}",
                hornet_smpp::CommandStatus(*status)
            ),
            ErrorDetail::BindUnanswered => "timeout: bind not answered".to_string(),
        }
    }
}

/// `status 500 not in [200, 201]`, or `status 500` under the default rule
/// (any status below 400 passes).
fn status_words(got: u16, accepted: Option<&[u16]>) -> String {
    match accepted {
        Some(list) => {
            let mut s = format!("status {got} not in [");
            for (i, code) in list.iter().enumerate() {
                if i > 0 {
                    s.push_str(", ");
                }
                let _ = write!(s, "{code}");
            }
            s.push(']');
            s
        }
        None => format!("status {got}"),
    }
}

fn json_check(step: Option<&HttpStep>, check: u16) -> Option<&JsonCheck> {
    step.and_then(|s| s.check.json.get(usize::from(check)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_words_quote_the_accepted_list() {
        assert_eq!(
            status_words(500, Some(&[200, 201])),
            "status 500 not in [200, 201]"
        );
        assert_eq!(status_words(404, None), "status 404");
    }

    /// Every failure of a step that needs a token, checks JSON and
    /// extracts, in the words results print.
    #[test]
    fn failures_are_described_from_their_step() {
        let text = r#"
[target]
host = "http://127.0.0.1:9"
[load]
users = 1
run_time = "1s"
[[user]]
name = "U"
[[user.task]]
name = "t"
steps = [
  { name = "make", path = "/make", check = { status = [200, 201], body_contains = "ok", json = [{ pointer = "/id", op = ">", value = 3 }] }, extract = { oid = { json = "/id" } } },
  { name = "use", path = "/use/{{ oid }}" },
]
"#;
        let sc = crate::profile::compile_str(
            std::path::Path::new("t.toml"),
            text,
            &crate::profile::compile::Overrides::default(),
            &|_| None,
        )
        .unwrap();
        let make = StepId {
            class: 0,
            section: 1,
            step: 0,
        };
        let words = |f: Failure| f.describe(&sc);
        assert_eq!(
            words(Failure::Status {
                step: make,
                got: 500
            }),
            "status 500 not in [200, 201]"
        );
        assert_eq!(
            words(Failure::BodyMissing(make)),
            "body does not contain \"ok\""
        );
        assert_eq!(
            words(Failure::JsonFailed {
                step: make,
                check: 0
            }),
            "json /id > 3 failed"
        );
        assert_eq!(
            words(Failure::JsonMissing {
                step: make,
                check: 0
            }),
            "json /id missing"
        );
        assert_eq!(
            words(Failure::ExtractMissing {
                step: make,
                extract: 0
            }),
            "extract oid: not found"
        );
        let use_step = StepId { step: 1, ..make };
        assert_eq!(
            words(Failure::Skipped {
                step: use_step,
                need: 0
            }),
            "skipped: missing oid"
        );
        assert_eq!(words(Failure::NotJson), "body is not JSON");
        assert_eq!(
            words(Failure::SubmitResp(0x58)),
            format!("submit_sm_resp {}", hornet_smpp::CommandStatus(0x58))
        );
        assert_eq!(
            ErrorDetail::BindUnanswered.describe(),
            "timeout: bind not answered"
        );
    }

    #[test]
    fn failures_order_and_compare_without_words() {
        let a = StepId {
            class: 0,
            section: 1,
            step: 2,
        };
        let f1 = Failure::Status { step: a, got: 500 };
        let f2 = Failure::Status { step: a, got: 500 };
        assert_eq!(f1, f2);
        assert!(Failure::Status { step: a, got: 404 } < f1);
    }
}
