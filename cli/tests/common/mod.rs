//! What every test of the `worker-policy` binary needs: the binary itself, run as a user with no
//! home and no `XDG_CACHE_HOME` (no compilation cache: every run compiles its policy as the
//! tests expect, and nothing is written to a real `~/.cache`; the cache's own test passes
//! `--cache-dir`), the examples, and a fresh folder per test.
#![allow(
    dead_code,
    reason = "each test binary uses its own part of these helpers"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

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

/// The binary, with no home and no `XDG_CACHE_HOME`.
pub fn worker_policy() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_worker-policy"));
    command.env_remove("XDG_CACHE_HOME").env_remove("HOME");
    command
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
