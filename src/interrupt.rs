//! Ctrl-C during a run: the first SIGINT asks the run to stop gracefully
//! (drain, teardown, print the results, as Locust and k6 do); a second one
//! kills the process the default way.

use std::sync::atomic::{AtomicBool, Ordering};

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_sigint(_: libc::c_int) {
    // Only async-signal-safe work here: an atomic store and re-arming the
    // default action for the next Ctrl-C.
    INTERRUPTED.store(true, Ordering::SeqCst);
    // SAFETY: restoring the default disposition of SIGINT is
    // async-signal-safe.
    unsafe {
        libc::signal(libc::SIGINT, libc::SIG_DFL);
    }
}

/// Installs the handler (idempotent).
pub fn install() {
    let handler: extern "C" fn(libc::c_int) = on_sigint;
    // SAFETY: the handler only touches an atomic and calls signal(2).
    unsafe {
        libc::signal(libc::SIGINT, handler as libc::sighandler_t);
    }
}

/// True once Ctrl-C was pressed.
pub fn requested() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}
