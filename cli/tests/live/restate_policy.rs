//! `--policy restate` against Restate's own scheduler on a fresh live cluster: with every
//! partition unplaced, the Restate-compatible policy places each one on the same nodes, in the
//! same order, with the same leader as the cluster did by itself.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::live::Live;

/// Compares the policy's placement of the unplaced cluster with Restate's.
pub fn places_as_restate(live: &mut Live) {
    live.settle();
    live.import("fresh.json", &[]);
    let mut doc: Value =
        serde_json::from_str(&std::fs::read_to_string(live.path("fresh.json")).unwrap()).unwrap();
    for p in doc["partitions"]
        .as_array_mut()
        .expect("a snapshot has partitions")
    {
        let p = p.as_object_mut().unwrap();
        p.insert("replicas".into(), Value::Array(Vec::new()));
        p.remove("leader");
        p.remove("next");
    }
    let unplaced = live.path("unplaced.json");
    std::fs::write(&unplaced, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
    let plan: Value = serde_json::from_str(&live.ok(&[
        "evaluate",
        "--policy",
        "restate",
        "--snapshot",
        &unplaced.display().to_string(),
        "--format",
        "json",
    ]))
    .unwrap();
    let mut planned: BTreeMap<u64, (Vec<String>, Option<String>)> = BTreeMap::new();
    for step in plan["steps"].as_array().unwrap() {
        let entry = planned
            .entry(step["partition"].as_u64().unwrap())
            .or_default();
        let node = format!("N{}", step["node"]);
        match step["op"].as_str().unwrap() {
            "add-replica" => entry.0.push(node),
            "set-leader" => entry.1 = Some(node),
            other => panic!("placing from nothing planned a {other} step"),
        }
    }
    let live_sets = live
        .cluster
        .sql("SELECT partition_id, current_replica_set, leader_plain_node_id FROM partitions ORDER BY partition_id")
        .unwrap();
    let mut same = 0;
    for row in &live_sets {
        let id = row["partition_id"].as_u64().unwrap();
        let set: Vec<String> = row["current_replica_set"]
            .as_str()
            .unwrap()
            .split(',')
            .map(str::to_string)
            .collect();
        let leader = row
            .get("leader_plain_node_id")
            .and_then(Value::as_str)
            .map(str::to_string);
        let ours = planned.get(&id).cloned().unwrap_or_default();
        assert_eq!(
            ours,
            (set, leader),
            "partition {id}: --policy restate (left) against the live cluster (right)"
        );
        same += 1;
    }
    println!(
        "    --policy restate chose Restate's set, order and leader for {same} of {} partitions",
        live_sets.len()
    );
}
