//! Membership changes on a live cluster: a node joins, a node dies. Restate's own scheduler
//! reacts first to the partitions it still manages (those no script froze); once it has
//! settled, worker-policy's plan takes the cluster the rest of the way in one script run.

use std::time::Duration;

use worker_policy_restate_live::NodeSpec;

use crate::live::Live;

/// Imports the settled cluster, simulates to the end, runs the script once and checks the
/// cluster is the plan's; `label` names the files.
fn plan_and_apply(live: &mut Live, label: &str) {
    live.settle();
    let snapshot = live.path(&format!("{label}.json"));
    live.import(&format!("{label}.json"), &["--own-freezes"]);
    let planned = live.path(&format!("{label}-planned.json"));
    let script = live.path(&format!("{label}.sh"));
    let text = live.ok(&[
        "simulate",
        "--snapshot",
        &snapshot.display().to_string(),
        "--emit",
        "restatectl",
        "--write",
        &planned.display().to_string(),
    ]);
    std::fs::write(&script, text).unwrap();
    live.run_script(&script);
    live.assert_reaches(&planned);
}

/// N7 joins zone z0 (which lost N4 to the walk-through); the plan moves replicas and leaders
/// onto it, and nothing is placed on it before it is alive.
pub fn node_joins(live: &mut Live) {
    live.cluster.add_node(NodeSpec::worker(7, "eu.z0")).unwrap();
    nothing_on_a_joining_node(live, 7);
    live.cluster
        .wait_state(&[7], "alive", Duration::from_secs(60))
        .unwrap();
    plan_and_apply(live, "join-n7");
    let after = crate::live::read_snapshot(&live.path("now.json"));
    let holds = after.partitions.iter().filter(|p| p.is_held_by(7)).count();
    assert!(holds > 0, "the plan put nothing on the new node N7");
}

/// N6 is killed (SIGKILL) and stays down; the plan replaces its replicas.
pub fn node_dies(live: &mut Live) {
    live.cluster.kill_node(6).unwrap();
    live.cluster
        .wait_state(&[6], "dead", Duration::from_secs(60))
        .unwrap();
    plan_and_apply(live, "dead-n6");
    let after = crate::live::read_snapshot(&live.path("now.json"));
    assert!(
        after.partitions.iter().all(|p| !p.replicas.contains(&6)),
        "a partition still has a replica on the dead N6"
    );
}

/// Right after node `id` started, while Restate still reports it dead: the import names it as
/// a node that looks like it is joining, and the plan places nothing on it. (If it is alive
/// already by the time of the import, there is nothing to check, and that is said.)
fn nothing_on_a_joining_node(live: &mut Live, id: u32) {
    let path = live.path("joining.json").display().to_string();
    let out = live.import_output("joining.json", &["--own-freezes"]);
    assert!(
        out.status.success(),
        "import while N{id} joins: {}",
        out.stderr
    );
    let snapshot = crate::live::read_snapshot(std::path::Path::new(&path));
    let Some(node) = snapshot.node(id).filter(|n| !n.alive) else {
        println!("    (N{id} was alive or not yet listed at the first import: no joining check)");
        return;
    };
    assert!(
        out.stderr.contains(&format!("N{id} is active but dead")),
        "the import does not say N{id} looks like it is joining:\n{}",
        out.stderr
    );
    let plan: serde_json::Value =
        serde_json::from_str(&live.ok(&["simulate", "--snapshot", &path, "--format", "json"]))
            .unwrap();
    let onto_it = plan["rounds"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|round| round["steps"].as_array().into_iter().flatten())
        .filter(|step| step["node"] == id && step["op"] == "add-replica")
        .count();
    assert_eq!(
        onto_it, 0,
        "the plan places {onto_it} replica(s) on N{id} while it is {:?} and dead",
        node.worker_state
    );
    println!(
        "    N{id} imported while joining (active, dead): named in a note, nothing placed on it"
    );
}
