//! `decommission` through the host with the embedded default policy: a set that cannot leave
//! is refused before any wave, and two nodes of a 3-zone cluster leave in waves that the
//! test re-checks itself with the host's invariant checker, ending disabled and balanced.

use worker_policy::decommission::{
    decommission, Decommission, DecommissionError, DecommissionRequest,
};
use worker_policy::simulate;
use worker_policy_model::generate::{generate, ClusterShape};
use worker_policy_model::invariants::PlanChecker;
use worker_policy_model::{quality, NodeId, Replication, Scope, Snapshot, WorkerState};
use worker_policy_tests::default_policy;

/// `zones` of workers, `partitions` placed by the default policy, `{zone: 3, node: 3}`.
fn placed_by_the_policy(zones: Vec<u32>, partitions: u32) -> Snapshot {
    let replication = Replication::parse("{zone: 3, node: 3}").unwrap();
    let empty = generate(&ClusterShape::new(zones, partitions, replication));
    simulate(&default_policy(), &empty, None, 20).unwrap().last
}

fn request(nodes: &[NodeId], max_draining: u32) -> DecommissionRequest {
    DecommissionRequest {
        nodes: nodes.to_vec(),
        max_draining,
        max_moves: None,
        max_rounds: 20,
    }
}

#[test]
fn a_set_that_would_empty_a_zone_is_refused_naming_the_node_and_scope() {
    let cluster = placed_by_the_policy(vec![2, 2, 2], 24);
    let Err(DecommissionError::CannotLeave(refusal)) =
        decommission(&default_policy(), &cluster, &request(&[1, 2, 3], 1))
    else {
        panic!("N1 and N2 are zone 1's only workers");
    };
    assert_eq!(refusal.node, 2);
    assert_eq!(refusal.shortfall.scope, Scope::Zone);
    assert_eq!(
        (refusal.shortfall.available, refusal.shortfall.required),
        (2, 3)
    );
    assert_eq!(refusal.can_leave, [1, 3]);
    let message = refusal.to_string();
    assert!(message.starts_with("N2 cannot leave"), "{message}");
    assert!(
        message.contains("scope zone") && message.ends_with("is N1, N3"),
        "{message}"
    );
}

/// Replays every wave with the host's checker, from the wave's start: the drains as operator
/// requests, each round's transitions and steps as the policy's answers, then the disables;
/// the property stays satisfiable after every step of the way, and the replay ends where the
/// wave says it does.
fn recheck(done: &Decommission) {
    for (i, wave) in done.waves.iter().enumerate() {
        let mut checker = PlanChecker::new(wave.start.clone());
        for t in &wave.drains {
            checker.requested_transition(t).unwrap();
        }
        let mut current = checker.into_snapshot();
        for plan in &wave.rounds {
            let mut checker = PlanChecker::new(current);
            for t in &plan.transitions {
                checker
                    .transition(t)
                    .unwrap_or_else(|v| panic!("wave {}: {v}", i + 1));
            }
            checker.begin_answer();
            checker
                .steps(&plan.steps)
                .unwrap_or_else(|v| panic!("wave {}: {v}", i + 1));
            current = checker.into_snapshot();
            assert_eq!(current.shortfall_without(None), None, "wave {}", i + 1);
        }
        let mut checker = PlanChecker::new(current);
        for t in &wave.disables {
            checker.requested_transition(t).unwrap();
        }
        assert_eq!(checker.into_snapshot(), wave.after, "wave {}", i + 1);
    }
}

#[test]
fn two_nodes_of_a_three_zone_cluster_leave_disabled_and_balanced_in_checked_waves() {
    let cluster = placed_by_the_policy(vec![4, 4, 4], 256);
    for max_draining in [1, 2] {
        let done = decommission(&default_policy(), &cluster, &request(&[2, 7], max_draining))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(done.waves.len(), 2 / max_draining as usize);
        assert!(done.is_complete());
        recheck(&done);
        for id in [2, 7] {
            let node = done.last.node(id).unwrap();
            assert_eq!(node.worker_state, WorkerState::Disabled, "N{id}");
            assert!(done.last.usage(id).is_idle(), "N{id}");
        }
        let q = quality::measure(&cluster, &done.last);
        assert_eq!(q.eligible_nodes, 10);
        assert_eq!((q.replicas.outside_band, q.leaders.outside_band), (0, 0));
        for wave in &done.waves {
            assert!(wave.moves() > 0, "each wave moves its nodes' replicas");
            assert_eq!(wave.quality().replicas.outside_band, 0);
        }
    }
}
