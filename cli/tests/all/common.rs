//! What every test of the `worker-policy` binary needs: the binary itself, run as a user with no
//! home and with `XDG_CACHE_HOME` set to one folder of this test run (so the default policy is
//! compiled once and loaded from the cache after that, and nothing is ever written to a real
//! `~/.cache`; the tests of compiling itself pass `--no-cache` or their own `--cache-dir`), the
//! examples, and a fresh folder per test.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// The path of a file in `examples/`.
pub fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples")
        .join(name)
}

/// [`example`] as an argument.
pub fn example_arg(name: &str) -> String {
    example(name).display().to_string()
}

/// The binary, with no home and this test run's cache folder as `XDG_CACHE_HOME`.
pub fn worker_policy() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_worker-policy"));
    command
        .env("XDG_CACHE_HOME", run_cache_home())
        .env_remove("HOME");
    command
}

/// The `XDG_CACHE_HOME` of this test run: under the target directory's `tmp`, emptied when the
/// run first asks for it, so every run starts cold and the runs after its first compile share
/// what it compiled (the cache writes each entry whole, then renames it into place, so tests
/// running at once may store the same entry).
pub fn run_cache_home() -> &'static Path {
    static HOME: OnceLock<PathBuf> = OnceLock::new();
    HOME.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("worker-policy-cli-cache-home");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("the test run's cache folder can be made");
        dir
    })
}

/// Runs the binary with `args` and waits for it.
pub fn run(args: &[&str]) -> Output {
    worker_policy()
        .args(args)
        .output()
        .expect("the binary runs")
}

/// Bytes of output as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A fresh, empty folder for the files `test` writes, under the target directory's `tmp` (kept
/// for a look after a failure; the next run removes it first, so nothing piles up in `/tmp`).
pub fn scratch(test: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("worker-policy-cli-{test}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
