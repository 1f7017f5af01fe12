//! `decommission` and `rollout` as an operator runs them on the files in `examples/`: their
//! output, and exit codes 0 (done), 1 (refused) and 2 (bad input).

use crate::common::{example_arg as example, run, scratch, text};

#[test]
fn decommission_drains_in_waves_and_writes_the_final_snapshot() {
    let dir = scratch("decommission");
    let output = dir.join("final.json");
    let snapshot = example("three-zones-draining.json");
    let out = run(&[
        "decommission",
        "--snapshot",
        &snapshot,
        "--nodes",
        "N3,N6",
        "--write",
        output.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    for words in [
        "wave 1    N3:",
        "wave 2    N6:",
        "done      N3, N6 disabled",
        "0 node(s) outside their band",
    ] {
        assert!(stdout.contains(words), "`{words}` missing from:\n{stdout}");
    }
    let written = std::fs::read_to_string(&output).unwrap();
    assert_eq!(written.matches("\"disabled\"").count(), 3, "N3, N5 and N6");

    let json = run(&[
        "decommission",
        "--snapshot",
        &snapshot,
        "--nodes",
        "N3,N6",
        "--max-draining",
        "2",
        "--format",
        "json",
    ]);
    assert_eq!(json.status.code(), Some(0), "{}", text(&json.stderr));
    let json = text(&json.stdout);
    assert!(json.contains("\"complete\": true"), "{json}");
    assert!(
        json.contains("\"drained\": [\n        3,\n        6\n      ]"),
        "{json}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn decommission_drains_an_already_draining_node_of_the_set_in_any_order() {
    let snapshot = example("three-zones-draining.json");
    for nodes in ["N4,N5", "N5,N4"] {
        let out = run(&["decommission", "--snapshot", &snapshot, "--nodes", nodes]);
        assert_eq!(out.status.code(), Some(0), "{nodes}: {}", text(&out.stderr));
        let stdout = text(&out.stdout);
        for words in ["wave 1    N5:", "wave 2    N4:", "N4, N5 disabled"] {
            let words = words.replace("N4, N5", &nodes.replace(',', ", "));
            assert!(
                stdout.contains(&words),
                "{nodes}: `{words}` missing from:\n{stdout}"
            );
        }
    }
}

#[test]
fn decommission_copies_each_replica_once_and_reports_the_copies_beside_the_lower_bound() {
    let snapshot = example("three-zones-draining.json");
    // N1 and N2 share zone a: N2 must not receive N1's replicas before it leaves itself.
    for (nodes, copied) in [("N1,N2", 18), ("N4,N5", 12)] {
        let out = run(&["decommission", "--snapshot", &snapshot, "--nodes", nodes]);
        assert_eq!(out.status.code(), Some(0), "{nodes}: {}", text(&out.stderr));
        let stdout = text(&out.stdout);
        let line =
            format!("  copied    {copied} replica(s) over every wave (lower bound {copied})\n");
        assert!(
            stdout.contains(&line),
            "{nodes}: `{line}` missing from:\n{stdout}"
        );
        assert!(
            stdout.contains(&format!("  moves     {copied} (lower bound {copied}:")),
            "{stdout}"
        );
        let json = run(&[
            "decommission",
            "--snapshot",
            &snapshot,
            "--nodes",
            nodes,
            "--format",
            "json",
        ]);
        let json = text(&json.stdout);
        assert!(json.contains(&format!("\"copied\": {copied},")), "{json}");
    }
}

#[test]
fn decommission_refuses_a_set_that_cannot_leave_and_bad_nodes() {
    let snapshot = example("three-zones-draining.json");
    let out = run(&[
        "decommission",
        "--snapshot",
        &snapshot,
        "--nodes",
        "N7,N8,N9",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("refused   N9 cannot leave"), "{stdout}");
    assert!(
        stdout.contains("(scope zone; zone eu-west.c would have no eligible worker left)")
            && stdout.contains("is N7, N8"),
        "{stdout}"
    );

    let out = run(&["decommission", "--snapshot", &snapshot, "--nodes", "N12"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("N12 is not in the snapshot"),
        "{}",
        text(&out.stderr)
    );
    let out = run(&["decommission", "--snapshot", &snapshot, "--nodes", "N3,X"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn rollout_restarts_one_zone_per_wave_and_refuses_when_no_order_is_safe() {
    let out = run(&[
        "rollout",
        "--snapshot",
        &example("three-zones-draining.json"),
        "--max-unavailable",
        "3",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    for words in [
        "rollout   9 node(s) in 3 wave(s) of at most 3",
        "wave 1    N1, N2, N3:",
        "leader  partition 0 N1 -> N9",
    ] {
        assert!(stdout.contains(words), "`{words}` missing from:\n{stdout}");
    }

    let out = run(&[
        "rollout",
        "--snapshot",
        &example("unsatisfiable-zones.json"),
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let json = text(&out.stdout);
    assert!(
        json.contains("\"partition\": 0") && json.contains("no safe order exists"),
        "{json}"
    );

    let out = run(&[
        "rollout",
        "--snapshot",
        &example("three-zones-draining.json"),
        "--nodes",
        "N99",
    ]);
    assert_eq!(out.status.code(), Some(2));
}
