//! Property tests of placement and rebalancing over generated clusters with fixed seeds: every
//! plan passes the host's safety checker, ends balanced by the fair-share definition, moves no
//! more replicas than the lower bound, and does not flap.

use worker_policy_model::generate::{
    generate, permute, ClusterShape, Oddities, RandomCluster, SplitMix64,
};
use worker_policy_model::quality::{measure, Quality};
use worker_policy_model::{NodeId, Snapshot, StepOp, WorkerState};

use crate::test_support::{
    adds, apply, assert_balanced, node, partition, placed, rebalanced, reconciled, unplaced,
    zone_bound,
};

/// A generated cluster to check the properties on.
struct Case {
    name: &'static str,
    shape: ClusterShape,
}

/// Asserts a change made exactly as many moves as the lower bound: the model's (forced moves,
/// or what nodes lack to reach floor(fair share)), or, where every replica needs a zone of its
/// own and that is more, the zone-level bound of [`zone_bound`] (more zones than replicas and
/// uneven zones can make the model's bound unreachable for every plan).
fn assert_moves(name: &str, before: &Snapshot, q: &Quality, what: &str) {
    let bound = q.lower_bound.value().max(zone_bound(before));
    assert_eq!(
        q.moves, bound,
        "{name} {what}: {} moves, lower bound {bound}: {q:?}",
        q.moves
    );
}

/// The shapes every property is checked on.
fn cases() -> Vec<Case> {
    let zone3 = "{zone: 3, node: 3}";
    let case = |name, shape| Case { name, shape };
    vec![
        case("3x4 10k", unplaced(&[4, 4, 4], 10_000, zone3)),
        case("3x4 256", unplaced(&[4, 4, 4], 256, zone3)),
        case("3x33 10k", unplaced(&[33, 33, 33], 10_000, zone3)),
        case("3x33 256", unplaced(&[33, 33, 33], 256, zone3)),
        case("uneven 5,3,2", unplaced(&[5, 3, 2], 1_000, zone3)),
        case("5 zones", unplaced(&[2, 2, 2, 2, 2], 1_000, zone3)),
        case("5 uneven zones", unplaced(&[3, 3, 2, 2, 1], 1_000, zone3)),
        case("rf1", unplaced(&[4, 4, 4], 1_000, "1")),
        case("rf5", unplaced(&[4, 4, 4], 1_000, "5")),
        // A factor above the zone count (zones hold two or more replicas of a partition), the
        // eligible shapes of the generator's seeds 87, 135, 327 and 347.
        case(
            "rf4 zones 4,1,4,1",
            unplaced(&[4, 1, 4, 1], 140, "{zone: 3, node: 4}"),
        ),
        case(
            "rf4 zones 2,2,1",
            unplaced(&[2, 2, 1], 140, "{zone: 3, node: 4}"),
        ),
        case(
            "rf5 zones 1,3,2",
            unplaced(&[1, 3, 2], 140, "{zone: 3, node: 5}"),
        ),
        case(
            "rf5 zones 3,1,1,3",
            unplaced(&[3, 1, 1, 3], 140, "{zone: 4, node: 5}"),
        ),
        case(
            "2 regions",
            ClusterShape {
                regions: 2,
                ..unplaced(&[3, 3, 3, 3, 3, 3], 1_000, "{region: 2, zone: 3, node: 5}")
            },
        ),
    ]
}

/// One of the eligible nodes that the others can do without (they still satisfy the
/// property), picked by `seed`.
fn pick(snapshot: &Snapshot, seed: u64) -> NodeId {
    let eligible: Vec<&worker_policy_model::Node> = snapshot
        .nodes
        .iter()
        .filter(|n| n.is_placement_candidate())
        .collect();
    let spare = |id: NodeId| {
        let rest = eligible.iter().copied().filter(|n| n.id != id);
        snapshot.replication.shortfall(rest).is_none()
    };
    let mut ids: Vec<NodeId> = eligible
        .iter()
        .map(|n| n.id)
        .filter(|&id| spare(id))
        .collect();
    ids.sort_unstable();
    ids[SplitMix64::new(seed).below(ids.len())]
}

