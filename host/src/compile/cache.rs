//! The on-disk compilation cache: wasmtime's precompiled artifact of a component, kept between
//! processes so that a component is compiled by Cranelift once, not on every start.
//!
//! An entry is stored under the component's SHA-256 and the engine's compatibility hash
//! (wasmtime's version and every setting that changes the code, fuel metering included), as the
//! artifact followed by a trailer of ours ([`entry`]), so that wasmtime maps the verified file
//! as it is (read into memory instead where the file system refuses executable mappings). Loading an artifact runs native code,
//! so the cache only reads what this user wrote: its directory is created 0700 and used only
//! while this user owns it and nobody else may write to it ([`directory`]); an entry must be a
//! regular file of this user's; and every byte of it is verified (magic, format version, key,
//! length, xxh3-128 checksum) before wasmtime sees it. An entry that fails any check is
//! recompiled and replaced, never loaded; a directory that cannot be used leaves the component
//! compiled and uncached. Entries are written to a private temporary file (0600) in the same
//! directory and renamed into place, so a reader sees a whole entry or none.
//!
//! What is still checked on a hit: the static compile limits (against the figures stored with
//! the entry) and, by the loader, the header, contract version and imports. Only Cranelift is
//! skipped.

mod directory;
mod entry;

use std::ffi::OsString;
use std::fmt;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;
use wasmtime::component::Component;
use wasmtime::Engine;
use xxhash_rust::xxh3::Xxh3;

use super::CompileFigures;
use entry::EntryKey;

/// The name of the cache's directory inside the user's cache directory.
const DIR_NAME: &str = "worker-policy";

/// A compilation cache in a directory (created on first use).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompileCache {
    dir: PathBuf,
}

/// Where a loaded component came from, as far as the cache is concerned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum CacheOutcome {
    /// The engine has no cache: the component was compiled.
    Disabled,
    /// Loaded from the cache: nothing was compiled.
    Hit {
        /// The entry it was loaded from.
        entry: PathBuf,
    },
    /// Not in the cache yet: compiled, then stored.
    Stored {
        /// The entry it was stored in.
        entry: PathBuf,
    },
    /// The entry could not be trusted: never loaded, the component compiled again and the
    /// entry replaced.
    Recompiled {
        /// The entry replaced.
        entry: PathBuf,
        /// What was wrong with it.
        defect: String,
    },
    /// The cache could not be used: the component was compiled and not stored.
    Uncached {
        /// Why.
        reason: String,
    },
}

impl fmt::Display for CacheOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CacheOutcome::Disabled => write!(f, "disabled: compiled"),
            CacheOutcome::Hit { entry } => {
                write!(f, "hit: loaded from {}, not compiled", entry.display())
            }
            CacheOutcome::Stored { entry } => {
                write!(f, "miss: compiled and stored in {}", entry.display())
            }
            CacheOutcome::Recompiled { entry, defect } => write!(
                f,
                "recompiled: {defect}; compiled again and replaced {}",
                entry.display()
            ),
            CacheOutcome::Uncached { reason } => write!(f, "not used: {reason}; compiled"),
        }
    }
}

/// What a lookup found.
pub(crate) enum Lookup {
    /// A verified entry, loaded.
    Hit(Component, CompileFigures),
    /// No entry.
    Missing,
    /// An entry that was not trusted, and why.
    Defective(String),
}

/// One entry's place in a cache whose directory has been checked.
pub(crate) struct CacheSlot {
    path: PathBuf,
    key: EntryKey,
}

