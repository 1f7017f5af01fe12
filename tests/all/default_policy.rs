//! The embedded default policy, run through the host on the example snapshots: the outcomes an
//! operator relies on, checked end to end (component, sandbox, invariant checks, simulation).

use worker_policy::{evaluate, simulate, Error, PolicySettings};
use worker_policy_model::invariants::PlanChecker;
use worker_policy_model::quality::measure;
use worker_policy_model::replication::Shortfall;
use worker_policy_model::{LeaderAffinity, PolicyError, Scope, StepOp, WorkerState};
use worker_policy_tests::{default_policy, example, shuffled};

/// The examples the default policy can plan (all but the unsatisfiable one).
const PLANNABLE: [&str; 3] = [
    "three-zones-draining.json",
    "scale-out-provisioning.json",
    "new-cluster.json",
];

#[test]
fn info_names_the_default_policy() {
    let policy = default_policy();
    let m = policy.metadata();
    assert_eq!(m.name, "worker-policy-default");
    assert_eq!(m.contract, "worker-policy:policy/policy@0.2.0");
    assert!(
        m.imports
            .iter()
            .all(|i| i.starts_with("worker-policy:policy/")),
        "{:?}",
        m.imports
    );
    assert_eq!(m.sha256.len(), 64);
}

#[test]
fn a_draining_node_is_emptied_then_disabled() {
    let policy = default_policy();
    let before = example("three-zones-draining.json");
    let held = before.usage(5).holds;
    assert!(held > 0);

    let first = evaluate(&policy, &before, None).unwrap();
    let adds = first
        .plan
        .steps
        .iter()
        .filter(|s| s.op == StepOp::AddReplica)
        .count();
    assert_eq!(
        adds as u32, held,
        "one new replica for each replica on N5, no more"
    );
    assert_eq!(
        first.after.usage(5).holds,
        0,
        "N5 holds nothing after the plan"
    );
    assert_eq!(first.after.usage(5).leads, 0);
    let q = measure(&before, &first.after);
    assert_eq!(q.replicas.outside_band, 0, "{q:?}");
    assert_eq!(q.leaders.outside_band, 0, "{q:?}");

    let run = simulate(&policy, &before, None, 10).unwrap();
    let n5 = run.last.node(5).unwrap();
    assert_eq!(
        n5.worker_state,
        WorkerState::Disabled,
        "the emptied node is disabled"
    );
    assert!(run
        .last
        .partitions
        .iter()
        .all(|p| p.next.is_none() && p.replicas.len() == 3));
}

#[test]
fn a_provisioning_node_joins_and_gets_its_share() {
    let policy = default_policy();
    let before = example("scale-out-provisioning.json");
    let run = simulate(&policy, &before, None, 10).unwrap();
    let first = &run.rounds[0];
    assert_eq!(first.transitions.len(), 1);
    assert_eq!(
        (first.transitions[0].node, first.transitions[0].to),
        (7, WorkerState::Active)
    );
    let q = measure(&before, &run.last);
    assert_eq!(q.replicas.outside_band, 0, "{q:?}");
    assert!(run.last.usage(7).holds > 0, "the new node is used");
    assert_eq!(q.moves, q.lower_bound.value(), "{q:?}");
}

#[test]
fn an_unsatisfiable_property_is_a_typed_refusal() {
    let policy = default_policy();
    let error = evaluate(&policy, &example("unsatisfiable-zones.json"), None).unwrap_err();
    match error {
        Error::Refused(PolicyError::InsufficientNodes(Shortfall {
            scope,
            available,
            required,
        })) => assert_eq!((scope, available, required), (Scope::Zone, 2, 3)),
        other => panic!("expected insufficient nodes, got {other}"),
    }
}

#[test]
fn a_new_cluster_is_activated_and_placed_balanced() {
    let policy = default_policy();
    let before = example("new-cluster.json");
    let run = simulate(&policy, &before, None, 10).unwrap();
    assert!(run
        .last
        .nodes
        .iter()
        .all(|n| n.worker_state == WorkerState::Active));
    assert!(run
        .last
        .partitions
        .iter()
        .all(|p| p.replicas.len() == 3 && p.leader.is_some()));
    let q = measure(&before, &run.last);
    assert_eq!(
        (q.replicas.outside_band, q.leaders.outside_band),
        (0, 0),
        "{q:?}"
    );
}

#[test]
fn a_capped_plan_moves_at_most_the_cap_and_later_rounds_finish() {
    let policy = default_policy();
    let before = example("three-zones-draining.json");
    let capped = evaluate(&policy, &before, Some(2)).unwrap();
    assert!(capped.plan.moves() <= 2);
    let run = simulate(&policy, &before, Some(2), 20).unwrap();
    assert!(run.rounds.len() >= 3, "six moves at two a round");
    assert_eq!(run.last.usage(5).holds, 0);
}

#[test]
fn the_plan_is_the_same_for_any_input_order_and_any_run() {
    let policy = default_policy();
    for name in PLANNABLE {
        let snapshot = example(name);
        let first = evaluate(&policy, &snapshot, None).unwrap().plan;
        assert_eq!(
            first,
            evaluate(&policy, &snapshot, None).unwrap().plan,
            "{name}: same input"
        );
        assert_eq!(
            first,
            evaluate(&policy, &shuffled(&snapshot), None).unwrap().plan,
            "{name}: shuffled input"
        );
    }
}

