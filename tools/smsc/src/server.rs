//! Server startup and the handle that observes and stops it.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::Arc;
use std::thread;

use mio::{Interest, Poll, Waker};

use crate::config::SmscConfig;
use crate::counters::{self, SmscCounters, ThreadCounters};
use crate::settings::{Rt, Settings};
use crate::worker::{Worker, LISTENER, WAKER};
use hornet_serverkit::tls::ServerConfig;
use hornet_serverkit::{listener, ServerThreads};

/// State shared by all threads of one server.
#[derive(Debug)]
struct Shared {
    settings: Settings,
    /// One block per thread, indexed by thread number.
    counters: Box<[ThreadCounters]>,
    /// Message ids handed out so far, server-wide.
    ids: AtomicU64,
    /// TLS for every accepted connection, if configured.
    tls: Option<Arc<ServerConfig>>,
    /// Set by the handle before waking the threads to stop them.
    stop: AtomicBool,
}

/// A running simulator. Dropping it stops the server, like
/// [`SmscHandle::shutdown`].
pub struct SmscHandle {
    local_addr: SocketAddr,
    shared: Arc<Shared>,
    threads: ServerThreads,
}

/// Message ids start here rather than at 1. Real SMSCs hand out long ids,
/// whose hex form (8 digits from 0x10000000) and decimal form (9 or 10
/// digits) never look alike; tiny ids would make "10" mean both 0x10 and
/// ten, which no client can match receipts by.
const FIRST_ID: u64 = 0x1000_0000;

/// Binds `addr` (e.g. `127.0.0.1:0`) and starts `config.threads` server
/// threads. Fails on an invalid config (`InvalidInput`) or a socket error.
pub fn start(addr: SocketAddr, config: SmscConfig) -> io::Result<SmscHandle> {
    config.validate()?;
    let listeners = listener::bind(addr, config.threads)?;
    let local_addr = listeners[0].local_addr()?;
    let shared = Arc::new(Shared {
        settings: Settings::new(&config),
        counters: (0..config.threads)
            .map(|_| ThreadCounters::default())
            .collect(),
        ids: AtomicU64::new(FIRST_ID),
        tls: config.tls.clone(),
        stop: AtomicBool::new(false),
    });
    // Built up thread by thread so that an error part-way drops the handle,
    // which stops the threads already started.
    let mut handle = SmscHandle {
        local_addr,
        shared,
        threads: ServerThreads::with_capacity(config.threads),
    };
    let seed = fastrand::u64(..);
    for (index, std_listener) in listeners.into_iter().enumerate() {
        let poll = Poll::new()?;
        let waker = Waker::new(poll.registry(), WAKER)?;
        let mut listener = mio::net::TcpListener::from_std(std_listener);
        poll.registry()
            .register(&mut listener, LISTENER, Interest::READABLE)?;
        let shared = Arc::clone(&handle.shared);
        let thread = thread::Builder::new()
            .name(format!("hornet-smsc-{index}"))
            .spawn(move || {
                let rt = Rt::new(
                    &shared.settings,
                    &shared.counters[index],
                    &shared.ids,
                    seed.wrapping_add(index as u64),
                );
                Worker::new(poll, listener, rt, shared.tls.clone(), &shared.stop, index).run();
            })?;
        handle.threads.push(waker, thread);
    }
    Ok(handle)
}

impl SmscHandle {
    /// The bound address, with the actual port when `addr` asked for port 0.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Server-wide event counts so far.
    pub fn counters(&self) -> SmscCounters {
        counters::total(&self.shared.counters)
    }

    /// The most output bytes any one connection has had queued for its
    /// client so far (a high-water gauge). Bounded by back-pressure: about
    /// the 1 MiB high-water mark plus the answers to one read, however
    /// fast a client sends and however little it reads.
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

impl Drop for SmscHandle {
    fn drop(&mut self) {
        self.stop();
    }
}

impl fmt::Debug for SmscHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmscHandle")
            .field("local_addr", &self.local_addr)
            .field("threads", &self.threads.len())
            .field("counters", &self.counters())
            .finish()
    }
}
