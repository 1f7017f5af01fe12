//! `compare` through the host with built components: the default policy against itself
//! decides the same on every example, and against the least-loaded policy (which never
//! rebalances) it differs where a new node should take its share.

use worker_policy::compare::{compare, compare_all, Finding, Options};
use worker_policy::{Limits, LoadedPolicy};
use worker_policy_model::{Snapshot, StepOp};
use worker_policy_tests::{default_policy, example, LEAST_LOADED_POLICY};

const EXAMPLES: [&str; 4] = [
    "new-cluster.json",
    "scale-out-provisioning.json",
    "three-zones-draining.json",
    "unsatisfiable-zones.json",
];

const OPTIONS: Options = Options {
    max_moves: None,
    max_rounds: 100,
};

fn least_loaded() -> LoadedPolicy {
    LoadedPolicy::load(LEAST_LOADED_POLICY, Limits::default()).expect("least-loaded loads")
}

fn examples() -> Vec<Snapshot> {
    EXAMPLES.iter().map(|name| example(name)).collect()
}

#[test]
fn the_default_against_itself_is_identical_on_every_example() {
    let policy = default_policy();
    for (name, comparison) in
        EXAMPLES
            .iter()
            .zip(compare_all(&policy, &policy, &examples(), &OPTIONS))
    {
        assert_eq!(
            comparison.finding(),
            Finding::Identical,
            "{name}: {comparison:?}"
        );
        assert!(comparison.verdicts.compared > 0, "{name}");
    }
}

#[test]
fn least_loaded_never_gives_a_new_node_its_share() {
    let comparison = compare(
        &default_policy(),
        &least_loaded(),
        &example("scale-out-provisioning.json"),
        &OPTIONS,
    );
    assert_eq!(comparison.finding(), Finding::Differ);
    let plans = comparison.plans.as_ref().expect("both answer with a plan");
    assert!(plans.only_candidate.is_empty(), "{plans:?}");
    assert!(
        plans
            .only_current
            .iter()
            .any(|s| s.op == StepOp::AddReplica && s.node == 7),
        "the default moves replicas to the new N7: {plans:?}"
    );
    assert!(comparison.simulations_differ);
    assert!(comparison.verdicts.differences.is_empty());
}

#[test]
fn a_corpus_comparison_is_deterministic_and_in_input_order() {
    let (current, candidate) = (default_policy(), least_loaded());
    let snapshots = examples();
    let parallel = compare_all(&current, &candidate, &snapshots, &OPTIONS);
    assert_eq!(
        parallel,
        compare_all(&current, &candidate, &snapshots, &OPTIONS)
    );
    let one_by_one: Vec<_> = snapshots
        .iter()
        .map(|s| compare(&current, &candidate, s, &OPTIONS))
        .collect();
    assert_eq!(parallel, one_by_one);
    let findings: Vec<Finding> = parallel.iter().map(|c| c.finding()).collect();
    assert_eq!(
        findings,
        [
            Finding::Differ,
            Finding::Differ,
            Finding::Differ,
            Finding::Identical
        ]
    );
}

#[test]
fn a_candidate_that_allows_what_no_policy_may_misbehaves() {
    // The broken module allows active -> provisioning: the host's verdict check refuses that
    // allowance, so the candidate's verdict is a failure, not a difference of opinion.
    let current = default_policy();
    let candidate = LoadedPolicy::load(
        worker_policy_tests::broken::allows_forbidden_transition::COMPONENT,
        Limits::default(),
    )
    .expect("the broken policy loads");
    let comparison = compare(
        &current,
        &candidate,
        &example("three-zones-draining.json"),
        &OPTIONS,
    );
    assert_eq!(comparison.finding(), Finding::Misbehaves);
    assert!(comparison.verdicts.failures() > 0);
}
