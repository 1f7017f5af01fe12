//! The private directory a live dump is written into: made fresh (never an existing one),
//! removed with everything in it when the import is done, whether it succeeded or not.

use std::path::{Path, PathBuf};

use super::error::LiveError;

/// A fresh directory under the system's temporary directory, removed when dropped.
#[derive(Debug)]
pub struct Scratch {
    path: PathBuf,
}

impl Scratch {
    /// Makes a new directory named after this process.
    pub fn new() -> Result<Scratch, LiveError> {
        let base = std::env::temp_dir();
        let pid = std::process::id();
        let mut last_error = None;
        for attempt in 0..100u32 {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos());
            let path = base.join(format!("worker-policy-import-{pid}-{nanos}-{attempt}"));
            match std::fs::create_dir(&path) {
                Ok(()) => return Ok(Scratch { path }),
                Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
                    last_error = Some(error);
                }
                Err(error) => return Err(scratch_error(&base, error)),
            }
        }
        Err(scratch_error(
            &base,
            last_error.unwrap_or_else(|| std::io::ErrorKind::AlreadyExists.into()),
        ))
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

fn scratch_error(base: &Path, error: std::io::Error) -> LiveError {
    LiveError::Scratch {
        what: format!(
            "cannot make a directory for the dump under {} (set TMPDIR to a writable directory)",
            base.display()
        ),
        error,
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_directory_is_new_and_goes_away() {
        let first = Scratch::new().unwrap();
        let second = Scratch::new().unwrap();
        assert_ne!(first.path(), second.path());
        let path = first.path().to_path_buf();
        std::fs::create_dir(path.join("epochs")).unwrap();
        std::fs::write(path.join("epochs/pp_epoch_0.json"), "null").unwrap();
        drop(first);
        assert!(!path.exists());
        assert!(second.path().is_dir());
    }
}
