//! `decommission --emit restatectl` on a live cluster: two nodes of different zones leave in
//! waves, by one script run, and end disabled, holding and leading nothing.

use worker_policy_model::WorkerState;

use crate::live::{read_snapshot, Live};

/// Decommissions N4 (zone z0) and N5 (zone z1).
pub fn decommission(live: &mut Live) {
    live.settle();
    let snapshot = live.path("decommission.json");
    live.import("decommission.json", &["--own-freezes"]);
    let planned = live.path("decommission-planned.json");
    let text = live.ok(&[
        "decommission",
        "--snapshot",
        &snapshot.display().to_string(),
        "--nodes",
        "N4,N5",
        "--emit",
        "restatectl",
        "--write",
        &planned.display().to_string(),
    ]);
    let script = live.path("decommission.sh");
    std::fs::write(&script, text).unwrap();
    live.run_script(&script);
    live.assert_reaches(&planned);
    let after = read_snapshot(&live.path("now.json"));
    for id in [4, 5] {
        assert_eq!(
            after.node(id).unwrap().worker_state,
            WorkerState::Disabled,
            "N{id} after the decommission"
        );
        assert!(
            after
                .partitions
                .iter()
                .all(|p| !p.is_held_by(id) && p.leader != Some(id)),
            "N{id} still holds or leads a partition"
        );
    }
}
