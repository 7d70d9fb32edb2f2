//! A nanosecond-precision wake-up for the event loop, on Linux's timerfd.
//!
//! `epoll_wait` only takes whole milliseconds, and mio rounds up: an open
//! model sending every 100 us would be up to a millisecond late on every
//! send. A timerfd registered in the same `mio::Poll` wakes the loop at the
//! exact intended time; it is re-armed only when the next deadline changes.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use mio::unix::SourceFd;
use mio::{Interest, Registry, Token};

use super::clock::Clock;

/// A one-shot absolute timer on `CLOCK_MONOTONIC`.
#[derive(Debug)]
pub struct Timer {
    fd: OwnedFd,
    armed_ns: Option<u64>,
}

impl Timer {
    /// Creates the timer and registers it with `registry` under `token`.
    pub fn new(registry: &Registry, token: Token) -> io::Result<Timer> {
        // SAFETY: plain syscall with constant flags; the result is checked.
        let fd = unsafe {
            libc::timerfd_create(
                libc::CLOCK_MONOTONIC,
                libc::TFD_NONBLOCK | libc::TFD_CLOEXEC,
            )
        };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `fd` is a fresh descriptor we own.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        registry.register(&mut SourceFd(&fd.as_raw_fd()), token, Interest::READABLE)?;
        Ok(Timer { fd, armed_ns: None })
    }

    /// Arms the timer to fire at `deadline_ns` on `clock` unless it is
    /// already armed for that instant.
    pub fn arm(&mut self, clock: &Clock, deadline_ns: u64) -> io::Result<()> {
        if self.armed_ns == Some(deadline_ns) {
            return Ok(());
        }
        let at = clock.instant(deadline_ns);
        // Instant is CLOCK_MONOTONIC on Linux; express the deadline as an
        // absolute monotonic timespec by offsetting from "now" on both.
        let now_instant = std::time::Instant::now();
        let mut now_ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: valid out pointer.
        unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut now_ts) };
        let delta = at.saturating_duration_since(now_instant);
        // A zero it_value disarms a timerfd, so never pass zero.
        let total_ns = (now_ts.tv_sec as u128) * 1_000_000_000
            + now_ts.tv_nsec as u128
            + delta.as_nanos().max(1);
        let spec = libc::itimerspec {
            it_interval: libc::timespec {
                tv_sec: 0,
                tv_nsec: 0,
            },
            it_value: libc::timespec {
                tv_sec: (total_ns / 1_000_000_000) as libc::time_t,
                tv_nsec: (total_ns % 1_000_000_000) as libc::c_long,
            },
        };
        // SAFETY: `fd` is a timerfd we own; `spec` is a valid itimerspec.
        let rc = unsafe {
            libc::timerfd_settime(
                self.fd.as_raw_fd(),
                libc::TFD_TIMER_ABSTIME,
                &spec,
                std::ptr::null_mut(),
            )
        };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
        self.armed_ns = Some(deadline_ns);
        Ok(())
    }

    /// Notes that the timer fired, so the same deadline can be armed again.
    /// Re-arming with timerfd_settime resets the expiry count, so the
    /// descriptor need not be read.
    pub fn fired(&mut self) {
        self.armed_ns = None;
    }
}
