//! Hostile components against the sandbox: each is stopped with the exact error class, and the
//! host stays healthy for the next call (the default policy still answers afterwards).

use std::sync::Barrier;
use std::thread;
use std::time::Duration;

use worker_policy::embedded::DEFAULT_POLICY;
use worker_policy::error::PolicyFault;
use worker_policy::{evaluate, Error, ErrorClass, Hook, Limits, LoadedPolicy, PolicyEngine};
use worker_policy_model::{Plan, Replication, Snapshot, WorkerState};
use worker_policy_tests::wat_policy::WatPolicy;
use worker_policy_tests::{
    default_policy, error_chain, example, HOSTILE_POLICY, WASI_PROBE_POLICY,
};

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
    assert_eq!((hook, limit), (Hook::Reconcile, Duration::from_millis(300)));
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
fn every_call_starts_from_the_modules_initial_memory() {
    // Instances reuse memory between calls (a pool keeps pages resident); none of it may carry
    // over: not the module's statics, not what a call left on its heap, not after a call that
    // filled its memory to the cap.
    let hostile = LoadedPolicy::load(HOSTILE_POLICY, tight()).expect("the hostile policy loads");
    let remember = asking("remember");
    let node = remember.nodes[1].id;
    let answer = || {
        hostile
            .validate_transition(&remember, node, WorkerState::Draining)
            .expect("the hostile policy answers `remember`")
            .reason
    };
    for call in 1..=3 {
        assert_eq!(
            answer(),
            "earlier calls: 0, markers: 0, left: 2097152",
            "call {call}"
        );
    }
    evaluate(&hostile, &asking("alloc"), None).expect_err("the memory bomb is stopped");
    assert_eq!(
        answer(),
        "earlier calls: 0, markers: 0, left: 2097152",
        "after the bomb"
    );
}

#[test]
fn a_panic_becomes_a_trap_with_its_message() {
    match fault_of("panic", tight()) {
        PolicyFault::Trap { hook, message } => {
            assert_eq!(hook, Hook::Reconcile);
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
            assert_eq!((hook, items), (Hook::Place, 500_000));
            assert!(limit < items);
        }
        other => panic!("expected an oversized answer, got {other}"),
    }
}