fn with_node(
    snapshot: &Snapshot,
    id: NodeId,
    change: impl Fn(&mut worker_policy_model::Node),
) -> Snapshot {
    let mut s = snapshot.clone();
    for n in &mut s.nodes {
        if n.id == id {
            change(n);
        }
    }
    s
}

#[test]
fn placing_from_scratch_is_balanced_and_stable() {
    for case in cases() {
        let start = generate(&case.shape);
        let after = placed(&case.shape);
        let q = assert_balanced(&start, &after);
        assert_eq!(q.moves, q.lower_bound.value(), "{}", case.name);
        assert!(
            crate::rebalance(&after, None).unwrap().is_empty(),
            "{}: rebalance after place",
            case.name
        );
        assert!(crate::place(&after).unwrap().is_empty(), "{}", case.name);
    }
}

#[test]
fn draining_a_node_moves_only_what_it_must() {
    for case in cases() {
        let start = placed(&case.shape);
        let victim = pick(&start, 1);
        let drained = with_node(&start, victim, |n| n.worker_state = WorkerState::Draining);
        let (steps, after) = rebalanced(&drained, None);
        let q = assert_balanced(&drained, &after);
        assert_moves(case.name, &drained, &q, "drain");
        assert_eq!(adds(&steps) as u64, q.moves, "{}", case.name);
        assert!(
            crate::rebalance(&after, None).unwrap().is_empty(),
            "{}: flaps",
            case.name
        );
        let done = reconciled(&after);
        assert_eq!(
            done.node(victim).unwrap().worker_state,
            WorkerState::Disabled,
            "{}",
            case.name
        );
    }
}

#[test]
fn a_new_node_receives_its_share_and_nothing_else_moves() {
    for case in cases() {
        let start = placed(&case.shape);
        let mut grown = start.clone();
        let id = start.nodes.iter().map(|n| n.id).max().unwrap() + 1;
        let location = start.nodes[0].location.clone();
        grown
            .nodes
            .push(node(id, &location, WorkerState::Provisioning));
        let active = reconciled(&grown);
        let (steps, after) = rebalanced(&active, None);
        let q = assert_balanced(&grown, &after);
        assert_moves(case.name, &active, &q, "scale-out");
        assert!(
            steps
                .iter()
                .filter(|s| s.op == StepOp::AddReplica)
                .all(|s| s.node == id),
            "{}: a replica moved to an old node",
            case.name
        );
        assert!(
            crate::rebalance(&after, None).unwrap().is_empty(),
            "{}: flaps",
            case.name
        );
    }
}

#[test]
fn a_dead_node_is_replaced_and_its_return_does_not_flap() {
    for case in cases() {
        let start = placed(&case.shape);
        let victim = pick(&start, 2);
        let dead = with_node(&start, victim, |n| n.alive = false);
        // Back before anything moved: nothing to do.
        let back = with_node(&dead, victim, |n| n.alive = true);
        assert!(
            crate::rebalance(&back, None).unwrap().is_empty(),
            "{}",
            case.name
        );
        let (_, after) = rebalanced(&dead, None);
        let q = assert_balanced(&dead, &after);
        assert_moves(case.name, &dead, &q, "dead node");
        assert!(
            after.partitions.iter().all(|p| !p.is_held_by(victim)),
            "{}",
            case.name
        );
        let revived = with_node(&after, victim, |n| n.alive = true);
        let (_, again) = rebalanced(&revived, None);
        let q = assert_balanced(&revived, &again);
        assert_moves(case.name, &revived, &q, "revived node");
        assert!(
            crate::rebalance(&again, None).unwrap().is_empty(),
            "{}: flaps",
            case.name
        );
    }
}

#[test]
fn plans_do_not_depend_on_input_order() {
    for case in cases() {
        let start = generate(&case.shape);
        let place = crate::place(&start).unwrap();
        assert_eq!(
            place,
            crate::place(&permute(&start, 9)).unwrap(),
            "{}",
            case.name
        );
        let after = apply(&start, &place, None);
        let drained = with_node(&after, pick(&after, 3), |n| {
            n.worker_state = WorkerState::Draining
        });
        let plan = crate::rebalance(&drained, Some(50)).unwrap();
        let permuted = crate::rebalance(&permute(&drained, 4), Some(50)).unwrap();
        assert_eq!(plan, permuted, "{}", case.name);
    }
}

