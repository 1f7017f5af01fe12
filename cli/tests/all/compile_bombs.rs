//! Compile-time bombs against the CLI: each is refused by a static limit before compiling or
//! stopped by the compile worker's deadline or memory cap, with exit code 3 and a message that
//! names the limit, and the peak memory of the CLI and its worker stays under a bound. The
//! bombs are generated here as WAT, so nothing big is kept on disk.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use crate::common::{scratch, worker_policy};

/// What a run of the binary left: exit code, stderr, and the peak resident memory of the
/// process and the worker it waited for (the larger of the two), in bytes.
struct Run {
    code: Option<i32>,
    stderr: String,
    peak_rss: u64,
}

/// Runs the binary with `args` and measures its peak memory with `wait4`; then removes `dir`.
#[allow(
    clippy::zombie_processes,
    reason = "the child is waited for with wait4, which also reports its peak memory"
)]
fn run(dir: &Path, args: &[&str]) -> Run {
    let stderr_file = dir.join("stderr");
    let child = worker_policy()
        .args(args)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&stderr_file).unwrap())
        .spawn()
        .expect("the binary runs");
    let pid = libc::pid_t::try_from(child.id()).unwrap();
    let mut status = 0;
    // SAFETY: all-zero bytes are a valid `rusage` (integers and timevals).
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `pid` is our child, not yet waited for; `wait4` writes only `status` and `usage`.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(waited, pid, "wait4 failed");
    let code = libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status));
    let stderr = std::fs::read_to_string(&stderr_file).unwrap();
    let _ = std::fs::remove_dir_all(dir);
    Run {
        code,
        stderr,
        // Linux reports kilobytes; the kernel folds in the largest reaped descendant.
        peak_rss: u64::try_from(usage.ru_maxrss).unwrap() * 1024,
    }
}

impl Run {
    /// Asserts the run failed as a policy fault (exit 3) whose message says every one of
    /// `words`, and that its peak memory stayed under `peak_mib`.
    fn assert_refused(&self, words: &[&str], peak_mib: u64) {
        assert_eq!(self.code, Some(3), "{}", self.stderr);
        for word in words {
            assert!(
                self.stderr.contains(word),
                "{word:?} not in: {}",
                self.stderr
            );
        }
        assert!(
            self.peak_rss < peak_mib * MIB,
            "peak {} MiB",
            self.peak_rss / MIB
        );
    }
}

/// A fresh folder for `test` holding `wat` as `bomb.wat`, and the file's path.
fn bomb_file(test: &str, wat: &str) -> (PathBuf, String) {
    let dir = scratch(test);
    let file = dir.join("bomb.wat");
    std::fs::write(&file, wat).unwrap();
    let file = file.to_str().unwrap().to_string();
    (dir, file)
}

const MIB: u64 = 1 << 20;

/// One function with 5,000 locals, 2,000 of them updated, each under its own `if`, inside 40
/// nested loops: about 30 KB of binary that takes Cranelift seconds and hundreds of MiB.
fn locals_bomb() -> String {
    let (locals, updated, depth) = (5_000, 2_000, 40);
    let mut body = String::new();
    for d in 0..depth {
        body.push_str(&format!("(loop $l{d} "));
    }
    for i in 0..updated {
        body.push_str(&format!(
            "(if (local.get {}) (then (local.set {i} (i32.add (local.get {i}) (i32.const 1)))))",
            updated + i
        ));
    }
    for d in (0..depth).rev() {
        body.push_str(&format!("(br_if $l{d} (local.get {d})))"));
    }
    format!(
        "(component (core module (func (export \"f\") (local{}) {body})))",
        " i32".repeat(locals)
    )
}

/// `count` copies of `function` in one core module.
fn functions_bomb(count: usize, function: &str) -> String {
    format!("(component (core module {}))", function.repeat(count))
}

/// A small function with a body.
const INCREMENT: &str = "(func (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))";

#[test]
fn the_locals_bomb_is_refused_before_compiling_with_the_default_limits() {
    let (dir, file) = bomb_file("locals-default", &locals_bomb());
    let out = run(&dir, &["inspect", "--policy", &file]);
    out.assert_refused(&["5000 locals", "--max-locals"], 64);
}

#[test]
fn the_locals_bomb_is_stopped_at_the_compile_deadline_when_the_static_limits_let_it_in() {
    let (dir, file) = bomb_file("locals-deadline", &locals_bomb());
    let args = [
        "inspect",
        "--policy",
        &file,
        "--max-locals",
        "10000",
        "--compile-timeout",
        "0.5",
        "--compile-memory",
        "512",
    ];
    let out = run(&dir, &args);
    out.assert_refused(&["compile timeout of 0.5 s", "--compile-timeout"], 512);
}

#[test]
fn two_hundred_thousand_functions_are_refused_before_compiling() {
    let (dir, file) = bomb_file("functions", &functions_bomb(200_000, "(func)"));
    let out = run(
        &dir,
        &["inspect", "--policy", &file, "--max-functions", "50000"],
    );
    // The parse and the count, nothing compiled: the 1.15 GB compile never starts.
    out.assert_refused(
        &["200000 functions", "limit of 50000", "--max-functions"],
        256,
    );
}

#[test]
fn compiling_past_the_memory_bound_stops_the_worker() {
    let (dir, file) = bomb_file("memory", &functions_bomb(60_000, INCREMENT));
    let out = run(
        &dir,
        &["inspect", "--policy", &file, "--compile-memory", "64"],
    );
    // The worker's address space is capped at 64 MiB; the CLI itself holds the text and its scan.
    out.assert_refused(&["compile memory bound of 64 MiB", "--compile-memory"], 128);
}

#[test]
fn the_default_policy_compiles_in_a_worker_within_the_default_bounds_and_inspect_shows_them() {
    // Compiled now, not loaded from the test run's cache.
    let out = worker_policy()
        .args(["inspect", "--no-cache"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for words in [
        "functions (limit 100000, --max-functions)",
        "locals in one function (limit 2000, --max-locals)",
        "(limit 4194304, --max-function-size)",
        "(limit 10000, --max-nesting)",
        "(limit 134217728, --max-component-size)",
        "compiled     in a worker process, 60000 ms deadline, 2048 MiB memory",
    ] {
        assert!(stdout.contains(words), "`{words}` missing from:\n{stdout}");
    }
}
