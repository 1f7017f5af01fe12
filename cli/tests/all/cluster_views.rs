//! `nodes` and `partitions`: a snapshot itself, one row per node or partition, on the examples
//! and on a generated cluster too long to show whole; the snapshot from a positional file,
//! `--snapshot` or stdin; bad input named with the fix.

use std::io::Write;
use std::path::Path;
use std::process::{Output, Stdio};

use crate::common::{example_arg as example, run, scratch, text, worker_policy};
use serde_json::{json, Value};

/// The three-zone example: N5 draining, zone b left with N4 and N6.
const DRAINING: &str = "three-zones-draining.json";

/// Runs the binary with `args` and `input` on stdin.
fn run_with_stdin(args: &[&str], input: &[u8]) -> Output {
    let mut child = worker_policy()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(input)
        .expect("the input is written");
    child.wait_with_output().expect("the binary ends")
}

/// The JSON `args` print, after checking they succeed.
fn json_of(args: &[&str]) -> Value {
    let out = run(args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("the output is JSON")
}

/// The table `args` print, after checking they succeed.
fn table_of(args: &[&str]) -> String {
    let out = run(args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    text(&out.stdout)
}

/// The lines of `table` that are rows of nodes (`  N4 ...`) or partitions (`  7 ...`).
fn rows(table: &str) -> Vec<&str> {
    table
        .lines()
        .filter(|line| {
            let first = line.split_whitespace().next().unwrap_or("");
            line.starts_with("  ") && first.trim_start_matches('N').parse::<u32>().is_ok()
        })
        .collect()
}

/// The row of `table` whose first cell is `first`.
fn row<'a>(table: &'a str, first: &str) -> &'a str {
    rows(table)
        .into_iter()
        .find(|line| line.split_whitespace().next() == Some(first))
        .unwrap_or_else(|| panic!("no row {first} in:\n{table}"))
}

#[test]
fn nodes_shows_each_node_against_its_fair_share() {
    let snapshot = example(DRAINING);
    let table = table_of(&["nodes", &snapshot]);
    assert!(
        table.starts_with(&format!(
            "snapshot  {snapshot}: 9 nodes (8 active, 1 draining), 18 partitions (0 unplaced), replication {{zone: 3, node: 3}}\n"
        )),
        "{table}"
    );
    assert_eq!(rows(&table).len(), 9, "{table}");
    // N5 drains: zone b's 18 replicas fall to N4 and N6, 9 each; they hold 6.
    let n4: Vec<&str> = row(&table, "N4").split_whitespace().collect();
    assert_eq!(
        n4,
        [
            "N4",
            "active",
            "yes",
            "eu-west.b",
            "6",
            "9.00",
            "-3",
            "2",
            "2.25",
            "0",
            "0",
            "0",
            "replicas-off-share"
        ]
    );
    assert!(row(&table, "N5").ends_with("  not-active"), "{table}");
    assert!(row(&table, "N1").ends_with(" 0      0"), "{table}");

    let json = json_of(&["nodes", &snapshot, "--format", "json"]);
    let nodes = json["nodes"].as_array().unwrap();
    let ids: Vec<u64> = nodes.iter().map(|n| n["node"].as_u64().unwrap()).collect();
    assert_eq!(ids, (1..=9).collect::<Vec<_>>());
    assert_eq!(nodes[3]["replica_share"], 9.0);
    assert_eq!(nodes[3]["replicas_off"], -3);
    assert_eq!(nodes[4]["replica_share"], Value::Null);
    assert_eq!(nodes[4]["worker_state"], "draining");
    assert_eq!(nodes[4]["stands_out"], json!(["not-active"]));
    assert_eq!(nodes[0]["stands_out"], json!([]));
    assert_eq!(json["totals"]["states"]["draining"], 1);
    assert_eq!(json["totals"]["states"]["disabled"], 0);
    assert_eq!(json["totals"]["alive"], 9);
    assert_eq!(json["totals"]["partitions"], 18);
    assert_eq!(json["totals"]["replication"], "{zone: 3, node: 3}");
}

#[test]
fn the_snapshot_comes_positional_with_snapshot_or_on_stdin_and_reads_the_same() {
    let snapshot = example(DRAINING);
    for verb in ["nodes", "partitions"] {
        let positional = run(&[verb, &snapshot, "--format", "json"]);
        let option = run(&[verb, "--snapshot", &snapshot, "--format", "json"]);
        assert_eq!(positional.status.code(), Some(0));
        assert_eq!(positional.stdout, option.stdout, "{verb}");
        let piped = run_with_stdin(
            &[verb, "-", "--format", "json"],
            &std::fs::read(&snapshot).unwrap(),
        );
        assert_eq!(piped.status.code(), Some(0), "{}", text(&piped.stderr));
        let mut from_file: Value = serde_json::from_slice(&positional.stdout).unwrap();
        let from_stdin: Value = serde_json::from_slice(&piped.stdout).unwrap();
        assert_eq!(from_stdin["snapshot"], "<stdin>");
        from_file["snapshot"] = json!("<stdin>");
        assert_eq!(from_file, from_stdin, "{verb}");
    }
}