#[test]
fn a_move_budget_is_respected_and_rounds_converge() {
    for case in cases() {
        let start = placed(&case.shape);
        let victim = pick(&start, 4);
        let first = with_node(&start, victim, |n| n.worker_state = WorkerState::Draining);
        // A few rounds for the big shapes, many for the small ones.
        let budget = (case.shape.partitions / 50).max(37);
        let mut s = first.clone();
        let mut rounds = 0;
        loop {
            let (steps, next) = rebalanced(&s, Some(budget));
            if steps.is_empty() {
                break;
            }
            assert!(adds(&steps) <= budget as usize, "{}", case.name);
            s = next;
            rounds += 1;
            assert!(rounds < 1_000, "{}: does not converge", case.name);
        }
        let q = assert_balanced(&first, &s);
        assert_moves(case.name, &first, &q, "budgeted drain");
    }
}

#[test]
fn quality_of_a_fresh_placement_is_reported() {
    let shape = unplaced(&[4, 4, 4], 256, "{zone: 3, node: 3}");
    let q = measure(&generate(&shape), &placed(&shape));
    assert_eq!((q.replicas.min, q.replicas.max), (64, 64));
    assert_eq!((q.leaders.min, q.leaders.max), (21, 22));
}

/// Whatever the snapshot (nonsense leaders, `next` sets, extra replicas, dead and draining
/// nodes, nodes without the worker role), every answer passes the host's checker, budgeted
/// rounds and one unbudgeted round settle it, and the result is balanced and stable.
#[test]
fn any_snapshot_gets_safe_plans_that_settle() {
    use worker_policy_model::PolicyError;
    for seed in 0..400 {
        let cluster = RandomCluster::new(seed, Oddities::ALL);
        let s = reconciled(&permute(&cluster.snapshot, seed));
        let placed = match crate::place(&s) {
            Ok(steps) => apply(&s, &steps, None),
            Err(PolicyError::InsufficientNodes(_)) => continue,
            Err(e) => panic!("seed {seed}: {e}"),
        };
        // Budgeted rounds until nothing fits the budget any more, then one without a budget,
        // after which nothing is left to do. A budget allows enough rounds for every replica
        // to move twice (the host's bound), as clusters may have hundreds of partitions.
        let replicas = s.partitions.len() as u32 * s.replication.factor();
        let mut s = placed;
        for max_moves in [cluster.max_moves, None] {
            let rounds = 100 + max_moves.map_or(0, |m| 2 * replicas / m);
            for round in 0.. {
                let steps = match crate::rebalance(&s, max_moves) {
                    Ok(steps) => steps,
                    Err(PolicyError::InsufficientNodes(_)) => break,
                    Err(e) => panic!("seed {seed}: {e}"),
                };
                if steps.is_empty() {
                    break;
                }
                assert!(round < rounds, "seed {seed}: does not settle");
                s = apply(&s, &steps, max_moves);
            }
        }
        match crate::rebalance(&s, None) {
            Ok(steps) => assert!(steps.is_empty(), "seed {seed}: flaps: {steps:?}"),
            Err(_) => continue,
        }
        let factor = s.replication.factor() as usize;
        for p in s.partitions.iter().filter(|p| !p.is_unplaced()) {
            let members: Vec<_> = p.replicas.iter().filter_map(|&n| s.node(n)).collect();
            assert_eq!(members.len(), factor, "seed {seed}: {p:?}");
            assert!(
                members.iter().all(|n| n.is_placement_candidate()),
                "seed {seed}"
            );
            assert_eq!(
                s.replication.shortfall(members.iter().copied()),
                None,
                "seed {seed}"
            );
            assert!(
                p.leader.is_some_and(|l| p.replicas.contains(&l)),
                "seed {seed}: {p:?}"
            );
        }
        let q = measure(&s, &s);
        assert_eq!(q.replicas.outside_band, 0, "seed {seed}: {q:?}");
        assert_eq!(q.leaders.outside_band, 0, "seed {seed}: {q:?}");
    }
}

