//! Pieces hornet's test servers share: `hornet-target` (HTTP) and
//! `hornet-smsc` (SMPP) are both thread-per-core mio servers, and both need
//! one listening socket per thread and a per-thread timer heap, and both
//! can serve over TLS ([`Stream`], [`tls::server_config`]).

pub mod accept;
pub mod listener;
pub mod stream;
pub mod threads;
pub mod timers;
pub mod tls;

pub use accept::accept_into;
pub use stream::{HandshakeStep, Stream};
pub use threads::ServerThreads;
pub use timers::Timers;
