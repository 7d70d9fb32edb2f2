//! The loop tests' harness: a simulated reactor that runs any [`Driver`]
//! (the engine's slots worker, a profile's users) on a virtual clock
//! against in-memory peers, quinn-proto's pattern. Public so that
//! integration tests (`tests/loop_sim.rs`) can use it; no run of hornet
//! ever takes this path.
//!
//! [`Sim`] is an [`EventLoop`] like the worker's [`Reactor`]: the driver
//! opens its sockets through the [`Net`] it hands out (in-memory sockets
//! on the simulated network, see `wire.rs`), and each step is the real
//! loop's turn: the driver's due work at virtual `now`, then the peers
//! answer what the driver wrote, then the readiness that resulted goes to
//! the driver. When nothing is ready and the driver is not busy, the clock
//! jumps to the driver's next deadline or the next byte a peer sent that
//! becomes readable, whichever is first. Time never passes inside a step,
//! so a run is deterministic and takes no real time; timers fire exactly
//! at their deadline (the real loop wakes within a millisecond of it).
//!
//! Peers ([`Peer`]) are written by the test: they accept, refuse or ignore
//! connects, and answer, stay silent, close, reset or answer late.
//! Limits: plain sockets only (no TLS over the simulated network), no
//! partial accepts or connect latency, one driver per simulation.
//!
//! [`Reactor`]: super::reactor::Reactor

mod peer;
mod wire;

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use super::clock::Clock;
use super::reactor::{Driver, EventLoop, Readiness};
use crate::tls::Net;
pub use peer::{Accept, Peer, PeerConn};
pub use wire::{ConnId, DEFAULT_WINDOW};
use wire::{Phase, Wire};

/// Steps a run may take before it is declared stuck (a driver that never
/// finishes, or spins without its clock moving).
const MAX_STEPS: u64 = 10_000_000;

/// A simulated reactor with its virtual clock and network.
pub struct Sim {
    clock: Clock,
    wire: Wire,
    peers: Vec<(SocketAddr, Box<dyn Peer>)>,
    ready: Vec<Readiness>,
    steps: u64,
}

impl std::fmt::Debug for Sim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sim")
            .field("now", &self.clock.now())
            .field("steps", &self.steps)
            .finish_non_exhaustive()
    }
}

/// What the network saw of one connection (for a test's assertions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnRecord {
    /// Where the driver connected.
    pub addr: SocketAddr,
    /// When the driver started the attempt (virtual ns).
    pub opened_at: u64,
    /// The peer accepted it.
    pub accepted: bool,
    /// The peer refused it.
    pub refused: bool,
    /// When the driver closed its socket, if it did.
    pub closed_at: Option<u64>,
}

impl Default for Sim {
    fn default() -> Self {
        Sim::new()
    }
}

impl Sim {
    /// A simulation at virtual time 0 with no peers (connects are refused).
    pub fn new() -> Sim {
        Sim {
            clock: Clock::simulated(),
            wire: Wire::default(),
            peers: Vec::new(),
            ready: Vec::new(),
            steps: 0,
        }
    }

    /// The virtual clock: give it to the driver (its spec's clock).
    pub fn clock(&self) -> Clock {
        self.clock
    }

    /// Virtual time now, ns.
    pub fn now(&self) -> u64 {
        self.clock.now()
    }

    /// Loop steps taken so far.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// `peer` answers connections to `addr`.
    pub fn listen(&mut self, addr: SocketAddr, peer: impl Peer + 'static) {
        self.peers.push((addr, Box::new(peer)));
    }

    /// Every connection attempt so far, in order.
    pub fn conns(&self) -> Vec<ConnRecord> {
        self.wire
            .lock()
            .conns
            .iter()
            .map(|c| ConnRecord {
                addr: c.addr,
                opened_at: c.opened_at,
                accepted: c.phase == Phase::Open,
                refused: c.phase == Phase::Refused,
                closed_at: c.client_closed_at,
            })
            .collect()
    }

    /// The peers' turn at `now`: connect attempts, input, closes.
    fn serve(&mut self, now: u64) {
        let mut state = self.wire.lock();
        let attempts = std::mem::take(&mut state.attempts);
        for id in attempts {
            let conn = &mut state.conns[id];
            let peer = self.peers.iter_mut().find(|(a, _)| *a == conn.addr);
            let answer = peer.map_or(Accept::Refuse, |(_, p)| p.on_connect(now, id));
            match answer {
                Accept::Yes => conn.accept(),
                Accept::Refuse => conn.refuse(),
                Accept::Ignore => {}
            }
        }
        for (id, conn) in state.conns.iter_mut().enumerate() {
            let Some((_, peer)) = self.peers.iter_mut().find(|(a, _)| *a == conn.addr) else {
                continue;
            };
            if conn.unseen && conn.phase == Phase::Open {
                conn.unseen = false;
                peer.on_input(now, &mut PeerConn { id, now, conn });
            }
            if conn.client_closed_at.is_some() && !conn.close_told {
                conn.close_told = true;
                peer.on_closed(now, id);
            }
        }
    }

    /// The readiness due at `now`, into `self.ready`.
    fn collect(&mut self, now: u64) {
        self.ready.clear();
        self.wire.collect(now, &mut self.ready);
    }
}

impl EventLoop for Sim {
    /// Sockets on this simulation's network.
    fn net(&self) -> io::Result<Net> {
        Ok(Net::Memory(Arc::new(self.wire.clone())))
    }

    /// Runs `driver` on `clock` (which must be simulated: normally
    /// [`Sim::clock`]) until its turn says it is done, then finishes it.
    /// Fails if the driver is still going after `MAX_STEPS` steps.
    fn run<D: Driver>(&mut self, clock: &Clock, driver: &mut D) -> io::Result<()> {
        if !clock.is_simulated() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "the simulated reactor needs a simulated clock",
            ));
        }
        self.clock = *clock;
        loop {
            self.steps += 1;
            if self.steps > MAX_STEPS {
                return Err(io::Error::other(format!(
                    "the simulation did not finish in {MAX_STEPS} steps (virtual time {} ns)",
                    self.clock.now()
                )));
            }
            let now = self.clock.now();
            self.wire.set_now(now);
            if !driver.turn(now)? {
                break;
            }
            self.serve(now);
            self.collect(now);
            if self.ready.is_empty() && !driver.busy() {
                // The real loop would wait here: jump to the next thing
                // that happens (at least 1 ns on, as real time passes).
                let deadline = driver.next_deadline(now);
                let wake = self
                    .wire
                    .next_change(now)
                    .map_or(deadline, |t| t.min(deadline))
                    .max(now + 1);
                self.clock.advance_to(wake);
                self.wire.set_now(wake);
                self.serve(wake);
                self.collect(wake);
            }
            driver.on_events(&self.ready);
        }
        driver.finish();
        // The peers see the sockets the driver closed as it finished.
        let now = self.clock.now();
        self.serve(now);
        Ok(())
    }
}
