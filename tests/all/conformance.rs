//! The conformance suite against every policy in the repository, as CI certifies them: the
//! default policy (contract 0.2.0) and the least-loaded policy (contract 0.1.0) pass every
//! safety property, every broken module fails exactly the property its bug breaks, and the
//! counterexample files replay. Verdicts that only differ from a reference rule set are
//! reported as differences, never as failures. Each policy runs with the options of the
//! contract version it speaks, as the CLI runs it.

use std::path::PathBuf;

use worker_policy::conformance::{
    self, Counterexample, Options, Property, ReferenceRules, Replay, Report,
};
use worker_policy::contract::ContractVersion;
use worker_policy::embedded::DEFAULT_POLICY;
use worker_policy::model::{NodeId, Snapshot, Step, Transition, Verdict, WorkerState};
use worker_policy::snapshot_file::SnapshotFile;
use worker_policy::{evaluate, simulate, Hook, Limits, LoadedPolicy, PolicyHooks};
use worker_policy_tests::{error_chain, LEAST_LOADED_POLICY};

/// Few generated cases, so the whole crate stays quick; the CLI defaults to more.
fn options() -> Options {
    Options {
        seed: 11,
        cases: 8,
        ..Options::default()
    }
}

fn load(bytes: &[u8]) -> LoadedPolicy {
    LoadedPolicy::load(bytes, options().limits(Limits::default()))
        .unwrap_or_else(|e| panic!("loading a test policy: {e}"))
}

/// The suite's options for `policy`, as the CLI chooses them: its contract version decides
/// whether weights, freezes and leader affinities are exercised.
fn options_for(policy: &LoadedPolicy) -> Options {
    Options {
        contract: policy.metadata().contract_version,
        ..options()
    }
}

/// What failed, for assertion messages.
fn failures(report: &Report) -> String {
    report
        .properties
        .iter()
        .filter_map(|r| r.describe())
        .map(|d| format!("\n{d}\n"))
        .collect()
}

fn assert_certified(bytes: &[u8]) {
    let policy = load(bytes);
    let report = conformance::run(&policy, &options_for(&policy));
    assert!(report.passed(), "{}", failures(&report));
    assert!(report.checks > 100, "{} checks", report.checks);
    assert!(report.fuel_used > 0, "the suite meters fuel");
    for row in &report.quality {
        assert!(row.result.is_ok(), "{}: {:?}", row.shape, row.result);
    }
}

#[test]
fn the_default_policy_passes_every_safety_property() {
    assert_eq!(
        load(DEFAULT_POLICY).metadata().contract_version,
        ContractVersion::V0_2
    );
    assert_certified(DEFAULT_POLICY);
}

/// The least-loaded policy stays a contract 0.1.0 component: this test is the proof that a
/// 0.1.0 module passes conformance on this 0.2.0 host (through the host's adapter; it sees no
/// weights, freezes or affinities, so the suite generates none for it).
#[test]
fn the_least_loaded_policy_passes_every_safety_property() {
    assert_eq!(
        load(LEAST_LOADED_POLICY).metadata().contract_version,
        ContractVersion::V0_1
    );
    assert_certified(LEAST_LOADED_POLICY);
}

#[test]
fn the_suite_exercises_the_controls_only_for_a_policy_that_speaks_0_2_0() {
    let with = |contract| {
        let options = Options {
            contract,
            cases: 0,
            ..options()
        };
        conformance::run(&load(DEFAULT_POLICY), &options)
    };
    let (old, new) = (with(ContractVersion::V0_1), with(ContractVersion::V0_2));
    assert!(
        old.passed() && new.passed(),
        "{}{}",
        failures(&old),
        failures(&new)
    );
    assert!(new.scenarios > old.scenarios, "the control classes");
    assert!(new.quality.len() > old.quality.len(), "the weighted rows");
    for row in &new.quality {
        let scored = row.result.as_ref().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(scored.quality.replicas.outside_band, 0, "{}", row.shape);
    }
}

