//! The Restate-compatible policy (`policies/restate`): its embedded component through the host,
//! as operators run it, and its logic natively (more generated cases in the same time): the
//! conformance suite's safety properties, its verdicts compared with both reference rule sets,
//! and the component deciding exactly what the native logic decides.

use worker_policy::conformance::{self, Options, Property, ReferenceRules, Report};
use worker_policy::embedded::RESTATE_POLICY;
use worker_policy::model::WorkerState;
use worker_policy::{evaluate, Limits, LoadedPolicy, NativePolicy};
use worker_policy_tests::example;

/// Few generated cases, so the whole crate stays quick; the CLI defaults to more.
fn options(rules: ReferenceRules) -> Options {
    Options {
        seed: 11,
        cases: 8,
        rules,
        ..Options::default()
    }
}

/// The Restate-compatible policy's logic as the host calls a policy, natively.
const RESTATE: NativePolicy = NativePolicy {
    validate_transition: worker_policy_restate::validate_transition,
    reconcile: worker_policy_restate::reconcile,
    place: worker_policy_restate::place,
    rebalance: worker_policy_restate::rebalance,
};

fn restate() -> LoadedPolicy {
    let limits = options(ReferenceRules::Default).limits(Limits::default());
    LoadedPolicy::load(RESTATE_POLICY, limits)
        .unwrap_or_else(|e| panic!("loading the Restate policy: {e}"))
}

/// The failures of `report` other than the one Restate's own selector earns: where it never
/// terminates (a property naming region and zone), the policy refuses, and the suite counts
/// that against convergence.
fn unexpected_failures(report: &Report) -> Vec<String> {
    report
        .properties
        .iter()
        .filter(|r| {
            let restates_own_loop = r
                .counterexample
                .as_ref()
                .is_some_and(|c| c.answer.contains("replica selector never terminates"));
            !(r.property == Property::Convergence && restates_own_loop)
        })
        .filter_map(|r| r.describe())
        .collect()
}

#[test]
fn the_restate_policy_passes_every_safety_property_but_where_restate_never_terminates() {
    let report = conformance::run(&restate(), &options(ReferenceRules::Default));
    let failures = unexpected_failures(&report);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(report.checks > 100, "{} checks", report.checks);
    // Against the default policy's table it differs exactly where Restate needs `--force`.
    let differences: Vec<_> = report
        .differences
        .iter()
        .map(|d| (d.from, d.to, d.policy_allows))
        .collect();
    use WorkerState::{Active, Disabled, Draining};
    assert_eq!(
        differences,
        [(Active, Disabled, false), (Draining, Disabled, false)]
    );
}

#[test]
fn the_restate_policy_gives_restates_verdicts_everywhere() {
    let report = conformance::run(&restate(), &options(ReferenceRules::Restate));
    assert!(report.differences.is_empty(), "{:?}", report.differences);
}

#[test]
fn the_restate_policy_logic_fails_no_safety_property_but_where_restate_never_terminates() {
    let report = conformance::run(&RESTATE, &Options::default());
    let failures = unexpected_failures(&report);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(report.checks > 1000, "only {} checks ran", report.checks);
}

/// Restate's own rule set (`--rules restate`) finds nothing to compare: every verdict is
/// Restate's.
#[test]
fn the_restate_policy_logic_gives_restates_verdicts_everywhere() {
    let options = Options {
        rules: ReferenceRules::Restate,
        ..Options::default()
    };
    let report = conformance::run(&RESTATE, &options);
    assert!(report.differences.is_empty(), "{:?}", report.differences);
}

#[test]
fn the_component_decides_what_the_native_logic_decides() {
    let component = restate();
    for name in [
        "three-zones-draining.json",
        "scale-out-provisioning.json",
        "new-cluster.json",
    ] {
        let snapshot = example(name);
        let wasm = evaluate(&component, &snapshot, None).unwrap_or_else(|e| panic!("{name}: {e}"));
        let logic = evaluate(&RESTATE, &snapshot, None).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(wasm.plan, logic.plan, "{name}");
        assert!(!wasm.plan.is_empty(), "{name}");
    }
}

/// The draining example with a freeze on the first partition N5 holds and, on every other
/// partition, a leader affinity to its first replica.
fn with_controls() -> (worker_policy::model::Snapshot, u32) {
    use worker_policy::model::LeaderAffinity;
    let mut snapshot = example("three-zones-draining.json");
    let frozen = (snapshot.partitions.iter_mut())
        .find(|p| p.replicas.contains(&5))
        .expect("a partition on N5");
    frozen.freeze = Some("incident 42".into());
    let id = frozen.id;
    for p in snapshot.partitions.iter_mut().filter(|p| p.id != id) {
        p.leader_affinity = p.replicas.first().map(|&n| LeaderAffinity::Node(n));
    }
    (snapshot, id)
}

#[test]
fn a_frozen_partition_is_not_retargeted_through_the_component() {
    let (snapshot, id) = with_controls();
    let component = restate();
    let wasm = evaluate(&component, &snapshot, None).unwrap();
    let logic = evaluate(&RESTATE, &snapshot, None).unwrap();
    assert_eq!(wasm.plan, logic.plan);
    let frozen = |s: &worker_policy::model::Snapshot| {
        let p = s.partitions.iter().find(|p| p.id == id).unwrap();
        (p.replicas.clone(), p.next.clone())
    };
    assert_eq!(frozen(&wasm.after), frozen(&snapshot));
    let steps_on_it: Vec<_> = (wasm.plan.steps.iter())
        .filter(|s| s.partition == id)
        .map(|s| s.op)
        .collect();
    assert!(
        steps_on_it
            .iter()
            .all(|&op| op == worker_policy::model::StepOp::SetLeader),
        "{steps_on_it:?}"
    );
    // Restate leads every other partition by its affine node wherever its new set keeps it.
    for p in wasm.after.partitions.iter().filter(|p| p.id != id) {
        let affine = match p.leader_affinity {
            Some(worker_policy::model::LeaderAffinity::Node(n)) => n,
            _ => unreachable!("every other partition has a node affinity"),
        };
        if p.replicas.contains(&affine) && affine != 5 {
            assert_eq!(p.leader, Some(affine), "partition {}", p.id);
        }
    }
}
