//! Ctrl-C (and SIGTERM, SIGHUP): remove what the run would leave behind (`bench`'s scratch
//! directory, compile scratch directories, the temporary file of an atomic write: whatever is
//! registered in [`worker_policy::leftovers`] at that moment), then exit 130.
//!
//! A verb that changes a live cluster asks for [`finish_first`] instead: the first interrupt
//! only asks it to stop ([`stop_requested`]), so it finishes the step in flight and exits 130
//! itself; a second one exits at once.

use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context;

/// The exit code of a run ended by an interrupt (128 + SIGINT, as shells report it).
pub const INTERRUPTED: u8 = 130;

/// Set once the handler has started: the run is ending with [`INTERRUPTED`].
static ENDING: AtomicBool = AtomicBool::new(false);

/// Set while the run finishes what it is doing on the first interrupt.
static FINISH_FIRST: AtomicBool = AtomicBool::new(false);

/// Set by the first interrupt while [`FINISH_FIRST`] is.
static STOP_REQUESTED: AtomicBool = AtomicBool::new(false);

/// Installs the handler; once per process.
pub fn install() -> anyhow::Result<()> {
    ctrlc::set_handler(|| {
        if FINISH_FIRST.load(Ordering::SeqCst) && !STOP_REQUESTED.swap(true, Ordering::SeqCst) {
            crate::output::write_stderr_line(
                "interrupted: finishing the step in flight, then stopping (interrupt again to quit at once)",
            );
            return;
        }
        ENDING.store(true, Ordering::SeqCst);
        worker_policy::leftovers::remove_all();
        std::process::exit(i32::from(INTERRUPTED));
    })
    .context("cannot install the interrupt handler")
}

/// From now on, the first interrupt asks the run to stop ([`stop_requested`]) instead of
/// ending it.
pub fn finish_first() {
    FINISH_FIRST.store(true, Ordering::SeqCst);
}

/// Whether an interrupt asked the run to stop (see [`finish_first`]).
pub fn stop_requested() -> bool {
    STOP_REQUESTED.load(Ordering::SeqCst)
}

/// Whether an interrupt is ending the run: an error the main thread meets now (a file the
/// handler removed under it) is a consequence, not the outcome, and must not set the exit code.
pub fn ending() -> bool {
    ENDING.load(Ordering::SeqCst)
}
