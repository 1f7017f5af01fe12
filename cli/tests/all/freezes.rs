//! Freezes, leader affinity and weights through the command line: a frozen partition on a
//! draining node is left where it is and the node is reported blocked, by `evaluate` and
//! `simulate`, in the table and in JSON; the new fields round-trip through `--write`.

use crate::common::{example, run, scratch, text};

/// `three-zones-draining.json` with the first partition N5 (the draining node) holds frozen,
/// written to a scratch folder; returns the file and that partition's id.
fn frozen_example(test: &str) -> (String, u64) {
    let mut doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(example("three-zones-draining.json")).unwrap())
            .unwrap();
    let partitions = doc["partitions"].as_array_mut().unwrap();
    let held = partitions
        .iter_mut()
        .find(|p| p["replicas"].as_array().unwrap().contains(&5.into()))
        .expect("the draining node holds a partition");
    held["freeze"] = "maintenance window".into();
    let id = held["id"].as_u64().unwrap();
    let file = scratch(test).join("frozen.json");
    std::fs::write(&file, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
    (file.display().to_string(), id)
}

#[test]
fn evaluate_leaves_a_frozen_partition_alone_and_names_the_blocked_drain() {
    let (snapshot, frozen) = frozen_example("evaluate-frozen");
    let out = run(&["evaluate", "--snapshot", &snapshot, "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let steps = json["steps"].as_array().unwrap();
    assert!(!steps.is_empty(), "the other partitions leave N5");
    for step in steps {
        let op = step["op"].as_str().unwrap();
        assert!(
            step["partition"] != frozen || op == "set-leader",
            "a replica step on the frozen partition: {step}"
        );
    }
    let blocked = &json["blocked"][0];
    assert_eq!(blocked["node"], "N5");
    assert_eq!(blocked["frozen"][0]["partition"], frozen);
    assert_eq!(blocked["frozen"][0]["reason"], "maintenance window");
    let table = run(&["evaluate", "--snapshot", &snapshot]);
    let table = text(&table.stdout);
    assert!(
        table.contains(&format!(
            "blocked   N5 cannot be emptied: partition {frozen} is frozen (maintenance window)"
        )),
        "{table}"
    );
}

#[test]
fn simulate_converges_with_the_drain_blocked_and_the_node_still_draining() {
    let (snapshot, frozen) = frozen_example("simulate-frozen");
    let output = scratch("simulate-frozen-out").join("after.json");
    let out = run(&[
        "simulate",
        "--snapshot",
        &snapshot,
        "--format",
        "json",
        "--write",
        &output.display().to_string(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["blocked"][0]["node"], "N5", "{json}");
    let after: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&output).unwrap()).unwrap();
    let n5 = after["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["id"] == 5)
        .unwrap();
    assert_eq!(
        n5["worker_state"], "draining",
        "a blocked node is never disabled"
    );
    let kept = after["partitions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == frozen)
        .unwrap();
    assert_eq!(
        kept["freeze"], "maintenance window",
        "the freeze is written back"
    );
    assert!(kept["replicas"].as_array().unwrap().contains(&5.into()));
}

#[test]
fn scenarios_with_mixed_weights_end_in_band_at_the_lower_bound() {
    let out = run(&[
        "scenarios",
        "--zones",
        "3,3,3",
        "--partitions",
        "3000",
        "--weights",
        "1,2,0.5",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 4, "place, drain, add, lose");
    for row in rows {
        assert_eq!(row["shape"], "3 zones x 3 hosts, weights 1/2/0.5");
        assert_eq!(row["quality"]["replicas"]["outside_band"], 0, "{row}");
        assert_eq!(row["quality"]["leaders"]["outside_band"], 0, "{row}");
        assert_eq!(row["moves_over_bound"], 1.0, "{row}");
    }
    let bad = run(&["scenarios", "--weights", "1,0"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        text(&bad.stderr).contains("`0` is not a weight"),
        "{}",
        text(&bad.stderr)
    );
}
