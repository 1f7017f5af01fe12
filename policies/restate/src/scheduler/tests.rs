//! Place and rebalance: the shared vectors as plans, make-before-break through the host's
//! invariant checker, `next` sets, the move budget, the errors, and our own vectors on other
//! shapes.

use super::*;
use crate::test_support::{
    apply, node, partition, snapshot, twelve_nodes, unplaced, TWELVE_NODE_SETS,
};
use worker_policy_model::{NodeId, Scope, StepOp, WorkerState};

/// Every partition's replicas (sorted) and leader.
fn layout(s: &Snapshot) -> Vec<(Vec<NodeId>, Option<NodeId>)> {
    let mut partitions = s.partitions.clone();
    partitions.sort_by_key(|p| p.id);
    partitions
        .into_iter()
        .map(|mut p| {
            p.replicas.sort_unstable();
            assert_eq!(p.next, None, "partition {} keeps a next set", p.id);
            (p.replicas, p.leader)
        })
        .collect()
}

/// The layout Restate's sets give: sorted replicas, the last node leading.
fn expected(sets: &[[NodeId; 3]]) -> Vec<(Vec<NodeId>, Option<NodeId>)> {
    sets.iter()
        .map(|set| {
            let mut sorted = set.to_vec();
            sorted.sort_unstable();
            (sorted, Some(set[2]))
        })
        .collect()
}

/// The twelve-node cluster placed by `place`, checked step by step.
fn placed() -> Snapshot {
    let start = twelve_nodes((0..8).map(unplaced).collect());
    let steps = place(&start).unwrap();
    apply(&start, &steps, None)
}

#[test]
fn place_adds_restates_sets_in_the_selected_order_and_leads_with_the_last() {
    let start = twelve_nodes(vec![unplaced(0), partition(1, &[1, 2, 3])]);
    let steps = place(&start).unwrap();
    let got: Vec<_> = steps.iter().map(|s| (s.op, s.partition, s.node)).collect();
    use StepOp::{AddReplica, SetLeader};
    assert_eq!(
        got,
        [
            (AddReplica, 0, 11),
            (AddReplica, 0, 8),
            (AddReplica, 0, 3),
            (SetLeader, 0, 3)
        ]
    );
    assert_eq!(layout(&placed()), expected(&TWELVE_NODE_SETS));
}

#[test]
fn draining_node_one_moves_exactly_partitions_one_three_and_four_make_before_break() {
    let mut s = placed();
    s.nodes[0].worker_state = WorkerState::Draining;
    let steps = rebalance(&s, None).unwrap();
    let touched: std::collections::BTreeSet<u32> = steps.iter().map(|s| s.partition).collect();
    assert_eq!(touched.into_iter().collect::<Vec<_>>(), [1, 3, 4]);
    // Partition 1: add N2, then drop N1 (N9 keeps leading).
    let p1: Vec<_> = steps
        .iter()
        .filter(|s| s.partition == 1)
        .map(|s| (s.op, s.node))
        .collect();
    assert_eq!(p1, [(StepOp::AddReplica, 2), (StepOp::RemoveReplica, 1)]);
    let after = apply(&s, &steps, None);
    let mut sets = TWELVE_NODE_SETS;
    sets[1] = [5, 2, 9];
    sets[3] = [9, 4, 6];
    sets[4] = [11, 3, 5];
    assert_eq!(layout(&after), expected(&sets));
    assert_eq!(rebalance(&after, None).unwrap(), []);
}

#[test]
fn a_set_placed_otherwise_is_reconfigured_and_the_leader_moves_before_its_replica_goes() {
    let mut p = partition(0, &[1, 5, 9]);
    p.leader = Some(1);
    let s = twelve_nodes(vec![p]);
    let steps = rebalance(&s, None).unwrap();
    let got: Vec<_> = steps.iter().map(|s| (s.op, s.node)).collect();
    use StepOp::{AddReplica, RemoveReplica, SetLeader};
    assert_eq!(
        got,
        [
            (AddReplica, 11),
            (AddReplica, 8),
            (AddReplica, 3),
            (SetLeader, 3),
            (RemoveReplica, 1),
            (RemoveReplica, 5),
            (RemoveReplica, 9)
        ]
    );
    apply(&s, &steps, None);
}

#[test]
fn the_right_set_with_another_leader_only_moves_the_leader() {
    let mut p = partition(0, &[3, 8, 11]);
    p.leader = Some(11);
    let s = twelve_nodes(vec![p]);
    let steps = rebalance(&s, None).unwrap();
    let got: Vec<_> = steps.iter().map(|s| (s.op, s.node)).collect();
    assert_eq!(got, [(StepOp::SetLeader, 3)]);
}

