//! The selector against the shared test vectors (checked against Restate's own selector at
//! commit `0c6df0f`), and vectors of our own on other shapes.

use super::*;
use crate::test_support::{node, snapshot, twelve_nodes, TWELVE_NODE_SETS};
use worker_policy_model::{Snapshot, WorkerState};

/// The selected order of every partition of `partitions` on `snapshot`.
fn sets(snapshot: &Snapshot, partitions: std::ops::Range<u32>) -> Vec<Vec<NodeId>> {
    let candidates = Candidates::new(snapshot);
    let selector = Selector::new(&candidates);
    partitions
        .map(|p| selector.select(p).unwrap_or_else(|e| panic!("{p}: {e}")))
        .collect()
}

#[test]
fn twelve_nodes_in_three_zones_give_restates_sets_in_restates_order() {
    assert_eq!(sets(&twelve_nodes(vec![]), 0..8), TWELVE_NODE_SETS);
}

#[test]
fn node_one_draining_changes_exactly_partitions_one_three_and_four() {
    let mut s = twelve_nodes(vec![]);
    s.nodes[0].worker_state = WorkerState::Draining;
    let expected: [[NodeId; 3]; 8] = [
        [11, 8, 3],
        [5, 2, 9],
        [12, 4, 6],
        [9, 4, 6],
        [11, 3, 5],
        [7, 9, 2],
        [3, 5, 10],
        [3, 8, 9],
    ];
    assert_eq!(sets(&s, 0..8), expected);
}

#[test]
fn ten_unlabelled_nodes_with_replication_five_rank_by_node_score() {
    let nodes = (1..=10)
        .map(|id| node(id, "", WorkerState::Active))
        .collect();
    let s = snapshot("5", nodes, vec![]);
    let expected: [[NodeId; 5]; 4] = [
        [3, 4, 1, 8, 7],
        [5, 1, 2, 4, 6],
        [4, 3, 2, 6, 1],
        [1, 4, 2, 9, 6],
    ];
    assert_eq!(sets(&s, 0..4), expected);
}
