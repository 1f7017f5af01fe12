//! A snapshot's totals, as both views end their JSON with them: nodes per worker state, alive,
//! partitions and the replication property. The table says the same in the snapshot line of
//! [`crate::view::snapshot`].

use std::collections::BTreeMap;

use serde::Serialize;
use worker_policy_model::{Snapshot, WorkerState};

/// The totals of one snapshot.
#[derive(Debug, Serialize)]
pub struct Totals {
    /// Nodes that are up.
    pub alive: usize,
    /// Every node.
    pub nodes: usize,
    /// Every partition.
    pub partitions: usize,
    /// The replication property, as the snapshot format writes it (`{zone: 3, node: 3}`).
    pub replication: String,
    /// Nodes per worker state, every state named (0 when none is in it).
    pub states: BTreeMap<&'static str, usize>,
    /// Partitions with no replicas and no `next` set.
    pub unplaced: usize,
}

impl Totals {
    /// The totals of `snapshot`.
    pub fn of(snapshot: &Snapshot) -> Totals {
        let states = WorkerState::ALL
            .into_iter()
            .map(|state| {
                let count = (snapshot.nodes.iter())
                    .filter(|n| n.worker_state == state)
                    .count();
                (state.name(), count)
            })
            .collect();
        Totals {
            alive: snapshot.nodes.iter().filter(|n| n.alive).count(),
            nodes: snapshot.nodes.len(),
            partitions: snapshot.partitions.len(),
            replication: snapshot.replication.to_string(),
            states,
            unplaced: (snapshot.partitions.iter())
                .filter(|p| p.is_unplaced())
                .count(),
        }
    }
}
