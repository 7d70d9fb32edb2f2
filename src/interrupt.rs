//! Ctrl-C (SIGINT) and SIGTERM during a run: the first one asks the run to
//! stop gracefully (drain, teardown, print and write every result, marked
//! interrupted, as Locust and k6 do); a second one, of either kind, kills
//! the process the default way.
//!
//! SIGTERM is what Kubernetes, systemd and every supervisor send before
//! they kill: it is handled exactly like Ctrl-C, so a stopped pod still
//! leaves its result files.
//!
//! Every phase polls [`requested`]: setup and teardown steps, the engine's
//! and the scenario's event loops, and the coordinator that merges their
//! reports.

use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

/// After the first signal, requests in flight get this long (at most their
/// timeout) to settle before they count as interrupted (the engine's
/// `abandoned`, the scenario's `interrupted`): the run stops within a
/// second whatever its `--timeout`.
pub const GRACE_NS: u64 = 300_000_000;

static INTERRUPTED: AtomicBool = AtomicBool::new(false);
/// The signal that asked the run to stop (0: none yet).
static SIGNAL: AtomicI32 = AtomicI32::new(0);

extern "C" fn on_signal(sig: libc::c_int) {
    // Only async-signal-safe work here: atomic stores and re-arming the
    // default action of both signals, so the next one kills at once.
    SIGNAL.store(sig, Ordering::SeqCst);
    INTERRUPTED.store(true, Ordering::SeqCst);
    // SAFETY: signal(2) is async-signal-safe; SIG_DFL is a valid
    // disposition for both signals.
    unsafe {
        libc::signal(libc::SIGINT, libc::SIG_DFL);
        libc::signal(libc::SIGTERM, libc::SIG_DFL);
    }
}

/// Installs the handler for SIGINT and SIGTERM (idempotent).
pub fn install() {
    let handler: extern "C" fn(libc::c_int) = on_signal;
    for sig in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: the handler only stores atomics and calls signal(2).
        // sigaction with an empty mask and SA_RESTART: syscalls in other
        // threads are not failed with EINTR because of us.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = handler as libc::sighandler_t;
            action.sa_flags = libc::SA_RESTART;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(sig, &action, std::ptr::null_mut());
        }
    }
}

/// True once SIGINT or SIGTERM was received.
pub fn requested() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// How the stop was asked for, for messages: `Ctrl-C` for SIGINT,
/// `SIGTERM`; `None` when no signal arrived.
pub fn cause() -> Option<&'static str> {
    match SIGNAL.load(Ordering::SeqCst) {
        0 => None,
        libc::SIGTERM => Some("SIGTERM"),
        _ => Some("Ctrl-C"),
    }
}

/// `interrupted (Ctrl-C)` or `interrupted (SIGTERM)`: the words every
/// output uses for a run stopped by a signal.
pub fn label() -> String {
    format!("interrupted ({})", cause().unwrap_or("signal"))
}
