//! `worker-policy import restate` end to end: both routes give one snapshot that every verb
//! reads, and every bad dump exits 2 naming the file, the field and the fix, writing nothing.
//! The cluster here is built by hand from the notes on Restate's formats (3 zones, a draining
//! node, a dead node, a tombstone, a frozen and pinned partition, an unplaced one, u64 values
//! above 2^53); the round trips over generated clusters are in `restate-bridge/tests/`.

use std::path::{Path, PathBuf};

use crate::common::{run, scratch, text};

const NODES_CONFIG: &str = r#"{
  "version": 23,
  "cluster_fingerprint": 4211087765203344901,
  "cluster_name": "acme",
  "features": ["controlled-idempotent-sharding"],
  "modified_at": 554581781118976004,
  "name_lookup": {"a": 1, "b": 2, "c": 3, "d": 5},
  "nodes": [
    [4, "Tombstone"],
    [2, {"Node": {"address": "http://b:5122/", "binary_version": "1.7.6", "current_generation": [2, 1], "location": "eu.b", "log_server_config": {"storage_state": "read-write"}, "metadata_server_config": {"metadata_server_state": "member"}, "name": "b", "roles": ["admin", "worker", "log-server"], "worker_config": {"worker_state": "active"}}}],
    [1, {"Node": {"address": "http://a:5122/", "current_generation": [1, 3], "location": "eu.a", "name": "a", "roles": ["worker"], "worker_config": {"worker_state": "active"}, "a_field_from_the_future": 5}}],
    [5, {"Node": {"address": "http://d:5122/", "current_generation": [5, 2], "location": "eu.c", "name": "d", "roles": ["worker"], "worker_config": {"worker_state": "active"}}}],
    [3, {"Node": {"address": "http://c:5122/", "current_generation": [3, 1], "location": "eu.c", "name": "c", "roles": ["worker", "metadata-store"], "worker_config": {"worker_state": "draining"}}}]
  ]
}"#;

const PARTITION_TABLE: &str = r#"{"version": 3, "num_partitions": 3, "partitions": [
  [0, {"cf_name": null, "db_name": null, "key_range": {"end": 6148914691236517205, "start": 0}, "log_id": null}],
  [1, {"cf_name": null, "db_name": null, "key_range": {"end": 12297829382473034410, "start": 6148914691236517206}, "log_id": null}],
  [2, {"cf_name": null, "db_name": null, "key_range": {"end": 18446744073709551615, "start": 12297829382473034411}, "log_id": null}]],
  "replication": {"limit": "{node: 3, zone: 3}"}}"#;

const EPOCH_0: &str = r#"{"version": 31, "current": {"context": {}, "modified_at": 1773217800250, "replica_set": [3, 1, 2], "replication": "{node: 3, zone: 3}", "version": 7}, "epoch": 15, "leader_metadata": {"node_id": [3, 1], "partition_id": 0}, "leadership_policy": {"affinity": {"Node": 2}}, "next": null, "placement_policy": {"freeze": {"reason": "hold for the audit"}}}"#;
const EPOCH_1: &str = "null\n";
const EPOCH_2: &str = r#"{"version": 2, "current": {"context": {}, "modified_at": 1, "replica_set": [5, 2, 3], "replication": "{node: 3}", "version": 1}, "epoch": 1, "leader_metadata": {"node_id": [2, 1], "partition_id": 2}, "next": {"context": {}, "modified_at": 2, "replica_set": [5, 2, 1], "replication": "{node: 3}", "version": 2}}"#;

