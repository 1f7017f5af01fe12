//! Ctrl-C (and SIGTERM, SIGHUP): remove what the run would leave behind (`bench`'s scratch
//! directory, compile scratch directories, the temporary file of an atomic write: whatever is
//! registered in [`worker_policy::leftovers`] at that moment), then exit 130.

use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context;

/// The exit code of a run ended by an interrupt (128 + SIGINT, as shells report it).
const INTERRUPTED: i32 = 130;

/// Set once the handler has started: the run is ending with [`INTERRUPTED`].
static ENDING: AtomicBool = AtomicBool::new(false);

/// Installs the handler; once per process.
pub fn install() -> anyhow::Result<()> {
    ctrlc::set_handler(|| {
        ENDING.store(true, Ordering::SeqCst);
        worker_policy::leftovers::remove_all();
        std::process::exit(INTERRUPTED);
    })
    .context("cannot install the interrupt handler")
}

/// Whether an interrupt is ending the run: an error the main thread meets now (a file the
/// handler removed under it) is a consequence, not the outcome, and must not set the exit code.
pub fn ending() -> bool {
    ENDING.load(Ordering::SeqCst)
}
