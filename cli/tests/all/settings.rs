//! Settings through the command line: `--settings FILE` and `--settings-json`, what the default
//! policy takes (`inspect`), what it refuses (exit 2, naming where the settings came from and
//! what is wrong), and that accepted settings change the plan.

use crate::common::{example_arg, run, scratch, text};

#[test]
fn inspect_lists_the_settings_the_default_policy_takes() {
    let out = run(&["inspect"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let table = text(&out.stdout);
    for key in [
        "balance_leaders (default true)",
        "honor_leader_affinity (default true)",
        "default_leader_affinity (default null)",
        "max_moves (default null)",
        "weights (default \"proportional\")",
    ] {
        assert!(table.contains(key), "{key}:\n{table}");
    }
    assert!(
        table.contains("contract     worker-policy:policy/policy@0.2.0"),
        "{table}"
    );
}

#[test]
fn settings_the_policy_does_not_take_exit_2_naming_them() {
    let snapshot = example_arg("three-zones-draining.json");
    let out = run(&[
        "evaluate",
        "--snapshot",
        &snapshot,
        "--settings-json",
        r#"{"balance_leader": false}"#,
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stdout));
    let error = text(&out.stderr);
    assert!(
        error.contains("--settings-json: the policy `worker-policy-default` refused the settings"),
        "{error}"
    );
    assert!(
        error.contains("unknown field `balance_leader`") && error.contains("`balance_leaders`"),
        "{error}"
    );
    assert!(
        out.stdout.is_empty(),
        "nothing is printed for a refused run"
    );

    let dir = scratch("settings-not-json");
    let file = dir.join("tuning.json");
    std::fs::write(&file, "{\"max_moves\": 3,\n").unwrap();
    let path = file.display().to_string();
    let out = run(&["evaluate", "--snapshot", &snapshot, "--settings", &path]);
    assert_eq!(out.status.code(), Some(2));
    let error = text(&out.stderr);
    assert!(
        error.contains(&format!("settings file {path}: not a JSON document"))
            && error.contains("line 2"),
        "{error}"
    );
    let missing = dir.join("missing.json").display().to_string();
    let out = run(&["evaluate", "--snapshot", &snapshot, "--settings", &missing]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("cannot be read"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn accepted_settings_reach_every_hook() {
    let snapshot = example_arg("three-zones-draining.json");
    let count_adds = |args: &[&str]| {
        let mut all = vec!["evaluate", "--snapshot", &snapshot, "--format", "json"];
        all.extend_from_slice(args);
        let out = run(&all);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        text(&out.stdout).matches("\"add-replica\"").count()
    };
    let free = count_adds(&[]);
    assert!(free > 1, "the example drains a node: {free} adds");
    assert_eq!(count_adds(&["--settings-json", r#"{"max_moves": 1}"#]), 1);
    assert_eq!(
        count_adds(&["--settings-json", r#"{"max_moves": 1}"#, "--max-moves", "2"]),
        2,
        "--max-moves overrides the settings' budget"
    );
    assert_eq!(
        count_adds(&["--settings-json", "{}"]),
        free,
        "no keys: the defaults"
    );
}
