//! `rollout` on a 3-zone cluster placed by the default policy: every worker restarts once, and
//! wave by wave the test checks itself that no partition loses more replicas than it can spare
//! and that no leader sits on a restarting node, with the leader moves applied by the host's
//! invariant checker.

use std::collections::BTreeSet;

use worker_policy::rollout::{rollout, RolloutRequest};
use worker_policy::simulate;
use worker_policy_model::generate::{generate, ClusterShape};
use worker_policy_model::invariants::PlanChecker;
use worker_policy_model::{NodeId, Replication, Snapshot, Step};
use worker_policy_tests::default_policy;

fn placed_by_the_policy() -> Snapshot {
    let replication = Replication::parse("{zone: 3, node: 3}").unwrap();
    let empty = generate(&ClusterShape::new(vec![4, 4, 4], 256, replication));
    simulate(&default_policy(), &empty, None, 20).unwrap().last
}

/// Checks one wave on `current`, where its leader moves were applied.
fn check_wave(current: &Snapshot, wave: &BTreeSet<NodeId>) {
    let spare = (current.replication.factor() - 1) / 2;
    for p in &current.partitions {
        let down = p.replicas.iter().filter(|n| wave.contains(n)).count() as u32;
        assert!(
            down <= spare,
            "partition {} loses {down} of {:?}",
            p.id,
            p.replicas
        );
        let leader = p.leader.expect("every partition is led");
        assert!(
            !wave.contains(&leader),
            "partition {} is led by restarting N{leader}",
            p.id
        );
        let zones: BTreeSet<&str> = p
            .replicas
            .iter()
            .filter(|n| !wave.contains(n))
            .map(|&n| current.node(n).unwrap().zone())
            .collect();
        assert!(zones.len() >= 2, "partition {} keeps zones {zones:?}", p.id);
    }
}

#[test]
fn a_three_zone_cluster_restarts_every_worker_without_losing_more_than_it_can_spare() {
    let cluster = placed_by_the_policy();
    for max_unavailable in [1, 2, 4] {
        let plan = rollout(
            &cluster,
            &RolloutRequest {
                nodes: None,
                max_unavailable,
            },
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let mut restarted: Vec<NodeId> = Vec::new();
        let mut current = cluster.clone();
        for wave in &plan.waves {
            assert!(wave.nodes.len() <= max_unavailable as usize);
            let nodes: BTreeSet<NodeId> = wave.nodes.iter().copied().collect();
            let moves: Vec<Step> = wave.leader_moves.iter().map(|m| m.step.clone()).collect();
            let mut checker = PlanChecker::new(current);
            checker.steps(&moves).unwrap_or_else(|v| panic!("{v}"));
            check_wave(checker.snapshot(), &nodes);
            checker.begin_answer();
            checker
                .steps(&wave.leaders_back)
                .unwrap_or_else(|v| panic!("{v}"));
            current = checker.into_snapshot();
            restarted.extend(wave.nodes.iter().copied());
        }
        restarted.sort_unstable();
        assert_eq!(restarted, (1..=12).collect::<Vec<_>>(), "every worker once");
        assert_eq!(
            current, cluster,
            "no replica moved and the leaders are back"
        );
        if max_unavailable == 4 {
            assert_eq!(plan.waves.len(), 3, "one zone per wave");
        }
    }
}
