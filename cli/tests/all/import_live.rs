//! `worker-policy import restate --address` end to end without a cluster: a fake `restatectl`
//! (`tests/fake/restatectl`, a shell script) answers the import's commands from the hand-checked
//! 1.7.6 fixture's dumps, and fails on demand. The live import gives the file import's snapshot;
//! a wrong version, a missing restatectl, a first address without the admin role, an
//! unreachable address, a cluster that keeps changing, a command that hangs and a bad record
//! each exit 2 with what to do, writing nothing and leaving no scratch directory behind.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use crate::common::{scratch, text, worker_policy};

/// The fixture whose dumps the fake restatectl prints.
fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../restate-bridge/tests/fixtures/v1.7.6-zones")
}

/// A fake restatectl in its own folder, with the fixture's dumps, and a temporary directory
/// for the import's scratch files.
struct Fake {
    dir: PathBuf,
}

impl Fake {
    fn new(test: &str) -> Fake {
        let dir = scratch(test);
        let fake = Fake { dir };
        std::fs::create_dir_all(fake.dir.join("bin/dumps")).unwrap();
        std::fs::create_dir_all(fake.dir.join("tmp")).unwrap();
        let script = fake.restatectl();
        std::fs::copy(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fake/restatectl"),
            &script,
        )
        .unwrap();
        for entry in std::fs::read_dir(fixture()).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap();
            std::fs::copy(&path, fake.dir.join("bin/dumps").join(name)).unwrap();
        }
        fake.set(
            "version",
            "restatectl 1.7.12 (577e032 x86_64-unknown-linux-musl 2026-09-22)\n",
        );
        fake
    }

    fn restatectl(&self) -> PathBuf {
        self.dir.join("bin/restatectl")
    }

    /// Writes `name` beside the fake (a switch, or a dump under `dumps/`).
    fn set(&self, name: &str, text: &str) {
        std::fs::write(self.dir.join("bin").join(name), text).unwrap();
    }

    /// The import of the live cluster with `extra` options, the fake named by --restatectl.
    fn import(&self, extra: &[&str]) -> Output {
        let restatectl = self.restatectl().display().to_string();
        let mut args = vec![
            "import",
            "restate",
            "--address",
            "http://127.0.0.1:5122/,http://127.0.0.1:5123/",
            "--restatectl",
            &restatectl,
        ];
        args.extend_from_slice(extra);
        self.run(&args, None)
    }

    fn run(&self, args: &[&str], path: Option<&Path>) -> Output {
        let mut command = worker_policy();
        // Set as an operator's shell may have it: the import must not pass it on beside -S.
        command
            .args(args)
            .env("TMPDIR", self.dir.join("tmp"))
            .env("RESTATECTL_ADDRESS", "http://127.0.0.1:9/");
        if let Some(path) = path {
            command.env("PATH", path);
        }
        let output = command.output().expect("the binary runs");
        let left: Vec<_> = std::fs::read_dir(self.dir.join("tmp")).unwrap().collect();
        assert!(left.is_empty(), "the scratch directory stays: {left:?}");
        output
    }

    /// The commands the fake was asked for, by key.
    fn calls(&self) -> Vec<String> {
        let calls = std::fs::read_to_string(self.dir.join("bin/calls")).unwrap_or_default();
        calls.lines().map(String::from).collect()
    }
}

/// The metadata route's import of the fixture's files, with SQL liveness and live leaders.
fn file_import() -> Output {
    let dir = fixture();
    let path = |name: &str| dir.join(name).display().to_string();
    let args = [
        "import".to_string(),
        "restate".into(),
        "--nodes-config".into(),
        path("nodes_config.json"),
        "--partition-table".into(),
        path("partition_table.json"),
        "--epochs".into(),
        dir.display().to_string(),
        "--sql-nodes".into(),
        path("sql_nodes.json"),
        "--sql-partitions".into(),
        path("sql_partitions.json"),
    ];
    worker_policy()
        .args(args)
        .output()
        .expect("the binary runs")
}

/// Asserts `output` is a refusal (exit 2, nothing on stdout) whose message has every part.
fn refused(output: &Output, parts: &[&str]) -> String {
    let message = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{message}");
    assert!(output.stdout.is_empty(), "{}", text(&output.stdout));
    for part in parts {
        assert!(message.contains(part), "no `{part}` in: {message}");
    }
    message
}