impl CompileCache {
    /// A cache kept in `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> CompileCache {
        CompileCache { dir: dir.into() }
    }

    /// The cache in the user's cache directory: `$XDG_CACHE_HOME/worker-policy`, else
    /// `$HOME/.cache/worker-policy`; `None` when neither variable holds an absolute path.
    pub fn in_user_cache_dir() -> Option<CompileCache> {
        user_cache_dir(|name| std::env::var_os(name)).map(CompileCache::new)
    }

    /// The cache's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The slot of the component whose SHA-256 is `component_sha256`, compiled by `engine`;
    /// creates the directory first, and refuses it when it is not private to this user.
    pub(crate) fn slot(
        &self,
        engine: &Engine,
        component_sha256: &str,
    ) -> Result<CacheSlot, String> {
        directory::open(&self.dir).map_err(|unusable| unusable.to_string())?;
        let key = EntryKey {
            component_sha256: component_sha256.to_ascii_lowercase(),
            engine: engine_key(engine),
        };
        Ok(CacheSlot {
            path: self.dir.join(key.file_name()),
            key,
        })
    }
}

impl CacheSlot {
    /// The entry's file.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Loads the entry into `engine` when there is one and every check passes.
    pub(crate) fn load(&self, engine: &Engine) -> Lookup {
        let (mut file, len) = match open_own_file(&self.path) {
            Ok(Some(opened)) => opened,
            Ok(None) => return Lookup::Missing,
            Err(defect) => return Lookup::Defective(defect),
        };
        let figures = match verify_file(&mut file, len, &self.key) {
            Ok(figures) => figures,
            Err(defect) => return Lookup::Defective(defect),
        };
        // SAFETY: wasmtime trusts a precompiled artifact to be its own. This one is: it sits in
        // a directory only this user owns and may write to, in a regular file of this user's
        // that was only ever written whole and renamed into place, and every byte of it was
        // just verified against the checksum this host wrote with it, for this very component
        // and engine configuration (wasmtime also refuses an artifact of another version or
        // configuration). Mapped rather than copied, so it costs no more than its pages.
        if let Ok(component) = unsafe { Component::deserialize_file(engine, &self.path) } {
            return Lookup::Hit(component, figures);
        }
        // A file system mounted noexec refuses to map a file's pages executable: read it.
        load_from_memory(engine, file, &self.key)
    }

