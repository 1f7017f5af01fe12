//! `decommission` through the host with the embedded default policy: a set that cannot leave
//! is refused before any wave, and two nodes of a 3-zone cluster leave in waves that the
//! test re-checks itself with the host's invariant checker, ending disabled and balanced; an
//! already-draining node drains in the first wave, and a refused drain keeps the waves done.

use worker_policy::decommission::{
    decommission, Decommission, DecommissionError, DecommissionRequest,
};
use worker_policy::{simulate, PolicyHooks};
use worker_policy_model::generate::{generate, ClusterShape};
use worker_policy_model::invariants::PlanChecker;
use worker_policy_model::{
    quality, NodeId, Replication, Scope, Snapshot, Step, StepOp, Transition, Verdict, WorkerState,
};
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
        // The first wave's plan gives the nodes of later waves nothing and empties them too:
        // every replica moves once.
        assert_eq!(done.moves(), done.waves[0].moves());
        assert_eq!(done.moves() as u64, q.moves);
        for wave in &done.waves {
            assert_eq!(wave.quality().replicas.outside_band, 0);
        }
    }
}

/// The default policy, except that it refuses to drain N7.
struct RefusesN7(worker_policy::LoadedPolicy);

impl PolicyHooks for RefusesN7 {
    fn validate_transition(
        &self,
        snapshot: &Snapshot,
        node: NodeId,
        to: WorkerState,
    ) -> Result<Verdict, worker_policy::Error> {
        if node == 7 && to == WorkerState::Draining {
            return Ok(Verdict {
                allowed: false,
                reason: "N7 stays".into(),
            });
        }
        self.0.validate_transition(snapshot, node, to)
    }

    fn reconcile(&self, snapshot: &Snapshot) -> Result<Vec<Transition>, worker_policy::Error> {
        self.0.reconcile(snapshot)
    }

    fn place(&self, snapshot: &Snapshot) -> Result<Vec<Step>, worker_policy::Error> {
        self.0.place(snapshot)
    }

    fn rebalance(
        &self,
        snapshot: &Snapshot,
        max_moves: Option<u32>,
    ) -> Result<Vec<Step>, worker_policy::Error> {
        self.0.rebalance(snapshot, max_moves)
    }
}

#[test]
fn a_refused_drain_stops_the_waves_and_keeps_the_ones_done() {
    let cluster = placed_by_the_policy(vec![4, 4, 4], 64);
    let done = decommission(&RefusesN7(default_policy()), &cluster, &request(&[2, 7], 1))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(done.waves.len(), 1, "N2's wave is done");
    recheck(&done);
    let refused = done.refused.as_ref().expect("N7 is refused");
    assert_eq!((refused.wave, refused.node), (2, 7));
    assert!(!done.is_complete());
    assert_eq!(done.last, done.waves[0].after);
}

#[test]
fn an_already_draining_node_drains_in_the_first_wave_whatever_its_place_in_the_order() {
    let mut cluster = placed_by_the_policy(vec![4, 4, 4], 64);
    cluster
        .nodes
        .iter_mut()
        .find(|n| n.id == 6)
        .unwrap()
        .worker_state = WorkerState::Draining;
    for order in [[2, 6], [6, 2]] {
        let done = decommission(&default_policy(), &cluster, &request(&order, 1))
            .unwrap_or_else(|e| panic!("{order:?}: {e}"));
        assert!(done.is_complete(), "{order:?}");
        assert_eq!(done.waves[0].nodes, [6], "{order:?}");
        recheck(&done);
    }
}

#[test]
fn no_wave_places_a_replica_on_a_node_of_a_later_wave_and_each_replica_moves_once() {
    let cluster = worker_policy_tests::example("three-zones-draining.json");
    for (order, max_draining) in [([1, 2, 4], 1), ([4, 5, 7], 1), ([2, 4, 7], 2)] {
        let order = &order[..];
        let done = decommission(&default_policy(), &cluster, &request(order, max_draining))
            .unwrap_or_else(|e| panic!("{order:?}: {e}"));
        recheck(&done);
        for (i, wave) in done.waves.iter().enumerate() {
            let later: Vec<NodeId> = done.waves[i + 1..]
                .iter()
                .flat_map(|w| w.nodes.clone())
                .collect();
            for step in wave.rounds.iter().flat_map(|p| &p.steps) {
                if step.op == StepOp::AddReplica {
                    assert!(
                        !later.contains(&step.node),
                        "{order:?} wave {}: {step}",
                        i + 1
                    );
                }
            }
        }
        let q = quality::measure(&cluster, &done.last);
        assert_eq!(done.moves() as u64, q.lower_bound.value(), "{order:?}");
    }
}