#[test]
fn the_live_import_is_the_file_import_of_the_same_dumps() {
    let fake = Fake::new("live-same");
    let live = fake.import(&[]);
    assert!(live.status.success(), "{}", text(&live.stderr));
    let files = file_import();
    assert!(files.status.success(), "{}", text(&files.stderr));
    assert_eq!(text(&live.stdout), text(&files.stdout));
    let notes = text(&live.stderr);
    assert!(
        !notes.contains("worker-policy-import-"),
        "a scratch path in: {notes}"
    );
    assert!(
        !notes.contains("dumping the cluster"),
        "progress without a terminal: {notes}"
    );
    assert_eq!(notes, text(&files.stderr), "the same notes");
    let calls = fake.calls();
    for id in 0..6 {
        assert!(calls.contains(&format!("pp_epoch_{id}")), "{calls:?}");
    }
    let bracket = |key: &str| calls.iter().filter(|c| *c == key).count();
    assert_eq!(
        (bracket("nodes_config"), bracket("partition_table")),
        (2, 2),
        "{calls:?}"
    );

    let out = fake.dir.join("cluster.json");
    let written = fake.import(&["--output", &out.display().to_string()]);
    assert!(written.status.success(), "{}", text(&written.stderr));
    assert!(written.stdout.is_empty());
    assert_eq!(std::fs::read(&out).unwrap(), files.stdout);
}

#[test]
fn restatectl_is_found_on_path_or_its_absence_says_how_to_get_it() {
    let fake = Fake::new("live-path");
    let bin = fake.dir.join("bin");
    // The fake needs the shell's tools; the missing case has nothing else on PATH.
    let args = ["import", "restate", "--address", "http://127.0.0.1:5122/"];
    let path = std::env::join_paths([bin, "/usr/bin".into(), "/bin".into()]).unwrap();
    let found = fake.run(&args, Some(Path::new(&path)));
    assert!(found.status.success(), "{}", text(&found.stderr));
    let empty = fake.dir.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let missing = fake.run(&args, Some(&empty));
    refused(
        &missing,
        &[
            "restatectl was not found on PATH",
            "--restatectl FILE",
            "@restatedev/restatectl",
        ],
    );
    let named = fake.dir.join("nowhere/restatectl").display().to_string();
    let output = fake.run(&[&args[..], &["--restatectl", &named]].concat(), None);
    refused(
        &output,
        &["nowhere/restatectl: cannot be run", "--restatectl FILE"],
    );
}

#[test]
fn a_restatectl_other_than_1_7_is_refused_with_what_it_said() {
    let fake = Fake::new("live-version");
    fake.set(
        "version",
        "restatectl 1.6.2 (f00 x86_64-unknown-linux-musl 2026-01-01)\n",
    );
    refused(
        &fake.import(&[]),
        &["says `restatectl 1.6.2 (f00", "needs restatectl 1.7.x"],
    );
    assert!(
        fake.calls().is_empty(),
        "nothing is dumped: {:?}",
        fake.calls()
    );
}

#[test]
fn a_first_address_without_the_admin_role_is_named() {
    let fake = Fake::new("live-admin");
    fake.set("not_admin", "");
    refused(
        &fake.import(&[]),
        &[
            "the first address must be a node with the admin role",
            "(http://127.0.0.1:5122/)",
            "404 Not Found",
        ],
    );
}

#[test]
fn an_unreachable_address_gives_restatectls_own_message() {
    let fake = Fake::new("live-unreachable");
    fake.set("unreachable", "");
    refused(
        &fake.import(&[]),
        &[
            "restatectl sql --json",
            "failed (exit 1)",
            "The service is currently unavailable: tcp connect error",
        ],
    );
}

#[test]
fn a_cluster_that_changed_during_the_dump_is_dumped_again() {
    let fake = Fake::new("live-changed");
    fake.set("table_versions", "2\n3\n3\n3\n");
    let output = fake.import(&[]);
    let notes = text(&output.stderr);
    assert!(output.status.success(), "{notes}");
    assert!(
        notes.contains("the cluster changed while it was dumped, so it was dumped again (dump 1: partition_table version 2 -> 3)"),
        "{notes}"
    );
    assert_eq!(text(&output.stdout), text(&file_import().stdout));
    assert_eq!(
        fake.calls().iter().filter(|c| *c == "pp_epoch_0").count(),
        2
    );
}

