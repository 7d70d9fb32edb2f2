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

/// Steps a run may take by default before it is declared stuck (a driver
/// that never finishes, or spins without its clock moving).
const MAX_STEPS: u64 = 10_000_000;

/// A simulated reactor with its virtual clock and network.
pub struct Sim {
    clock: Clock,
    wire: Wire,
    peers: Vec<(SocketAddr, Box<dyn Peer>)>,
    ready: Vec<Readiness>,
    steps: u64,
    max_steps: u64,
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
            max_steps: MAX_STEPS,
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

    /// Declares a run stuck after `n` loop steps (default ten million).
    pub fn set_max_steps(&mut self, n: u64) {
        self.max_steps = n;
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
    /// Fails if the driver is still going after the most steps allowed
    /// ([`Sim::set_max_steps`]).
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
            if self.steps > self.max_steps {
                return Err(io::Error::other(format!(
                    "the simulation did not finish in {} steps (virtual time {} ns)",
                    self.max_steps,
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

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};

    use mio::Token;

    use super::*;
    use crate::tls::Transport;

    const MS: u64 = 1_000_000;

    /// Wakes every 7 ms until 30 ms, noting when it turned.
    #[derive(Default)]
    struct Ticker {
        turns: Vec<u64>,
        woken: usize,
    }

    impl Driver for Ticker {
        fn turn(&mut self, now: u64) -> io::Result<bool> {
            self.turns.push(now);
            Ok(now < 30 * MS)
        }
        fn next_deadline(&self, now: u64) -> u64 {
            (now / (7 * MS) + 1) * 7 * MS
        }
        fn busy(&self) -> bool {
            false
        }
        fn precise(&self, _wait_ns: u64) -> bool {
            true
        }
        fn on_events(&mut self, events: &[Readiness]) {
            self.woken += events.len();
        }
        fn finish(&mut self) {}
    }

    #[test]
    fn the_clock_jumps_from_deadline_to_deadline() {
        let mut sim = Sim::new();
        let clock = sim.clock();
        let mut ticker = Ticker::default();
        sim.run(&clock, &mut ticker).unwrap();
        assert_eq!(
            ticker.turns,
            [0, 7 * MS, 14 * MS, 21 * MS, 28 * MS, 35 * MS]
        );
        assert_eq!((ticker.woken, sim.steps(), sim.now()), (0, 6, 35 * MS));
    }

    /// Connects at its first turn, writes `ping` once connected, reads
    /// the answer, then is done.
    struct Pinger {
        net: Net,
        stream: Option<Transport>,
        log: Vec<(u64, &'static str)>,
        clock: Clock,
        answer: Vec<u8>,
    }

    impl Driver for Pinger {
        fn turn(&mut self, now: u64) -> io::Result<bool> {
            if self.stream.is_none() {
                let addr = "127.0.0.1:7".parse().unwrap();
                self.stream = Some(self.net.connect(addr, None, Token(3))?);
                self.log.push((now, "connect"));
            }
            Ok(self.answer.len() < 4)
        }
        fn next_deadline(&self, now: u64) -> u64 {
            now + 1000 * MS
        }
        fn busy(&self) -> bool {
            false
        }
        fn precise(&self, _wait_ns: u64) -> bool {
            false
        }
        fn on_events(&mut self, events: &[Readiness]) {
            let now = self.clock.now();
            let stream = self.stream.as_mut().unwrap();
            for e in events {
                assert_eq!(e.token, 3);
                if e.writable && !e.error && self.log.len() == 1 {
                    assert!(matches!(
                        stream.poll_connect(now),
                        Ok(crate::tls::Connect::Ready(None))
                    ));
                    stream.write_all(b"ping").unwrap();
                    self.log.push((now, "write"));
                }
                if e.readable {
                    let mut buf = [0u8; 16];
                    let n = stream.read(&mut buf).unwrap();
                    self.answer.extend_from_slice(&buf[..n]);
                    self.log.push((now, "read"));
                }
            }
        }
        fn finish(&mut self) {
            let stream = self.stream.take().unwrap();
            assert!(stream.close(&self.net).is_none());
        }
    }

    /// Answers each input 5 ms later, upper-cased.
    struct Echo(std::rc::Rc<std::cell::RefCell<Vec<(u64, &'static str)>>>);

    impl Peer for Echo {
        fn on_input(&mut self, now: u64, conn: &mut PeerConn<'_>) {
            let answer = conn.input().to_ascii_uppercase();
            let n = answer.len();
            conn.consume(n);
            conn.send_after(5 * MS, &answer);
            self.0.borrow_mut().push((now, "input"));
        }
        fn on_closed(&mut self, now: u64, _id: ConnId) {
            self.0.borrow_mut().push((now, "closed"));
        }
    }

    #[test]
    fn a_peer_answer_is_readiness_at_its_virtual_time() {
        let mut sim = Sim::new();
        let seen = std::rc::Rc::default();
        sim.listen(
            "127.0.0.1:7".parse().unwrap(),
            Echo(std::rc::Rc::clone(&seen)),
        );
        let clock = sim.clock();
        let mut pinger = Pinger {
            net: sim.net().unwrap(),
            stream: None,
            log: Vec::new(),
            clock,
            answer: Vec::new(),
        };
        sim.run(&clock, &mut pinger).unwrap();
        assert_eq!(pinger.answer, b"PING");
        assert_eq!(pinger.log, [(0, "connect"), (0, "write"), (5 * MS, "read")]);
        assert_eq!(*seen.borrow(), [(0, "input"), (5 * MS, "closed")]);
        let conns = sim.conns();
        assert_eq!(conns.len(), 1);
        assert!(conns[0].accepted && conns[0].closed_at == Some(5 * MS));
    }

    #[test]
    fn connects_to_an_address_nobody_listens_on_are_refused() {
        let mut sim = Sim::new();
        let clock = sim.clock();
        let mut pinger = Pinger {
            net: sim.net().unwrap(),
            stream: None,
            log: Vec::new(),
            clock,
            answer: Vec::new(),
        };
        sim.set_max_steps(10);
        let err = sim.run(&clock, &mut pinger).unwrap_err();
        assert!(
            err.to_string().contains("did not finish in 10 steps"),
            "{err}"
        );
        assert!(sim.conns()[0].refused);
        let failure = pinger.stream.as_mut().unwrap().poll_connect(0).unwrap_err();
        assert_eq!(failure.kind, crate::vocab::ErrorKind::ConnectRefused);
    }

    #[test]
    fn a_real_clock_is_refused() {
        let mut sim = Sim::new();
        let clock = Clock::new(std::time::Instant::now());
        let err = sim.run(&clock, &mut Ticker::default()).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    }
}