/// The kinds of difference in `report`: (from, to, whether the policy allowed).
fn difference_kinds(report: &Report) -> Vec<(WorkerState, WorkerState, bool)> {
    report
        .differences
        .iter()
        .map(|d| (d.from, d.to, d.policy_allows))
        .collect()
}

#[test]
fn the_default_policy_agrees_with_its_own_reference_rules() {
    let report = conformance::run(&load(DEFAULT_POLICY), &options());
    assert_eq!(report.options.rules, ReferenceRules::Default);
    assert!(report.passed(), "{}", failures(&report));
    assert_eq!(difference_kinds(&report), []);
}

#[test]
fn the_default_policy_differs_from_restates_rules_only_on_disabling_an_idle_node() {
    use WorkerState::{Active, Disabled, Draining};
    let options = Options {
        rules: ReferenceRules::Restate,
        ..options()
    };
    let report = conformance::run(&load(DEFAULT_POLICY), &options);
    assert!(
        report.passed(),
        "a difference is not a failure{}",
        failures(&report)
    );
    assert_eq!(
        difference_kinds(&report),
        [(Active, Disabled, true), (Draining, Disabled, true)]
    );
    for difference in &report.differences {
        assert!(difference.count > 0);
        assert!(!difference.reference_allows());
        let example = &difference.example;
        assert!(
            example.reference_rule.contains("without --force"),
            "{}",
            example.reference_rule
        );
        assert!(!example.policy_reason.is_empty() && !example.scenario.is_empty());
    }
}

/// The default policy, except that `validate-transition` refuses every request: never unsafe,
/// so it passes every property, and every request the reference allows is a difference.
struct RefusesEveryTransition(LoadedPolicy);

