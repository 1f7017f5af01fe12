//! Ctrl-C (and SIGTERM, SIGHUP): remove what the run would leave behind, `bench`'s scratch
//! directory and the temporary file of every atomic write it may have started, then exit 130.
//! Paths are registered before they are made ([`remove_on_interrupt`]); one that was never
//! made, or is already gone, is skipped.

use std::path::PathBuf;
use std::sync::Mutex;

use anyhow::Context;

/// What an interrupt removes: files and directories.
static LEFT_BEHIND: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// The exit code of a run ended by an interrupt (128 + SIGINT, as shells report it).
const INTERRUPTED: i32 = 130;

/// Installs the handler; once per process.
pub fn install() -> anyhow::Result<()> {
    ctrlc::set_handler(|| {
        remove_left_behind();
        std::process::exit(INTERRUPTED);
    })
    .context("cannot install the interrupt handler")
}

/// Registers `path` (a file or a directory) for removal if the run is interrupted.
pub fn remove_on_interrupt(path: PathBuf) {
    let mut left = LEFT_BEHIND
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    left.push(path);
}

/// Removes every registered path that exists.
fn remove_left_behind() {
    let left = LEFT_BEHIND
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    for path in left.iter() {
        let _ = match path.is_dir() {
            true => std::fs::remove_dir_all(path),
            false => std::fs::remove_file(path),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_files_and_directories_are_removed_and_missing_ones_skipped() {
        let dir = std::env::temp_dir().join(format!("interrupt-test-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("inner")).unwrap();
        let file = std::env::temp_dir().join(format!(".interrupt-test.{}.tmp", std::process::id()));
        std::fs::write(&file, "half").unwrap();
        remove_on_interrupt(dir.clone());
        remove_on_interrupt(file.clone());
        remove_on_interrupt(dir.join("never-made"));
        remove_left_behind();
        assert!(!dir.exists() && !file.exists());
    }
}
