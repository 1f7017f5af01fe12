//! The host loads both contract versions: a 0.1.0 component (the least-loaded policy, built
//! against `wit/0.1.0/` with the SDK's `export_policy_v0_1!`) through the adapter, a 0.2.0 one
//! (the default policy) as it is; settings only for the policy whose contract has them; and
//! freezes enforced on every policy's answers, also when the policy cannot see them.

use worker_policy::contract::ContractVersion;
use worker_policy::embedded::DEFAULT_POLICY;
use worker_policy::error::{Error, PolicyFault, SettingsError};
use worker_policy::model::invariants::Invariant;
use worker_policy::model::{Node, Partition, Replication, Snapshot, WorkerState};
use worker_policy::{evaluate, Limits, LoadedPolicy, PolicySettings};
use worker_policy_tests::LEAST_LOADED_POLICY;

fn load(bytes: &[u8]) -> LoadedPolicy {
    LoadedPolicy::load(bytes, Limits::default()).expect("the policy loads")
}

fn settings(json: &str) -> PolicySettings {
    PolicySettings::parse("--settings-json", json).expect("JSON")
}

#[test]
fn each_component_says_the_contract_version_it_speaks() {
    let old = load(LEAST_LOADED_POLICY);
    assert_eq!(old.metadata().contract_version, ContractVersion::V0_1);
    assert_eq!(old.metadata().contract, "worker-policy:policy/policy@0.1.0");
    assert_eq!(
        old.metadata().settings,
        "",
        "a 0.1.0 policy takes no settings"
    );
    let current = load(DEFAULT_POLICY);
    assert_eq!(current.metadata().contract_version, ContractVersion::V0_2);
    assert!(current.metadata().settings.contains("\"max_moves\""));
}

#[test]
fn settings_are_refused_for_a_0_1_0_policy_and_checked_by_a_0_2_0_one() {
    let mut old = load(LEAST_LOADED_POLICY);
    match old.configure(&settings("{}")) {
        Err(error @ Error::Settings(SettingsError::Unsupported { .. })) => {
            let message = error.to_string();
            assert!(
                message.starts_with("--settings-json: the policy `worker-policy-least-loaded` is built against contract 0.1.0, which has no settings"),
                "{message}"
            );
        }
        other => panic!("expected unsupported settings, got {:?}", other.err()),
    }
    let mut current = load(DEFAULT_POLICY);
    match current.configure(&settings(r#"{"weights": "double"}"#)) {
        Err(Error::Settings(SettingsError::Refused {
            policy, message, ..
        })) => {
            assert_eq!(policy, "worker-policy-default");
            assert!(message.contains("unknown variant `double`"), "{message}");
        }
        other => panic!("expected refused settings, got {:?}", other.err()),
    }
    assert_eq!(current.settings(), None, "refused settings are not kept");
    current.configure(&settings(r#"{"max_moves": 2}"#)).unwrap();
    assert_eq!(current.settings(), Some(r#"{"max_moves": 2}"#));
}

/// Four active workers and a draining one that holds partition 0, frozen, and partition 1.
fn frozen_on_draining() -> Snapshot {
    let mut nodes: Vec<Node> = (1..=5).map(|id| Node::worker(id, "")).collect();
    nodes[4].worker_state = WorkerState::Draining;
    let frozen = Partition {
        freeze: Some("maintenance".into()),
        ..Partition::placed(0, &[1, 5], Some(1))
    };
    Snapshot {
        replication: Replication::nodes(2).unwrap(),
        nodes,
        partitions: vec![frozen, Partition::placed(1, &[2, 5], Some(2))],
    }
}

#[test]
fn a_0_1_0_policy_cannot_see_freezes_but_the_host_still_enforces_them() {
    match evaluate(&load(LEAST_LOADED_POLICY), &frozen_on_draining(), None) {
        Err(Error::Fault(PolicyFault::Violation { violation, .. })) => {
            assert_eq!(violation.invariant, Invariant::FrozenReplicaSet);
            assert!(violation.to_string().contains("maintenance"), "{violation}");
        }
        other => panic!("expected the freeze to be enforced, got {:?}", other.err()),
    }
    let plan = evaluate(&load(DEFAULT_POLICY), &frozen_on_draining(), None)
        .expect("the default policy leaves the frozen partition alone");
    let steps = &plan.plan.steps;
    assert!(steps.iter().all(|s| s.partition != 0), "{steps:?}");
    assert!(steps.iter().any(|s| s.partition == 1), "{steps:?}");
}