const SQL_NODES: &str = r#"[{"plain_node_id":"N1","gen_node_id":"N1:3","state":"alive","name":"a","address":"http://a:5122/","ctrl_address":"http://a:5122/","location":"eu.a","has_admin_role":false,"has_worker_role":true,"has_metadata_server_role":false,"has_log_server_role":false,"has_ingress_role":false,"worker_state":"active","nodes_configuration_version":23,"binary_version":"1.7.6"},{"plain_node_id":"N2","gen_node_id":"N2:1","state":"alive","name":"b","address":"http://b:5122/","ctrl_address":"http://b:5122/","location":"eu.b","has_admin_role":true,"has_worker_role":true,"has_metadata_server_role":false,"has_log_server_role":true,"has_ingress_role":false,"storage_state":"read-write","worker_state":"active","nodes_configuration_version":23,"binary_version":"1.7.6"},{"plain_node_id":"N3","gen_node_id":"N3:1","state":"dead","name":"c","address":"http://c:5122/","ctrl_address":"http://c:5122/","location":"eu.c","has_admin_role":false,"has_worker_role":true,"has_metadata_server_role":true,"has_log_server_role":false,"has_ingress_role":false,"worker_state":"draining","metadata_server_state":"member","nodes_configuration_version":23,"binary_version":"1.7.6"},{"plain_node_id":"N5","gen_node_id":"N5:2","state":"alive","name":"d","address":"http://d:5122/","ctrl_address":"http://d:5122/","location":"eu.c","has_admin_role":false,"has_worker_role":true,"has_metadata_server_role":false,"has_log_server_role":false,"has_ingress_role":false,"worker_state":"active","nodes_configuration_version":23,"binary_version":"1.7.6"}]"#;

const SQL_PARTITIONS: &str = r#"[{"partition_id":0,"start_key":0,"end_key":6148914691236517205,"log_id":0,"cf_name":"data-0","leader_gen_node_id":"N3:1","leader_plain_node_id":"N3","leader_epoch":"e15","v_current":7,"current_replica_set":"N3,N1,N2","partition_table_version":3},{"partition_id":1,"start_key":6148914691236517206,"end_key":12297829382473034410,"log_id":1,"cf_name":"data-1","leader_epoch":"e0","v_current":0,"partition_table_version":3},{"partition_id":2,"start_key":12297829382473034411,"end_key":18446744073709551615,"log_id":2,"cf_name":"data-2","leader_gen_node_id":"N2:1","leader_plain_node_id":"N2","leader_epoch":"e1","v_current":1,"current_replica_set":"N5,N2,N3","v_next":2,"next_replica_set":"N5,N2,N1","partition_table_version":3}]"#;

/// The dumps of one cluster, both routes, in a fresh folder.
struct Dumps {
    dir: PathBuf,
}

impl Dumps {
    fn new(test: &str) -> Dumps {
        let dir = scratch(test);
        std::fs::create_dir_all(dir.join("epochs")).unwrap();
        let dumps = Dumps { dir };
        for (name, text) in [
            ("nodes_config.json", NODES_CONFIG),
            ("partition_table.json", PARTITION_TABLE),
            ("epochs/pp_epoch_0.json", EPOCH_0),
            ("epochs/pp_epoch_1.json", EPOCH_1),
            ("epochs/pp_epoch_2.json", EPOCH_2),
            ("sql_nodes.json", SQL_NODES),
            ("sql_partitions.json", SQL_PARTITIONS),
        ] {
            dumps.write(name, text);
        }
        dumps
    }

    fn path(&self, name: &str) -> String {
        self.dir.join(name).display().to_string()
    }

    fn write(&self, name: &str, text: &str) {
        std::fs::write(self.dir.join(name), text).unwrap();
    }

    /// Replaces `from` with `to` in the file `name` (which must contain it).
    fn edit(&self, name: &str, from: &str, to: &str) {
        let path = self.dir.join(name);
        let old = std::fs::read_to_string(&path).unwrap();
        assert!(old.contains(from), "{name} has no `{from}`");
        std::fs::write(&path, old.replacen(from, to, 1)).unwrap();
    }

