//! Verdicts as the result documents hold them: whether each threshold
//! (`--threshold`, a profile's `[thresholds]`) and invariant held, with
//! the measured value as text. Judging happens where the numbers are;
//! these are only the outcome.

use serde::{Deserialize, Serialize};

/// One limit's outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InvariantVerdict {
    /// The expression.
    pub expr: String,
    /// Whether it held.
    pub pass: bool,
    /// Left and right values of a top-level comparison, and their
    /// difference, or the evaluation error.
    pub detail: String,
}
