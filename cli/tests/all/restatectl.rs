//! `evaluate`, `simulate`, `decommission` and `rollout` with `--emit restatectl`: the script,
//! replayed as Restate would run it (re-electing leaders by the order of each set), does what
//! the plan does; it is the same bytes on every run, and bash accepts its syntax; a script that
//! cannot reach the plan's leaders exits 3 (`restatectl_run.rs` runs the scripts against a
//! stand-in for restatectl).

use std::process::Command;

use crate::common::{example, example_arg, run, text};
use serde_json::Value;
use worker_policy::snapshot_file::SnapshotFile;
use worker_policy_model::{Snapshot, StepOp, WorkerState};
use worker_policy_restate_bridge::script::{replay, same_placement};

const EXAMPLES: [&str; 2] = ["three-zones-draining.json", "scale-out-provisioning.json"];

fn snapshot(name: &str) -> Snapshot {
    SnapshotFile::read(&example(name)).unwrap().snapshot
}

/// Runs `verb` on example `name` with `--emit format` (and `extra`); stdout, checked a success.
fn planned(verb: &str, name: &str, format: &str, extra: &[&str]) -> String {
    let snapshot = example_arg(name);
    let mut args = vec![verb, "--snapshot", &snapshot, "--emit", format];
    args.extend_from_slice(extra);
    let out = run(&args);
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout)
}

/// `snapshot` with a plan of the JSON output applied: transitions, then steps.
fn apply(snapshot: &mut Snapshot, plan: &Value) {
    for t in plan["transitions"].as_array().unwrap() {
        let node = t["node"].as_u64().unwrap() as u32;
        let to = WorkerState::from_name(t["to"].as_str().unwrap()).unwrap();
        snapshot
            .nodes
            .iter_mut()
            .find(|n| n.id == node)
            .unwrap()
            .worker_state = to;
    }
    for s in plan["steps"].as_array().unwrap() {
        let op = StepOp::ALL
            .into_iter()
            .find(|op| op.name() == s["op"].as_str().unwrap())
            .unwrap();
        let id = s["partition"].as_u64().unwrap() as u32;
        let partition = snapshot.partitions.iter_mut().find(|p| p.id == id).unwrap();
        partition.apply(op, s["node"].as_u64().unwrap() as u32);
    }
}

fn check_replays_to_the_json_plans(verb: &str, name: &str, extra: &[&str]) {
    let script = planned(verb, name, "restatectl", extra);
    let json: Value = serde_json::from_str(&planned(verb, name, "json", extra)).unwrap();
    let mut expected = snapshot(name);
    match verb {
        "evaluate" => apply(&mut expected, &json),
        _ => json["rounds"]
            .as_array()
            .unwrap()
            .iter()
            .for_each(|round| apply(&mut expected, round)),
    }
    let replayed = replay(&script, &snapshot(name)).unwrap_or_else(|e| panic!("{e}\n{script}"));
    assert!(replayed.commands > 0, "{script}");
    same_placement(&replayed.snapshot, &expected).unwrap_or_else(|e| panic!("{e}\n{script}"));
}

#[test]
fn evaluate_and_simulate_scripts_replay_to_what_their_json_plans_do() {
    for name in EXAMPLES {
        check_replays_to_the_json_plans("evaluate", name, &[]);
        check_replays_to_the_json_plans("simulate", name, &[]);
        check_replays_to_the_json_plans("simulate", name, &["--max-moves", "1"]);
    }
}

#[test]
fn a_script_is_the_same_bytes_on_every_run_and_bash_accepts_its_syntax() {
    for verb in ["evaluate", "simulate"] {
        let first = planned(verb, EXAMPLES[0], "restatectl", &[]);
        assert_eq!(first, planned(verb, EXAMPLES[0], "restatectl", &[]));
        let dir = crate::common::scratch(&format!("restatectl-{verb}"));
        let path = dir.join("plan.sh");
        std::fs::write(&path, &first).unwrap();
        let syntax = Command::new("bash").arg("-n").arg(&path).output().unwrap();
        assert!(syntax.status.success(), "{}", text(&syntax.stderr));
    }
}

