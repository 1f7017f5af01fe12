//! A private scratch directory (mode 0700 on unix) that is removed with everything in it when
//! dropped (or by the interrupt handler, through [`crate::leftovers`]): where the compile
//! worker reads its input and writes its artifact.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// A fresh directory only this user can enter, removed on drop.
pub(crate) struct ScratchDir {
    path: PathBuf,
}

impl ScratchDir {
    /// Makes a new directory under the system's temporary directory; never reuses one that
    /// exists (somebody else may own it).
    pub(crate) fn new() -> std::io::Result<ScratchDir> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let mut attempt = 0;
        loop {
            let name = format!(
                "worker-policy-compile-{}-{}-{nanos}",
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::Relaxed)
            );
            let path = std::env::temp_dir().join(name);
            match private_dir_builder().create(&path) {
                Ok(()) => {
                    // Registered once made: one that existed is somebody else's.
                    crate::leftovers::register(&path);
                    return Ok(ScratchDir { path });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && attempt < 100 => {
                    attempt += 1;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// The directory.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        // Best effort: a leftover directory is private and harmless.
        let _ = std::fs::remove_dir_all(&self.path);
        crate::leftovers::forget(&self.path);
    }
}

/// A builder for a directory only its owner may read, write or enter.
fn private_dir_builder() -> std::fs::DirBuilder {
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scratch_dir_is_private_distinct_and_gone_after_drop() {
        let first = ScratchDir::new().unwrap();
        let second = ScratchDir::new().unwrap();
        assert_ne!(first.path(), second.path());
        std::fs::write(first.path().join("file"), b"x").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(first.path())
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o700);
        }
        let path = first.path().to_path_buf();
        drop(first);
        assert!(!path.exists());
    }
}
