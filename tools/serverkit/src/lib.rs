//! Pieces hornet's test servers share: `hornet-target` (HTTP) and
//! `hornet-smsc` (SMPP) are both thread-per-core mio servers, and both need
//! one listening socket per thread and a per-thread timer heap.

pub mod accept;
pub mod listener;
pub mod threads;
pub mod timers;

pub use accept::accept_into;
pub use threads::ServerThreads;
pub use timers::Timers;