    /// Stores `artifact` and the component's `figures` as the entry, replacing any: written to
    /// a private temporary file in the same directory, then renamed into place.
    pub(crate) fn store(&self, figures: &CompileFigures, artifact: &[u8]) -> std::io::Result<()> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let temp = self.path.with_file_name(format!(
            ".{}.{}-{}.tmp",
            self.key.file_name(),
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let trailer = entry::trailer(&self.key, figures, artifact);
        let written = create_private(&temp)
            .and_then(|mut file| {
                file.write_all(artifact)?;
                file.write_all(&trailer)
            })
            .and_then(|()| std::fs::rename(&temp, &self.path));
        if written.is_err() {
            let _ = std::fs::remove_file(&temp);
        }
        written
    }
}

/// Verifies the entry open as `file` (`len` bytes) for `key`, reading it in chunks: the
/// trailer, then the checksum over the artifact. Returns the component's figures.
fn verify_file(file: &mut File, len: u64, key: &EntryKey) -> Result<CompileFigures, String> {
    const CHUNK: usize = 1 << 20;
    let unreadable = |error: std::io::Error| format!("the entry cannot be read: {error}");
    let Some(artifact_len) = len.checked_sub(entry::TRAILER_LEN as u64) else {
        return Err(entry::EntryDefect::TooShort { found: len }.to_string());
    };
    let mut trailer = [0u8; entry::TRAILER_LEN];
    file.seek(SeekFrom::Start(artifact_len))
        .and_then(|_| file.read_exact(&mut trailer))
        .map_err(unreadable)?;
    let trailer = entry::parse_trailer(&trailer, len, key).map_err(|d| d.to_string())?;
    file.seek(SeekFrom::Start(0)).map_err(unreadable)?;
    let (mut hasher, mut buffer) = (Xxh3::new(), vec![0u8; CHUNK]);
    let mut remaining = trailer.artifact_len;
    while remaining > 0 {
        let chunk = &mut buffer[..usize::try_from(remaining).map_or(CHUNK, |r| r.min(CHUNK))];
        file.read_exact(chunk).map_err(unreadable)?;
        hasher.update(chunk);
        remaining -= chunk.len() as u64;
    }
    trailer.verify(hasher).map_err(|defect| defect.to_string())
}

/// Reads the entry open as `file`, verifies it again and loads it from memory.
fn load_from_memory(engine: &Engine, mut file: File, key: &EntryKey) -> Lookup {
    let mut bytes = Vec::new();
    if let Err(error) = file
        .seek(SeekFrom::Start(0))
        .and_then(|_| file.read_to_end(&mut bytes))
    {
        return Lookup::Defective(format!("the entry cannot be read: {error}"));
    }
    let (figures, artifact) = match entry::decode(&bytes, key) {
        Ok(decoded) => decoded,
        Err(defect) => return Lookup::Defective(defect.to_string()),
    };
    // SAFETY: as in `CacheSlot::load`; these are the bytes just verified, copied by wasmtime.
    match unsafe { Component::deserialize(engine, artifact) } {
        Ok(component) => Lookup::Hit(component, figures),
        Err(error) => Lookup::Defective(format!("wasmtime refused the artifact: {error}")),
    }
}

/// The user's cache directory for worker-policy, from the environment `var` reads: the XDG base
/// directory rule (an empty or relative `XDG_CACHE_HOME` is ignored).
fn user_cache_dir(var: impl Fn(&str) -> Option<OsString>) -> Option<PathBuf> {
    let absolute = |name: &str| {
        var(name)
            .map(PathBuf::from)
            .filter(|path| path.is_absolute())
    };
    absolute("XDG_CACHE_HOME")
        .or_else(|| absolute("HOME").map(|home| home.join(".cache")))
        .map(|dir| dir.join(DIR_NAME))
}

/// The engine's compatibility hash (wasmtime's version, the target, every compiler setting and
/// tunable, the wasm features), hashed into 128 bits with a hasher that is the same in every
/// process.
fn engine_key(engine: &Engine) -> u128 {
    use std::hash::Hash;

    let mut hasher = Xxh3::new();
    engine.precompile_compatibility_hash().hash(&mut hasher);
    hasher.digest128()
}

/// `path` opened, and its length, when it is a regular file of this user's; `None` when there
/// is none; the reason it is not trusted otherwise. A symbolic link is not followed and a FIFO
/// never blocks the open.
fn open_own_file(path: &Path) -> Result<Option<(File, u64)>, String> {
    let file = match open_no_follow(path) {
        Ok(file) => file,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(format!("the entry cannot be opened: {error}")),
    };
    let metadata = file
        .metadata()
        .map_err(|error| format!("the entry cannot be read: {error}"))?;
    if !metadata.is_file() {
        return Err("the entry is not a regular file".into());
    }
    check_own(&metadata)?;
    Ok(Some((file, metadata.len())))
}

/// Opens `path` for reading without following a symbolic link or waiting on a FIFO.
fn open_no_follow(path: &Path) -> std::io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(
        &mut options,
        libc::O_NOFOLLOW | libc::O_NONBLOCK,
    );
    options.open(path)
}

/// Refuses a file another user owns.
#[cfg(unix)]
fn check_own(metadata: &std::fs::Metadata) -> Result<(), String> {
    use std::os::unix::fs::MetadataExt;

    let uid = directory::current_uid();
    if metadata.uid() == uid {
        Ok(())
    } else {
        Err(format!(
            "the entry belongs to user {}, not to this user ({uid})",
            metadata.uid()
        ))
    }
}

/// Without Unix owners the directory check already refused the cache.
#[cfg(not(unix))]
fn check_own(_metadata: &std::fs::Metadata) -> Result<(), String> {
    Ok(())
}

