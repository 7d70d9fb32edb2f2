//! The one event loop every worker runs, whatever drives it: `hornet http`
//! and `hornet smpp` slots fed by a load model ([`super::worker`]), or a
//! profile's virtual users ([`crate::scenario::worker`]).
//!
//! A [`Reactor`] owns the worker's only `mio::Poll` and its `timerfd`; a
//! [`Driver`] says what is due at each turn, when it next needs the clock,
//! and handles the readiness events. Each turn: the driver's due work,
//! then one wait (no wait while the driver has work no event will
//! announce), then the events.
//!
//! Drivers see readiness as [`Readiness`], collected from mio's events by
//! the reactor, and open their sockets through the [`Net`] the loop hands
//! them, so the same drivers also run on the loop tests' simulated reactor
//! ([`super::sim`]): in-memory sockets, virtual time. Both loops are an
//! [`EventLoop`].
//!
//! `epoll_wait` has millisecond resolution; a driver that needs a wake-up
//! sooner or more exactly than that ([`Driver::precise`]) gets the
//! `timerfd` armed at its deadline, and the poll timeout stays only as a
//! safety net.

use std::io;
use std::time::Duration;

use mio::event::Event;
use mio::{Events, Poll, Token};

use super::clock::Clock;
use super::timer::Timer;
use crate::tls::Net;

/// The `timerfd`'s token; the reactor keeps its event from drivers (no
/// socket uses it: the slot and user keys behind tokens never reach it).
pub const TIMER: Token = Token(usize::MAX - 1);

/// What decides a worker's work.
pub trait Driver {
    /// Work due at `now`, before the loop waits: timers, schedules, the
    /// end of the load and the drain, interval reports. False once the
    /// worker is done (the loop then calls [`Driver::finish`]).
    fn turn(&mut self, now: u64) -> io::Result<bool>;
    /// When the next turn is due (run-clock ns; in the past: at once).
    fn next_deadline(&self, now: u64) -> u64;
    /// Work is waiting that no event will announce (a read pass cut short,
    /// a user ready to go on): the loop polls without waiting.
    fn busy(&self) -> bool;
    /// Whether a wait of `wait_ns` needs the `timerfd`'s precision.
    fn precise(&self, wait_ns: u64) -> bool;
    /// The readiness of one wake-up (none after a timeout; the
    /// [`TIMER`]'s own event is not among them).
    fn on_events(&mut self, events: &[Readiness]);
    /// The worker is done: final counts and reports.
    fn finish(&mut self);
}

/// What the poller said about one socket: mio's event, copied out of it,
/// so a simulated loop can produce the same without mio.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Readiness {
    /// The socket's token (its slot or user key).
    pub token: usize,
    /// Input to read (or the end of it).
    pub readable: bool,
    /// Room to write; on a connecting socket, the attempt finished.
    pub writable: bool,
    /// The peer shut its side (FIN).
    pub read_closed: bool,
    /// The socket has an error (e.g. a reset).
    pub error: bool,
}

impl Readiness {
    /// Copies the flags drivers use out of mio's event.
    #[inline]
    pub fn of(event: &Event) -> Readiness {
        Readiness {
            token: event.token().0,
            readable: event.is_readable(),
            writable: event.is_writable(),
            read_closed: event.is_read_closed(),
            error: event.is_error(),
        }
    }

    /// The connection ended (FIN or error): whatever is left must be read
    /// to see how.
    #[inline]
    pub fn closed(&self) -> bool {
        self.read_closed || self.error
    }
}

/// A loop that runs a [`Driver`]: the worker's [`Reactor`], or the loop
/// tests' simulated reactor ([`super::sim::Sim`]).
pub trait EventLoop {
    /// Where the driver opens its sockets (and registers them with this
    /// loop).
    fn net(&self) -> io::Result<Net>;
    /// Runs `driver` until its turn says it is done, then finishes it.
    fn run<D: Driver>(&mut self, clock: &Clock, driver: &mut D) -> io::Result<()>;
}

/// A worker's poll and timer.
#[derive(Debug)]
pub struct Reactor {
    poll: Poll,
    timer: Timer,
    events: Events,
    /// The driver's view of `events` (a reused buffer, as long as
    /// `events`' capacity: nothing is allocated per wake-up).
    ready: Vec<Readiness>,
}

impl Reactor {
    /// A new poll with its timer registered.
    pub fn new() -> io::Result<Reactor> {
        let poll = Poll::new()?;
        let timer = Timer::new(poll.registry(), TIMER)?;
        Ok(Reactor {
            poll,
            timer,
            events: Events::with_capacity(EVENTS),
            ready: Vec::with_capacity(EVENTS),
        })
    }

    /// Waits up to `timeout` for readiness of this reactor's sockets, with
    /// no driver: for exchanges run one at a time outside the load (a
    /// profile's setup and teardown steps), which need no timer. True when
    /// a socket event came.
    pub fn wait(&mut self, timeout: Duration) -> io::Result<bool> {
        self.poll.poll(&mut self.events, Some(timeout))?;
        Ok(self.events.iter().any(|e| e.token() != TIMER))
    }
}

/// Events taken per wake-up.
const EVENTS: usize = 1024;

impl EventLoop for Reactor {
    /// Real sockets, registered with this poll.
    fn net(&self) -> io::Result<Net> {
        Ok(Net::Poll(self.poll.registry().try_clone()?))
    }

    fn run<D: Driver>(&mut self, clock: &Clock, driver: &mut D) -> io::Result<()> {
        loop {
            let now = clock.now();
            if !driver.turn(now)? {
                break;
            }
            let deadline = driver.next_deadline(now);
            // From the clock now, after the turn's work.
            let wait_ns = deadline.saturating_sub(clock.now());
            let timeout = if driver.busy() {
                Duration::ZERO
            } else if driver.precise(wait_ns) {
                self.timer.arm(clock, deadline)?;
                // The timerfd wakes us precisely; this is only a safety
                // net in case a wake-up is ever missed.
                Duration::from_millis((wait_ns / 1_000_000 + 2).min(1000))
            } else {
                // mio rounds up to the next millisecond.
                Duration::from_nanos(wait_ns)
            };
            match self.poll.poll(&mut self.events, Some(timeout)) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
            self.ready.clear();
            for event in self.events.iter() {
                if event.token() == TIMER {
                    self.timer.fired();
                } else {
                    self.ready.push(Readiness::of(event));
                }
            }
            driver.on_events(&self.ready);
        }
        driver.finish();
        Ok(())
    }
}