#[test]
fn emit_and_format_are_one_option_and_the_other_formats_are_unchanged() {
    let snapshot = example_arg(EXAMPLES[0]);
    let by_format = run(&["evaluate", "--snapshot", &snapshot, "--format", "json"]);
    assert_eq!(
        text(&by_format.stdout),
        planned("evaluate", EXAMPLES[0], "json", &[])
    );
    let script = run(&[
        "evaluate",
        "--snapshot",
        &snapshot,
        "--format",
        "restatectl",
    ]);
    assert!(text(&script.stdout).starts_with("#!/usr/bin/env bash\n"));
}

#[test]
fn simulate_with_write_writes_the_final_snapshot_and_prints_the_script() {
    let dir = crate::common::scratch("restatectl-output");
    let output = dir.join("after.json").display().to_string();
    let script = planned("simulate", EXAMPLES[0], "restatectl", &["--write", &output]);
    let after = SnapshotFile::read(std::path::Path::new(&output))
        .unwrap()
        .snapshot;
    let replayed = replay(&script, &snapshot(EXAMPLES[0])).unwrap();
    same_placement(&replayed.snapshot, &after).unwrap();
}

#[test]
fn a_refused_simulation_prints_a_script_that_only_fails_and_exits_as_refused() {
    let snapshot = example_arg("unsatisfiable-zones.json");
    let out = run(&["simulate", "--snapshot", &snapshot, "--emit", "restatectl"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert_only_fails(&out.stdout);
}

/// Fails unless `stdout` is the script printed in place of a refused plan: no command of the
/// plan, and `exit 1` at its end.
fn assert_only_fails(stdout: &[u8]) {
    let script = text(stdout);
    assert!(
        script.ends_with("exit 1\n") && !script.contains("\nrestatectl "),
        "{script}"
    );
}

/// Example `name` with `edit` applied, written to a scratch folder for `test`.
fn edited_example(test: &str, name: &str, edit: impl FnOnce(&mut Value)) -> String {
    let mut json: Value =
        serde_json::from_str(&std::fs::read_to_string(example(name)).unwrap()).unwrap();
    edit(&mut json);
    let path = crate::common::scratch(test).join(name);
    std::fs::write(&path, serde_json::to_string(&json).unwrap()).unwrap();
    path.display().to_string()
}

#[test]
fn a_decommission_script_replays_to_the_final_snapshot_with_the_nodes_disabled() {
    let dir = crate::common::scratch("restatectl-decommission");
    let output = dir.join("final.json").display().to_string();
    let path = example_arg(EXAMPLES[0]);
    let args = [
        "decommission",
        "--snapshot",
        &path,
        "--nodes",
        "N3,N6",
        "--emit",
        "restatectl",
        "--write",
        &output,
    ];
    let out = run(&args);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let script = text(&out.stdout);
    let last = SnapshotFile::read(std::path::Path::new(&output))
        .unwrap()
        .snapshot;
    let replayed =
        replay(&script, &snapshot(EXAMPLES[0])).unwrap_or_else(|e| panic!("{e}\n{script}"));
    same_placement(&replayed.snapshot, &last).unwrap_or_else(|e| panic!("{e}\n{script}"));
    for node in [3, 6] {
        let state = replayed
            .snapshot
            .nodes
            .iter()
            .find(|n| n.id == node)
            .unwrap();
        assert_eq!(state.worker_state, WorkerState::Disabled);
    }
    assert!(
        script.contains("# ---- wave 1 of 2 (N3), round 1 of "),
        "{script}"
    );
    assert!(
        script.contains("# ---- wave 2 of 2 (N6), round 1 of "),
        "{script}"
    );
    assert!(
        !script.contains("restatectl partitions leadership"),
        "{script}"
    );
    // A set that cannot leave prints no script.
    let refused = run(&[
        "decommission",
        "--snapshot",
        &path,
        "--nodes",
        "N1,N2,N3",
        "--emit",
        "restatectl",
    ]);
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused.stderr));
    assert_only_fails(&refused.stdout);
    assert!(text(&refused.stderr).contains("no restatectl script is printed"));
}

