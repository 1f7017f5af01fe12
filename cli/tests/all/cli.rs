//! The `worker-policy` binary as an operator uses it: exit codes, output formats, error
//! messages that name the file and field, and files written whole or not at all.

use std::path::Path;
use std::process::{Output, Stdio};

use crate::common::{example, run, scratch, text, worker_policy};

#[test]
fn evaluate_prints_the_plan_with_reasons() {
    let snapshot = example("three-zones-draining.json");
    let out = run(&["evaluate", "--snapshot", snapshot.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    for words in [
        "worker-policy-default",
        "add-replica",
        "remove-replica",
        "N5",
        "quality",
        "lower bound",
    ] {
        assert!(stdout.contains(words), "`{words}` missing from:\n{stdout}");
    }
}

#[test]
fn evaluate_runs_where_the_address_space_is_too_small_for_the_instance_pool() {
    // 16 GiB of address space: room for one call's memory reservation (4 GiB), not for the
    // pool's (hundreds of GiB), so the engine maps each call's instance itself; the plan is
    // the same as with the pool.
    let snapshot = example("three-zones-draining.json");
    let args = ["evaluate", "--snapshot", snapshot.to_str().unwrap()];
    let mut bash = std::process::Command::new("bash");
    bash.arg("-c")
        .arg(r#"ulimit -v 16777216 && exec "$0" "$@""#)
        .arg(env!("CARGO_BIN_EXE_worker-policy"))
        .args(args)
        .env("XDG_CACHE_HOME", crate::common::run_cache_home())
        .env_remove("HOME");
    let capped = bash.output().expect("bash runs");
    assert_eq!(capped.status.code(), Some(0), "{}", text(&capped.stderr));
    let pooled = run(&args);
    assert_eq!(text(&capped.stdout), text(&pooled.stdout));
}

#[test]
fn evaluate_json_lists_transitions_and_steps_in_order_and_is_deterministic() {
    let snapshot = example("scale-out-provisioning.json");
    let args = [
        "evaluate",
        "--snapshot",
        snapshot.to_str().unwrap(),
        "--format",
        "json",
    ];
    let first = run(&args);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    assert_eq!(first.stdout, run(&args).stdout, "byte for byte the same");
    let json = text(&first.stdout);
    assert!(json.contains("\"transitions\"") && json.contains("\"steps\""));
    assert!(json.contains("\"op\": \"add-replica\""), "{json}");
    assert!(json.contains("\"from\": \"provisioning\""), "{json}");
}

#[test]
fn an_unsatisfiable_cluster_exits_1_naming_scope_and_counts() {
    let snapshot = example("unsatisfiable-zones.json");
    let out = run(&["evaluate", "--snapshot", snapshot.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("zone") && stderr.contains("available 2") && stderr.contains("required 3"),
        "{stderr}"
    );
}

#[test]
fn a_bad_snapshot_exits_2_naming_file_and_field() {
    let dir = scratch("bad-snapshot");
    let bad = dir.join("bad.json");
    std::fs::write(&bad, r#"{"replication": 3, "nodes": [{"id": 1}], "partitions": [{"id": 0, "replicas": [1, 12]}]}"#).unwrap();
    let out = run(&["evaluate", "--snapshot", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("bad.json")
            && stderr.contains("partitions[0].replicas[1]")
            && stderr.contains("N12"),
        "{stderr}"
    );
    let missing = run(&[
        "evaluate",
        "--snapshot",
        dir.join("nope.json").to_str().unwrap(),
    ]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(!text(&missing.stderr).contains("panicked"));
}

#[test]
fn a_refused_transition_exits_1_and_writes_nothing() {
    let dir = scratch("refused");
    let copy = dir.join("cluster.json");
    std::fs::copy(example("three-zones-draining.json"), &copy).unwrap();
    let before = std::fs::read(&copy).unwrap();
    let out = run(&[
        "transition",
        "--snapshot",
        copy.to_str().unwrap(),
        "--node",
        "N5",
        "--to",
        "disabled",
        "--write",
        copy.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("refused"));
    assert_eq!(
        std::fs::read(&copy).unwrap(),
        before,
        "the input is untouched"
    );
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        1,
        "no temporary file is left"
    );
}

#[test]
fn an_allowed_transition_exits_0_and_writes_the_new_state() {
    let dir = scratch("allowed");
    let out_file = dir.join("after.json");
    let snapshot = example("three-zones-draining.json");
    let out = run(&[
        "transition",
        "--snapshot",
        snapshot.to_str().unwrap(),
        "--node",
        "2",
        "--to",
        "draining",
        "--write",
        out_file.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("\"allowed\": true"));
    let written = std::fs::read_to_string(&out_file).unwrap();
    let again = run(&[
        "transition",
        "--snapshot",
        out_file.to_str().unwrap(),
        "--node",
        "N2",
        "--to",
        "active",
    ]);
    assert_eq!(
        again.status.code(),
        Some(0),
        "the written snapshot reads back: {}",
        text(&again.stderr)
    );
    assert!(written.contains("\"draining\""));
}

#[test]
fn an_unknown_node_is_bad_input_naming_the_flag_the_file_and_its_nodes() {
    let snapshot = example("three-zones-draining.json");
    let out = run(&[
        "transition",
        "--snapshot",
        snapshot.to_str().unwrap(),
        "--node",
        "N42",
        "--to",
        "draining",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("--node N42: no such node in")
            && stderr.contains("three-zones-draining.json")
            && stderr.contains("N1, N2"),
        "{stderr}"
    );
}

#[test]
fn bad_argument_values_are_usage_errors_naming_the_flag() {
    for (args, flag) in [
        (
            &[
                "transition",
                "--snapshot",
                "x.json",
                "--node",
                "X1",
                "--to",
                "active",
            ][..],
            "--node",
        ),
        (
            &[
                "transition",
                "--snapshot",
                "x.json",
                "--node",
                "1",
                "--to",
                "gone",
            ],
            "--to",
        ),
        (&["generate", "--zones", "4294967295,4294967295"], "--zones"),
        (
            &["generate", "--zones", "4,4,4", "--partitions", "4000000000"],
            "--partitions",
        ),
        (
            &["generate", "--zones", "4,4,4", "--dead", "4294967295"],
            "--dead",
        ),
        (
            &["generate", "--zones", "4,4,4", "--replication", "{rack: 3}"],
            "--replication",
        ),
        (&["scenarios", "--zones", "99999,99999"], "--zones"),
        (&["scenarios", "--partitions", "4000000000"], "--partitions"),
    ] {
        let out = run(args);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(flag), "{args:?} names {flag}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}

/// Reads any JSON and fails unless every object's keys come in alphabetical order; holds how
/// many keys it saw.
struct SortedKeys(usize);

impl<'de> serde::Deserialize<'de> for SortedKeys {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<SortedKeys, D::Error> {
        d.deserialize_any(SortedKeysVisitor)
    }
}

struct SortedKeysVisitor;

impl<'de> serde::de::Visitor<'de> for SortedKeysVisitor {
    type Value = SortedKeys;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<SortedKeys, A::Error> {
        let (mut seen, mut last) = (0, None::<String>);
        while let Some(key) = map.next_key::<String>()? {
            if let Some(previous) = last.filter(|previous| *previous >= key) {
                return Err(serde::de::Error::custom(format!(
                    "`{key}` after `{previous}`"
                )));
            }
            seen += 1 + map.next_value::<SortedKeys>()?.0;
            last = Some(key);
        }
        Ok(SortedKeys(seen))
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<SortedKeys, A::Error> {
        let mut seen = 0;
        while let Some(inner) = seq.next_element::<SortedKeys>()? {
            seen += inner.0;
        }
        Ok(SortedKeys(seen))
    }

    fn visit_bool<E>(self, _: bool) -> Result<SortedKeys, E> {
        Ok(SortedKeys(0))
    }
    fn visit_i64<E>(self, _: i64) -> Result<SortedKeys, E> {
        Ok(SortedKeys(0))
    }
    fn visit_u64<E>(self, _: u64) -> Result<SortedKeys, E> {
        Ok(SortedKeys(0))
    }
    fn visit_f64<E>(self, _: f64) -> Result<SortedKeys, E> {
        Ok(SortedKeys(0))
    }
    fn visit_str<E>(self, _: &str) -> Result<SortedKeys, E> {
        Ok(SortedKeys(0))
    }
    fn visit_unit<E>(self) -> Result<SortedKeys, E> {
        Ok(SortedKeys(0))
    }
}

/// Runs `args` with a stdout whose reader is already gone.
fn run_into_closed_pipe(args: &[&str]) -> Output {
    let mut child = worker_policy()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    drop(child.stdout.take());
    child.wait_with_output().expect("the binary ends")
}

/// One quick run of every verb on `snapshot` (`conformance` writes into `counterexamples`).
fn every_verb(snapshot: &str, counterexamples: &str) -> Vec<Vec<String>> {
    [
        "evaluate --snapshot {snapshot}",
        "transition --snapshot {snapshot} --node N1 --to active",
        "simulate --snapshot {snapshot}",
        "inspect",
        "conformance --cases 0 --counterexamples {counterexamples}",
        "scenarios --zones 3,3,3 --partitions 30",
        "bench --nodes 9 --zones 3 --partitions 30 --runs 1",
        "generate --zones 4,4,4 --partitions 100000",
    ]
    .iter()
    .map(|line| {
        line.split(' ')
            .map(|word| {
                word.replace("{snapshot}", snapshot)
                    .replace("{counterexamples}", counterexamples)
            })
            .collect()
    })
    .collect()
}

#[test]
fn a_reader_that_goes_away_is_not_an_error_for_any_verb_or_format() {
    let snapshot = example("three-zones-draining.json");
    let dir = scratch("closed-pipe");
    for verb in every_verb(snapshot.to_str().unwrap(), dir.to_str().unwrap()) {
        // `generate` writes a snapshot file, not a report: it has no --format.
        let formats: &[&[&str]] = if verb[0] == "generate" {
            &[&[]]
        } else {
            &[&["--format", "table"], &["--format", "json"]]
        };
        for format in formats {
            let args: Vec<&str> = verb
                .iter()
                .map(String::as_str)
                .chain(format.iter().copied())
                .collect();
            let out = run_into_closed_pipe(&args);
            let stderr = text(&out.stderr);
            assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
            assert!(stderr.is_empty(), "{args:?}: {stderr}");
        }
    }
}

#[test]
fn json_output_has_its_keys_in_alphabetical_order_as_it_always_had() {
    let snapshot = example("scale-out-provisioning.json");
    let dir = scratch("sorted-keys");
    for verb in every_verb(snapshot.to_str().unwrap(), dir.to_str().unwrap()) {
        if verb[0] == "generate" {
            continue;
        }
        let args: Vec<&str> = verb
            .iter()
            .map(String::as_str)
            .chain(["--format", "json"])
            .collect();
        let out = run(&args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            text(&out.stderr)
        );
        let keys: SortedKeys = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!("{args:?}: {e}");
        });
        assert!(keys.0 > 0, "{args:?}: no object");
    }
}

#[test]
fn simulate_converges_and_writes_the_final_snapshot() {
    let dir = scratch("simulate");
    let out_file = dir.join("final.json");
    let snapshot = example("new-cluster.json");
    let out = run(&[
        "simulate",
        "--snapshot",
        snapshot.to_str().unwrap(),
        "--write",
        out_file.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("converged after") && stdout.contains("replicas"),
        "{stdout}"
    );
    let evaluate = run(&[
        "evaluate",
        "--snapshot",
        out_file.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(evaluate.status.code(), Some(0));
    let json = text(&evaluate.stdout);
    assert!(
        json.contains("\"steps\": []") && json.contains("\"transitions\": []"),
        "a converged cluster has an empty plan: {json}"
    );
}

#[test]
fn inspect_shows_contract_and_digest_and_pins_refuse_other_modules() {
    let out = run(&["inspect", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let json = text(&out.stdout);
    assert!(json.contains("worker-policy:policy/policy@0.2.0"), "{json}");
    assert!(json.contains("\"contract_version\": \"0.2.0\""), "{json}");
    let digest = json
        .split("\"sha256\": \"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a digest")
        .to_string();
    assert_eq!(
        run(&["inspect", "--policy-sha256", &digest]).status.code(),
        Some(0)
    );
    let wrong = run(&["inspect", "--policy-sha256", &"0".repeat(64)]);
    assert_eq!(wrong.status.code(), Some(2));
    assert!(text(&wrong.stderr).contains("refusing to load"));
}

#[test]
fn a_file_that_is_not_a_component_is_refused_at_load() {
    let dir = scratch("not-a-component");
    let file = dir.join("policy.wasm");
    std::fs::write(&file, b"\0asm\x01\0\0\0").unwrap();
    let out = run(&["inspect", "--policy", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(3));
    assert!(
        text(&out.stderr).contains("core WebAssembly module"),
        "{}",
        text(&out.stderr)
    );
    std::fs::write(&file, b"hello").unwrap();
    let out = run(&["inspect", "--policy", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(3));
    assert!(text(&out.stderr).contains("not a WebAssembly component"));
}

/// Every file in `host/tests/bad-snapshots/` with the field its error must name (empty: the whole
/// document) and words the message must have.
const BAD_SNAPSHOTS: &[(&str, &str, &str)] = &[
    ("empty.json", "", "empty"),
    ("truncated.json", "", "truncated"),
    ("not-json.json", "", "expected a JSON object"),
    ("not-an-object.json", "", "expected a JSON object"),
    ("wrong-types.json", "nodes[0].alive", "expected a boolean"),
    ("duplicate-node.json", "nodes[1].id", "unique"),
    ("duplicate-partition.json", "partitions[1].id", "unique"),
    (
        "unknown-replica-node.json",
        "partitions[0].replicas[1]",
        "N4 is not in `nodes`",
    ),
    (
        "unknown-next-node.json",
        "partitions[0].next[0]",
        "N9 is not in `nodes`",
    ),
    (
        "unknown-leader.json",
        "partitions[0].leader",
        "N3 is not in `nodes`",
    ),
    (
        "leader-not-replica.json",
        "partitions[0].leader",
        "not one of the partition's replicas",
    ),
    (
        "unknown-state.json",
        "nodes[0].worker_state",
        "unknown variant `decommissioned`",
    ),
    (
        "unknown-role.json",
        "nodes[0].roles[1]",
        "unknown variant `scheduler`",
    ),
    (
        "unknown-field.json",
        "nodes[0].zone",
        "unknown field `zone`",
    ),
    (
        "replication-unparsable.json",
        "replication",
        "`rack` is not a scope",
    ),
    (
        "replication-cannot-hold.json",
        "replication",
        "narrower scope",
    ),
    ("replication-zero.json", "replication", "at least 1"),
    ("negative-id.json", "nodes[0].id", "negative"),
    ("id-too-large.json", "nodes[0].id", "larger than"),
    ("deeply-nested.json", "", "recursion limit exceeded"),
    ("missing-nodes.json", "nodes", "missing"),
    ("missing-partitions.json", "partitions", "missing"),
];

#[test]
fn every_bad_snapshot_exits_2_naming_file_field_and_problem() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../host/tests/bad-snapshots");
    let listed = std::fs::read_dir(&dir).unwrap().count();
    assert_eq!(
        listed,
        BAD_SNAPSHOTS.len(),
        "every corpus file has a row in BAD_SNAPSHOTS"
    );
    for (name, field, words) in BAD_SNAPSHOTS {
        let path = dir.join(name);
        for verb in [
            &["evaluate"][..],
            &["transition", "--node", "1", "--to", "active"],
            &["simulate"],
        ] {
            let mut args = verb.to_vec();
            args.extend(["--snapshot", path.to_str().unwrap()]);
            let out = run(&args);
            let stderr = text(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{name} ({}): {stderr}", verb[0]);
            assert!(
                stderr.contains(name),
                "{name}: the message names the file: {stderr}"
            );
            if !field.is_empty() {
                assert!(
                    stderr.contains(&format!("field `{field}`")),
                    "{name}: names `{field}`: {stderr}"
                );
            }
            assert!(stderr.contains(words), "{name}: says `{words}`: {stderr}");
            assert!(!stderr.contains("panicked"), "{name}: {stderr}");
        }
    }
}

#[test]
fn an_absurdly_large_snapshot_is_refused_before_it_is_read() {
    let dir = scratch("huge");
    let huge = dir.join("huge.json");
    let file = std::fs::File::create(&huge).unwrap();
    file.set_len(600 << 20).unwrap(); // sparse: no disk is used
    let out = run(&["evaluate", "--snapshot", huge.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("more than the"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn scenarios_reach_the_fair_share_with_the_fewest_moves_on_uneven_zones() {
    for (zones, replication) in [
        ("5,3,2", "{zone: 3, node: 3}"),
        ("2,2,2,2,2", "{zone: 3, node: 3}"),
        ("4,4", "3"),
    ] {
        let out = run(&[
            "scenarios",
            "--zones",
            zones,
            "--partitions",
            "300",
            "--replication",
            replication,
            "--format",
            "json",
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let json = text(&out.stdout);
        assert_eq!(
            json.matches("\"change\"").count(),
            4,
            "place, drain, add, lose: {json}"
        );
        assert_eq!(
            json.matches("\"outside_band\": 0").count(),
            8,
            "{zones}: replicas and leaders balanced: {json}"
        );
        assert_eq!(
            json.matches("\"moves_over_bound\": 1.0").count(),
            4,
            "{zones}: moves == lower bound: {json}"
        );
    }
}

#[test]
fn conformance_certifies_the_default_policy_the_same_way_every_run() {
    let args = ["conformance", "--cases", "3", "--seed", "5"];
    let out = run(&args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let table = text(&out.stdout);
    for property in [
        "1 placement-eligibility",
        "2 transition-rules",
        "3 make-before-break",
        "4 convergence",
        "5 leader-placement",
        "6 determinism",
        "7 stability",
        "8 contract-hygiene",
        "9 freezes",
        "10 leader-affinity",
    ] {
        assert!(
            table.contains(&format!("{property:<26} PASS")),
            "{property}:\n{table}"
        );
    }
    assert!(table.contains("quality"), "{table}");
    assert_eq!(
        run(&args).stdout,
        out.stdout,
        "the same output byte for byte"
    );
    let json = run(&[&args[..], &["--format", "json"]].concat());
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(report["passed"], true);
    assert_eq!(report["properties"].as_array().map(Vec::len), Some(10));
}

#[test]
fn conformance_counts_the_clusters_it_checked_by_class_in_the_table_and_the_json() {
    let args = ["conformance", "--cases", "2"];
    let out = run(&args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let table = text(&out.stdout);
    assert!(
        table.contains("coverage  clusters checked per class of situation"),
        "{table}"
    );
    for line in [
        "    25  placement freeze x node x partition condition",
        "    30  location leader affinity x node x partition condition",
        "     5  partition ids colliding mod 256 and 65,536",
        "     2  generated from the seed",
    ] {
        assert!(table.contains(line), "{line}:\n{table}");
    }
    let json = run(&[&args[..], &["--format", "json"]].concat());
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let coverage = report["coverage"].as_array().expect("a coverage list");
    let counted: u64 = coverage
        .iter()
        .map(|c| c["scenarios"].as_u64().unwrap())
        .sum();
    assert_eq!(Some(counted), report["scenarios"].as_u64());
    let class = |name: &str| {
        coverage
            .iter()
            .find(|c| c["class"] == name)
            .map(|c| c["scenarios"].clone())
    };
    assert_eq!(class("location names that prefix others"), Some(3.into()));
    assert_eq!(class("weights at their bounds"), Some(4.into()));
}

#[test]
fn conformance_exits_3_with_a_replayable_counterexample_when_a_property_fails() {
    // So little fuel that every hook but `info` is stopped: the checks fail.
    let dir = scratch("conformance");
    let out = run(&[
        "conformance",
        "--cases",
        "1",
        "--fuel",
        "20000",
        "--counterexamples",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let table = text(&out.stdout);
    assert!(table.contains("4 convergence              FAIL"), "{table}");
    assert!(table.contains("ran out of fuel"), "{table}");
    let file = dir.join("4-convergence.json");
    let replay = run(&[
        "evaluate",
        "--snapshot",
        file.to_str().unwrap(),
        "--fuel",
        "20000",
    ]);
    assert_eq!(replay.status.code(), Some(3), "{}", text(&replay.stderr));
}

#[test]
fn generate_writes_a_reproducible_snapshot_that_the_other_verbs_read() {
    let dir = scratch("generate");
    let file = dir.join("cluster.json");
    let args = [
        "generate",
        "--zones",
        "3,2,2",
        "--partitions",
        "40",
        "--placed",
        "--draining",
        "1",
        "--provisioning",
        "1",
        "--dead",
        "1",
        "--seed",
        "9",
    ];
    let first = run(&args);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    assert_eq!(
        first.stdout,
        run(&args).stdout,
        "the same seed, the same snapshot"
    );
    let json = text(&first.stdout);
    for state in ["draining", "provisioning"] {
        assert_eq!(
            json.matches(&format!("\"worker_state\": \"{state}\""))
                .count(),
            1,
            "{json}"
        );
    }
    assert_eq!(json.matches("\"alive\": false").count(), 1);
    let mut with_output = args.to_vec();
    with_output.extend(["--output", file.to_str().unwrap()]);
    assert_eq!(run(&with_output).status.code(), Some(0));
    let simulated = run(&["simulate", "--snapshot", file.to_str().unwrap()]);
    assert_eq!(
        simulated.status.code(),
        Some(0),
        "{}",
        text(&simulated.stderr)
    );
    let impossible = run(&["generate", "--zones", "1", "--dead", "2"]);
    assert_eq!(impossible.status.code(), Some(2));
}

#[test]
fn force_changes_nothing_when_the_host_has_no_objection() {
    let snapshot = example("three-zones-draining.json");
    let args = |force: bool| {
        let mut args = vec![
            "transition",
            "--snapshot",
            snapshot.to_str().unwrap(),
            "--node",
            "N2",
            "--to",
            "draining",
            "--format",
            "json",
        ];
        if force {
            args.push("--force");
        }
        run(&args)
    };
    let (plain, forced) = (args(false), args(true));
    assert_eq!(plain.status.code(), Some(0), "{}", text(&plain.stderr));
    assert_eq!(forced.status.code(), Some(0), "{}", text(&forced.stderr));
    assert_eq!(plain.stdout, forced.stdout);
    assert!(!text(&plain.stdout).contains("host_check"));
}

#[test]
fn a_converged_simulation_exits_0_and_says_so_without_anything_left() {
    for name in ["new-cluster.json", "three-zones-draining.json"] {
        let snapshot = example(name);
        let table = run(&["simulate", "--snapshot", snapshot.to_str().unwrap()]);
        assert_eq!(table.status.code(), Some(0), "{}", text(&table.stderr));
        assert!(text(&table.stdout).contains("converged after"));
        let json = run(&[
            "simulate",
            "--snapshot",
            snapshot.to_str().unwrap(),
            "--format",
            "json",
        ]);
        assert!(!text(&json.stdout).contains("\"left\""), "{name}");
    }
}

#[test]
fn conformance_lists_differences_from_the_reference_rules_without_failing() {
    let agrees = run(&["conformance", "--cases", "0"]);
    assert_eq!(agrees.status.code(), Some(0), "{}", text(&agrees.stderr));
    let table = text(&agrees.stdout);
    assert!(
        table.contains("rules     default: the default policy's documented transition rules; every verdict agrees\n"),
        "{table}"
    );
    assert!(
        !table.contains("differences from the reference rules"),
        "{table}"
    );

    let args = ["conformance", "--cases", "0", "--rules", "restate"];
    let differs = run(&args);
    assert_eq!(differs.status.code(), Some(0), "{}", text(&differs.stderr));
    let table = text(&differs.stdout);
    assert!(table.contains("result    PASS"), "{table}");
    assert!(
        table
            .contains("differences from the reference rules: a comparison, not a safety failure\n"),
        "{table}"
    );
    for kind in ["active -> disabled", "draining -> disabled"] {
        assert!(
            table.contains(&format!("  {kind:<26} policy allows, reference refuses: ")),
            "{kind}:\n{table}"
        );
    }
    let json = run(&[&args[..], &["--format", "json"]].concat());
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(report["passed"], true);
    assert_eq!(report["rules"], "restate");
    let kinds: Vec<(&str, &str)> = report["differences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["from"].as_str().unwrap(), d["to"].as_str().unwrap()))
        .collect();
    assert_eq!(kinds, [("active", "disabled"), ("draining", "disabled")]);
}

#[test]
fn policy_restate_names_the_embedded_restate_compatible_policy() {
    let out = run(&["inspect", "--policy", "restate"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    for words in ["worker-policy-restate", "<embedded restate policy>"] {
        assert!(stdout.contains(words), "`{words}` missing from:\n{stdout}");
    }
    let snapshot = example("three-zones-draining.json");
    let out = run(&[
        "evaluate",
        "--policy",
        "restate",
        "--snapshot",
        snapshot.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    for words in ["worker-policy-restate", "add-replica", "Restate's selector"] {
        assert!(stdout.contains(words), "`{words}` missing from:\n{stdout}");
    }
    let default = run(&["inspect", "--policy", "default"]);
    assert_eq!(text(&default.stdout), text(&run(&["inspect"]).stdout));
}

#[test]
fn a_file_called_restate_is_reached_with_a_path() {
    let dir = scratch("file-called-restate");
    std::fs::write(dir.join("restate"), b"hello").unwrap();
    let inspect = |policy: &str| {
        worker_policy()
            .args(["inspect", "--policy", policy])
            .current_dir(&dir)
            .output()
            .expect("the binary runs")
    };
    let file = inspect("./restate");
    assert_eq!(file.status.code(), Some(3));
    assert!(text(&file.stderr).contains("not a WebAssembly component"));
    let embedded = inspect("restate");
    assert_eq!(
        embedded.status.code(),
        Some(0),
        "{}",
        text(&embedded.stderr)
    );
}

#[test]
fn bench_json_gives_one_object_per_row_with_its_name_and_ratio() {
    let out = run(&[
        "bench",
        "--nodes",
        "9",
        "--zones",
        "3",
        "--partitions",
        "30",
        "--runs",
        "1",
        "--format",
        "json",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = report["rows"].as_array().expect("rows");
    let names: Vec<&str> = rows.iter().filter_map(|r| r["name"].as_str()).collect();
    assert_eq!(names.len(), rows.len(), "every row has a name");
    for row in rows {
        let (ms, base, ratio) = (&row["ms"], &row["baseline_ms"], &row["ratio"]);
        let (ms, base, ratio) = (
            ms.as_f64().unwrap(),
            base.as_f64().unwrap(),
            ratio.as_f64().unwrap(),
        );
        assert!((ratio - ms / base.max(1e-6)).abs() < 1e-9, "{row}");
    }
    for wanted in [
        "start:",
        "place",
        "rebalance",
        "reconcile",
        "validate-transition",
        "host check:",
        "evaluate (drain one)",
        "simulate (drain one)",
        "evaluate:",
        "import restate, metadata route",
        "import restate, SQL route",
    ] {
        assert!(
            names.iter().any(|n| n.starts_with(wanted)),
            "no {wanted} row in {names:?}"
        );
    }
    let pooled: Vec<&&str> = names
        .iter()
        .filter(|n| n.ends_with(": instances from the pool"))
        .collect();
    assert_eq!(
        pooled,
        [
            &"place (nothing placed): instances from the pool",
            &"reconcile (drain one): instances from the pool"
        ]
    );
    assert!(report["machine"]
        .as_str()
        .is_some_and(|m| m.contains("threads")));
}