#[test]
fn a_next_set_in_flight_is_settled_towards_restates_set() {
    let mut p = partition(0, &[11, 8, 3]);
    p.leader = Some(3);
    p.next = Some(vec![4, 12]);
    let s = twelve_nodes(vec![p]);
    let steps = rebalance(&s, None).unwrap();
    let got: Vec<_> = steps.iter().map(|s| (s.op, s.node)).collect();
    assert_eq!(
        got,
        [(StepOp::RemoveReplica, 4), (StepOp::RemoveReplica, 12)]
    );
    let after = apply(&s, &steps, None);
    assert_eq!(layout(&after), expected(&TWELVE_NODE_SETS[..1]));
}

#[test]
fn a_move_budget_caps_additions_and_every_partial_answer_is_safe() {
    let s = twelve_nodes((0..8).map(|p| partition(p, &[1, 5, 9])).collect());
    let mut current = s;
    for _ in 0..40 {
        let steps = rebalance(&current, Some(1)).unwrap();
        if steps.is_empty() {
            break;
        }
        current = apply(&current, &steps, Some(1));
    }
    assert_eq!(layout(&current), expected(&TWELVE_NODE_SETS));
}

#[test]
fn too_few_zones_is_insufficient_nodes() {
    let mut s = twelve_nodes(vec![unplaced(0), partition(1, &[1, 5, 9])]);
    for n in &mut s.nodes[8..] {
        n.alive = false;
    }
    for result in [place(&s), rebalance(&s, None)] {
        let Err(PolicyError::InsufficientNodes(short)) = result else {
            panic!("{result:?}");
        };
        assert_eq!(
            (short.scope, short.available, short.required),
            (Scope::Zone, 2, 3)
        );
    }
}

/// Restate's selector loops forever on `{region: 2, zone: 3}` over `ra.za`, `ra.za`, `ra.zb`,
/// `rb.zc` for partitions 1 and 3 (our own finding with this implementation; the shape is the
/// shared notes'): the hooks refuse with the named error instead.
#[test]
fn where_restates_selector_never_terminates_the_hooks_refuse_with_a_named_error() {
    let nodes = ["ra.za", "ra.za", "ra.zb", "rb.zc"]
        .iter()
        .zip(1..)
        .map(|(l, id)| node(id, l, WorkerState::Active))
        .collect();
    let s = snapshot(
        "{region: 2, zone: 3}",
        nodes,
        vec![unplaced(0), unplaced(1)],
    );
    let Err(PolicyError::InvalidSnapshot(why)) = place(&s) else {
        panic!("{:?}", place(&s));
    };
    assert!(
        why.starts_with("Restate 1.7's replica selector never terminates for partition 1"),
        "{why}"
    );
    let mut only_zero = s.clone();
    only_zero.partitions.truncate(1);
    assert_eq!(
        layout(&apply(&only_zero, &place(&only_zero).unwrap(), None)),
        [(vec![1, 3, 4], Some(1))]
    );
}

/// A shape of our own: the property, the nodes' locations (ids from 1), and per partition its
/// selected order.
type OwnVector = (
    &'static str,
    &'static [&'static str],
    &'static [(u32, &'static [NodeId])],
);

/// Our own vectors on shapes the shared notes do not cover: they pin this implementation's
/// output (selected order, then the leader is the last), not Restate's.
#[test]
fn own_vectors_on_node_zone_and_region_shapes() {
    let cases: [OwnVector; 3] = [
        (
            "3",
            &["", "", "", "", ""],
            &[
                (0, &[3, 4, 1]),
                (1, &[5, 1, 2]),
                (4, &[1, 5, 3]),
                (7, &[3, 4, 5]),
            ],
        ),
        (
            "{zone: 2, node: 3}",
            &["eu.a", "eu.a", "eu.b", "eu.b", "eu.c", "eu.c"],
            &[
                (0, &[3, 6, 1]),
                (1, &[4, 5, 1]),
                (2, &[4, 2, 6]),
                (7, &[6, 2, 3]),
            ],
        ),
        (
            "{region: 2, zone: 3, node: 4}",
            &[
                "ra.a", "ra.a", "ra.b", "ra.b", "rb.c", "rb.c", "rb.d", "rb.d",
            ],
            &[
                (3, &[1, 6, 4, 5]),
                (4, &[1, 5, 3, 7]),
                (5, &[2, 7, 4, 6]),
                (7, &[8, 3, 6, 4]),
            ],
        ),
    ];
    for (property, locations, vectors) in cases {
        let nodes = locations
            .iter()
            .zip(1..)
            .map(|(l, id)| node(id, l, WorkerState::Active))
            .collect();
        let partitions = vectors.iter().map(|&(p, _)| unplaced(p)).collect();
        let s = snapshot(property, nodes, partitions);
        let steps = place(&s).unwrap();
        apply(&s, &steps, None);
        for &(p, set) in vectors {
            let adds: Vec<NodeId> = steps
                .iter()
                .filter(|s| s.partition == p && s.op == StepOp::AddReplica)
                .map(|s| s.node)
                .collect();
            let leader = steps
                .iter()
                .find(|s| s.partition == p && s.op == StepOp::SetLeader);
            assert_eq!(adds, set, "{property}, partition {p}");
            assert_eq!(
                leader.map(|s| s.node),
                set.last().copied(),
                "{property}, partition {p}"
            );
        }
    }
}

