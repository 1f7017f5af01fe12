//! A snapshot in one line: its nodes by state, its partitions and its property.

use worker_policy_model::{Snapshot, WorkerState};

/// One line describing `snapshot`, read from `label`.
pub fn snapshot_line(label: &str, snapshot: &Snapshot) -> String {
    let mut states = Vec::new();
    for state in WorkerState::ALL {
        let count = snapshot
            .nodes
            .iter()
            .filter(|n| n.worker_state == state)
            .count();
        if count > 0 {
            states.push(format!("{count} {state}"));
        }
    }
    let dead = snapshot.nodes.iter().filter(|n| !n.alive).count();
    if dead > 0 {
        states.push(format!("{dead} dead"));
    }
    let unplaced = snapshot
        .partitions
        .iter()
        .filter(|p| p.is_unplaced())
        .count();
    let states = if states.is_empty() {
        String::new()
    } else {
        format!(" ({})", states.join(", "))
    };
    format!(
        "snapshot  {label}: {} nodes{states}, {} partitions ({unplaced} unplaced), replication {}\n",
        snapshot.nodes.len(),
        snapshot.partitions.len(),
        snapshot.replication
    )
}
