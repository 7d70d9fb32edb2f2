//! Load models: who decides when a request is sent.
//!
//! - Closed: a fixed number of connections, each sending its next request
//!   as soon as a response frees a pipeline slot (wrk's and Locust's model).
//! - Open: a target arrival rate. Every request has an intended start time
//!   on a schedule fixed before the run, independent of responses, so a slow
//!   server cannot slow the load down and hide its own latency.

pub mod open;

pub use open::OpenSchedule;

/// How requests are generated.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LoadModel {
    /// Each connection keeps its pipeline full for the whole run.
    Closed,
    /// Requests arrive at `rate` per second in total, over all workers.
    Open {
        /// Total requests per second.
        rate: f64,
    },
}