#[test]
fn partitions_shows_each_replica_set_its_leader_and_the_property() {
    let snapshot = example(DRAINING);
    let table = table_of(&["partitions", &snapshot]);
    assert_eq!(rows(&table).len(), 18, "{table}");
    let third: Vec<&str> = row(&table, "3").split_whitespace().collect();
    assert_eq!(
        third,
        [
            "3",
            "N1",
            "N5*",
            "N9",
            "N5",
            "-",
            "ok",
            "leader-off-eligible-replica,",
            "on-ineligible"
        ]
    );
    let first: Vec<&str> = row(&table, "1").split_whitespace().collect();
    assert_eq!(first, ["1", "N2*", "N6", "N7", "N2", "-", "ok"]);

    let json = json_of(&["partitions", &snapshot, "--format", "json"]);
    let third = &json["partitions"][3];
    assert_eq!(third["replicas"], json!([1, 5, 9]));
    assert_eq!(third["leader"], 5);
    assert_eq!(third["ineligible"], json!([5]));
    assert_eq!(third["satisfies_replication"], true);
    assert_eq!(third["replication_problem"], Value::Null);
    assert_eq!(json["node"], Value::Null);
    assert_eq!(json["partitions"].as_array().unwrap().len(), 18);
}

#[test]
fn partitions_names_a_set_short_of_the_property_and_a_freeze() {
    let dir = scratch("views-short");
    let mut doc: Value =
        serde_json::from_slice(&std::fs::read(example(DRAINING)).unwrap()).unwrap();
    // Partition 1 on two zones (a, c) where the property asks for three; partition 2 frozen.
    doc["partitions"][1]["replicas"] = json!([2, 3, 7]);
    doc["partitions"][1]["leader"] = json!(2);
    doc["partitions"][2]["freeze"] = json!("maintenance");
    let file = write_json(&dir.join("short.json"), &doc);

    let table = table_of(&["partitions", &file]);
    let short: Vec<&str> = row(&table, "1").split_whitespace().collect();
    assert_eq!(
        short,
        [
            "1",
            "N2*",
            "N3",
            "N7",
            "N2",
            "-",
            "zone",
            "2/3",
            "under-replicated"
        ]
    );
    let frozen: Vec<&str> = row(&table, "2").split_whitespace().collect();
    assert_eq!(
        frozen,
        [
            "2",
            "N3*",
            "N4",
            "N8",
            "N3",
            "-",
            "ok",
            "frozen",
            "frozen",
            "(maintenance)"
        ]
    );
    let json = json_of(&["partitions", &file, "--format", "json"]);
    assert_eq!(json["partitions"][1]["satisfies_replication"], false);
    assert_eq!(
        json["partitions"][1]["replication_problem"],
        "its replicas fall short: 2 zone(s) available, the replication property requires 3"
    );
    assert_eq!(json["partitions"][2]["frozen"], "maintenance");
    assert_eq!(json["partitions"][2]["stands_out"], json!(["frozen"]));

    // Each node holding the frozen partition stands out for it.
    let nodes = json_of(&["nodes", &file, "--format", "json"]);
    let frozen: Vec<u64> = (nodes["nodes"].as_array().unwrap().iter())
        .filter(|n| n["frozen"] == 1)
        .map(|n| n["node"].as_u64().unwrap())
        .collect();
    assert_eq!(frozen, [3, 4, 8]);
}

