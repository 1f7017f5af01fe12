//! The compilation cache through the CLI: `inspect` twice with the same `--cache-dir` compiles
//! and stores the first time and loads from the cache the second, in table and JSON; with
//! `--no-cache` nothing is read or written.

use std::path::{Path, PathBuf};

use crate::common::run;

/// Stdout of a run that must succeed.
fn stdout(args: &[&str]) -> String {
    let out = run(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A fresh folder for this test's cache, removed first if a previous run left it.
fn scratch(test: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("worker-policy-cache-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// The `cache` row of `inspect`'s table.
fn cache_row(table: &str) -> &str {
    table
        .lines()
        .find(|line| line.starts_with("cache "))
        .unwrap_or_else(|| panic!("no cache row in:\n{table}"))
}

fn entries(dir: &Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |entries| entries.count())
}

#[test]
fn inspect_twice_compiles_and_stores_then_loads_from_the_cache() {
    let dir = scratch("inspect-twice");
    let cache = dir.join("cache");
    let cache_dir = cache.to_str().unwrap();
    let first = stdout(&["inspect", "--cache-dir", cache_dir]);
    assert!(
        cache_row(&first).contains("miss: compiled and stored in"),
        "{first}"
    );
    let second = stdout(&["inspect", "--cache-dir", cache_dir]);
    assert!(
        cache_row(&second).contains("hit: loaded from") && cache_row(&second).contains(cache_dir),
        "{second}"
    );
    let json = stdout(&["inspect", "--cache-dir", cache_dir, "--format", "json"]);
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value["cache"]["status"], "hit", "{json}");
    assert_eq!(entries(&cache), 1);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn no_cache_neither_reads_nor_writes_the_cache() {
    let dir = scratch("no-cache");
    let json = stdout(&["inspect", "--no-cache", "--format", "json"]);
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value["cache"]["status"], "disabled", "{json}");
    let refused = run(&[
        "inspect",
        "--no-cache",
        "--cache-dir",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(!dir.exists());
}