/// Three zones `a`, `b`, `c` of two nodes each (N1, N2 in `a`; N3, N4 in `b`; N5, N6 in `c`),
/// `{zone: 3, node: 3}`, with `partitions`.
fn six(partitions: Vec<worker_policy_model::Partition>) -> Snapshot {
    let nodes = (1..=6)
        .map(|i| {
            node(
                i,
                ["r.a", "r.b", "r.c"][(i as usize - 1) / 2],
                WorkerState::Active,
            )
        })
        .collect();
    crate::test_support::snapshot("{zone: 3, node: 3}", nodes, partitions)
}

#[test]
fn a_next_set_is_settled() {
    let mut moving = partition(0, &[1, 3, 5]);
    moving.next = Some(vec![2, 3, 5]);
    let mut s = six(vec![moving, partition(1, &[2, 4, 6])]);
    let (steps, after) = rebalanced(&s, None);
    assert!(
        after.partitions.iter().all(|p| p.next.is_none()),
        "{steps:?}"
    );
    assert_balanced(&s, &after);
    // A next set that only repeats replicas is settled already: nothing can or need be done.
    s.partitions[0].next = Some(vec![1, 3]);
    s.partitions[1].replicas = vec![2, 4, 6];
    assert!(crate::rebalance(&s, None).unwrap().is_empty());
}

#[test]
fn extra_replicas_are_removed_and_the_zones_kept() {
    let s = six(vec![
        partition(0, &[1, 2, 3, 5]),
        partition(1, &[2, 4, 6]),
        partition(2, &[1, 4, 5]),
    ]);
    let (steps, after) = rebalanced(&s, None);
    assert_eq!(adds(&steps), 0, "{steps:?}");
    assert_eq!(after.partitions[0].replicas.len(), 3);
    assert_balanced(&s, &after);
}

#[test]
fn replicas_on_nodes_that_may_not_keep_them_are_replaced() {
    let mut s = six(vec![partition(0, &[1, 3, 5]), partition(1, &[2, 4, 6])]);
    s.nodes[0].roles = worker_policy_model::Roles::ADMIN;
    s.nodes[2].worker_state = WorkerState::Disabled;
    let (steps, after) = rebalanced(&s, None);
    assert_eq!(adds(&steps), 2, "{steps:?}");
    assert!(after
        .partitions
        .iter()
        .all(|p| !p.is_held_by(1) && !p.is_held_by(3)));
    let q = assert_balanced(&s, &after);
    assert_moves("non-worker and disabled", &s, &q, "replace");
}

#[test]
fn the_leader_moves_before_its_replica_goes() {
    let mut s = six(vec![partition(0, &[1, 3, 5]), partition(1, &[2, 4, 6])]);
    s.nodes[0].worker_state = WorkerState::Draining;
    let steps = crate::rebalance(&s, None).unwrap();
    let ops: Vec<(StepOp, NodeId)> = steps
        .iter()
        .filter(|s| s.partition == 0)
        .map(|s| (s.op, s.node))
        .collect();
    assert_eq!(ops.len(), 3, "{steps:?}");
    assert_eq!(ops[0], (StepOp::AddReplica, 2));
    assert_eq!(ops[1].0, StepOp::SetLeader);
    assert_eq!(ops[2], (StepOp::RemoveReplica, 1));
    apply(&s, &steps, None);
}

#[test]
fn too_few_domains_is_an_error_never_a_partial_plan() {
    use worker_policy_model::replication::Shortfall;
    use worker_policy_model::{PolicyError, Scope};
    let mut s = six(vec![partition(0, &[1, 3, 5])]);
    s.nodes[4].alive = false;
    s.nodes[5].worker_state = WorkerState::Draining;
    let short = PolicyError::InsufficientNodes(Shortfall {
        scope: Scope::Zone,
        available: 2,
        required: 3,
    });
    assert_eq!(crate::rebalance(&s, None), Err(short.clone()));
    s.partitions.push(worker_policy_model::Partition {
        id: 1,
        ..Default::default()
    });
    assert_eq!(crate::place(&s), Err(short));
    // With nothing to place or rebalance there is nothing to refuse.
    s.partitions.clear();
    assert_eq!(crate::place(&s), Ok(vec![]));
    assert_eq!(crate::rebalance(&s, None), Ok(vec![]));
    s.nodes.clear();
    assert_eq!(crate::rebalance(&s, Some(3)), Ok(vec![]));
}

