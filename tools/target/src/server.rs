//! Server startup and the handle that observes and stops it.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::thread;

use mio::{Interest, Poll, Waker};

use crate::config::TargetConfig;
use crate::conn::Settings;
use crate::counters::{self, ThreadCounters};
use crate::demo::Demo;
use crate::response::Canned;
use crate::stall::StallGate;
use crate::worker::{Shared, Worker, LISTENER, WAKER};
use hornet_serverkit::{listener, ServerThreads};

/// A running target server. Dropping it stops the server, like
/// [`TargetHandle::shutdown`].
pub struct TargetHandle {
    local_addr: SocketAddr,
    shared: Arc<Shared>,
    threads: ServerThreads,
}

/// Binds `addr` (e.g. `127.0.0.1:0`) and starts `config.threads` server
/// threads. Fails on an invalid config (`InvalidInput`) or a socket error.
pub fn start(addr: SocketAddr, config: TargetConfig) -> io::Result<TargetHandle> {
    config.validate()?;
    let listeners = listener::bind(addr, config.threads)?;
    let local_addr = listeners[0].local_addr()?;
    let shared = Arc::new(Shared {
        settings: Settings {
            canned: Canned::new(config.status, config.body_size),
            delay: Some(config.delay).filter(|d| !d.is_zero()),
            close_every: config.close_every.filter(|&n| n > 0),
            demo: config.demo.map(Demo::new),
        },
        counters: (0..config.threads)
            .map(|_| ThreadCounters::default())
            .collect(),
        stall: config.stall.map(StallGate::new),
        tls: config.tls,
        stop: AtomicBool::new(false),
    });
    // Built up thread by thread so that an error part-way drops the handle,
    // which stops the threads already started.
    let mut handle = TargetHandle {
        local_addr,
        shared,
        threads: ServerThreads::with_capacity(config.threads),
    };
    for (index, std_listener) in listeners.into_iter().enumerate() {
        let poll = Poll::new()?;
        let waker = Waker::new(poll.registry(), WAKER)?;
        let mut listener = mio::net::TcpListener::from_std(std_listener);
        poll.registry()
            .register(&mut listener, LISTENER, Interest::READABLE)?;
        let worker = Worker::new(poll, listener, Arc::clone(&handle.shared), index);
        let thread = thread::Builder::new()
            .name(format!("hornet-target-{index}"))
            .spawn(move || worker.run())?;
        handle.threads.push(waker, thread);
    }
    Ok(handle)
}

impl TargetHandle {
    /// The bound address, with the actual port when `addr` asked for port 0.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Complete requests received (head and full body), server-wide.
    /// Malformed requests answered with 400/501 are not counted.
    pub fn requests(&self) -> u64 {
        counters::total_requests(&self.shared.counters)
    }

    /// Responses fully written to their sockets, server-wide. A response is
    /// counted just after its last byte is written, so a client may see it a
    /// moment before this count does.
    pub fn responses(&self) -> u64 {
        counters::total_responses(&self.shared.counters)
    }

    /// Connections accepted, server-wide.
    pub fn connections(&self) -> u64 {
        counters::total_connections(&self.shared.counters)
    }

    /// The most response bytes any one connection has had queued for its
    /// client so far (a high-water gauge). Bounded by back-pressure: about
    /// the 1 MiB high-water mark plus one response, however many requests
    /// a client pipelines without reading.
    pub fn peak_output_buffer(&self) -> u64 {
        counters::out_peak(&self.shared.counters)
    }

    /// Stops the server threads and waits for them; open connections are
    /// closed. Prompt: each thread is woken rather than polled.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        self.threads.stop(&self.shared.stop);
    }
}

impl Drop for TargetHandle {
    fn drop(&mut self) {
        self.stop();
    }
}

impl fmt::Debug for TargetHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TargetHandle")
            .field("local_addr", &self.local_addr)
            .field("threads", &self.threads.len())
            .field("requests", &self.requests())
            .field("responses", &self.responses())
            .field("connections", &self.connections())
            .finish()
    }
}