#[test]
fn a_cluster_that_keeps_changing_is_refused_after_three_dumps() {
    let fake = Fake::new("live-changing");
    fake.set("table_versions", "4\n5\n6\n7\n8\n9\n10\n");
    refused(
        &fake.import(&[]),
        &[
            "kept changing while it was dumped (3 tries: dump 1: partition_table version 4 -> 5; dump 2: partition_table version 6 -> 7; dump 3: partition_table version 8 -> 9)",
            "run the import again once the cluster is quiet",
        ],
    );
}

#[test]
fn a_command_that_hangs_is_stopped_and_named() {
    let fake = Fake::new("live-timeout");
    fake.set("slow", "pp_epoch_2");
    let out = fake.dir.join("cluster.json");
    let start = Instant::now();
    let output = fake.import(&["--timeout", "1", "--output", &out.display().to_string()]);
    assert!(
        start.elapsed() < Duration::from_secs(15),
        "{:?}",
        start.elapsed()
    );
    refused(
        &output,
        &[
            "`restatectl metadata get -k pp_epoch_2` did not finish within 1 s",
            "--timeout SECS",
        ],
    );
    assert!(!out.exists());
}

#[test]
fn a_bad_record_is_named_by_the_command_that_printed_it() {
    let fake = Fake::new("live-bad-record");
    fake.set(
        "dumps/pp_epoch_3.json",
        "{\"version\": 2, \"current\": {\"replica_set\": [1, 6, 10]",
    );
    refused(
        &fake.import(&[]),
        &["restatectl metadata get -k pp_epoch_3: ", "truncated"],
    );
}

#[test]
fn dump_files_and_options_of_the_live_route_do_not_mix() {
    let fake = Fake::new("live-options");
    refused(
        &fake.import(&["--nodes-config", "n.json"]),
        &["leave out --nodes-config"],
    );
    refused(&fake.import(&["--dead", "N3"]), &["leave out --dead"]);
    let output = fake.run(
        &[
            "import",
            "restate",
            "--sql-nodes",
            "a",
            "--sql-partitions",
            "b",
            "--timeout",
            "5",
        ],
        None,
    );
    refused(&output, &["--restatectl and --timeout go with --address"]);
    assert!(fake.calls().is_empty());
}

#[test]
fn a_frozen_next_set_short_of_the_property_is_noted_on_import_and_by_evaluate() {
    let fake = Fake::new("live-frozen-next");
    let epoch = r#"{"version": 6, "current": {"context": {}, "modified_at": 1, "replica_set": [2, 6, 9], "replication": "{node: 3, zone: 3}", "version": 2}, "epoch": 3, "leader_metadata": {"node_id": [9, 2], "partition_id": 1}, "next": {"context": {}, "modified_at": 1, "replica_set": [7], "replication": "{node: 1}", "version": 3}, "placement_policy": {"freeze": {"reason": "hold"}}}"#;
    fake.set("dumps/pp_epoch_1.json", epoch);
    let out = fake.dir.join("cluster.json");
    let output = fake.import(&["--output", &out.display().to_string()]);
    let notes = text(&output.stderr);
    assert!(output.status.success(), "{notes}");
    assert!(
        notes.contains("note: 1 frozen partition(s) have a pending next set that falls short of the replication property {zone: 3, node: 3}"),
        "{notes}"
    );
    assert!(
        notes.contains("1 on N7 (1 zone(s) available, the replication property requires 3)"),
        "{notes}"
    );

    let snapshot = out.display().to_string();
    let evaluate = |extra: &[&str]| {
        worker_policy()
            .args([&["evaluate", "--snapshot", &snapshot][..], extra].concat())
            .output()
            .expect("the binary runs")
    };
    let table = evaluate(&[]);
    let stderr = text(&table.stderr);
    assert!(table.status.success(), "{stderr}");
    assert!(
        stderr.contains("note: partition 1 is frozen and moving to N7 (its pending next set)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("1 zone(s) available, the replication property requires 3"),
        "{stderr}"
    );
    assert!(!text(&table.stdout).contains("frozen and moving"));
    let json = evaluate(&["--format", "json"]);
    serde_json::from_slice::<serde_json::Value>(&json.stdout).expect("stdout stays the plan");
}

#[test]
fn sql_rows_behind_the_records_are_dumped_again_and_then_refused() {
    let fake = Fake::new("live-sql-lag");
    fake.set("table_versions", "4\n");
    refused(
        &fake.import(&[]),
        &[
            "3 tries: dump 1: the SQL partitions rows are of partition_table version 3, the record is 4 (the admin node had not caught up); dump 2:",
        ],
    );
    assert_eq!(
        fake.calls().iter().filter(|c| *c == "pp_epoch_0").count(),
        3
    );
}
