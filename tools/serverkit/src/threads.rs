//! The server threads of one running server and how to stop them promptly:
//! raise the shared stop flag, wake every thread's poll, join them all.

use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

use mio::Waker;

/// Each server thread with the waker that interrupts its `mio::Poll`.
#[derive(Debug, Default)]
pub struct ServerThreads(Vec<(Waker, JoinHandle<()>)>);

impl ServerThreads {
    /// Room for `n` threads.
    pub fn with_capacity(n: usize) -> ServerThreads {
        ServerThreads(Vec::with_capacity(n))
    }

    /// Adds a started thread and its waker.
    pub fn push(&mut self, waker: Waker, thread: JoinHandle<()>) {
        self.0.push((waker, thread));
    }

    /// Threads still running (not yet stopped).
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when no thread is running.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Sets `stop`, wakes every thread and waits for all of them. Prompt:
    /// threads are woken, not left to notice on their next timeout.
    pub fn stop(&mut self, stop: &AtomicBool) {
        stop.store(true, Ordering::Release);
        for (waker, _) in &self.0 {
            // A failed wake leaves that thread running; still try the
            // others.
            let _ = waker.wake();
        }
        for (_, thread) in self.0.drain(..) {
            // A panicked server thread has nothing left to clean up.
            let _ = thread.join();
        }
    }
}