#[test]
fn an_answer_repeating_one_reason_past_the_crossing_limit_is_refused_before_the_copy() {
    // 50 steps sharing one reason of 3 MiB: 150 MiB to copy out of 3 MiB of memory, over the
    // 128 MiB a crossing gets for a snapshot this small.
    let policy = WatPolicy {
        reason_len: Some(3 << 20),
        repeats: 50,
        ..WatPolicy::default()
    };
    let loaded = LoadedPolicy::load(policy.wat().as_bytes(), tight()).expect("loads");
    match loaded.place(&example("three-zones-draining.json")) {
        Err(Error::Fault(fault @ PolicyFault::OversizedCrossing { .. })) => {
            let PolicyFault::OversizedCrossing { hook, limit, .. } = &fault else {
                unreachable!()
            };
            assert_eq!((*hook, *limit), (Hook::Place, 128 << 20));
            assert!(fault.to_string().contains("--max-memory"), "{fault}");
        }
        other => panic!("expected an oversized crossing, got {:?}", other.err()),
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
fn a_component_for_another_contract_version_is_refused_naming_the_versions_loaded() {
    let wat = r#"(component
        (instance $policy)
        (export "worker-policy:policy/policy@0.3.0" (instance $policy)))"#;
    match LoadedPolicy::load(wat.as_bytes(), Limits::default()) {
        Err(error @ Error::Fault(PolicyFault::WrongContract { .. })) => {
            let message = error.to_string();
            assert!(
                message.contains("exports worker-policy:policy/policy@0.3.0")
                    && message.contains("policy@0.2.0 or worker-policy:policy/policy@0.1.0"),
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
        .flat_map(|call| call.records)
        .map(|record| record.message)
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

/// The fault loading `wat` under `limits` fails with.
fn load_fault(wat: &str, limits: Limits) -> PolicyFault {
    match LoadedPolicy::load(wat.as_bytes(), limits) {
        Err(Error::Fault(fault)) => fault,
        Err(other) => panic!("expected a policy fault, got {other}"),
        Ok(_) => panic!("the component must be refused"),
    }
}

#[test]
fn wasm_features_no_policy_needs_are_refused_at_load() {
    let refused = [
        ("multiple memories", "(memory 1) (memory 1)"),
        ("memory64", "(memory i64 1)"),
        ("threads", "(memory 1 1 shared)"),
        ("tail calls", "(func (return_call 0))"),
        ("exceptions", "(tag)"),
        ("gc", "(type (struct))"),
        ("function references", "(type $f (func)) (func (param (ref $f)))"),
        ("relaxed SIMD", "(func (param v128) (result v128) (f32x4.relaxed_madd (local.get 0) (local.get 0) (local.get 0)))"),
        ("wide arithmetic", "(func (param i64) (result i64 i64) (i64.add128 (local.get 0) (local.get 0) (local.get 0) (local.get 0)))"),
        ("custom page sizes", "(memory 1 (pagesize 1))"),
    ];
    for (feature, module) in refused {
        let wat = format!("(component (core module {module}))");
        match load_fault(&wat, Limits::default()) {
            fault @ PolicyFault::Invalid(_) => {
                let message = error_chain(&fault);
                assert!(message.contains(feature), "{feature}: {message}");
            }
            other => panic!("{feature}: expected an invalid component, got {other}"),
        }
    }
    // WebAssembly 2.0 (SIMD, bulk memory, tables) and extended constants compile: such a
    // component is refused only later, for exporting nothing.
    let allowed =
        "(component (core module (memory 1) (global i32 (i32.add (i32.const 1) (i32.const 2)))
        (func (param v128) (memory.fill (i32.const 0) (i32.const 0) (i32.const 0)))
        (table 1 funcref)))";
    match load_fault(allowed, Limits::default()) {
        PolicyFault::WrongContract { .. } => {}
        other => panic!("WebAssembly 2.0 must compile, got {other:?}"),
    }
}

/// A core module with a memory of `mib` MiB.
fn memory_module(mib: u32) -> String {
    format!("(memory {})", mib * 16)
}

#[test]
fn the_memory_cap_is_on_every_memory_of_every_core_instance_together() {
    // The issue's attack: three more memories of 937 MiB each beside the policy's own, every
    // one under the default cap of 1024 MiB on its own.
    let policy = WatPolicy {
        extra_modules: vec![memory_module(937); 3],
        ..WatPolicy::default()
    };
    let limit = Limits::default().max_memory;
    match load_fault(&policy.wat(), Limits::default()) {
        PolicyFault::OutOfMemory {
            hook,
            requested,
            limit: cap,
        } => {
            assert_eq!((hook, cap), (Hook::Info, limit));
            assert!(requested > 2 * (937 << 20), "{requested}");
        }
        other => panic!("expected out of memory, got {other}"),
    }
    // One more memory that fits beside the policy's is fine.
    let one = WatPolicy {
        extra_modules: vec![memory_module(30)],
        ..WatPolicy::default()
    };
    let loaded = LoadedPolicy::load(one.wat().as_bytes(), tight()).expect("within the cap");
    assert!(loaded.place(&asking("calm")).expect("answers").is_empty());
}

#[test]
fn tables_count_against_the_memory_cap() {
    // 10,000,000 elements of 8 bytes: 76 MiB, over a 64 MiB cap.
    let policy = WatPolicy {
        extra_modules: vec!["(table 10000000 funcref)".into()],
        ..WatPolicy::default()
    };
    match load_fault(&policy.wat(), tight()) {
        PolicyFault::OutOfMemory { requested, .. } => assert!(requested > 80_000_000),
        other => panic!("expected out of memory, got {other}"),
    }
}

#[test]
fn a_reason_over_the_cap_is_refused_naming_the_field() {
    let policy = WatPolicy {
        reason_len: Some(5000),
        ..WatPolicy::default()
    };
    let loaded = LoadedPolicy::load(policy.wat().as_bytes(), tight()).expect("loads");
    match loaded.place(&asking("calm")) {
        Err(Error::Fault(PolicyFault::OversizedText {
            hook,
            field,
            size,
            limit,
        })) => {
            assert_eq!(
                (hook, field.as_str(), size, limit),
                (Hook::Place, "steps[0].reason", 5000, 4096)
            );
        }
        other => panic!("expected an oversized text, got {other:?}"),
    }
}

#[test]
fn an_info_field_over_the_cap_is_refused_at_load() {
    let policy = WatPolicy {
        name_len: 4097,
        ..WatPolicy::default()
    };
    match load_fault(&policy.wat(), tight()) {
        PolicyFault::OversizedText { hook, field, .. } => {
            assert_eq!((hook, field.as_str()), (Hook::Info, "info.name"));
        }
        other => panic!("expected an oversized text, got {other}"),
    }
    let at_the_cap = WatPolicy {
        name_len: 4096,
        ..WatPolicy::default()
    };
    LoadedPolicy::load(at_the_cap.wat().as_bytes(), tight()).expect("a name of 4096 bytes is fine");
}

#[test]
fn a_step_naming_a_reason_past_the_table_is_refused_naming_the_step() {
    match fault_of("reason-out-of-table", tight()) {
        fault @ PolicyFault::UnknownReason { .. } => {
            let PolicyFault::UnknownReason {
                hook,
                step,
                reason,
                reasons,
            } = fault
            else {
                unreachable!()
            };
            assert_eq!((hook, step, reason, reasons), (Hook::Place, 0, 1, 1));
        }
        other => panic!("expected an unknown reason, got {other}"),
    }
}

#[test]
fn a_reason_table_longer_than_any_plan_needs_is_refused() {
    match fault_of("many-reasons", tight()) {
        PolicyFault::OversizedAnswer { hook, items, limit } => {
            assert_eq!((hook, items), (Hook::Place, 500_000));
            assert!(limit < items);
        }
        other => panic!("expected an oversized answer, got {other}"),
    }
}

/// Hands the hostile policy settings that name a misbehaviour of `validate-settings`.
fn settings_fault(behaviour: &str, limits: Limits) -> Error {
    let mut hostile = LoadedPolicy::load(HOSTILE_POLICY, limits).expect("loads");
    let settings =
        worker_policy::PolicySettings::parse("--settings-json", format!("\"{behaviour}\""))
            .expect("a JSON string");
    let error = hostile
        .configure(&settings)
        .expect_err("the settings check must fail");
    assert_eq!(hostile.settings(), None, "{behaviour}: nothing is kept");
    evaluate(&hostile, &asking("calm"), None).expect("the policy still answers without settings");
    error
}

#[test]
fn a_settings_check_that_loops_panics_or_floods_is_a_fault_of_validate_settings() {
    assert!(matches!(
        settings_fault("loop", tight()),
        Error::Fault(PolicyFault::Timeout {
            hook: Hook::ValidateSettings,
            ..
        })
    ));
    assert!(matches!(
        settings_fault("panic", tight()),
        Error::Fault(PolicyFault::Trap {
            hook: Hook::ValidateSettings,
            ..
        })
    ));
    // Room to build the 100 MiB refusal, so what stops it is the host's cap on the text.
    let roomy = Limits {
        max_memory: 512 << 20,
        timeout: Duration::from_secs(10),
        ..tight()
    };
    match settings_fault("huge-refusal", roomy) {
        Error::Fault(PolicyFault::OversizedText { hook, field, .. }) => {
            assert_eq!((hook, field.as_str()), (Hook::ValidateSettings, "error"));
        }
        other => panic!("expected an oversized refusal, got {other}"),
    }
}

#[test]
fn more_calls_at_once_than_the_pool_holds_wait_for_room_and_all_answer() {
    // Three times what the pool holds, all at once, five evaluations each: without waiting,
    // the calls past the pool's room failed (and were blamed on the policy).
    let engine = PolicyEngine::new(false).expect("an engine");
    let room = engine
        .max_concurrent_calls()
        .expect("a pooled engine where address space is not capped");
    let policy =
        LoadedPolicy::load_in(&engine, DEFAULT_POLICY, Limits::default()).expect("it loads");
    let snapshot = example("three-zones-draining.json");
    let expected = evaluate(&policy, &snapshot, None)
        .expect("one evaluation")
        .plan;
    let callers = 3 * room as usize;
    let start = Barrier::new(callers);
    let outcomes: Vec<Result<Plan, String>> = thread::scope(|scope| {
        let callers: Vec<_> = (0..callers)
            .map(|_| {
                scope.spawn(|| {
                    start.wait();
                    (0..5)
                        .map(|_| evaluate(&policy, &snapshot, None))
                        .map(|outcome| outcome.map(|e| e.plan).map_err(|e| e.to_string()))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        (callers.into_iter())
            .flat_map(|caller| caller.join().expect("no caller panics"))
            .collect()
    });
    let failed: Vec<&String> = outcomes.iter().filter_map(|o| o.as_ref().err()).collect();
    assert!(
        failed.is_empty(),
        "{} of {} evaluations failed; the first: {}",
        failed.len(),
        outcomes.len(),
        failed[0]
    );
    assert_eq!(outcomes.len(), callers * 5);
    assert!(
        outcomes.iter().all(|o| o.as_ref() == Ok(&expected)),
        "every evaluation gives the plan a lone one gives"
    );
}
