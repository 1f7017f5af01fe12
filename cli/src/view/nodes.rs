//! Per-node counts: how many partitions each node holds and leads.

use std::collections::HashMap;

use serde::Serialize;
use worker_policy_model::snapshot::node_label;
use worker_policy_model::{NodeId, Snapshot, WorkerState};

use super::names;

/// A node with how many partitions it holds (replicas or `next` sets) and leads.
#[derive(Debug, Clone, Serialize)]
pub struct NodeCounts {
    /// Whether the node is up.
    pub alive: bool,
    /// Partitions it leads.
    pub leaders: u32,
    /// The node.
    pub node: NodeId,
    /// Partitions it holds.
    pub replicas: u32,
    /// Its worker state.
    #[serde(serialize_with = "names::state")]
    pub worker_state: WorkerState,
    /// Whether it may receive replicas (an alive, active worker); not in the output.
    #[serde(skip)]
    pub eligible: bool,
}

/// Per-node counts of `snapshot`, in its node order.
pub fn node_counts(snapshot: &Snapshot) -> Vec<NodeCounts> {
    let mut rows: Vec<NodeCounts> = snapshot
        .nodes
        .iter()
        .map(|node| NodeCounts {
            alive: node.alive,
            leaders: 0,
            node: node.id,
            replicas: 0,
            worker_state: node.worker_state,
            eligible: node.is_placement_candidate(),
        })
        .collect();
    let index: HashMap<NodeId, usize> = snapshot
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.id, i))
        .collect();
    for p in &snapshot.partitions {
        for n in p.holders() {
            if let Some(&i) = index.get(&n) {
                rows[i].replicas += 1;
            }
        }
        if let Some(&i) = p.leader.as_ref().and_then(|l| index.get(l)) {
            rows[i].leaders += 1;
        }
    }
    rows
}

/// Per-node counts as aligned text, after a blank line.
pub fn node_counts_table(rows: &[NodeCounts]) -> String {
    let mut out = format!(
        "\n  {:<6} {:<13} {:<5} {:>8} {:>8}\n",
        "node", "state", "alive", "replicas", "leaders"
    );
    for row in rows {
        out.push_str(&format!(
            "  {:<6} {:<13} {:<5} {:>8} {:>8}\n",
            node_label(row.node),
            row.worker_state.name(),
            if row.alive { "yes" } else { "no" },
            row.replicas,
            row.leaders
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use worker_policy_model::generate::{generate, ClusterShape};
    use worker_policy_model::Replication;

    #[test]
    fn counts_follow_the_snapshot_and_json_keys_are_sorted() {
        let replication = Replication::parse("3").unwrap();
        let mut shape = ClusterShape::new(vec![2, 2, 2], 6, replication);
        shape.placed = true;
        let rows = node_counts(&generate(&shape));
        assert_eq!(rows.len(), 6);
        assert_eq!(rows.iter().map(|r| r.replicas).sum::<u32>(), 18);
        assert_eq!(rows.iter().map(|r| r.leaders).sum::<u32>(), 6);
        crate::output::tests::assert_keys_sorted(&rows);
        assert!(node_counts_table(&rows).contains("  N1     active        yes"));
    }
}
