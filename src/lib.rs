//! hornet: a thread-per-core HTTP/1.1 load generator.
//!
//! The crate is the whole tool as a library; `main.rs` only parses the
//! command line and maps outcomes to exit codes. Data flows one way:
//! flags -> [`plan::HttpPlan`] -> [`engine`] workers -> [`metrics`]
//! collector -> [`report`].

pub mod app;
pub mod cli;
// Being rewritten for issue 12 (one worker loop); its types get `Debug`
// there. Remove this opt-out of the workspace lint once they do.
#[allow(missing_debug_implementations)]
pub mod engine;
pub mod interrupt;
pub mod load;
pub mod metrics;
pub mod plan;
pub mod profile;
// Being rewritten for issue 12 (one worker loop); its types get `Debug`
// there. Remove this opt-out of the workspace lint once they do.
#[allow(missing_debug_implementations)]
pub mod proto;
pub mod report;
// Being rewritten for issue 12 (one worker loop); its types get `Debug`
// there. Remove this opt-out of the workspace lint once they do.
#[allow(missing_debug_implementations)]
pub mod scenario;
pub mod serve;
pub mod target;
pub mod tls;
pub mod vocab;
