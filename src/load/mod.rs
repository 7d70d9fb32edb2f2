//! Load models: who decides when a request is sent.
//!
//! - Closed: a fixed number of connections, each sending its next request
//!   as soon as a response frees a pipeline slot (wrk's and Locust's model).
//! - Open: a target arrival rate. Every request has an intended start time
//!   on a schedule fixed before the run, independent of responses, so a slow
//!   server cannot slow the load down and hide its own latency.

pub mod open;
pub mod presets;
pub mod shape;

pub use open::OpenSchedule;
pub use presets::{spawned, Spike, Staircase};
pub use shape::{Shape, ShapeError, Stage};

use std::sync::Arc;

/// How requests are generated.
#[derive(Debug, Clone, PartialEq)]
pub enum LoadModel {
    /// Each connection keeps its pipeline full for the whole run.
    Closed,
    /// Requests arrive on a schedule: a constant rate (`-R`) or stages
    /// (`--stages`), in total over all workers.
    Open {
        /// Target rate over time, requests per second.
        shape: Arc<Shape>,
    },
}