/// `p` frozen for maintenance.
fn frozen(p: Partition) -> Partition {
    Partition {
        freeze: Some("maintenance".into()),
        ..p
    }
}

/// `p` with a leader affinity.
fn affine(p: Partition, affinity: worker_policy_model::LeaderAffinity) -> Partition {
    Partition {
        leader_affinity: Some(affinity),
        ..p
    }
}

/// Every step as (op, partition, node).
fn ops(steps: &[Step]) -> Vec<(StepOp, u32, NodeId)> {
    steps.iter().map(|s| (s.op, s.partition, s.node)).collect()
}

#[test]
fn a_frozen_partition_is_not_retargeted_but_its_leader_is_selected_among_its_replicas() {
    // Partition 0's Restate set is [11, 8, 3]; frozen on [1, 2, 5] with a next set pending,
    // on a draining node, led by its first replica.
    let mut p = frozen(Partition::placed(0, &[1, 2, 5], Some(1)));
    p.next = Some(vec![1, 2, 6]);
    let mut s = twelve_nodes(vec![p, frozen(partition(1, &[5, 1, 9]))]);
    s.nodes[0].worker_state = WorkerState::Draining;
    let steps = rebalance(&s, None).unwrap();
    assert_eq!(ops(&steps), [(StepOp::SetLeader, 0, 5)]);
    assert!(
        steps[0].reason.contains("frozen (maintenance)"),
        "{}",
        steps[0].reason
    );
    let after = apply(&s, &steps, None);
    assert_eq!(after.partitions[0].next, Some(vec![1, 2, 6]));
    // Whatever order the snapshot lists the replicas in.
    s.partitions[0].replicas.reverse();
    assert_eq!(
        ops(&rebalance(&s, None).unwrap()),
        [(StepOp::SetLeader, 0, 5)]
    );
    assert!(rebalance(&after, None).unwrap().is_empty());
}

#[test]
fn an_unplaced_frozen_partition_is_placed_as_any_other() {
    let plain = twelve_nodes(vec![unplaced(0)]);
    let s = twelve_nodes(vec![frozen(unplaced(0))]);
    assert_eq!(ops(&place(&s).unwrap()), ops(&place(&plain).unwrap()));
}

#[test]
fn the_leader_is_the_last_alive_member_the_affinity_matches() {
    use worker_policy_model::LeaderAffinity::{Location, Node};
    // Partition 0's Restate set is [11, 8, 3].
    for (affinity, leader) in [
        (Node(11), 11),
        (Location("eu.z1".into()), 8),
        (Location("eu".into()), 3),
        (Node(12), 3),
    ] {
        let s = twelve_nodes(vec![affine(unplaced(0), affinity.clone())]);
        let steps = place(&s).unwrap();
        let led = steps.iter().find(|s| s.op == StepOp::SetLeader).unwrap();
        assert_eq!(led.node, leader, "{affinity}");
        let placed = apply(&s, &steps, None);
        assert!(rebalance(&placed, None).unwrap().is_empty(), "{affinity}");
    }
    // A dead member is never chosen; a frozen partition follows its affinity too.
    let mut s = twelve_nodes(vec![affine(frozen(partition(0, &[11, 8, 3])), Node(11))]);
    assert_eq!(
        ops(&rebalance(&s, None).unwrap()),
        [(StepOp::SetLeader, 0, 11)]
    );
    s.nodes[10].alive = false;
    assert!(rebalance(&s, None).unwrap().is_empty());
}