#[test]
fn a_rollout_script_stops_once_per_wave_with_the_waves_leaders_moved_off() {
    let name = EXAMPLES[0];
    let script = planned("rollout", name, "restatectl", &["--max-unavailable", "3"]);
    let json: Value = serde_json::from_str(&planned(
        "rollout",
        name,
        "json",
        &["--max-unavailable", "3"],
    ))
    .unwrap();
    let waves = json["waves"].as_array().unwrap();
    let first = snapshot(name);
    let replayed = replay(&script, &first).unwrap_or_else(|e| panic!("{e}\n{script}"));
    // Leaders move back to active workers (N5, draining, keeps none): the rollout ends where it
    // began but for those.
    let mut expected = first.clone();
    for moved in waves
        .iter()
        .flat_map(|w| w["leader_moves"].as_array().unwrap())
    {
        let from = moved["from"].as_u64().unwrap() as u32;
        let node = first.nodes.iter().find(|n| n.id == from).unwrap();
        if node.worker_state != WorkerState::Active {
            let id = moved["partition"].as_u64().unwrap() as u32;
            let p = expected.partitions.iter_mut().find(|p| p.id == id).unwrap();
            p.leader = Some(moved["to"].as_u64().unwrap() as u32);
        }
    }
    same_placement(&replayed.snapshot, &expected).unwrap_or_else(|e| panic!("{e}\n{script}"));
    let restarts: Vec<&str> = script
        .lines()
        .filter(|l| l.starts_with("await_restart "))
        .collect();
    assert_eq!(restarts.len(), waves.len(), "{script}");
    for (i, wave) in waves.iter().enumerate() {
        let nodes: Vec<String> = wave["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n.to_string())
            .collect();
        let line = format!(
            "await_restart {}/{} {}",
            i + 1,
            waves.len(),
            nodes.join(" ")
        );
        assert_eq!(restarts[i], line);
        assert_eq!(script.matches(&format!("\n{line}\n")).count(), 1);
        // Up to its restart point, the wave's leaders are where the plan moved them.
        let upto = &script[..script.find(&format!("\n{line}\n")).unwrap()];
        let at = replay(upto, &first).unwrap().snapshot;
        for moved in wave["leader_moves"].as_array().unwrap() {
            let id = moved["partition"].as_u64().unwrap() as u32;
            let p = at.partitions.iter().find(|p| p.id == id).unwrap();
            assert_eq!(
                p.leader,
                Some(moved["to"].as_u64().unwrap() as u32),
                "{upto}"
            );
        }
    }
    assert!(script.contains("\nawait_restart() {\n"));
}

#[test]
fn a_script_that_cannot_reach_the_plans_leader_exits_3_naming_the_partition_and_both_leaders() {
    // Partition 0 (on N1, N5, N9, led by N1) pinned to N1: Restate elects N1 whatever the order,
    // so the rollout cannot move its leader off N1 before N1 restarts.
    let pinned = edited_example("restatectl-affinity", EXAMPLES[0], |json| {
        let partition = json["partitions"]
            .as_array_mut()
            .unwrap()
            .iter_mut()
            .find(|p| p["id"] == 0)
            .unwrap();
        partition["leader_affinity"] = serde_json::json!({"node": 1});
    });
    let out = run(&["rollout", "--snapshot", &pinned, "--emit", "restatectl"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert_only_fails(&out.stdout);
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("partition 0: the plan's leader is N9, but Restate would elect N1"),
        "{stderr}"
    );
    assert!(
        stderr.contains("(rule restate-elects-the-plans-leader)"),
        "{stderr}"
    );
    // The table still shows the plan: only the script is refused.
    let table = run(&["rollout", "--snapshot", &pinned]);
    assert_eq!(table.status.code(), Some(0), "{}", text(&table.stderr));
}
