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
//! `epoll_wait` has millisecond resolution; a driver that needs a wake-up
//! sooner or more exactly than that ([`Driver::precise`]) gets the
//! `timerfd` armed at its deadline, and the poll timeout stays only as a
//! safety net.

use std::io;
use std::time::Duration;

use mio::{Events, Poll, Registry, Token};

use super::clock::Clock;
use super::timer::Timer;

/// The `timerfd`'s token; drivers skip it (no socket uses it: the slot and
/// user keys behind tokens never reach it).
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
    /// The readiness events of one wake-up ([`TIMER`]'s excluded by the
    /// driver).
    fn on_events(&mut self, events: &Events);
    /// The worker is done: final counts and reports.
    fn finish(&mut self);
}

/// A worker's poll and timer.
#[derive(Debug)]
pub struct Reactor {
    poll: Poll,
    timer: Timer,
    events: Events,
}

impl Reactor {
    /// A new poll with its timer registered.
    pub fn new() -> io::Result<Reactor> {
        let poll = Poll::new()?;
        let timer = Timer::new(poll.registry(), TIMER)?;
        Ok(Reactor {
            poll,
            timer,
            events: Events::with_capacity(1024),
        })
    }

    /// A handle the driver registers and deregisters its sockets with.
    pub fn registry(&self) -> io::Result<Registry> {
        self.poll.registry().try_clone()
    }

    /// Runs `driver` until its turn says it is done, then finishes it.
    pub fn run<D: Driver>(&mut self, clock: &Clock, driver: &mut D) -> io::Result<()> {
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
            if self.events.iter().any(|e| e.token() == TIMER) {
                self.timer.fired();
            }
            driver.on_events(&self.events);
        }
        driver.finish();
        Ok(())
    }
}
