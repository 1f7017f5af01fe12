//! `evaluate` and `simulate` with `--emit restatectl`: the script, replayed as Restate would run
//! it, does what the JSON plan does; it is the same bytes on every run, and bash accepts its
//! syntax (it is never run).

mod common;

use std::process::Command;

use common::{example, example_arg, run, text};
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
        let dir = common::scratch(&format!("restatectl-{verb}"));
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
fn simulate_with_output_writes_the_final_snapshot_and_prints_the_script() {
    let dir = common::scratch("restatectl-output");
    let output = dir.join("after.json").display().to_string();
    let script = planned(
        "simulate",
        EXAMPLES[0],
        "restatectl",
        &["--output", &output],
    );
    let after = SnapshotFile::read(std::path::Path::new(&output))
        .unwrap()
        .snapshot;
    let replayed = replay(&script, &snapshot(EXAMPLES[0])).unwrap();
    same_placement(&replayed.snapshot, &after).unwrap();
}

#[test]
fn a_refused_simulation_prints_no_script_and_exits_as_refused() {
    let snapshot = example_arg("unsatisfiable-zones.json");
    let out = run(&["simulate", "--snapshot", &snapshot, "--emit", "restatectl"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty(), "{}", text(&out.stdout));
}
