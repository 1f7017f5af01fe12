//! When the eligible workers cannot satisfy the replication property, the operator reads which
//! domains have no eligible worker and why, and whether the cluster was short already (the node
//! asked about is not blamed) or the change makes it short, on every verb that meets it:
//! `transition`, `evaluate` (plain and `--drain`), `simulate` and `decommission`.

use std::path::PathBuf;

use crate::common::{example, run, scratch, text};
use serde_json::Value;

/// `three-zones-draining.json` (zones eu-west.a: N1-N3, b: N4-N6 with N5 draining, c: N7-N9)
/// with `change` applied to its nodes, written to a fresh folder of `test`.
fn snapshot(test: &str, change: impl Fn(&mut Value)) -> String {
    let text = std::fs::read_to_string(example("three-zones-draining.json")).unwrap();
    let mut json: Value = serde_json::from_str(&text).unwrap();
    for node in json["nodes"].as_array_mut().unwrap() {
        change(node);
    }
    let path: PathBuf = scratch(test).join("snapshot.json");
    std::fs::write(&path, serde_json::to_string_pretty(&json).unwrap()).unwrap();
    path.display().to_string()
}

/// Zone eu-west.c without an eligible worker: N7 and N9 dead, N8 draining.
fn zone_c_down(test: &str) -> String {
    snapshot(test, |node| match node["id"].as_u64() {
        Some(7 | 9) => node["alive"] = Value::Bool(false),
        Some(8) => node["worker_state"] = "draining".into(),
        _ => {}
    })
}

const ALREADY_SHORT: &str = "the cluster is already short: the replication property {zone: 3, node: 3} needs 3 zones with an eligible worker, only eu-west.a and eu-west.b have one; eu-west.c's workers: N7 dead, N8 draining, N9 dead; to fix it, bring a worker of eu-west.c back (alive and active), or lower the replication property";

#[test]
fn a_drain_in_a_cluster_already_short_says_so_first_and_blames_no_node() {
    let file = zone_c_down("already-short-drain");
    let transition = run(&["transition", &file, "--node", "N1", "--to", "draining"]);
    assert_eq!(
        transition.status.code(),
        Some(1),
        "{}",
        text(&transition.stderr)
    );
    let stdout = text(&transition.stdout);
    let cause = format!("cause     {ALREADY_SHORT}\nrefused   N1 active -> draining: ");
    assert!(stdout.contains(&cause), "{stdout}");

    let drain = run(&["evaluate", &file, "--drain", "N1"]);
    assert_eq!(drain.status.code(), Some(1), "{}", text(&drain.stderr));
    assert!(
        text(&drain.stdout).contains(&cause),
        "{}",
        text(&drain.stdout)
    );

    let json = run(&[
        "transition",
        &file,
        "--node",
        "1",
        "--to",
        "draining",
        "--format",
        "json",
    ]);
    let json: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(json["shortage"]["already"], true);
    assert_eq!(json["shortage"]["message"], ALREADY_SHORT);
}

#[test]
fn evaluate_and_simulate_of_a_cluster_already_short_name_the_zone_before_the_refusal() {
    let file = zone_c_down("already-short-plan");
    for verb in ["evaluate", "simulate"] {
        let out = run(&[verb, &file]);
        assert_eq!(out.status.code(), Some(1), "{verb}");
        let stderr = text(&out.stderr);
        let explained = format!("{ALREADY_SHORT}: the policy refused: insufficient nodes: ");
        assert!(stderr.contains(&explained), "{verb}: {stderr}");
    }
}

#[test]
fn a_decommission_in_a_cluster_already_short_blames_no_node_of_the_set() {
    let file = zone_c_down("already-short-decommission");
    let out = run(&["decommission", &file, "--nodes", "N1"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains(&format!("refused   {ALREADY_SHORT}\n")),
        "{stdout}"
    );
    assert!(!stdout.contains("N1 cannot leave"), "{stdout}");

    let json = run(&["decommission", &file, "--nodes", "N1", "--format", "json"]);
    let json: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(json["refusal"]["scope"], "zone");
    assert!(json["refusal"].get("node").is_none(), "{json}");
}

#[test]
fn a_change_that_empties_a_zone_is_named_as_the_cause() {
    // Zone eu-west.b keeps N6 alone: N4 draining too.
    let file = snapshot("change-empties-zone", |node| {
        if node["id"] == 4 {
            node["worker_state"] = "draining".into();
        }
    });
    let by_change = "the change makes the cluster short: without N6, zone eu-west.b would have no eligible worker left: the replication property {zone: 3, node: 3} needs 3 zones with an eligible worker, only eu-west.a and eu-west.c would keep one; keep N6 eligible, or first make another worker of eu-west.b eligible (alive and active), or lower the replication property";
    for args in [
        &["transition", &file, "--node", "N6", "--to", "draining"][..],
        &["evaluate", &file, "--drain", "N6"],
    ] {
        let out = run(args);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{args:?}: {}",
            text(&out.stderr)
        );
        let stdout = text(&out.stdout);
        let refused = stdout.find("refused   N6 active -> draining: ");
        let cause = stdout.find(&format!("cause     {by_change}\n"));
        assert!(
            refused.is_some() && cause > refused,
            "{args:?}: the cause follows the refusal:\n{stdout}"
        );
    }
    let json = run(&[
        "transition",
        &file,
        "--node",
        "6",
        "--to",
        "draining",
        "--format",
        "json",
    ]);
    let json: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(json["shortage"]["already"], false);

    let out = run(&["decommission", &file, "--nodes", "N1,N6"]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("N6 cannot leave: without it and the nodes before it, 2 zone(s) available, the replication property requires 3 (scope zone; zone eu-west.b would have no eligible worker left); the largest subset that can leave (greedy in the given order) is N1\n"),
        "{stdout}"
    );
}

#[test]
fn a_refusal_for_another_reason_has_no_shortage() {
    let file = example("three-zones-draining.json").display().to_string();
    let out = run(&[
        "transition",
        &file,
        "--node",
        "N1",
        "--to",
        "disabled",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["allowed"], false);
    assert!(json.get("shortage").is_none(), "{json}");
}
