//! Accepting connections into a worker's slab.

use std::io::ErrorKind;

use mio::net::{TcpListener, TcpStream};
use mio::{Interest, Registry, Token};
use slab::Slab;

/// Accepts until the backlog is empty (the listener is edge-triggered).
/// Each stream gets `TCP_NODELAY` (responses are complete when written;
/// Nagle must not hold them), is registered once for both directions under
/// the key of the slab slot it will occupy (edge-triggered events then need
/// no re-registration), and `make(key, stream)` builds its entry, or returns
/// `None` to refuse the connection (it is closed; e.g. TLS state could not
/// be set up). Keys at or above `reserved` are the listener's and waker's
/// tokens and are refused. Returns how many connections were added.
pub fn accept_into<T>(
    listener: &TcpListener,
    registry: &Registry,
    conns: &mut Slab<T>,
    reserved: usize,
    mut make: impl FnMut(usize, TcpStream) -> Option<T>,
) -> usize {
    let mut added = 0;
    loop {
        match listener.accept() {
            Ok((mut stream, _)) => {
                let _ = stream.set_nodelay(true);
                let slot = conns.vacant_entry();
                let key = slot.key();
                if key >= reserved {
                    continue;
                }
                let interest = Interest::READABLE | Interest::WRITABLE;
                if registry
                    .register(&mut stream, Token(key), interest)
                    .is_err()
                {
                    continue;
                }
                // A refused stream is dropped, which closes it and takes it
                // out of epoll.
                if let Some(entry) = make(key, stream) {
                    slot.insert(entry);
                    added += 1;
                }
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => return added,
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::Interrupted | ErrorKind::ConnectionAborted
                ) => {}
            // Out of descriptors or memory: the connection stays in the
            // backlog and is retried on the next listener event.
            Err(_) => return added,
        }
    }
}
