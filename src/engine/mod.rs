//! The thread-per-core runtime: starts one pinned worker per thread, runs the
//! collector on the calling thread, and returns the merged results.

pub mod clock;
pub mod link;
pub mod reactor;
pub mod sim;
pub mod timer;
pub mod timers;
pub mod worker;

use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use thiserror::Error;

use crate::metrics::collector::{collect, Collected, IntervalStat};
use crate::metrics::Metrics;
use crate::plan::{HttpPlan, LoadPlan, SmppPlan};
use crate::proto::http::HttpConn;
use crate::proto::smpp::SmppSession;
use crate::proto::Session;
use clock::Clock;
use worker::WorkerSpec;

/// Why a run could not produce results at all.
#[derive(Debug, Error)]
pub enum EngineError {
    /// The OS refused to start a worker thread.
    #[error("could not start worker thread {index}: {source}")]
    Spawn {
        /// Worker index.
        index: usize,
        /// The OS error.
        source: std::io::Error,
    },
    /// A worker hit an error in its event loop (not a request error: those
    /// are counted).
    #[error("worker {index} failed: {source}")]
    Worker {
        /// Worker index.
        index: usize,
        /// The OS error.
        source: std::io::Error,
    },
    /// A worker thread panicked.
    #[error("worker {index} panicked")]
    Panicked {
        /// Worker index.
        index: usize,
    },
}

/// The merged outcome of a run.
#[derive(Debug)]
pub struct RunOutput {
    /// Totals, time series and worker CPU.
    pub collected: Collected,
    /// Wall time from the start until every worker had settled every
    /// request (the load duration plus the drain).
    pub elapsed: Duration,
    /// Ctrl-C stopped the load early (the drain and the results are whole).
    pub interrupted: bool,
}

/// Runs an HTTP plan to completion. `on_interval` is called on this thread
/// once per completed interval with its summary and its merged metrics
/// (live progress, interval logs).
pub fn run_http(
    plan: &HttpPlan,
    on_interval: impl FnMut(&IntervalStat, &Metrics),
) -> Result<RunOutput, EngineError> {
    run(plan.load.clone(), http_sessions(plan), on_interval)
}

/// Makes the HTTP sessions of `plan`'s connection slots.
pub fn http_sessions(plan: &HttpPlan) -> Arc<dyn Fn() -> HttpConn + Send + Sync> {
    // Every slot shares these bytes (a `Bytes` clone is a reference count,
    // taken once per slot, never per request).
    let request = bytes::Bytes::copy_from_slice(&plan.request);
    let (limits, head, pipeline, new_conn) =
        (plan.limits, plan.head_request, plan.pipeline, plan.new_conn);
    Arc::new(move || HttpConn::new(limits, head, pipeline, new_conn, request.clone()))
}

/// Runs an SMPP plan to completion: one session (bind) per connection slot.
pub fn run_smpp(
    plan: &SmppPlan,
    on_interval: impl FnMut(&IntervalStat, &Metrics),
) -> Result<RunOutput, EngineError> {
    run(plan.load.clone(), smpp_sessions(plan), on_interval)
}

/// Makes the SMPP sessions (binds) of `plan`'s connection slots.
pub fn smpp_sessions(plan: &SmppPlan) -> Arc<dyn Fn() -> SmppSession + Send + Sync> {
    let config = Arc::clone(&plan.session);
    // Session numbers spread `{seq}` destinations: each session owns the
    // numbers congruent to its index modulo the most sessions there can be.
    let next_index = std::sync::atomic::AtomicU64::new(0);
    Arc::new(move || {
        let index = next_index.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        SmppSession::new(Arc::clone(&config), index % config.max_sessions.max(1))
    })
}

/// Runs `load` with sessions from `new_session` to completion, one pinned
/// worker thread per `load.threads`, the collector on this thread.
pub fn run<S: Session + 'static>(
    load: LoadPlan,
    new_session: Arc<dyn Fn() -> S + Send + Sync>,
    on_interval: impl FnMut(&IntervalStat, &Metrics),
) -> Result<RunOutput, EngineError> {
    let workers = load.threads;
    let load = Arc::new(load);
    let cores = worker_cores();
    let (tx, rx) = crossbeam_channel::bounded(workers * 4);
    let start = Instant::now();
    let clock = Clock::new(start);
    let mut handles = Vec::with_capacity(workers);
    for index in 0..workers {
        let spec = WorkerSpec {
            index,
            workers,
            load: Arc::clone(&load),
            new_session: Arc::clone(&new_session),
            clock,
            snapshots: tx.clone(),
            core: core_for(&cores, index),
        };
        let handle = thread::Builder::new()
            .name(format!("hornet-worker-{index}"))
            .spawn(move || worker::run(spec))
            .map_err(|source| EngineError::Spawn { index, source })?;
        handles.push(handle);
    }
    // Only workers hold senders now, so the collector stops when they do.
    drop(tx);
    let collected = collect(workers, rx, on_interval);
    let elapsed = start.elapsed();
    for (index, handle) in handles.into_iter().enumerate() {
        match handle.join() {
            Ok(Ok(())) => {}
            Ok(Err(source)) => return Err(EngineError::Worker { index, source }),
            Err(_) => return Err(EngineError::Panicked { index }),
        }
    }
    Ok(RunOutput {
        collected,
        elapsed,
        interrupted: crate::interrupt::requested(),
    })
}

/// The cores this process may run on (its affinity mask, so `taskset`
/// is respected); empty where pinning is not possible.
pub fn worker_cores() -> Vec<core_affinity::CoreId> {
    core_affinity::get_core_ids().unwrap_or_default()
}

/// The core worker `index` is pinned to: workers spread over `cores`,
/// the same way in every mode (`hornet http`, `hornet smpp`, `hornet run`).
pub fn core_for(cores: &[core_affinity::CoreId], index: usize) -> Option<core_affinity::CoreId> {
    (!cores.is_empty()).then(|| cores[index % cores.len()])
}
