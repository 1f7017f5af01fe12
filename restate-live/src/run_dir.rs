//! The directory a test run keeps its clusters in: `<root>/run-<pid>`, removed when the run
//! ends or is interrupted; the directories of runs that died (their PID is gone) are removed
//! by the next run.

use std::path::{Path, PathBuf};

use crate::process::{register_dir, unregister_dir};
use crate::LiveError;

/// A run's own directory, removed on drop.
#[derive(Debug)]
pub struct RunDir {
    path: PathBuf,
}

impl RunDir {
    /// Creates `<root>/run-<this pid>` (empty), after removing the directories of dead runs.
    pub fn create(root: &Path) -> Result<RunDir, LiveError> {
        std::fs::create_dir_all(root)
            .map_err(LiveError::io("creating the runs directory", root))?;
        remove_dead_runs(root)?;
        let path = root.join(format!("run-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path)
            .map_err(LiveError::io("creating the run directory", &path))?;
        register_dir(path.clone());
        Ok(RunDir { path })
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for RunDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
        unregister_dir(&self.path);
    }
}

/// Removes `<root>/run-<pid>` for every pid that no longer runs.
fn remove_dead_runs(root: &Path) -> Result<(), LiveError> {
    let entries =
        std::fs::read_dir(root).map_err(LiveError::io("listing the runs directory", root))?;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix("run-"))
            .and_then(|p| p.parse::<i32>().ok())
        else {
            continue;
        };
        if !process_exists(pid) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
    Ok(())
}

/// Whether a process `pid` exists (kill with signal 0: no signal is sent).
fn process_exists(pid: i32) -> bool {
    // SAFETY: signal 0 only checks that the process exists.
    let rc = unsafe { libc::kill(pid, 0) };
    rc == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dead_runs_directory_is_removed_and_a_live_ones_is_kept() {
        let root = std::env::temp_dir().join(format!("restate-live-runs-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        // PID 1 always runs; a PID above the kernel's maximum never does.
        let (alive, dead) = (root.join("run-1"), root.join("run-2147483646"));
        std::fs::create_dir_all(&alive).unwrap();
        std::fs::create_dir_all(&dead).unwrap();
        let run = RunDir::create(&root).unwrap();
        assert!(alive.exists() && !dead.exists() && run.path().exists());
        let path = run.path().to_path_buf();
        drop(run);
        assert!(!path.exists());
        std::fs::remove_dir_all(&root).unwrap();
    }
}
