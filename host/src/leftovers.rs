//! What a run would leave behind if it ended now: the temporary files and scratch directories
//! it has made and not yet removed. They register here while they exist, so the program's
//! interrupt handler (Ctrl-C, SIGTERM) can remove them before it exits: an exit from a signal
//! handler runs no destructors.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

/// The paths that exist now and are this process's to remove.
static PENDING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// How often [`remove_all`] tries a directory another thread may still be writing into.
const ATTEMPTS: usize = 50;

/// Registers `path` (a file or a directory) for [`remove_all`]; call it before making the path.
pub fn register(path: &Path) {
    pending().push(path.to_path_buf());
}

/// Forgets `path`: it was removed, or renamed into place, by the code that made it.
pub fn forget(path: &Path) {
    let mut pending = pending();
    if let Some(i) = pending.iter().rposition(|p| p == path) {
        pending.remove(i);
    }
}

/// Removes every registered path that exists (a directory with everything in it). A directory
/// that another thread is still writing into is tried again, a bounded number of times.
pub fn remove_all() {
    let paths = pending().clone();
    for path in paths {
        for _ in 0..ATTEMPTS {
            let removed = match path.is_dir() {
                true => std::fs::remove_dir_all(&path),
                false => std::fs::remove_file(&path),
            };
            if removed.is_ok() || !path.exists() {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// The registry, whatever a panicking thread left it as.
fn pending() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    PENDING
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_paths_are_removed_forgotten_ones_and_missing_ones_are_skipped() {
        let base = std::env::temp_dir().join(format!("leftovers-test-{}", std::process::id()));
        let (dir, file, kept) = (base.join("dir"), base.join(".f.tmp"), base.join("kept"));
        std::fs::create_dir_all(dir.join("inner")).unwrap();
        std::fs::write(&file, "half").unwrap();
        std::fs::write(&kept, "renamed into place").unwrap();
        for path in [&dir, &file, &kept, &base.join("never-made")] {
            register(path);
        }
        forget(&kept);
        remove_all();
        assert!(!dir.exists() && !file.exists());
        assert!(kept.exists());
        for path in [&dir, &file, &base.join("never-made")] {
            forget(path);
        }
        std::fs::remove_dir_all(&base).unwrap();
    }
}
