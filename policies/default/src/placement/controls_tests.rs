//! Tests of the partition controls and node weights of contract 0.2.0 (freezes, leader
//! affinities, weighted leader shares) and of each setting's effect on a plan. Every plan goes
//! through the host's safety checker, which enforces the freeze.

use worker_policy_model::generate::{permute, Oddities, RandomCluster};
use worker_policy_model::quality::measure;
use worker_policy_model::settled::Unsettled;
use worker_policy_model::{
    LeaderAffinity, NodeId, Partition, PolicyError, Snapshot, Step, StepOp, Weight, WorkerState,
};

use crate::settings::Settings;
use crate::test_support::{apply, apply_transitions, node, partition, snapshot};
use WorkerState::{Active, Draining};

/// Three active workers and one more in `fourth`'s state, in one zone, factor 3.
fn four_nodes(fourth: WorkerState, partitions: Vec<Partition>) -> Snapshot {
    let mut nodes: Vec<_> = (1..=3).map(|id| node(id, "eu.a", Active)).collect();
    nodes.push(node(4, "eu.a", fourth));
    snapshot("3", nodes, partitions)
}

/// A partition on `replicas` led by `leader`.
fn led(id: u32, replicas: &[NodeId], leader: NodeId) -> Partition {
    Partition::placed(id, replicas, Some(leader))
}

/// `p` frozen for maintenance.
fn frozen(p: Partition) -> Partition {
    Partition {
        freeze: Some("maintenance".into()),
        ..p
    }
}

/// `p` with a leader affinity.
fn affine(p: Partition, affinity: LeaderAffinity) -> Partition {
    Partition {
        leader_affinity: Some(affinity),
        ..p
    }
}

/// The steps on partition `id`.
fn on(steps: &[Step], id: u32) -> Vec<(StepOp, NodeId)> {
    (steps.iter().filter(|s| s.partition == id))
        .map(|s| (s.op, s.node))
        .collect()
}

/// Rebalances with `settings` and applies the plan through the checker.
fn rebalanced_with(settings: &Settings, s: &Snapshot) -> (Vec<Step>, Snapshot) {
    let steps = crate::rebalance_with(settings, s, None).unwrap();
    let after = apply(s, &steps, None);
    (steps, after)
}

/// Partitions led per node, by node id 1..=n.
fn leaderships(s: &Snapshot, n: NodeId) -> Vec<usize> {
    (1..=n)
        .map(|id| s.partitions.iter().filter(|p| p.leader == Some(id)).count())
        .collect()
}

#[test]
fn a_frozen_partition_keeps_its_replicas_and_next_set_and_only_its_leader_leaves_a_draining_node() {
    let mut pending = frozen(led(0, &[4, 1, 2], 4));
    pending.next = Some(vec![4, 1, 3]);
    let s = four_nodes(Draining, vec![pending, led(1, &[4, 2, 3], 4)]);
    let (steps, after) = rebalanced_with(&Settings::default(), &s);
    let frozen_steps = on(&steps, 0);
    assert_eq!(frozen_steps.len(), 1, "{steps:?}");
    assert_eq!(frozen_steps[0].0, StepOp::SetLeader);
    assert!([1, 2].contains(&frozen_steps[0].1), "{steps:?}");
    let reason = &steps.iter().find(|s| s.partition == 0).unwrap().reason;
    assert!(
        reason.contains("N4 is draining") && reason.contains("frozen"),
        "{reason}"
    );
    assert_eq!(after.partitions[0].replicas, vec![4, 1, 2]);
    assert_eq!(after.partitions[0].next, Some(vec![4, 1, 3]));
    // The unfrozen partition leaves the draining node, which the frozen one keeps enabled.
    assert!(!after.partitions[1].replicas.contains(&4));
    let after = apply_transitions(&after, &crate::reconcile(&after).unwrap());
    assert_eq!(after.nodes[3].worker_state, Draining);
    assert_eq!(after.blocked().len(), 1, "{:?}", after.blocked());
    // And the next round leaves it as it is.
    assert!(crate::rebalance(&after, None).unwrap().is_empty());
}

#[test]
fn a_frozen_leader_that_may_stay_stays_whatever_the_balance() {
    let partitions = (0..3).map(|id| frozen(led(id, &[1, 2, 3], 1))).collect();
    let s = four_nodes(Active, partitions);
    assert_eq!(crate::rebalance(&s, None).unwrap(), vec![]);
}

