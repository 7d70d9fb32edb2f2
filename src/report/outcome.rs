//! How a run ended, in every result document: the `outcome` object.
//!
//! ```json
//! "outcome": {"status": "failed", "reason": "setup step `login` failed: status 401", "exit_code": 1}
//! ```
//!
//! `status` says whether the load ran its course (`completed`), was cut
//! short (`interrupted` by SIGINT/SIGTERM, `aborted` by a threshold's
//! `abort_after`), ran without a single answer (`nothing_worked`), or
//! never started (`failed`: a setup step failed). `exit_code` is the code
//! hornet exits with, so a script reading the file needs nothing else.

use std::path::Path;

use serde::{Deserialize, Serialize};

/// The `outcome` object of a result document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunOutcome {
    /// `completed`, `interrupted`, `aborted`, `nothing_worked` or
    /// `failed`.
    pub status: String,
    /// One line saying why, for every status but `completed` (and for a
    /// completed run whose verdict failed).
    pub reason: Option<String>,
    /// The process exit code: 0 ok, 1 the run could not work, 3 a
    /// threshold or invariant failed.
    pub exit_code: u8,
}

/// A result document with its outcome: the result's own keys, then
/// `outcome`.
#[derive(Serialize)]
struct Document<'a, T: Serialize> {
    #[serde(flatten)]
    result: &'a T,
    outcome: &'a RunOutcome,
}

/// Writes `result` with its `outcome` as pretty JSON to `path`, whole or
/// not at all.
pub fn write_json<T: Serialize>(
    result: &T,
    outcome: &RunOutcome,
    path: &Path,
) -> std::io::Result<()> {
    super::write_json(&Document { result, outcome }, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_outcome_is_a_key_beside_the_results() {
        #[derive(Serialize)]
        struct R {
            requests: u64,
        }
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("r.json");
        let o = RunOutcome {
            status: "interrupted".into(),
            reason: Some("interrupted (SIGTERM)".into()),
            exit_code: 0,
        };
        write_json(&R { requests: 3 }, &o, &p).unwrap();
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
        assert_eq!(v["requests"], 3);
        assert_eq!(v["outcome"]["status"], "interrupted");
        assert_eq!(v["outcome"]["exit_code"], 0);
    }
}