impl PolicyHooks for RefusesEveryTransition {
    fn validate_transition(
        &self,
        _: &Snapshot,
        node: NodeId,
        to: WorkerState,
    ) -> Result<Verdict, worker_policy::Error> {
        Ok(Verdict {
            allowed: false,
            reason: format!("this policy moves no node, and not N{node} to {to}"),
        })
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
fn a_policy_that_refuses_every_transition_is_safe_and_differs_wherever_the_rules_allow() {
    use WorkerState::{Active, Disabled, Draining, Provisioning};
    let policy = RefusesEveryTransition(load(DEFAULT_POLICY));
    for rules in ReferenceRules::ALL {
        let options = Options { rules, ..options() };
        let report = conformance::run(&policy, &options);
        assert!(report.passed(), "{}: {}", rules.name(), failures(&report));
        let kinds = difference_kinds(&report);
        assert!(kinds.iter().all(|&(.., allowed)| !allowed), "{kinds:?}");
        for kind in [
            (Provisioning, Active, false),
            (Active, Active, false),
            (Active, Draining, false),
            (Draining, Active, false),
            (Disabled, Active, false),
        ] {
            assert!(
                kinds.contains(&kind),
                "{}: {kind:?} in {kinds:?}",
                rules.name()
            );
        }
        let disabling_idle = kinds.contains(&(Draining, Disabled, false));
        assert_eq!(
            disabling_idle,
            rules == ReferenceRules::Default,
            "{kinds:?}"
        );
    }
}

/// A fresh folder for counterexample files.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "worker-policy-conformance-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Replays a counterexample from its files, as the report says to, and checks it shows the
/// same thing again.
fn assert_replays(policy: &LoadedPolicy, feature: &str, example: &Counterexample) {
    assert!(!example.files.is_empty(), "{feature}: no file written");
    let read = |i: usize| {
        SnapshotFile::read(&example.files[i])
            .unwrap_or_else(|e| panic!("{feature}: {e}"))
            .snapshot
    };
    let snapshot = read(0);
    match example.replay {
        Replay::Evaluate { max_moves } => {
            let shown = match evaluate(policy, &snapshot, max_moves) {
                Err(error) => error.to_string(),
                Ok(e) if e.plan.is_empty() => "an empty plan".into(),
                Ok(e) => panic!("{feature}: replay answered {:?}", e.plan),
            };
            assert_eq!(shown, example.answer, "{feature}");
        }
        Replay::Simulate {
            max_moves,
            max_rounds,
        } => {
            let run = simulate(policy, &snapshot, max_moves, max_rounds);
            assert!(run.is_err(), "{feature}: simulate converged");
        }
        Replay::Transition { node, to } => {
            let verdict = policy.validate_transition(&snapshot, node, to);
            let allowed = verdict.is_ok_and(|v| v.allowed);
            assert_eq!(allowed, example.answer.starts_with("allowed"), "{feature}");
        }
        Replay::Shuffled { .. } => {
            assert_eq!(example.files.len(), 2, "{feature}");
            assert_eq!(read(1), snapshot, "{feature}: the same cluster, shuffled");
        }
        Replay::Settings { ref json } => {
            let answer = policy.probe_settings(json).expect("a 0.2.0 policy");
            let shown = answer.map_or_else(|e| error_chain(&e), |_| "answered".into());
            assert_eq!(shown, example.answer, "{feature}");
        }
    }
}

/// The default policy with blank reasons: on its verdicts (`verdicts`), or else on its
/// transitions and steps. Every decision stays the default's, so only contract hygiene fails.
struct BlankReasons {
    policy: LoadedPolicy,
    verdicts: bool,
}

impl PolicyHooks for BlankReasons {
    fn validate_transition(
        &self,
        snapshot: &Snapshot,
        node: NodeId,
        to: WorkerState,
    ) -> Result<Verdict, worker_policy::Error> {
        let verdict = self.policy.validate_transition(snapshot, node, to)?;
        Ok(Verdict {
            reason: if self.verdicts {
                " ".into()
            } else {
                verdict.reason
            },
            ..verdict
        })
    }

    fn reconcile(&self, snapshot: &Snapshot) -> Result<Vec<Transition>, worker_policy::Error> {
        let mut transitions = self.policy.reconcile(snapshot)?;
        for t in transitions.iter_mut().filter(|_| !self.verdicts) {
            t.reason.clear();
        }
        Ok(transitions)
    }

    fn place(&self, snapshot: &Snapshot) -> Result<Vec<Step>, worker_policy::Error> {
        Ok(self.blank(self.policy.place(snapshot)?))
    }

    fn rebalance(
        &self,
        snapshot: &Snapshot,
        max_moves: Option<u32>,
    ) -> Result<Vec<Step>, worker_policy::Error> {
        Ok(self.blank(self.policy.rebalance(snapshot, max_moves)?))
    }
}

impl BlankReasons {
    fn blank(&self, mut steps: Vec<Step>) -> Vec<Step> {
        for step in steps.iter_mut().filter(|_| !self.verdicts) {
            step.reason.clear();
        }
        steps
    }
}

#[test]
fn blank_reasons_fail_contract_hygiene_and_nothing_else() {
    for verdicts in [true, false] {
        let policy = BlankReasons {
            policy: load(DEFAULT_POLICY),
            verdicts,
        };
        let report = conformance::run(&policy, &options_for(&policy.policy));
        assert_eq!(
            report.failed(),
            [Property::ContractHygiene],
            "verdicts {verdicts}: {}",
            failures(&report)
        );
        let example = report
            .properties
            .iter()
            .find_map(|r| r.counterexample.as_ref())
            .expect("a counterexample");
        assert!(
            example.answer.contains("blank reason"),
            "{}",
            example.answer
        );
    }
}

/// Runs the suite on a broken module, which must fail exactly `property` (the one its bug
/// breaks), with counterexamples that replay.
fn assert_caught(feature: &str, bytes: &[u8], property: Property) {
    let policy = load(bytes);
    let mut report = conformance::run(&policy, &options_for(&policy));
    let failed: Vec<Property> = report.failed();
    assert_eq!(
        failed,
        [property],
        "{feature}: expected to fail only {property}{}",
        failures(&report)
    );
    let dir = scratch(feature);
    report.write_counterexamples(&dir).unwrap();
    for example in report
        .properties
        .iter()
        .filter_map(|r| r.counterexample.as_ref())
    {
        assert_replays(&policy, feature, example);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A test that the module of bug `$bug` (a module of `worker_policy_tests::broken`) fails
/// exactly `Property::$property`.
macro_rules! caught {
    ($($bug:ident => $property:ident,)+) => {
        /// Every broken module, one test each.
        mod broken_modules {
            use super::*;
            $(
                #[test]
                pub(super) fn $bug() {
                    use worker_policy_tests::broken::$bug as bug;
                    assert_caught(bug::FEATURE, bug::COMPONENT, Property::$property);
                }
            )+
        }
    };
}

// The property each bug of `tests/policies/broken` breaks: a line for a bug that does not
// exist, or a bug without a line, does not compile.
caught! {
    places_on_draining => PlacementEligibility,
    disables_holding_node => TransitionRules,
    allows_forbidden_transition => TransitionRules,
    skips_safety_check => TransitionRules,
    removes_before_adding => MakeBeforeBreak,
    ignores_draining => Convergence,
    keeps_next_sets => Convergence,
    refuses_satisfiable => Convergence,
    places_frozen_short => Convergence,
    leader_off_replica => LeaderPlacement,
    order_dependent => Determinism,
    flaps => Stability,
    duplicate_steps => ContractHygiene,
    unknown_partition => ContractHygiene,
    counts_non_workers => TransitionRules,
    disables_idle_workers => TransitionRules,
    allows_disabled_to_draining => TransitionRules,
    caps_replicas_at_three => Convergence,
    truncates_node_ids => ContractHygiene,
    places_on_non_workers => PlacementEligibility,
    never_activates => Convergence,
    ignores_freezes => Freezes,
    ignores_leader_affinity => LeaderAffinity,
    faults_on_settings => ContractHygiene,
    matches_location_by_prefix => LeaderAffinity,
    tracks_placed_ids_in_8_bits => Convergence,
}

/// Names the test of bug `$bug`, so a bug without one does not compile.
macro_rules! assert_test_exists {
    ($bug:ident) => {
        #[allow(unused_imports, reason = "the import only proves the test exists")]
        use broken_modules::$bug as _;
    };
}
worker_policy_tests::for_each_broken_policy!(assert_test_exists);

/// The example cluster, read as the CLI reads it.
fn example(name: &str) -> worker_policy::model::Snapshot {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../examples")
        .join(name);
    SnapshotFile::read(&path)
        .unwrap_or_else(|e| panic!("{e}"))
        .snapshot
}

#[test]
fn the_host_refuses_a_drain_the_policy_allowed_when_the_property_cannot_do_without_it() {
    use worker_policy::model::transition_safety::TransitionHazard;
    use worker_policy::model::WorkerState;
    use worker_policy::verdict_check::check_verdict;
    use worker_policy_tests::broken::skips_safety_check as bug;

    let policy = load(bug::COMPONENT);
    let mut snapshot = example("three-zones-draining.json");
    // Every node but one per zone leaves placement: draining any of the three is unsafe.
    for n in &mut snapshot.nodes {
        if ![1, 4, 7].contains(&n.id) {
            n.alive = false;
        }
    }
    let verdict = policy
        .validate_transition(&snapshot, 1, WorkerState::Draining)
        .unwrap();
    assert!(verdict.allowed, "the broken policy allows it");
    let refused = check_verdict(&snapshot, 1, WorkerState::Draining, &verdict).unwrap_err();
    assert!(matches!(
        refused.hazard,
        TransitionHazard::Unsatisfiable { node: 1, .. }
    ));
    assert!(refused.hazard_can_be_forced());
    let default = load(DEFAULT_POLICY)
        .validate_transition(&snapshot, 1, WorkerState::Draining)
        .unwrap();
    assert!(!default.allowed, "{}", default.reason);
}

#[test]
fn a_false_insufficient_nodes_answer_is_the_policys_fault_not_a_refusal() {
    use worker_policy::error::PolicyFault;
    use worker_policy::{Error, ErrorClass};
    use worker_policy_tests::broken::refuses_satisfiable as bug;

    // Satisfiable (eligible workers in each of the three zones) and draining a node: the
    // broken module claims insufficient nodes.
    let snapshot = example("three-zones-draining.json");
    assert!(snapshot.shortfall_without(None).is_none());
    let error = evaluate(&load(bug::COMPONENT), &snapshot, None).unwrap_err();
    assert_eq!(error.class(), ErrorClass::PolicyFault, "{error}");
    let Error::Fault(PolicyFault::FalseInsufficient { hook, .. }) = &error else {
        panic!("{error}");
    };
    assert_eq!(*hook, Hook::Place);
    assert!(
        error.to_string().contains(
            "the eligible workers can satisfy the replication property {zone: 3, node: 3}"
        ),
        "{error}"
    );
    // Where the workers cannot satisfy it, the same answer is a refusal the host passes on.
    let mut short = snapshot.clone();
    for node in short.nodes.iter_mut().filter(|n| n.location == "eu-west.a") {
        node.alive = false;
    }
    assert!(short.shortfall_without(None).is_some());
    let refused = evaluate(&load(bug::COMPONENT), &short, None).unwrap_err();
    assert_eq!(refused.class(), ErrorClass::Refused, "{refused}");
}

#[test]
fn simulate_does_not_call_a_cluster_with_work_left_converged() {
    use worker_policy::error::PolicyFault;
    use worker_policy::model::settled::UnsettledKind;
    use worker_policy::{Error, ErrorClass};
    use worker_policy_tests::broken::ignores_draining as bug;

    let snapshot = example("three-zones-draining.json");
    let error = simulate(&load(bug::COMPONENT), &snapshot, None, 30).unwrap_err();
    assert_eq!(error.class(), ErrorClass::PolicyFault);
    let Error::Fault(PolicyFault::StoppedUnsettled(stopped)) = &error else {
        panic!("{error}");
    };
    assert!(stopped.satisfiable);
    assert_eq!(stopped.left[0].kind(), UnsettledKind::DrainingInUse);
    assert!(
        error.to_string().contains(
            "with an empty plan, yet the cluster is not settled: 1 draining node(s) still in use"
        ),
        "{error}"
    );
    assert!(simulate(&load(DEFAULT_POLICY), &snapshot, None, 30).is_ok());
}

#[test]
fn a_drain_that_a_freeze_blocks_is_named_and_the_node_never_disabled() {
    let mut snapshot = example("three-zones-draining.json");
    let drainer = snapshot
        .nodes
        .iter()
        .find(|n| n.worker_state == WorkerState::Draining)
        .map(|n| n.id)
        .expect("the example drains a node");
    let frozen = snapshot
        .partitions
        .iter_mut()
        .find(|p| p.replicas.contains(&drainer))
        .expect("the draining node holds a partition");
    frozen.freeze = Some("maintenance".into());
    let frozen = frozen.clone();
    let simulation = simulate(&load(DEFAULT_POLICY), &snapshot, None, 30)
        .unwrap_or_else(|e| panic!("a blocked drain is not work left: {e}"));
    let last = simulation.last;
    let node = last.node(drainer).expect("the node stays");
    assert_eq!(node.worker_state, WorkerState::Draining, "never disabled");
    assert_eq!(
        last.partition(frozen.id).map(|p| &p.replicas),
        Some(&frozen.replicas)
    );
    let blocked: Vec<String> = last.blocked().iter().map(ToString::to_string).collect();
    assert_eq!(
        blocked,
        [format!(
            "N{drainer} cannot be emptied: partition {} is frozen (maintenance)",
            frozen.id
        )]
    );
}