/// Creates `path`, which must not exist, readable and writable by this user only.
fn create_private(path: &Path) -> std::io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;
    use crate::compile::scratch::ScratchDir;
    use crate::compile::{CompileLimit, CompileLimits, Compiler};
    use crate::engine::PolicyEngine;
    use crate::error::{Error, PolicyFault};
    use crate::policy::sha256_hex;

    const COMPONENT: &str = "(component (core module (func (result i32) (i32.const 7)) (func)))";

    /// A compiler keeping its cache in `dir`, with the default limits.
    fn cached_in(dir: &Path) -> Compiler {
        Compiler {
            cache: Some(CompileCache::new(dir)),
            ..Compiler::default()
        }
    }

    /// Compiles (or loads) `COMPONENT` with `compiler` and says where it came from.
    fn outcome(compiler: &Compiler, engine: &PolicyEngine) -> CacheOutcome {
        let sha256 = sha256_hex(COMPONENT.as_bytes());
        let compiled = compiler
            .compile(engine, COMPONENT.as_bytes(), &sha256)
            .expect("the component loads, from the cache or compiled");
        assert_eq!(compiled.figures.functions, 2);
        compiled.cache
    }

    /// The one entry in `dir`, after a first load stored it.
    fn stored_entry(compiler: &Compiler, engine: &PolicyEngine) -> PathBuf {
        match outcome(compiler, engine) {
            CacheOutcome::Stored { entry } => entry,
            other => panic!("expected the first load to store, got {other:?}"),
        }
    }

    /// Asserts the next load recompiles, naming `defect`, and the one after is a hit again.
    fn assert_recompiled(compiler: &Compiler, engine: &PolicyEngine, defect: &str) {
        match outcome(compiler, engine) {
            CacheOutcome::Recompiled { defect: found, .. } => {
                assert!(found.contains(defect), "{found:?} does not say {defect:?}")
            }
            other => panic!("expected a recompile for {defect:?}, got {other:?}"),
        }
        assert!(matches!(
            outcome(compiler, engine),
            CacheOutcome::Hit { .. }
        ));
    }

    #[test]
    fn the_second_load_is_a_hit_from_a_private_entry() {
        let scratch = ScratchDir::new().unwrap();
        let dir = scratch.path().join("cache");
        let (engine, compiler) = (PolicyEngine::new(false).unwrap(), cached_in(&dir));
        let entry = stored_entry(&compiler, &engine);
        assert_eq!(entry.parent(), Some(dir.as_path()));
        let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
        assert_eq!((mode(&dir), mode(&entry)), (0o700, 0o600));
        assert_eq!(outcome(&compiler, &engine), CacheOutcome::Hit { entry });
        assert_eq!(
            std::fs::read_dir(&dir).unwrap().count(),
            1,
            "no temporary file left"
        );
    }

    #[test]
    fn where_mapping_is_refused_the_entry_is_read_verified_and_loaded_from_memory() {
        let scratch = ScratchDir::new().unwrap();
        let (engine, compiler) = (PolicyEngine::new(false).unwrap(), cached_in(scratch.path()));
        let entry = stored_entry(&compiler, &engine);
        let slot = CompileCache::new(scratch.path())
            .slot(engine.wasmtime(), &sha256_hex(COMPONENT.as_bytes()))
            .unwrap();
        let from_memory =
            || load_from_memory(engine.wasmtime(), File::open(&entry).unwrap(), &slot.key);
        assert!(matches!(from_memory(), Lookup::Hit(_, figures) if figures.functions == 2));
        let mut bytes = std::fs::read(&entry).unwrap();
        bytes[1] ^= 0x01;
        std::fs::write(&entry, &bytes).unwrap();
        assert!(matches!(from_memory(), Lookup::Defective(defect) if defect.contains("checksum")));
    }

    #[test]
    fn a_metered_engine_has_entries_of_its_own() {
        let scratch = ScratchDir::new().unwrap();
        let compiler = cached_in(scratch.path());
        let plain = stored_entry(&compiler, &PolicyEngine::new(false).unwrap());
        let metered = stored_entry(&compiler, &PolicyEngine::new(true).unwrap());
        assert_ne!(plain, metered);
    }

    #[test]
    fn a_truncated_entry_is_recompiled_and_replaced() {
        let scratch = ScratchDir::new().unwrap();
        let (engine, compiler) = (PolicyEngine::new(false).unwrap(), cached_in(scratch.path()));
        let entry = stored_entry(&compiler, &engine);
        let bytes = std::fs::read(&entry).unwrap();
        std::fs::write(&entry, &bytes[..bytes.len() / 2]).unwrap();
        assert_recompiled(&compiler, &engine, "truncated");
        std::fs::write(&entry, &bytes[..10]).unwrap();
        assert_recompiled(&compiler, &engine, "truncated");
        std::fs::write(&entry, b"").unwrap();
        assert_recompiled(&compiler, &engine, "truncated");
    }

    #[test]
    fn a_flipped_byte_anywhere_is_recompiled_never_loaded() {
        let scratch = ScratchDir::new().unwrap();
        let (engine, compiler) = (PolicyEngine::new(false).unwrap(), cached_in(scratch.path()));
        let entry = stored_entry(&compiler, &engine);
        let bytes = std::fs::read(&entry).unwrap();
        for at in [0, bytes.len() / 2, bytes.len() - 1] {
            let mut flipped = bytes.clone();
            flipped[at] ^= 0x01;
            std::fs::write(&entry, &flipped).unwrap();
            assert_recompiled(&compiler, &engine, "checksum");
        }
    }

    #[test]
    fn a_foreign_file_under_the_entrys_name_is_recompiled_never_loaded() {
        let scratch = ScratchDir::new().unwrap();
        let (engine, compiler) = (PolicyEngine::new(false).unwrap(), cached_in(scratch.path()));
        let entry = stored_entry(&compiler, &engine);
        // wasmtime's own artifact of another component, without our header.
        let other = engine
            .wasmtime()
            .precompile_component(&wat::parse_str("(component)").unwrap())
            .unwrap();
        std::fs::write(&entry, &other).unwrap();
        assert_recompiled(&compiler, &engine, "not a worker-policy cache entry");
        // The same, with a trailer that declares another length.
        let mut entry_bytes = std::fs::read(&entry).unwrap();
        entry_bytes.insert(0, 0);
        std::fs::write(&entry, &entry_bytes).unwrap();
        assert_recompiled(&compiler, &engine, "padded");
        // A whole, valid entry of another component, renamed.
        let other_entry = CompileCache::new(scratch.path())
            .slot(engine.wasmtime(), &"0".repeat(64))
            .unwrap();
        other_entry
            .store(&CompileFigures::default(), &other)
            .unwrap();
        std::fs::rename(other_entry.path(), &entry).unwrap();
        assert_recompiled(&compiler, &engine, "another component");
    }

    #[test]
    fn an_entry_that_is_a_link_a_fifo_or_anothers_file_is_recompiled() {
        let scratch = ScratchDir::new().unwrap();
        let (engine, compiler) = (PolicyEngine::new(false).unwrap(), cached_in(scratch.path()));
        let entry = stored_entry(&compiler, &engine);
        let elsewhere = scratch.path().join("elsewhere");
        std::fs::rename(&entry, &elsewhere).unwrap();
        std::os::unix::fs::symlink(&elsewhere, &entry).unwrap();
        assert_recompiled(&compiler, &engine, "cannot be opened");
        std::fs::remove_file(&entry).unwrap();
        let fifo = std::ffi::CString::new(entry.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: `mkfifo` reads the NUL-terminated path and nothing else.
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
        assert_recompiled(&compiler, &engine, "not a regular file");
        if directory::current_uid() == 0 {
            std::os::unix::fs::chown(&entry, Some(65534), None).unwrap();
            assert_recompiled(&compiler, &engine, "belongs to user 65534");
        }
    }

    #[test]
    fn a_directory_others_may_write_to_or_another_user_owns_is_not_used() {
        let scratch = ScratchDir::new().unwrap();
        let engine = PolicyEngine::new(false).unwrap();
        std::fs::set_permissions(scratch.path(), PermissionsExt::from_mode(0o775)).unwrap();
        let shared = outcome(&cached_in(scratch.path()), &engine);
        assert!(
            matches!(&shared, CacheOutcome::Uncached { reason } if reason.contains("writable by its group or by others")),
            "{shared:?}"
        );
        assert_eq!(std::fs::read_dir(scratch.path()).unwrap().count(), 0);
        let foreign = directory::tests::another_users_dir(scratch.path());
        let owned = outcome(&cached_in(&foreign), &engine);
        assert!(
            matches!(&owned, CacheOutcome::Uncached { reason } if reason.contains("belongs to user")),
            "{owned:?}"
        );
    }

    #[test]
    fn a_directory_that_cannot_be_made_leaves_the_component_compiled_uncached() {
        let scratch = ScratchDir::new().unwrap();
        let engine = PolicyEngine::new(false).unwrap();
        let file = scratch.path().join("home");
        std::fs::write(&file, b"not a directory").unwrap();
        let missing = outcome(&cached_in(&file.join(".cache/worker-policy")), &engine);
        assert!(
            matches!(&missing, CacheOutcome::Uncached { reason } if reason.contains("cannot create")),
            "{missing:?}"
        );
        assert_eq!(
            outcome(&Compiler::default(), &engine),
            CacheOutcome::Disabled
        );
    }

    #[test]
    fn an_entry_that_cannot_be_written_leaves_the_component_compiled_uncached() {
        if directory::current_uid() == 0 {
            return; // root writes into a read-only directory anyway
        }
        let scratch = ScratchDir::new().unwrap();
        let engine = PolicyEngine::new(false).unwrap();
        std::fs::set_permissions(scratch.path(), PermissionsExt::from_mode(0o500)).unwrap();
        let read_only = outcome(&cached_in(scratch.path()), &engine);
        std::fs::set_permissions(scratch.path(), PermissionsExt::from_mode(0o700)).unwrap();
        assert!(
            matches!(&read_only, CacheOutcome::Uncached { reason } if reason.contains("cannot write")),
            "{read_only:?}"
        );
    }

    #[test]
    fn a_cached_component_is_still_held_to_the_current_static_limits() {
        let scratch = ScratchDir::new().unwrap();
        let (engine, compiler) = (PolicyEngine::new(false).unwrap(), cached_in(scratch.path()));
        stored_entry(&compiler, &engine);
        let tighter = Compiler {
            limits: CompileLimits {
                max_functions: 1,
                ..CompileLimits::default()
            },
            ..compiler
        };
        let sha256 = sha256_hex(COMPONENT.as_bytes());
        match tighter.compile(&engine, COMPONENT.as_bytes(), &sha256) {
            Err(Error::Fault(PolicyFault::OverCompileLimit { limit, found, max })) => {
                assert_eq!((limit, found, max), (CompileLimit::Functions, 2, 1));
            }
            Err(other) => panic!("expected --max-functions to refuse it, got {other}"),
            Ok(compiled) => panic!("loaded over the limit: {:?}", compiled.cache),
        }
    }

    #[test]
    fn the_user_cache_dir_follows_the_xdg_rule() {
        let env = |xdg: Option<&str>, home: Option<&str>| {
            user_cache_dir(|name| match name {
                "XDG_CACHE_HOME" => xdg.map(OsString::from),
                "HOME" => home.map(OsString::from),
                _ => None,
            })
        };
        let at = |path: &str| Some(PathBuf::from(path));
        assert_eq!(env(Some("/x"), Some("/h")), at("/x/worker-policy"));
        assert_eq!(env(None, Some("/h")), at("/h/.cache/worker-policy"));
        assert_eq!(env(Some(""), Some("/h")), at("/h/.cache/worker-policy"));
        assert_eq!(env(Some("rel"), Some("/h")), at("/h/.cache/worker-policy"));
        assert_eq!(env(None, None), None);
        assert_eq!(env(None, Some("")), None);
    }
}