#[test]
fn an_unplaced_frozen_partition_is_placed() {
    let s = four_nodes(Active, vec![frozen(Partition::placed(0, &[], None))]);
    let steps = crate::place(&s).unwrap();
    assert_eq!(steps.len(), 4, "{steps:?}");
    let after = apply(&s, &steps, None);
    assert_eq!(after.partitions[0].replicas.len(), 3);
}

#[test]
fn affine_partitions_are_led_where_their_affinity_points_outside_the_balance() {
    let mut partitions: Vec<Partition> = (0..3)
        .map(|id| affine(led(id, &[1, 2, 3], 2), LeaderAffinity::Node(1)))
        .collect();
    partitions.extend((3..6).map(|id| led(id, &[1, 2, 3], 2)));
    // An affinity no replica matches: led like any other, and outside the balance too.
    partitions.push(affine(led(6, &[1, 2, 3], 3), LeaderAffinity::Node(4)));
    let s = four_nodes(Draining, partitions);
    let (steps, after) = rebalanced_with(&Settings::default(), &s);
    assert!(after.affinity_misses().is_empty(), "{steps:?}");
    assert!(on(&steps, 6).is_empty(), "{steps:?}");
    let reason = &steps.iter().find(|s| s.partition == 0).unwrap().reason;
    assert!(reason.contains("leader affinity (node N1)"), "{reason}");
    // The three balanced partitions: one each.
    let balanced = |id: NodeId| {
        (after.partitions[3..6].iter())
            .filter(|p| p.leader == Some(id))
            .count()
    };
    assert_eq!(
        (balanced(1), balanced(2), balanced(3)),
        (1, 1, 1),
        "{steps:?}"
    );
    assert_eq!(measure(&s, &after).leaders.outside_band, 0);
}

#[test]
fn a_location_affinity_picks_the_least_led_matching_replica() {
    let mut nodes = vec![
        node(1, "eu.a", Active),
        node(2, "eu.b", Active),
        node(3, "us.a", Active),
    ];
    nodes.push(node(4, "us.b", Active));
    let partitions = (0..4)
        .map(|id| {
            let p = led(id, &[1, 2, 3, 4], 1);
            affine(p, LeaderAffinity::Location("us".into()))
        })
        .collect();
    let s = snapshot("4", nodes, partitions);
    let (_, after) = rebalanced_with(&Settings::default(), &s);
    assert_eq!(leaderships(&after, 4), vec![0, 0, 2, 2]);
}

