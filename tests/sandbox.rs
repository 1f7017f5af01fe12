//! Hostile components against the sandbox: each is stopped with the exact error class, and the
//! host stays healthy for the next call (the default policy still answers afterwards).

use std::time::Duration;

use worker_policy::error::PolicyFault;
use worker_policy::{evaluate, Error, ErrorClass, Limits, LoadedPolicy};
use worker_policy_model::{Replication, Snapshot, WorkerState};
use worker_policy_tests::{default_policy, example, HOSTILE_POLICY, WASI_PROBE_POLICY};

/// Tight limits so the tests are quick: a 300 ms deadline, 64 MiB of memory.
fn tight() -> Limits {
    Limits {
        timeout: Duration::from_millis(300),
        max_memory: 64 << 20,
        fuel: None,
    }
}

/// A snapshot whose lowest node is named `behaviour`: the hostile policy does what it says.
fn asking(behaviour: &str) -> Snapshot {
    let mut s = example("three-zones-draining.json");
    s.nodes[0].name = behaviour.into();
    s
}

/// Runs `behaviour` through `evaluate`, returns the fault, and checks the host still works.
fn fault_of(behaviour: &str, limits: Limits) -> PolicyFault {
    let hostile = LoadedPolicy::load(HOSTILE_POLICY, limits).expect("the hostile policy loads");
    let error =
        evaluate(&hostile, &asking(behaviour), None).expect_err("the hostile policy must fail");
    assert_eq!(
        error.class(),
        ErrorClass::PolicyFault,
        "{behaviour}: {error}"
    );
    // The same loaded component answers the next call from a fresh instance...
    let calm = evaluate(&hostile, &asking("calm"), None).expect("a fresh instance after a fault");
    assert!(calm.plan.is_empty());
    // ...and another policy in the same process is unharmed.
    evaluate(
        &default_policy(),
        &example("three-zones-draining.json"),
        None,
    )
    .expect("the host is healthy");
    match error {
        Error::Fault(fault) => fault,
        other => panic!("{behaviour}: expected a policy fault, got {other}"),
    }
}

#[test]
fn an_endless_loop_is_stopped_at_the_deadline() {
    let fault = fault_of("loop", tight());
    let PolicyFault::Timeout { hook, limit } = fault else {
        panic!("expected a timeout, got {fault}");
    };
    assert_eq!((hook, limit), ("reconcile", Duration::from_millis(300)));
}

#[test]
fn an_endless_loop_is_stopped_by_fuel_too() {
    let limits = Limits {
        fuel: Some(50_000_000),
        timeout: Duration::from_secs(30),
        ..tight()
    };
    assert!(matches!(
        fault_of("loop", limits),
        PolicyFault::OutOfFuel {
            fuel: 50_000_000,
            ..
        }
    ));
}

#[test]
fn a_memory_bomb_is_stopped_at_the_cap() {
    match fault_of("alloc", tight()) {
        PolicyFault::OutOfMemory {
            requested, limit, ..
        } => {
            assert_eq!(limit, 64 << 20);
            assert!(requested > limit);
        }
        other => panic!("expected out of memory, got {other}"),
    }
}

#[test]
fn a_panic_becomes_a_trap_with_its_message() {
    match fault_of("panic", tight()) {
        PolicyFault::Trap { hook, message } => {
            assert_eq!(hook, "reconcile");
            assert!(message.contains("panics on purpose"), "{message}");
        }
        other => panic!("expected a trap, got {other}"),
    }
}

#[test]
fn deep_recursion_becomes_a_trap() {
    match fault_of("recurse", tight()) {
        PolicyFault::Trap { message, .. } => assert!(!message.is_empty()),
        other => panic!("expected a trap, got {other}"),
    }
}

#[test]
fn a_huge_answer_is_refused_before_it_is_used() {
    match fault_of("huge-output", tight()) {
        PolicyFault::OversizedAnswer { hook, items, limit } => {
            assert_eq!((hook, items), ("place", 500_000));
            assert!(limit < items);
        }
        other => panic!("expected an oversized answer, got {other}"),
    }
}