#[test]
fn transitions_follow_the_documented_rules() {
    let policy = default_policy();
    let s = example("three-zones-draining.json");
    let verdict = |node, to| policy.validate_transition(&s, node, to).unwrap();

    let draining_to_disabled = verdict(5, WorkerState::Disabled);
    assert!(!draining_to_disabled.allowed);
    assert!(
        draining_to_disabled.reason.contains('6'),
        "says how many partitions hold it: {}",
        draining_to_disabled.reason
    );
    assert!(!verdict(1, WorkerState::Provisioning).allowed);
    assert!(!verdict(5, WorkerState::Provisioning).allowed);
    assert!(verdict(1, WorkerState::Draining).allowed);
    assert!(verdict(5, WorkerState::Active).allowed);
    assert!(verdict(1, WorkerState::Active).allowed, "same -> same");
    // Zone a keeps N2 and N3 active if N1 drains, but draining a whole zone breaks {zone: 3}.
    let mut two_left = s.clone();
    for id in [2, 3] {
        two_left
            .nodes
            .iter_mut()
            .find(|n| n.id == id)
            .unwrap()
            .worker_state = WorkerState::Draining;
    }
    let whole_zone = policy
        .validate_transition(&two_left, 1, WorkerState::Draining)
        .unwrap();
    assert!(!whole_zone.allowed);
    assert!(whole_zone.reason.contains("zone"), "{}", whole_zone.reason);
    assert!(matches!(
        policy.validate_transition(&s, 99, WorkerState::Active),
        Err(Error::Refused(PolicyError::UnknownNode(99)))
    ));
}

#[test]
fn every_plan_is_safe_step_by_step() {
    // The host already refuses unsafe plans; this re-checks the whole evaluation independently.
    let policy = default_policy();
    for name in PLANNABLE {
        let before = example(name);
        let evaluation = evaluate(&policy, &before, None).unwrap();
        let after = PlanChecker::apply_transitions(before, &evaluation.plan.transitions)
            .and_then(|s| PlanChecker::apply_steps(s, &evaluation.plan.steps))
            .unwrap_or_else(|v| panic!("{name}: {v}"));
        assert_eq!(after, evaluation.after);
    }
}

#[test]
fn a_frozen_partition_on_a_draining_node_is_left_as_it_is_and_keeps_the_node_enabled() {
    let policy = default_policy();
    let mut before = example("three-zones-draining.json");
    let frozen = (before.partitions.iter_mut())
        .find(|p| p.replicas.contains(&5))
        .expect("a partition on N5");
    frozen.freeze = Some("incident 42".into());
    let (id, replicas) = (frozen.id, frozen.replicas.clone());
    let first = evaluate(&policy, &before, None).unwrap();
    assert!(
        (first.plan.steps.iter()).all(|s| s.partition != id || s.op == StepOp::SetLeader),
        "{:?}",
        first.plan.steps
    );
    let run = simulate(&policy, &before, None, 10).unwrap();
    let after = run.last.partitions.iter().find(|p| p.id == id).unwrap();
    assert_eq!(after.replicas, replicas);
    assert_ne!(after.leader, Some(5), "its leader leaves the draining node");
    assert_eq!(
        run.last.node(5).unwrap().worker_state,
        WorkerState::Draining
    );
    let blocked = run.last.blocked();
    assert_eq!(blocked.len(), 1, "{blocked:?}");
    assert!(
        blocked[0].to_string().contains("incident 42"),
        "{}",
        blocked[0]
    );
}

#[test]
fn a_leader_affinity_is_honoured_through_the_component() {
    let policy = default_policy();
    let mut before = example("three-zones-draining.json");
    let mut pinned = Vec::new();
    for p in &mut before.partitions {
        let Some(&other) = p.replicas.iter().find(|&&n| n != 5 && Some(n) != p.leader) else {
            continue;
        };
        p.leader_affinity = Some(LeaderAffinity::Node(other));
        pinned.push((p.id, other));
    }
    assert!(!pinned.is_empty());
    let run = simulate(&policy, &before, None, 10).unwrap();
    assert!(run.last.affinity_misses().is_empty());
    for (id, node) in pinned {
        let p = run.last.partitions.iter().find(|p| p.id == id).unwrap();
        if p.replicas.contains(&node) {
            assert_eq!(p.leader, Some(node), "partition {id}");
        }
    }
}

#[test]
fn settings_reach_the_component() {
    let mut policy = default_policy();
    let before = example("three-zones-draining.json");
    let settings = PolicySettings::parse("--settings-json", r#"{"max_moves": 1}"#).unwrap();
    policy.configure(&settings).unwrap();
    let first = evaluate(&policy, &before, None).unwrap();
    let adds = (first.plan.steps.iter())
        .filter(|s| s.op == StepOp::AddReplica)
        .count();
    assert_eq!(adds, 1, "{:?}", first.plan.steps);
    let unknown = PolicySettings::parse("--settings-json", r#"{"max_move": 1}"#).unwrap();
    let refused = policy.configure(&unknown).unwrap_err().to_string();
    assert!(refused.contains("max_moves"), "{refused}");
}
