//! Restate's own binaries from the npm registry: `@restatedev/restate-server` and
//! `@restatedev/restatectl`, the version pinned by `npm/package-lock.json` beside this crate,
//! installed with `npm ci` once into `<cache>/restate-<version>/` and reused while the lock file
//! is the same. The install is staged in a directory of its own and renamed into place, so an
//! interrupted install leaves nothing that looks installed.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::process::run;
use crate::LiveError;

/// The Restate version the lock file pins.
pub const RESTATE_VERSION: &str = "1.7.12";

/// How long `npm ci` may take (it takes about 7 s on a warm registry).
const NPM_BOUND: Duration = Duration::from_secs(600);

/// The installed binaries, and a directory holding just `restate-server` and `restatectl` (to
/// put first on a script's `PATH`).
#[derive(Debug, Clone)]
pub struct Binaries {
    /// `restate-server`.
    pub server: PathBuf,
    /// `restatectl`.
    pub restatectl: PathBuf,
    /// A directory with `restate-server` and `restatectl` in it.
    pub bin_dir: PathBuf,
}

/// The directory of the pinned `package.json` and `package-lock.json`.
fn npm_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("npm")
}

/// The cache the binaries go to by default: `restate-live/` in the workspace's target
/// directory (`CARGO_TARGET_DIR` when set).
pub fn default_cache() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => PathBuf::from(dir).join("restate-live"),
        None => Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("the crate lies in the workspace")
            .join("target/restate-live"),
    }
}

/// npm's name for this machine's platform package (`linux-x64`, `darwin-arm64`, ...).
fn platform() -> Result<String, LiveError> {
    let os = match std::env::consts::OS {
        "linux" => "linux",
        "macos" => "darwin",
        other => {
            return Err(LiveError::Usage(format!(
                "Restate publishes no binaries for {other}"
            )))
        }
    };
    let arch = match std::env::consts::ARCH {
        "x86_64" => "x64",
        "aarch64" => "arm64",
        other => {
            return Err(LiveError::Usage(format!(
                "Restate publishes no binaries for {other}"
            )))
        }
    };
    Ok(format!("{os}-{arch}"))
}

/// Installs the pinned binaries into `cache` unless the same lock file is installed there.
pub fn install(cache: &Path) -> Result<Binaries, LiveError> {
    let lock = npm_dir().join("package-lock.json");
    let wanted =
        std::fs::read(&lock).map_err(LiveError::io("reading the pinned lock file", &lock))?;
    let target = cache.join(format!("restate-{RESTATE_VERSION}"));
    let installed = std::fs::read(target.join("package-lock.json")).ok();
    let binaries = binaries_in(&target)?;
    if installed.as_deref() == Some(wanted.as_slice())
        && binaries.server.exists()
        && binaries.restatectl.exists()
    {
        return Ok(binaries);
    }
    let staging = cache.join(format!(
        "restate-{RESTATE_VERSION}.staging-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&staging)
        .map_err(LiveError::io("creating the install directory", &staging))?;
    for file in ["package.json", "package-lock.json"] {
        let from = npm_dir().join(file);
        std::fs::copy(&from, staging.join(file))
            .map_err(LiveError::io("copying the pinned npm files", &from))?;
    }
    let result = npm_ci(&staging).and_then(|()| link_bins(&staging));
    if let Err(error) = result {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(error);
    }
    let _ = std::fs::remove_dir_all(&target);
    std::fs::rename(&staging, &target)
        .map_err(LiveError::io("moving the install into place", &target))?;
    Ok(binaries)
}

/// `npm ci` in `dir`, without install scripts (the packages' only one reports telemetry).
fn npm_ci(dir: &Path) -> Result<(), LiveError> {
    ensure_npm()?;
    let mut command = Command::new("npm");
    command
        .args([
            "ci",
            "--no-audit",
            "--no-fund",
            "--ignore-scripts",
            "--loglevel=error",
        ])
        .current_dir(dir);
    run("npm ci", &mut command, NPM_BOUND)?.success(&format!("npm ci (in {})", dir.display()))?;
    Ok(())
}

/// npm on `PATH`; when it is missing and Debian's `apt-get` is there, Debian's `nodejs` and
/// `npm` are installed first (the README's test command needs no setup step); otherwise an
/// error that says what to install.
fn ensure_npm() -> Result<(), LiveError> {
    let how = "the live tests install Restate from the npm registry: install Node.js and npm \
               (Debian: apt-get install nodejs npm), or set WORKER_POLICY_SKIP_LIVE=1 to skip them";
    if on_path("npm") {
        return Ok(());
    }
    if !on_path("apt-get") {
        return Err(LiveError::Usage(format!("npm is not installed; {how}")));
    }
    eprintln!("npm is missing: installing Debian's nodejs and npm for the live tests");
    for args in [
        &["update", "-qq"][..],
        &["install", "-y", "-qq", "nodejs", "npm"],
    ] {
        let mut command = Command::new("apt-get");
        command.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        run("apt-get", &mut command, NPM_BOUND)?
            .success(&format!("apt-get {}", args.join(" ")))
            .map_err(|e| {
                LiveError::Usage(format!(
                    "npm is not installed and apt-get could not install it ({e}); {how}"
                ))
            })?;
    }
    Ok(())
}

/// Whether `program` is in a directory of `PATH`.
fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

/// The binaries of an install in `dir`.
fn binaries_in(dir: &Path) -> Result<Binaries, LiveError> {
    let platform = platform()?;
    let package = |name: &str| {
        dir.join(format!(
            "node_modules/@restatedev/{name}-{platform}/bin/{name}"
        ))
    };
    Ok(Binaries {
        server: package("restate-server"),
        restatectl: package("restatectl"),
        bin_dir: dir.join("bin"),
    })
}

/// `bin/restate-server` and `bin/restatectl` in `dir`, linked to the platform's executables.
fn link_bins(dir: &Path) -> Result<(), LiveError> {
    let binaries = binaries_in(dir)?;
    std::fs::create_dir_all(&binaries.bin_dir)
        .map_err(LiveError::io("creating bin/", &binaries.bin_dir))?;
    for (name, path) in [
        ("restate-server", &binaries.server),
        ("restatectl", &binaries.restatectl),
    ] {
        if !path.exists() {
            return Err(LiveError::Unexpected {
                what: "npm ci".into(),
                detail: format!("{} is missing after the install", path.display()),
            });
        }
        let relative = path
            .strip_prefix(dir)
            .expect("the binary is inside the install");
        let link = binaries.bin_dir.join(name);
        std::os::unix::fs::symlink(Path::new("..").join(relative), &link)
            .map_err(LiveError::io("linking the binary into bin/", &link))?;
    }
    Ok(())
}