#[test]
fn partitions_node_keeps_the_partitions_a_node_holds() {
    let snapshot = example(DRAINING);
    let table = table_of(&["partitions", &snapshot, "--node", "N5"]);
    assert!(
        table.contains("\nnode      N5 holds 6 partition(s)\n"),
        "{table}"
    );
    let ids: Vec<&str> = rows(&table)
        .iter()
        .filter_map(|line| line.split_whitespace().next())
        .collect();
    assert_eq!(ids, ["0", "3", "6", "9", "12", "15"]);
    let json = json_of(&["partitions", &snapshot, "--node", "5", "--format", "json"]);
    assert_eq!(json["node"], 5);
    let partitions = json["partitions"].as_array().unwrap();
    assert_eq!(partitions.len(), 6);
    assert!(partitions
        .iter()
        .all(|p| p["replicas"].as_array().unwrap().contains(&json!(5))));

    let unknown = run(&["partitions", &snapshot, "--node", "N42"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(unknown.stdout.is_empty());
    let stderr = text(&unknown.stderr);
    assert!(
        stderr.contains(&format!(
            "--node N42: {snapshot} has no such node; `worker-policy nodes {snapshot}` lists its nodes"
        )),
        "{stderr}"
    );
}

#[test]
fn a_long_table_shows_only_what_stands_out_unless_all() {
    let dir = scratch("views-long");
    let generated = dir.join("generated.json");
    let out = run(&[
        "generate",
        "--zones",
        "20,20,20",
        "--partitions",
        "600",
        "--placed",
        "--provisioning",
        "2",
        "--output",
        generated.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let mut doc: Value = serde_json::from_slice(&std::fs::read(&generated).unwrap()).unwrap();
    // Partition 7 frozen, partition 8 with a `next` set adding a node that holds neither.
    doc["partitions"][7]["freeze"] = json!("maintenance");
    let holders: Vec<u64> = [7, 8]
        .iter()
        .flat_map(|&p| doc["partitions"][p]["replicas"].as_array().unwrap().clone())
        .map(|n| n.as_u64().unwrap())
        .collect();
    let active = |n: &&Value| n["worker_state"] == "active";
    let joining = (doc["nodes"].as_array().unwrap().iter())
        .filter(active)
        .map(|n| n["id"].as_u64().unwrap())
        .find(|id| !holders.contains(id))
        .unwrap();
    doc["partitions"][8]["next"] = json!([joining]);
    let file = write_json(&dir.join("cluster.json"), &doc);

    let nodes = json_of(&["nodes", &file, "--format", "json"]);
    let standing_out: Vec<String> = (nodes["nodes"].as_array().unwrap().iter())
        .filter(|n| !n["stands_out"].as_array().unwrap().is_empty())
        .map(|n| format!("N{}", n["node"]))
        .collect();
    assert_eq!(nodes["nodes"].as_array().unwrap().len(), 60);
    // The two provisioning nodes, the three holding the frozen partition, the joining one.
    assert_eq!(standing_out.len(), 6, "{standing_out:?}");

    let table = table_of(&["nodes", &file]);
    let shown: Vec<&str> = rows(&table)
        .iter()
        .filter_map(|line| line.split_whitespace().next())
        .collect();
    assert_eq!(shown, standing_out, "{table}");
    assert!(table.ends_with(
        "\n54 of 60 node(s) left out: nothing stands out about them; --all shows every node\n"
    ));
    let all = table_of(&["nodes", &file, "--all"]);
    assert_eq!(rows(&all).len(), 60);
    assert!(!all.contains("left out"));

    let table = table_of(&["partitions", &file]);
    let shown: Vec<&str> = rows(&table)
        .iter()
        .filter_map(|line| line.split_whitespace().next())
        .collect();
    assert_eq!(shown, ["7", "8"], "{table}");
    assert!(
        row(&table, "8").contains(&format!(" N{joining} ")),
        "{table}"
    );
    assert!(table.ends_with(
        "\n598 of 600 partition(s) left out: nothing stands out about them; --all shows every partition\n"
    ));
    assert_eq!(rows(&table_of(&["partitions", &file, "--all"])).len(), 600);
    let json = json_of(&["partitions", &file, "--format", "json"]);
    assert_eq!(json["partitions"].as_array().unwrap().len(), 600);
    assert_eq!(json["partitions"][8]["next"], json!([joining]));
    assert_eq!(json["partitions"][8]["stands_out"], json!(["next"]));
}

#[test]
fn a_snapshot_that_cannot_be_read_is_named_and_nothing_is_printed() {
    let missing = scratch("views-bad").join("missing.json");
    let missing = missing.to_str().unwrap();
    for verb in ["nodes", "partitions"] {
        let out = run(&[verb, missing]);
        assert_eq!(out.status.code(), Some(2), "{verb}");
        assert!(out.stdout.is_empty(), "{verb}");
        assert!(
            text(&out.stderr).contains(&format!("{missing}: cannot be read")),
            "{}",
            text(&out.stderr)
        );
        let truncated = run_with_stdin(&[verb, "-"], b"{\"replication\": 3,");
        assert_eq!(truncated.status.code(), Some(2), "{verb}");
        assert!(truncated.stdout.is_empty(), "{verb}");
        let stderr = text(&truncated.stderr);
        assert!(
            stderr.starts_with("error: <stdin>: ") && stderr.contains("truncated"),
            "{stderr}"
        );
        let both = run(&[verb, missing, "--snapshot", missing]);
        assert_eq!(both.status.code(), Some(2), "{verb}");
        assert_eq!(run(&[verb]).status.code(), Some(2), "{verb}");
        // With --format json, a program reading stdout gets the error as JSON, as from every verb.
        let json = run(&[verb, missing, "--format", "json"]);
        assert_eq!(json.status.code(), Some(2), "{verb}");
        let error: Value = serde_json::from_slice(&json.stdout).expect("the error as JSON");
        assert_eq!(error["error"]["class"], "bad-input", "{verb}");
        assert_eq!(error["error"]["exit_code"], 2, "{verb}");
    }
}

/// Writes `doc` to `path` as JSON and returns the path as an argument.
fn write_json(path: &Path, doc: &Value) -> String {
    std::fs::write(path, serde_json::to_vec_pretty(doc).unwrap()).unwrap();
    path.display().to_string()
}
