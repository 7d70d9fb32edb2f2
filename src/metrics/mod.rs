//! Measurement, for every mode: per-worker recorders ([`Recorder`] for
//! `hornet http`/`hornet smpp`, [`RunStats`] per request name for `hornet
//! run`), the snapshots workers send each interval over a bounded
//! crossbeam channel, the one exact merge ([`merge`]) and the timeline that
//! assembles intervals from every worker ([`timeline`]), and the collector
//! of the engine's runs.

pub mod codec;
pub mod collector;
pub mod merge;
pub mod names;
pub mod quantiles;
pub mod recorder;
pub mod smpp;
pub mod snapshot;
pub mod timeline;
pub mod tls;

pub use crate::vocab::ErrorKind;
pub use merge::Merge;
pub use names::{ClassStats, NameStats, RunStats};
pub use recorder::{new_histogram, Counters, Metrics, Recorder, HIGHEST_US};
pub use snapshot::Snapshot;
