//! Measurement: per-worker recorders, the snapshots workers send each
//! interval, and the collector that merges them exactly.

pub mod codec;
pub mod collector;
pub mod quantiles;
pub mod recorder;
pub mod smpp;
pub mod snapshot;
pub mod tls;

pub use crate::vocab::ErrorKind;
pub use recorder::{new_histogram, Counters, Metrics, Recorder, HIGHEST_US};
pub use snapshot::Snapshot;
