//! A file that is not a snapshot but recognisably something else, given to `--snapshot`: a
//! directory, YAML, a Restate dump, worker-policy's own output. Each exits 2 with a message that
//! names what it is and the fix, instead of the first field the JSON reader trips on.

use crate::common::{example_arg, run, scratch, text};

/// Runs `evaluate --snapshot path` and returns its stderr, checked to be a bad-input exit.
fn refused(path: &str) -> String {
    let out = run(&["evaluate", "--snapshot", path]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty());
    text(&out.stderr)
}

#[test]
fn a_directory_yaml_restate_dumps_and_our_own_output_each_get_their_own_fix() {
    let dir = scratch("not-a-snapshot");
    let dir_arg = dir.display().to_string();
    assert!(refused(&dir_arg).contains("is a directory, not a snapshot file"));
    let write = |name: &str, body: &str| {
        let path = dir.join(name);
        std::fs::write(&path, body).unwrap();
        path.display().to_string()
    };
    let yaml = write("cluster.yaml", "replication: 3\nnodes:\n  - id: 1\n");
    assert!(refused(&yaml).contains("looks like YAML"));
    let sql = write(
        "sql_nodes.json",
        r#"[{"plain_node_id":"N1","state":"alive"}]"#,
    );
    let said = refused(&sql);
    assert!(
        said.contains("`restatectl sql --json` dump of the nodes table")
            && said.contains("import restate"),
        "{said}"
    );
    let epoch = write(
        "pp_epoch_0.json",
        r#"{"version": 4, "current": {"replica_set": [1]}, "epoch": 2}"#,
    );
    let said = refused(&epoch);
    assert!(
        said.contains("`restatectl metadata get` dump of a pp_epoch_<id> record")
            && said.contains("import restate"),
        "{said}"
    );
    let plan = run(&[
        "evaluate",
        "--snapshot",
        &example_arg("three-zones-draining.json"),
        "--format",
        "json",
    ]);
    assert!(plan.status.success());
    let plan = write("plan.json", &text(&plan.stdout));
    assert!(refused(&plan).contains("worker-policy's own output"));
}