#[test]
fn leaders_are_balanced_to_weighted_shares() {
    let mut s = four_nodes(Active, (0..12).map(|id| led(id, &[1, 2, 3], 1)).collect());
    s.nodes.pop();
    s.nodes[2].weight = Weight::new(2.0).unwrap();
    let (_, after) = rebalanced_with(&Settings::default(), &s);
    assert_eq!(leaderships(&after, 3), vec![3, 3, 6]);
    assert_eq!(measure(&s, &after).leaders.outside_band, 0);
    let ignore = Settings::parse(r#"{"weights": "ignore"}"#).unwrap();
    let (_, after) = rebalanced_with(&ignore, &s);
    assert_eq!(leaderships(&after, 3), vec![4, 4, 4]);
}

#[test]
fn without_leader_balance_only_leaders_that_must_move_do() {
    let settings = Settings::parse(r#"{"balance_leaders": false}"#).unwrap();
    let mut partitions: Vec<Partition> = (0..6).map(|id| led(id, &[1, 2, 3], 1)).collect();
    partitions.push(led(6, &[4, 2, 3], 4));
    partitions.push(Partition::placed(7, &[1, 2, 3], None));
    let s = four_nodes(Draining, partitions);
    let (steps, after) = rebalanced_with(&settings, &s);
    let leader_steps: Vec<u32> = (steps.iter())
        .filter(|s| s.op == StepOp::SetLeader)
        .map(|s| s.partition)
        .collect();
    assert_eq!(leader_steps, vec![6, 7], "{steps:?}");
    assert!(after.partitions[..6].iter().all(|p| p.leader == Some(1)));
    // With the balance on, N1 hands leaderships over.
    let (_, balanced) = rebalanced_with(&Settings::default(), &s);
    assert_eq!(measure(&s, &balanced).leaders.outside_band, 0);
}

#[test]
fn affinity_settings_ignore_or_fill_in_affinities() {
    let partitions = (0..3)
        .map(|id| affine(led(id, &[1, 2, 3], 1), LeaderAffinity::Node(2)))
        .collect();
    let mut s = four_nodes(Active, partitions);
    s.nodes.pop();
    let ignore = Settings::parse(r#"{"honor_leader_affinity": false}"#).unwrap();
    let (_, after) = rebalanced_with(&ignore, &s);
    assert_eq!(leaderships(&after, 3), vec![1, 1, 1]);
    let (_, after) = rebalanced_with(&Settings::default(), &s);
    assert_eq!(leaderships(&after, 3), vec![0, 3, 0]);
    // A fourth node takes replicas for balance, but not the ones the affinity points to.
    let mut four = s.clone();
    four.nodes.push(node(4, "eu.a", Active));
    for p in &mut four.partitions[1..] {
        p.leader_affinity = None;
    }
    let (steps, after) = rebalanced_with(&Settings::default(), &four);
    assert_eq!(after.partitions[0].leader, Some(2), "{steps:?}");
    assert_eq!(measure(&four, &after).replicas.outside_band, 0);
    let mut plain = s.clone();
    plain
        .partitions
        .iter_mut()
        .for_each(|p| p.leader_affinity = None);
    let to_n3 = Settings::parse(r#"{"default_leader_affinity": {"node": "N3"}}"#).unwrap();
    let (_, after) = rebalanced_with(&to_n3, &plain);
    assert_eq!(leaderships(&after, 3), vec![0, 0, 3]);
}

#[test]
fn the_move_budget_setting_applies_when_the_request_gives_none() {
    let s = four_nodes(
        Draining,
        (0..4).map(|id| partition(id, &[4, 2, 3])).collect(),
    );
    let budget = Settings::parse(r#"{"max_moves": 1}"#).unwrap();
    let adds = |steps: &[Step]| steps.iter().filter(|s| s.op == StepOp::AddReplica).count();
    assert_eq!(adds(&crate::rebalance_with(&budget, &s, None).unwrap()), 1);
    assert_eq!(
        adds(&crate::rebalance_with(&budget, &s, Some(3)).unwrap()),
        3
    );
    assert_eq!(adds(&crate::rebalance(&s, None).unwrap()), 4);
}

/// Random clusters with weights, freezes and affinities: every answer passes the checker
/// (no frozen replica set touched), rounds settle, and the settled cluster honours every
/// affinity it can, is stable, and leads every placed partition by an eligible replica where
/// one may lead (a frozen partition's where one of its current replicas is eligible).
#[test]
fn random_clusters_with_controls_settle_safely() {
    'seeds: for seed in 0..200 {
        let cluster = RandomCluster::new(seed, Oddities::ALL.with_controls());
        let s = apply_transitions(
            &permute(&cluster.snapshot, seed),
            &crate::reconcile(&cluster.snapshot).unwrap(),
        );
        let mut s = match crate::place(&s) {
            Ok(steps) => apply(&s, &steps, None),
            Err(PolicyError::InsufficientNodes(_)) => continue,
            Err(e) => panic!("seed {seed}: {e}"),
        };
        for round in 0.. {
            let steps = match crate::rebalance(&s, cluster.max_moves) {
                Ok(steps) => steps,
                Err(PolicyError::InsufficientNodes(_)) => continue 'seeds,
                Err(e) => panic!("seed {seed}: {e}"),
            };
            if steps.is_empty() {
                break;
            }
            assert!(round < 500, "seed {seed}: does not settle");
            s = apply(&s, &steps, cluster.max_moves);
        }
        assert!(s.affinity_misses().is_empty(), "seed {seed}");
        match crate::rebalance(&s, None) {
            Ok(steps) => assert!(steps.is_empty(), "seed {seed}: flaps: {steps:?}"),
            Err(e) => panic!("seed {seed}: {e}"),
        }
        let leaders_off = (s.unsettled().into_iter())
            .filter(|u| {
                matches!(u, Unsettled::LeaderOffEligibleReplica { partition, .. }
                if s.partitions.iter().any(|p| p.id == *partition && !p.is_unplaced()))
            })
            .count();
        assert_eq!(leaders_off, 0, "seed {seed}");
    }
}
