//! hornet: a thread-per-core HTTP/1.1 load generator.
//!
//! The crate is the whole tool as a library; `main.rs` only parses the
//! command line and maps outcomes to exit codes. Data flows one way:
//! flags -> [`plan::HttpPlan`] -> [`engine`] workers -> [`metrics`]
//! collector -> [`report`].

pub mod app;
pub mod cli;
pub mod engine;
pub mod interrupt;
pub mod load;
pub mod metrics;
pub mod plan;
pub mod profile;
pub mod proto;
pub mod report;
pub mod scenario;
pub mod serve;
pub mod target;
pub mod tls;
pub mod vocab;
