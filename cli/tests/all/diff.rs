//! `worker-policy diff` as an operator runs it: a policy against itself, against the
//! Restate-compatible policy, in JSON, and on a snapshot that is not there.

use std::process::Output;

use crate::common::{example, example_arg as path, text, worker_policy};

/// `worker-policy diff` with `args`.
fn diff(args: &[&str]) -> Output {
    worker_policy()
        .arg("diff")
        .args(args)
        .output()
        .expect("the binary runs")
}

#[test]
fn the_default_against_itself_is_identical_and_exits_0() {
    let out = diff(&[
        "--against",
        "default",
        "--snapshot",
        &path("three-zones-draining.json"),
    ]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.contains("three-zones-draining.json: identical\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("totals    1 snapshot(s): 1 identical, 0 differ, 0 misbehave"),
        "{stdout}"
    );
}

#[test]
fn restate_against_the_default_differs_on_a_draining_cluster_and_exits_1() {
    let out = diff(&[
        "--against",
        "restate",
        "--snapshot",
        &path("three-zones-draining.json"),
    ]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.contains("candidate worker-policy-restate"),
        "{stdout}"
    );
    assert!(
        stdout.contains("differ: 4 + 85 step(s) only in one plan, simulate ends differently"),
        "{stdout}"
    );
}

#[test]
fn json_has_its_keys_sorted_and_every_snapshot_of_a_directory() {
    let dir = example("");
    let out = diff(&[
        "--against",
        "default",
        "--dir",
        &dir.display().to_string(),
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let value: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
    // serde_json's `Value` keeps objects sorted: the output is sorted when it reads back equal.
    assert_eq!(serde_json::to_string_pretty(&value).unwrap() + "\n", stdout);
    assert_eq!(value["finding"], "identical");
    let files: Vec<&str> = value["snapshots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["file"].as_str().unwrap())
        .collect();
    let mut sorted = files.clone();
    sorted.sort_unstable();
    assert_eq!(files, sorted);
    assert_eq!(value["totals"]["snapshots"], files.len());
    assert!(files.len() >= 4, "{files:?}");
}

#[test]
fn a_missing_snapshot_is_bad_input_naming_the_file() {
    let out = diff(&[
        "--against",
        "default",
        "--snapshot",
        "no-such-snapshot.json",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("no-such-snapshot.json"),
        "{}",
        text(&out.stderr)
    );
    let none = diff(&["--against", "default"]);
    assert_eq!(none.status.code(), Some(2));
    assert!(
        text(&none.stderr).contains("no snapshot"),
        "{}",
        text(&none.stderr)
    );
}