#[test]
fn contradicting_snapshots_are_rejected() {
    use worker_policy_model::PolicyError;
    let invalid = |s: &Snapshot| {
        matches!(
            crate::rebalance(s, None),
            Err(PolicyError::InvalidSnapshot(_))
        ) && matches!(crate::place(s), Err(PolicyError::InvalidSnapshot(_)))
            && matches!(crate::reconcile(s), Err(PolicyError::InvalidSnapshot(_)))
    };
    assert!(invalid(&six(vec![partition(0, &[1, 3, 9])])));
    assert!(invalid(&six(vec![partition(0, &[1, 3, 3])])));
    assert!(invalid(&six(vec![
        partition(0, &[1, 3, 5]),
        partition(0, &[2, 4, 6])
    ])));
    let mut next = partition(0, &[1, 3, 5]);
    next.next = Some(vec![2, 2]);
    assert!(invalid(&six(vec![next])));
}

#[test]
fn a_leader_that_is_not_a_replica_is_replaced() {
    let mut p = partition(0, &[1, 3, 5]);
    p.leader = Some(42);
    let s = six(vec![p, partition(1, &[2, 4, 6])]);
    let (steps, after) = rebalanced(&s, None);
    assert_eq!(steps.len(), 1, "{steps:?}");
    assert_eq!(steps[0].op, StepOp::SetLeader);
    assert_balanced(&s, &after);
}

#[test]
fn a_budget_cut_leaves_every_partition_safe() {
    // Partition 0 loses two replicas at once; a budget of one adds one and removes only what
    // stays safe (the dead replica), keeping the draining one until the next round.
    let mut s = six(vec![partition(0, &[1, 3, 5]), partition(1, &[2, 4, 6])]);
    s.nodes[0].alive = false;
    s.nodes[2].worker_state = WorkerState::Draining;
    let (steps, after) = rebalanced(&s, Some(1));
    assert_eq!(adds(&steps), 1, "{steps:?}");
    let p = &after.partitions[0];
    assert!(p.replicas.contains(&3), "{p:?}");
    assert!(!p.replicas.contains(&1), "{p:?}");
    let (_, done) = rebalanced(&after, Some(1));
    assert_balanced(&s, &done);
    assert!(crate::rebalance(&done, None).unwrap().is_empty());
}

/// Placing from scratch on every shape of 3 to 5 small zones, for properties that put two or
/// more replicas of a partition in one zone and for one replica per zone: balanced, at the
/// lower bound, and stable. (Two zones that may hold 3 replicas of a partition between them
/// once both got the ceil of their share, which no placement can reach.)
#[test]
fn every_small_shape_is_placed_balanced_at_the_lower_bound() {
    let sizes = [1, 2, 3, 4];
    let mut shapes = Vec::new();
    for a in sizes {
        for b in sizes {
            for c in sizes {
                shapes.push(vec![a, b, c]);
                for d in sizes {
                    shapes.push(vec![a, b, c, d]);
                    shapes.extend([1, 3].map(|e| vec![a, b, c, d, e]));
                }
            }
        }
    }
    let properties = [
        "{zone: 3, node: 4}",
        "{zone: 3, node: 5}",
        "{zone: 4, node: 5}",
        "{zone: 2, node: 4}",
        "{zone: 3, node: 3}",
    ];
    for property in properties {
        for zones in &shapes {
            for partitions in [7, 13, 50] {
                let shape = unplaced(zones, partitions, property);
                let start = generate(&shape);
                if crate::place(&start).is_err() {
                    continue;
                }
                let after = placed(&shape);
                let what = format!("{property} {zones:?} {partitions}");
                let q = assert_balanced(&start, &after);
                assert_eq!(q.moves, q.lower_bound.value(), "{what}: {q:?}");
                assert!(crate::rebalance(&after, None).unwrap().is_empty(), "{what}");
            }
        }
    }
}
