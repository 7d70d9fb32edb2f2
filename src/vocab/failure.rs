//! Why a profile request failed, as small typed ids: built and counted on
//! the hot path without formatting a string (the per-name counters in
//! [`crate::metrics::names`] are keyed by them), put in words only when
//! results are rendered (`scenario::failure` holds the words, since they
//! quote the profile's own steps).

use std::fmt;

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
    /// The request could not be rendered: it was not sent.
    Render(RenderFailure),
}

/// Why a step's request could not be built. Counted as a failed check of
/// the step, by variant: a bad extracted value that breaks every request
/// costs no formatting per request.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RenderFailure {
    /// A value the step needs is unset (setup and teardown steps; a
    /// user's step is skipped before rendering instead, see
    /// [`Failure::Skipped`]).
    Missing(Box<str>),
    /// The rendered path is not UTF-8.
    PathNotUtf8,
    /// A rendered header value is not UTF-8.
    HeaderNotUtf8,
    /// The HTTP encoder refused the request (a space or control byte in
    /// the path, CR/LF in a header value...).
    Encode(hornet_http1::EncodeError),
    /// SMPP: the rendered source or destination is longer than 20
    /// characters.
    AddressTooLong,
    /// SMPP: the rendered text is not UTF-8.
    TextNotUtf8,
    /// SMPP: the submit_sm could not be encoded (rare: the words are
    /// kept).
    Submit(Box<str>),
}

impl fmt::Display for RenderFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RenderFailure::Missing(var) => write!(f, "missing {var}"),
            RenderFailure::PathNotUtf8 => f.write_str("the path is not UTF-8"),
            RenderFailure::HeaderNotUtf8 => f.write_str("a header value is not UTF-8"),
            RenderFailure::Encode(e) => write!(f, "cannot encode the request: {e}"),
            RenderFailure::AddressTooLong => {
                f.write_str("source or destination longer than 20 characters")
            }
            RenderFailure::TextNotUtf8 => f.write_str("the text is not UTF-8"),
            RenderFailure::Submit(words) => f.write_str(words),
        }
    }
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
