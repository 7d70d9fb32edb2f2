//! Profiles: multi-step user scenarios, load shapes, thresholds and
//! invariants written as TOML (`hornet run PROFILE.toml`).
//!
//! `model` mirrors the file (serde, unknown keys rejected); `compile`
//! checks it as a whole and produces a [`Scenario`] in which templates are
//! compiled, names are indices and every value is valid. The scenario
//! runtime (`crate::scenario`) only executes what this module accepted.

pub mod compile;
pub mod error;
pub mod expr;
pub mod json;
pub mod model;
pub mod scenario;
pub mod template;
pub mod values;

pub use compile::{compile_str, load, Overrides};
pub use error::ProfileError;
pub use scenario::Scenario;
