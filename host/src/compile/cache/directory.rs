//! The cache's directory: created private (0700), and used only while it is a directory that
//! belongs to this user and that nobody else may write to. Loading a precompiled artifact runs
//! native code, so an entry must come from a directory only this user could have written.

use std::fs::{DirBuilder, Metadata};
use std::path::{Path, PathBuf};

/// Why the cache's directory is not used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum UnusableDir {
    /// It does not exist and cannot be made (a read-only or missing home, say).
    #[error("cannot create the cache directory {}: {reason}", .dir.display())]
    Create {
        /// The directory.
        dir: PathBuf,
        /// The operating system's message.
        reason: String,
    },
    /// Something other than a directory is there.
    #[error("the cache directory {} is not a directory", .dir.display())]
    NotADirectory {
        /// The path.
        dir: PathBuf,
    },
    /// Another user owns it.
    #[error("the cache directory {} belongs to user {owner}, not to this user ({uid}); a precompiled artifact runs native code, so only a directory of this user's is trusted", .dir.display())]
    WrongOwner {
        /// The directory.
        dir: PathBuf,
        /// Its owner.
        owner: u32,
        /// This process's user.
        uid: u32,
    },
    /// Its group or other users may write to it.
    #[error("the cache directory {} is writable by its group or by others (mode {mode:o}); a precompiled artifact runs native code, so run `chmod 700` on it to use it", .dir.display())]
    SharedWritable {
        /// The directory.
        dir: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// This platform cannot tell who owns a directory.
    #[cfg(not(unix))]
    #[error("the compilation cache needs a Unix system to check who owns {}", .dir.display())]
    Unsupported {
        /// The directory.
        dir: PathBuf,
    },
}

/// Makes `dir` (and its missing parents) private to this user when it does not exist, then
/// checks that it is a directory this user owns and nobody else may write to. An existing
/// directory's mode is never changed.
pub(crate) fn open(dir: &Path) -> Result<(), UnusableDir> {
    let mut builder = DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(|error| UnusableDir::Create {
        dir: dir.to_path_buf(),
        reason: error.to_string(),
    })?;
    let metadata = std::fs::metadata(dir).map_err(|error| UnusableDir::Create {
        dir: dir.to_path_buf(),
        reason: error.to_string(),
    })?;
    if !metadata.is_dir() {
        return Err(UnusableDir::NotADirectory {
            dir: dir.to_path_buf(),
        });
    }
    check_private(dir, &metadata)
}

/// Refuses a directory another user owns or others may write to.
#[cfg(unix)]
fn check_private(dir: &Path, metadata: &Metadata) -> Result<(), UnusableDir> {
    use std::os::unix::fs::MetadataExt;

    let uid = current_uid();
    if metadata.uid() != uid {
        return Err(UnusableDir::WrongOwner {
            dir: dir.to_path_buf(),
            owner: metadata.uid(),
            uid,
        });
    }
    let mode = metadata.mode() & 0o7777;
    if mode & 0o022 != 0 {
        return Err(UnusableDir::SharedWritable {
            dir: dir.to_path_buf(),
            mode,
        });
    }
    Ok(())
}

/// Without Unix owners and modes nothing can be checked, so nothing is trusted.
#[cfg(not(unix))]
fn check_private(dir: &Path, _metadata: &Metadata) -> Result<(), UnusableDir> {
    Err(UnusableDir::Unsupported {
        dir: dir.to_path_buf(),
    })
}

/// The user this process runs as (the owner of the files it creates).
#[cfg(unix)]
pub(crate) fn current_uid() -> u32 {
    // SAFETY: `geteuid` takes no arguments, touches no memory and cannot fail.
    unsafe { libc::geteuid() }
}

#[cfg(all(test, unix))]
pub(crate) mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;
    use crate::compile::scratch::ScratchDir;

    /// A directory that belongs to another user: the root directory, or, as root, one made in
    /// `scratch` and given to nobody.
    pub(crate) fn another_users_dir(scratch: &Path) -> PathBuf {
        if current_uid() != 0 {
            return PathBuf::from("/");
        }
        let dir = scratch.join("nobody");
        std::fs::create_dir(&dir).unwrap();
        std::os::unix::fs::chown(&dir, Some(65534), None).unwrap();
        dir
    }

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn a_missing_directory_is_made_private_with_its_parents() {
        let scratch = ScratchDir::new().unwrap();
        let dir = scratch.path().join("home/.cache/worker-policy");
        assert_eq!(open(&dir), Ok(()));
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&scratch.path().join("home")), 0o700);
    }

    #[test]
    fn a_directory_others_may_write_to_is_refused_and_left_as_it_is() {
        let scratch = ScratchDir::new().unwrap();
        for shared in [0o770, 0o707, 0o775] {
            std::fs::set_permissions(scratch.path(), PermissionsExt::from_mode(shared)).unwrap();
            let refused = open(scratch.path()).unwrap_err();
            assert!(
                matches!(refused, UnusableDir::SharedWritable { mode, .. } if mode == shared),
                "{refused}"
            );
            assert!(refused.to_string().contains("chmod 700"), "{refused}");
            assert_eq!(mode(scratch.path()), shared);
        }
        std::fs::set_permissions(scratch.path(), PermissionsExt::from_mode(0o755)).unwrap();
        assert_eq!(open(scratch.path()), Ok(()));
    }

    #[test]
    fn a_directory_of_another_user_is_refused() {
        let scratch = ScratchDir::new().unwrap();
        let foreign = another_users_dir(scratch.path());
        let refused = open(&foreign).unwrap_err();
        assert!(
            matches!(refused, UnusableDir::WrongOwner { .. }),
            "{refused}"
        );
    }

    #[test]
    fn a_file_in_the_way_or_an_unwritable_parent_makes_the_cache_unusable() {
        let scratch = ScratchDir::new().unwrap();
        let file = scratch.path().join("file");
        std::fs::write(&file, b"x").unwrap();
        assert!(matches!(
            open(&file),
            Err(UnusableDir::Create { .. } | UnusableDir::NotADirectory { .. })
        ));
        assert!(matches!(
            open(&file.join("below")),
            Err(UnusableDir::Create { .. })
        ));
    }
}
