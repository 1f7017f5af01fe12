//! "Is it safe to drain N4, and what will move?" in one command: `evaluate --drain`, its
//! verdicts, plan, headroom and script; and the same headroom lines on `transition` and
//! `decommission`.

use crate::common::{example_arg as example, run, text};

const ZONE_B: &str = "headroom  zone eu-west.b keeps 1 eligible worker(s) (N6) holding 18 replica(s) of 18 placed partition(s): one more node lost there leaves 2 zone(s) available, the replication property requires 3\n";
const N6_OVERLOADED: &str = "headroom  N6 holds 18 replica(s), 2.33 times the mean of 7.71 per eligible worker (more than 2)\n";

#[test]
fn evaluate_drain_prints_the_verdict_the_plan_and_the_headroom_left() {
    let snapshot = example("three-zones-draining.json");
    let out = run(&["evaluate", "--snapshot", &snapshot, "--drain", "N4"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    for words in [
        "allowed   N4 active -> draining: ",
        "remove-replica         2  N4 ",
        "summary   0 transition(s), 28 step(s): 12 replica(s) added",
        ZONE_B,
        N6_OVERLOADED,
    ] {
        assert!(stdout.contains(words), "`{words}` missing from:\n{stdout}");
    }

    let json = run(&[
        "evaluate",
        "--snapshot",
        &snapshot,
        "--drain",
        "N4",
        "--format",
        "json",
    ]);
    assert_eq!(json.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(json["verdicts"][0]["allowed"], true);
    assert_eq!(json["verdicts"][0]["node"], 4);
    assert_eq!(json["headroom"][0]["kind"], "last-failure");
    assert_eq!(json["headroom"][0]["nodes"], serde_json::json!([6]));
    assert_eq!(json["headroom"][1]["kind"], "overloaded");
    assert_eq!(json["steps"].as_array().unwrap().len(), 28);

    let plain = run(&["evaluate", "--snapshot", &snapshot, "--format", "json"]);
    let plain: serde_json::Value = serde_json::from_slice(&plain.stdout).unwrap();
    assert!(plain.get("verdicts").is_none() && plain.get("headroom").is_none());
}

#[test]
fn evaluate_drain_emits_the_script_made_with_the_nodes_draining() {
    let snapshot = example("three-zones-draining.json");
    let out = run(&[
        "evaluate",
        "--snapshot",
        &snapshot,
        "--drain",
        "N4",
        "--emit",
        "restatectl",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let script = text(&out.stdout);
    assert!(script.starts_with("#!/usr/bin/env bash\n"), "{script}");
    for line in [
        "restatectl nodes set-worker-state --nodes 4 --worker-state draining\n",
        "restatectl nodes set-worker-state --nodes 5 --worker-state draining\n",
    ] {
        assert!(script.contains(line), "`{line}` missing from:\n{script}");
    }
}

#[test]
fn evaluate_drain_refused_prints_the_verdicts_and_exits_as_transition() {
    let snapshot = example("three-zones-draining.json");
    let out = run(&["evaluate", "--snapshot", &snapshot, "--drain", "N4,N6"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("allowed   N4 active -> draining: "),
        "{stdout}"
    );
    assert!(
        stdout.contains("refused   N6 active -> draining: "),
        "{stdout}"
    );
    assert!(!stdout.contains("steps ("), "no plan: {stdout}");

    let script = run(&[
        "evaluate",
        "--snapshot",
        &snapshot,
        "--drain",
        "N4,N6",
        "--emit",
        "restatectl",
    ]);
    assert_eq!(script.status.code(), Some(1));
    let stdout = text(&script.stdout);
    assert!(
        stdout.ends_with("exit 1\n") && !stdout.contains("\nrestatectl "),
        "no plan, a script that fails: {stdout}"
    );
    assert!(text(&script.stderr).contains("refused   N6 active -> draining"));

    let unknown = run(&["evaluate", "--snapshot", &snapshot, "--drain", "N12"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(text(&unknown.stderr).contains("--drain N12: no such node"));
}

#[test]
fn transition_and_decommission_name_the_headroom_left() {
    let snapshot = example("three-zones-draining.json");
    let out = run(&[
        "transition",
        "--snapshot",
        &snapshot,
        "--node",
        "N4",
        "--to",
        "draining",
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        text(&out.stdout).contains(
            "headroom  zone eu-west.b keeps 1 eligible worker(s) (N6) holding 6 replica(s)"
        ),
        "{}",
        text(&out.stdout)
    );
    let out = run(&["decommission", "--snapshot", &snapshot, "--nodes", "N4,N5"]);
    assert_eq!(out.status.code(), Some(0));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains(ZONE_B) && stdout.contains(N6_OVERLOADED),
        "{stdout}"
    );
}
