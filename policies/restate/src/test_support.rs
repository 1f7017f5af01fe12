//! Helpers the crate's tests share: building small snapshots by hand and applying a hook's
//! answer through the host's invariant checker.

use worker_policy_model::invariants::PlanChecker;
use worker_policy_model::{
    Node, NodeId, Partition, Replication, Snapshot, Step, Transition, WorkerState,
};

/// An alive worker node `id` at `location` in `state`.
pub fn node(id: NodeId, location: &str, state: WorkerState) -> Node {
    Node {
        name: format!("n{id}"),
        address: format!("http://n{id}:5122/"),
        worker_state: state,
        ..Node::worker(id, location)
    }
}

/// A placed partition led by its last replica.
pub fn partition(id: u32, replicas: &[NodeId]) -> Partition {
    Partition::placed(id, replicas, replicas.last().copied())
}

/// An unplaced partition.
pub fn unplaced(id: u32) -> Partition {
    Partition {
        id,
        ..Partition::default()
    }
}

/// A snapshot with `property` (as written on the command line).
pub fn snapshot(property: &str, nodes: Vec<Node>, partitions: Vec<Partition>) -> Snapshot {
    Snapshot {
        replication: Replication::parse(property).expect("valid property"),
        nodes,
        partitions,
    }
}

/// The shared test vectors' replica sets of partitions 0-7 on [`twelve_nodes`], in the order
/// Restate's selector picks them (the leader is the last node).
pub const TWELVE_NODE_SETS: [[NodeId; 3]; 8] = [
    [11, 8, 3],
    [5, 1, 9],
    [12, 4, 6],
    [9, 1, 6],
    [11, 1, 5],
    [7, 9, 2],
    [3, 5, 10],
    [3, 8, 9],
];

/// The shared test vectors' cluster: nodes 1-12, all active, in zones `eu.z0` (1-4), `eu.z1`
/// (5-8) and `eu.z2` (9-12), `{zone: 3, node: 3}`, with `partitions`.
pub fn twelve_nodes(partitions: Vec<Partition>) -> Snapshot {
    let nodes = (1..=12)
        .map(|id| node(id, &format!("eu.z{}", (id - 1) / 4), WorkerState::Active))
        .collect();
    snapshot("{zone: 3, node: 3}", nodes, partitions)
}

/// `snapshot` with `steps` applied through the invariant checker, which must accept every
/// step; at most `max_moves` additions, when given.
pub fn apply(snapshot: &Snapshot, steps: &[Step], max_moves: Option<u32>) -> Snapshot {
    if let Some(max) = max_moves {
        PlanChecker::new(snapshot.clone())
            .check_budget(steps, max)
            .unwrap_or_else(|v| panic!("{v}"));
    }
    PlanChecker::apply_steps(snapshot.clone(), steps).unwrap_or_else(|v| panic!("{v}"))
}

/// `snapshot` with `transitions` applied through the invariant checker, which must accept them.
pub fn apply_transitions(snapshot: &Snapshot, transitions: &[Transition]) -> Snapshot {
    PlanChecker::apply_transitions(snapshot.clone(), transitions).unwrap_or_else(|v| panic!("{v}"))
}