    fn metadata_args(&self, extra: &[&str]) -> Vec<String> {
        let mut args = vec![
            "import".into(),
            "restate".into(),
            "--nodes-config".into(),
            self.path("nodes_config.json"),
            "--partition-table".into(),
            self.path("partition_table.json"),
            "--epochs".into(),
            self.path("epochs"),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        args
    }

    fn sql_args(&self, extra: &[&str]) -> Vec<String> {
        let mut args = vec![
            "import".into(),
            "restate".into(),
            "--sql-nodes".into(),
            self.path("sql_nodes.json"),
            "--sql-partitions".into(),
            self.path("sql_partitions.json"),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        args
    }
}

fn import(args: &[String]) -> std::process::Output {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    run(&args)
}

fn snapshot_of(output: &std::process::Output) -> serde_json::Value {
    assert!(output.status.success(), "{}", text(&output.stderr));
    serde_json::from_slice(&output.stdout).expect("a JSON snapshot")
}

#[test]
fn both_routes_give_the_same_snapshot_except_what_only_metadata_knows() {
    let dumps = Dumps::new("import-routes");
    let sql_nodes = dumps.path("sql_nodes.json");
    let table = dumps.path("partition_table.json");
    let metadata = import(&dumps.metadata_args(&["--sql-nodes", &sql_nodes]));
    let sql = import(&dumps.sql_args(&["--partition-table", &table]));
    let mut from_metadata = snapshot_of(&metadata);
    let from_sql = snapshot_of(&sql);
    let p0 = &mut from_metadata["partitions"][0];
    assert_eq!(p0["freeze"], "hold for the audit");
    assert_eq!(p0["leader_affinity"], serde_json::json!({"node": 2}));
    let p0 = p0.as_object_mut().unwrap();
    p0.remove("freeze");
    p0.remove("leader_affinity");
    assert_eq!(from_metadata, from_sql);
    assert!(text(&sql.stderr).contains("carry no placement freeze or leader affinity"));

    let nodes = from_sql["nodes"].as_array().unwrap();
    let ids: Vec<u64> = nodes.iter().map(|n| n["id"].as_u64().unwrap()).collect();
    assert_eq!(ids, [1, 2, 3, 5], "the tombstone N4 is left out");
    assert_eq!(nodes[2]["alive"], false);
    assert_eq!(nodes[2]["worker_state"], "draining");
    assert_eq!(nodes[0]["generation"], 3);
    assert_eq!(
        nodes[2]["roles"],
        serde_json::json!(["worker", "metadata-server"])
    );
    let partitions = from_sql["partitions"].as_array().unwrap();
    assert_eq!(partitions[0]["replicas"], serde_json::json!([1, 2, 3]));
    assert_eq!(partitions[0]["leader"], 3);
    assert_eq!(partitions[1]["replicas"], serde_json::json!([]), "unplaced");
    assert_eq!(
        partitions[2]["next"],
        serde_json::json!([1]),
        "the pending part of next"
    );
    assert_eq!(partitions[2]["leader"], 2);
}

#[test]
fn the_snapshot_feeds_the_other_verbs_and_the_notes_say_what_was_assumed() {
    let dumps = Dumps::new("import-feeds");
    let out = dumps.path("cluster.json");
    let output = import(&dumps.metadata_args(&["--dead", "N3", "--output", &out]));
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(output.stdout.is_empty());
    let notes = text(&output.stderr);
    for said in [
        "every node is read as alive except those given with --dead",
        "read as dead (--dead): N3",
        "(tombstones) are left out: N4",
        "1 partition(s) are unplaced",
        "wrote ",
    ] {
        assert!(notes.contains(said), "{said}: {notes}");
    }
    let evaluated = run(&["evaluate", "--snapshot", &out, "--format", "json"]);
    assert!(evaluated.status.success(), "{}", text(&evaluated.stderr));
    let plan: serde_json::Value = serde_json::from_slice(&evaluated.stdout).unwrap();
    let frozen_touched =
        plan["steps"].as_array().unwrap().iter().any(|s| {
            s["partition"] == 0 && (s["op"] == "add-replica" || s["op"] == "remove-replica")
        });
    assert!(!frozen_touched, "partition 0 is frozen: {plan}");
}

#[test]
fn sql_output_in_json_lines_reads_the_same() {
    let dumps = Dumps::new("import-jsonl");
    let table = dumps.path("partition_table.json");
    let array = snapshot_of(&import(&dumps.sql_args(&["--partition-table", &table])));
    for name in ["sql_nodes.json", "sql_partitions.json"] {
        let rows: Vec<serde_json::Value> =
            serde_json::from_str(&std::fs::read_to_string(dumps.dir.join(name)).unwrap()).unwrap();
        let lines: Vec<String> = rows.iter().map(ToString::to_string).collect();
        dumps.write(name, &(lines.join("\n") + "\n"));
    }
    let lines = snapshot_of(&import(&dumps.sql_args(&["--partition-table", &table])));
    assert_eq!(array, lines);
}

/// Runs a refused import with `--output`, and returns its error line.
fn refused(dumps: &Dumps, args: Vec<String>) -> String {
    let out = dumps.path("out.json");
    let mut args = args;
    args.extend(["--output".to_string(), out.clone()]);
    let output = import(&args);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(!Path::new(&out).exists(), "nothing is written: {stderr}");
    assert!(output.stdout.is_empty());
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

fn assert_names(message: &str, parts: &[&str]) {
    for part in parts {
        assert!(message.contains(part), "`{part}` missing from: {message}");
    }
}

#[test]
fn a_truncated_dump_is_named_as_truncated() {
    let dumps = Dumps::new("import-truncated");
    dumps.write("nodes_config.json", &NODES_CONFIG[..NODES_CONFIG.len() / 2]);
    let e = refused(&dumps, dumps.metadata_args(&[]));
    assert_names(&e, &["nodes_config.json", "truncated", "dump it again"]);
}

#[test]
fn a_dump_of_the_wrong_key_names_the_option_it_belongs_to() {
    let dumps = Dumps::new("import-wrong-key");
    dumps.write("nodes_config.json", PARTITION_TABLE);
    let e = refused(&dumps, dumps.metadata_args(&[]));
    assert_names(
        &e,
        &[
            "nodes_config.json",
            "is a partition_table dump",
            "--partition-table",
        ],
    );
    let dumps = Dumps::new("import-wrong-epoch");
    dumps.edit(
        "epochs/pp_epoch_2.json",
        "\"partition_id\": 2",
        "\"partition_id\": 0",
    );
    let e = refused(&dumps, dumps.metadata_args(&[]));
    assert_names(
        &e,
        &[
            "pp_epoch_2.json",
            "leader_metadata.partition_id",
            "another key",
        ],
    );
    let dumps = Dumps::new("import-wrong-sql");
    let table = dumps.path("partition_table.json");
    dumps.write("sql_nodes.json", SQL_PARTITIONS);
    let e = refused(&dumps, dumps.sql_args(&["--partition-table", &table]));
    assert_names(&e, &["sql_nodes.json", "--sql-partitions"]);
}

#[test]
fn a_node_in_no_table_is_refused_on_both_routes() {
    let dumps = Dumps::new("import-unknown-node");
    dumps.edit("epochs/pp_epoch_2.json", "[5, 2, 3]", "[5, 2, 9]");
    let e = refused(&dumps, dumps.metadata_args(&[]));
    assert_names(
        &e,
        &[
            "pp_epoch_2.json",
            "current.replica_set",
            "N9",
            "no nodes table",
        ],
    );
    dumps.edit("sql_partitions.json", "\"N5,N2,N1\"", "\"N5,N2,N9\"");
    let table = dumps.path("partition_table.json");
    let e = refused(&dumps, dumps.sql_args(&["--partition-table", &table]));
    assert_names(&e, &["sql_partitions.json", "[2].next_replica_set", "N9"]);
}

#[test]
fn a_replica_on_a_removed_node_is_refused() {
    let dumps = Dumps::new("import-tombstone");
    dumps.edit("epochs/pp_epoch_0.json", "[3, 1, 2]", "[4, 1, 2]");
    let e = refused(&dumps, dumps.metadata_args(&[]));
    assert_names(
        &e,
        &[
            "pp_epoch_0.json",
            "current.replica_set",
            "N4",
            "tombstone",
            "dump them again",
        ],
    );
}

#[test]
fn sql_and_metadata_disagreeing_on_a_state_are_refused() {
    let dumps = Dumps::new("import-disagree");
    dumps.edit(
        "sql_nodes.json",
        r#""worker_state":"draining""#,
        r#""worker_state":"active""#,
    );
    let sql_nodes = dumps.path("sql_nodes.json");
    let e = refused(&dumps, dumps.metadata_args(&["--sql-nodes", &sql_nodes]));
    assert_names(
        &e,
        &[
            "sql_nodes.json",
            "[2].worker_state",
            "N3 is active here but draining",
            "dump both again",
        ],
    );
}

#[test]
fn missing_required_fields_and_bad_values_are_named() {
    let cases: [(&str, &str, &str, &[&str]); 5] = [
        (
            "nodes_config.json",
            r#""current_generation": [1, 3], "#,
            "",
            &["nodes[2]", "current_generation"],
        ),
        (
            "nodes_config.json",
            r#""worker_state": "draining""#,
            r#""worker_state": "leaving""#,
            &[
                "worker_config.worker_state",
                "`leaving` is not a worker state",
            ],
        ),
        (
            "nodes_config.json",
            r#""current_generation": [3, 1], "location": "eu.c""#,
            r#""current_generation": [3, 1], "location": "eu.c.rack1""#,
            &["nodes[4][1].Node.location", "3 labels"],
        ),
        (
            "nodes_config.json",
            r#""roles": ["worker"], "worker_config": {"worker_state": "active"}, "a"#,
            r#""roles": ["worker", "gpu"], "worker_config": {"worker_state": "active"}, "a"#,
            &["roles[1]", "`gpu` is not a Restate role"],
        ),
        (
            "epochs/pp_epoch_0.json",
            r#""replica_set": [3, 1, 2], "#,
            "",
            &["pp_epoch_0.json", "current", "replica_set"],
        ),
    ];
    for (file, from, to, parts) in cases {
        let dumps = Dumps::new("import-fields");
        dumps.edit(file, from, to);
        let e = refused(&dumps, dumps.metadata_args(&[]));
        assert_names(&e, parts);
    }
}

#[test]
fn a_property_worker_policy_cannot_use_says_what_to_pass() {
    let dumps = Dumps::new("import-everywhere");
    dumps.edit(
        "partition_table.json",
        r#"{"limit": "{node: 3, zone: 3}"}"#,
        r#""everywhere""#,
    );
    let e = refused(&dumps, dumps.metadata_args(&[]));
    assert_names(
        &e,
        &[
            "partition_table.json",
            "`replication`",
            "everywhere",
            "--replication",
        ],
    );
    let fixed = import(&dumps.metadata_args(&["--replication", "{Zone: 3, Node: 3}"]));
    assert_eq!(snapshot_of(&fixed)["replication"], "{zone: 3, node: 3}");

    let dumps = Dumps::new("import-legacy");
    dumps.edit(
        "partition_table.json",
        r#",
  "replication": {"limit": "{node: 3, zone: 3}"}"#,
        "",
    );
    let e = refused(&dumps, dumps.metadata_args(&[]));
    assert_names(
        &e,
        &[
            "partition_table.json",
            "missing",
            "1.1.3",
            "--replication 1",
        ],
    );

    let dumps = Dumps::new("import-no-property");
    let e = refused(&dumps, dumps.sql_args(&[]));
    assert_names(
        &e,
        &[
            "do not carry the replication property",
            "--partition-table",
            "--replication",
        ],
    );
}

#[test]
fn options_of_two_routes_or_of_none_are_refused() {
    let dumps = Dumps::new("import-options");
    let replica_sets = dumps.path("sql_partitions.json");
    let e = refused(
        &dumps,
        dumps.metadata_args(&["--sql-replica-sets", &replica_sets]),
    );
    assert_names(&e, &["--sql-replica-sets belongs to the SQL route"]);
    let e = refused(&dumps, vec!["import".into(), "restate".into()]);
    assert_names(&e, &["--sql-nodes", "--nodes-config"]);
    let e = refused(
        &dumps,
        dumps.sql_args(&["--dead", "N3", "--replication", "3"]),
    );
    assert_names(&e, &["--dead belongs to the metadata route"]);
}

#[test]
fn the_live_leader_is_preferred_to_the_epoch_records_hint() {
    let dumps = Dumps::new("import-live-leader");
    dumps.edit(
        "sql_partitions.json",
        r#""leader_gen_node_id":"N3:1","leader_plain_node_id":"N3""#,
        r#""leader_gen_node_id":"N1:3","leader_plain_node_id":"N1""#,
    );
    let hinted = snapshot_of(&import(&dumps.metadata_args(&[])));
    assert_eq!(hinted["partitions"][0]["leader"], 3, "the pp_epoch hint");
    let partitions = dumps.path("sql_partitions.json");
    let output = import(&dumps.metadata_args(&["--sql-partitions", &partitions]));
    let live = snapshot_of(&output);
    assert_eq!(live["partitions"][0]["leader"], 1, "the live leader");
    assert_eq!(live["partitions"][2]["leader"], 2);
    assert!(text(&output.stderr).contains("the live leader from"));
}

#[test]
fn dumps_from_different_versions_of_a_record_are_noted() {
    let dumps = Dumps::new("import-versions");
    dumps.edit(
        "sql_nodes.json",
        r#""nodes_configuration_version":23"#,
        r#""nodes_configuration_version":22"#,
    );
    dumps.edit(
        "sql_partitions.json",
        r#""partition_table_version":3"#,
        r#""partition_table_version":4"#,
    );
    let (nodes, partitions, table) = (
        dumps.path("sql_nodes.json"),
        dumps.path("sql_partitions.json"),
        dumps.path("partition_table.json"),
    );
    let metadata =
        import(&dumps.metadata_args(&["--sql-nodes", &nodes, "--sql-partitions", &partitions]));
    let sql = import(&dumps.sql_args(&["--partition-table", &table]));
    for (output, records) in [
        (&metadata, &["nodes_config", "partition_table"][..]),
        (&sql, &["partition_table"][..]),
    ] {
        snapshot_of(output);
        let notes = text(&output.stderr);
        for record in records {
            assert!(
                notes.contains(&format!("{record} version(s)"))
                    && notes.contains("not from one instant"),
                "{record}: {notes}"
            );
        }
    }
}

#[test]
fn nodes_without_the_zone_label_a_zone_property_needs_are_named() {
    let dumps = Dumps::new("import-single-label");
    dumps.edit(
        "nodes_config.json",
        r#""location": "eu.b""#,
        r#""location": "eu""#,
    );
    let output = import(&dumps.metadata_args(&[]));
    let snapshot = snapshot_of(&output);
    assert_eq!(
        snapshot["nodes"][1]["location"], "eu",
        "a single label is a region"
    );
    let notes = text(&output.stderr);
    assert!(
        notes.contains("no zone label") && notes.contains(": N2"),
        "{notes}"
    );
}

#[test]
fn own_freezes_are_released_and_an_operators_stay() {
    let dumps = Dumps::new("import-own-freezes");
    dumps.edit(
        "epochs/pp_epoch_2.json",
        r#""epoch": 1,"#,
        r#""epoch": 1, "placement_policy": {"freeze": {"reason": "worker-policy plan 0123456789ab"}},"#,
    );
    let frozen = snapshot_of(&import(&dumps.metadata_args(&[])));
    assert_eq!(
        frozen["partitions"][2]["freeze"],
        "worker-policy plan 0123456789ab"
    );
    let output = import(&dumps.metadata_args(&["--own-freezes"]));
    let released = snapshot_of(&output);
    assert_eq!(released["partitions"][2].get("freeze"), None);
    assert_eq!(released["partitions"][0]["freeze"], "hold for the audit");
    assert!(text(&output.stderr).contains("--own-freezes: 1 partition(s)"));
    let e = refused(
        &dumps,
        dumps.sql_args(&["--replication", "3", "--own-freezes"]),
    );
    assert_names(&e, &["--own-freezes belongs to the metadata route"]);
}