#[test]
fn a_component_asking_for_other_capabilities_is_refused_with_the_list() {
    let wat = r#"(component
        (import "wasi:http/outgoing-handler@0.2.0" (instance))
        (import "evil:net/socket@1.0.0" (instance)))"#;
    match LoadedPolicy::load(wat.as_bytes(), Limits::default()) {
        Err(Error::Fault(PolicyFault::ForbiddenImports { imports, .. })) => {
            assert_eq!(
                imports,
                ["wasi:http/outgoing-handler@0.2.0", "evil:net/socket@1.0.0"]
            );
        }
        Err(other) => panic!("expected forbidden imports, got {other}"),
        Ok(_) => panic!("the component must be refused"),
    }
}

#[test]
fn a_component_for_another_contract_version_is_refused_naming_both() {
    let wat = r#"(component
        (instance $policy)
        (export "worker-policy:policy/policy@0.2.0" (instance $policy)))"#;
    match LoadedPolicy::load(wat.as_bytes(), Limits::default()) {
        Err(error @ Error::Fault(PolicyFault::WrongContract { .. })) => {
            let message = error.to_string();
            assert!(
                message.contains("@0.2.0") && message.contains("@0.1.0"),
                "{message}"
            );
        }
        Err(other) => panic!("expected a wrong contract, got {other}"),
        Ok(_) => panic!("the component must be refused"),
    }
}

#[test]
fn a_component_without_the_policy_export_is_refused() {
    let error = LoadedPolicy::load(b"(component)", Limits::default())
        .err()
        .expect("refused");
    assert!(error.to_string().contains("exports nothing"), "{error}");
}

#[test]
fn fuel_use_is_reported_and_reproducible() {
    let limits = Limits {
        fuel: Some(10_000_000_000),
        ..Limits::default()
    };
    let snapshot = example("three-zones-draining.json");
    let used = |_: ()| {
        let policy = LoadedPolicy::load(worker_policy::embedded::DEFAULT_POLICY, limits).unwrap();
        evaluate(&policy, &snapshot, None).unwrap();
        policy.fuel_used()
    };
    let first = used(());
    assert!(first > 0);
    assert_eq!(first, used(()), "the same input burns the same fuel");
}

#[test]
fn the_replication_property_reaches_the_policy_intact() {
    // A snapshot the default policy cannot place is refused with the property's own numbers.
    let mut s = example("three-zones-draining.json");
    s.replication = Replication::parse("{zone: 4, node: 4}").unwrap();
    match evaluate(&default_policy(), &s, None) {
        Err(Error::Refused(e)) => assert!(e.to_string().contains("required 4"), "{e}"),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn a_wasi_policy_sees_a_frozen_empty_world_and_its_output_is_logged() {
    let probe =
        LoadedPolicy::load(WASI_PROBE_POLICY, Limits::default()).expect("a wasip2 component loads");
    assert!(probe
        .metadata()
        .imports
        .iter()
        .any(|i| i.starts_with("wasi:")));
    let snapshot = example("three-zones-draining.json");
    let seen = |_: ()| {
        probe
            .validate_transition(&snapshot, 1, WorkerState::Draining)
            .unwrap()
            .reason
    };
    let first = seen(());
    for fact in [
        "wall=0 ",
        "elapsed=0 ",
        "env=0 ",
        "args=0 ",
        "files=denied",
        "network=denied",
    ] {
        assert!(first.contains(fact), "`{fact}` not in: {first}");
    }
    assert_eq!(
        first,
        seen(()),
        "the same answer every call: random is seeded, time stands still"
    );
    let logs: Vec<String> = probe
        .take_logs()
        .into_iter()
        .map(|l| l.record.message)
        .collect();
    assert!(
        logs.iter().any(|m| m == "probe: looking around"),
        "{logs:?}"
    );
    assert!(
        logs.iter().any(|m| m == "probe: this goes to stderr"),
        "{logs:?}"
    );
}
