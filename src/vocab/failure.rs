//! Why a profile request failed, as small typed ids: built and counted on
//! the hot path without formatting a string (the per-name counters in
//! [`crate::metrics::names`] are keyed by them), put in words only when
//! results are rendered (`scenario::failure` holds the words, since they
//! quote the profile's own steps).

/// Where a step sits in the profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StepId {
    /// User class index, or [`StepId::SETUP`] / [`StepId::TEARDOWN`].
    pub class: u16,
    /// 0: the class's `on_start`; `t + 1`: task `t`.
    pub section: u16,
    /// Index of the step in its list.
    pub step: u16,
}

impl StepId {
    /// `class` of a setup step.
    pub const SETUP: u16 = u16::MAX;
    /// `class` of a teardown step.
    pub const TEARDOWN: u16 = u16::MAX - 1;
}

/// A failed check, a step that could not run, or an SMPP error status.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Failure {
    /// A response status the step does not accept.
    Status {
        /// The step.
        step: StepId,
        /// The status received.
        got: u16,
    },
    /// The body lacks the step's `body_contains`.
    BodyMissing(StepId),
    /// JSON checks on a body that is not JSON.
    NotJson,
    /// JSON check `check` of the step: the value is missing.
    JsonMissing {
        /// The step.
        step: StepId,
        /// Index among its JSON checks.
        check: u16,
    },
    /// JSON check `check` of the step did not hold.
    JsonFailed {
        /// The step.
        step: StepId,
        /// Index among its JSON checks.
        check: u16,
    },
    /// Extract `extract` of the step found nothing.
    ExtractMissing {
        /// The step.
        step: StepId,
        /// Index among its extracts.
        extract: u16,
    },
    /// A submit_sm answered with this error status.
    SubmitResp(u32),
    /// The step needs a value this iteration did not capture: it was not
    /// sent.
    Skipped {
        /// The step.
        step: StepId,
        /// Index among the values it needs.
        need: u16,
    },
    /// The request could not be rendered (rare: the words are kept).
    Render(Box<str>),
}

/// A detail of an error (a breakdown of the error counts by kind, not
/// more errors), named like the errors it explains: `kind: detail`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ErrorDetail {
    /// The SMSC refused the bind with this status (`bind_failed`).
    BindRefused(u32),
    /// The request timed out while its bind was still unanswered.
    BindUnanswered,
}
