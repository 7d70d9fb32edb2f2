//! The bounds every mode accepts for counts, rates and durations. The CLI
//! and profiles check against the same numbers, so they live below both.

use std::time::Duration;

/// Most connections, threads or pipeline depth accepted: beyond these a
/// value is a typo, not a test.
pub const MAX_CONNECTIONS: usize = 1_000_000;
/// Most worker threads.
pub const MAX_THREADS: usize = 1024;
/// Deepest HTTP pipeline.
pub const MAX_PIPELINE: usize = 1024;
/// Highest open-model rate, requests per second.
pub const MAX_RATE: f64 = 100_000_000.0;
/// Longest run.
pub const MAX_DURATION: Duration = Duration::from_secs(30 * 24 * 3600);
