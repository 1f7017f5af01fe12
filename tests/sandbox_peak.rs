//! The sandbox bounds the host's memory, not only the policy's: the attacks run one
//! after another in this process (one test, so no other test's allocations mix in), and after
//! each the process's peak resident memory (`VmHWM`) must stay under a bound. A bound, not a
//! timing.

use std::time::Duration;

use worker_policy::error::PolicyFault;
use worker_policy::sandbox::LogLosses;
use worker_policy::{Error, Hook, Limits, LoadedPolicy};
use worker_policy_model::Snapshot;
use worker_policy_tests::wat_policy::WatPolicy;
use worker_policy_tests::{error_chain, example, HOSTILE_POLICY};

/// The most the process may ever hold: the test binary, one policy's memory (256 MiB here) and
/// one crossing of at most 128 MiB, with room to spare; an unbounded copy of any of the attacks
/// (a 120 MiB string kept twice, a 100 MiB log message kept, a 100 MiB error message) or three
/// memories of 937 MiB would go over it.
const PEAK_BOUND: usize = 640 << 20;

/// Room for the attacks that need a large memory inside the policy.
fn roomy() -> Limits {
    Limits {
        timeout: Duration::from_secs(60),
        max_memory: 256 << 20,
        fuel: None,
    }
}

/// The process's peak resident memory so far, in bytes.
fn peak() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let line = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .expect("VmHWM in /proc/self/status");
    let kib: usize = line
        .split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .expect("VmHWM in kB");
    kib << 10
}

/// Asserts the peak so far is under the bound, after `attack`.
fn assert_peak_bounded(attack: &str) {
    let peak = peak();
    eprintln!("after {attack}: peak {} MiB", peak >> 20);
    assert!(peak < PEAK_BOUND, "{attack}: peak {} MiB", peak >> 20);
}

/// A snapshot whose lowest node is named `behaviour`, for the hostile policy.
fn asking(behaviour: &str) -> Snapshot {
    let mut s = example("three-zones-draining.json");
    s.nodes[0].name = behaviour.into();
    s
}

/// Three more memories of 937 MiB beside the policy's: refused as a total over 1024 MiB before
/// any of it is touched.
fn several_memories_over_the_cap() {
    let policy = WatPolicy {
        extra_modules: vec![format!("(memory {})", 937 * 16); 3],
        ..WatPolicy::default()
    };
    match LoadedPolicy::load(policy.wat().as_bytes(), Limits::default()) {
        Err(Error::Fault(PolicyFault::OutOfMemory { .. })) => {}
        other => panic!("expected out of memory, got {:?}", other.err()),
    }
}

/// One step whose reason is 120 MiB: refused naming the field.
fn a_reason_of_120_mib() {
    let size = 120 << 20;
    let policy = WatPolicy {
        reason_len: Some(size),
        ..WatPolicy::default()
    };
    let loaded = LoadedPolicy::load(policy.wat().as_bytes(), roomy()).expect("loads");
    let Err(Error::Fault(fault)) = loaded.place(&asking("calm")) else {
        panic!("expected a fault");
    };
    let message = fault.to_string();
    let PolicyFault::OversizedText {
        field, size: found, ..
    } = fault
    else {
        panic!("expected an oversized text, got {message}");
    };
    assert_eq!((field.as_str(), found), ("steps[0].reason", size as usize));
    assert!(message.len() < 200, "{message}");
}

/// One 100 MiB log message, then 1,000,000 of 4 KiB: the log keeps 1,000 records, the first
/// cut to 4 KiB, and says what it dropped and cut.
fn a_log_flood() {
    let hostile = LoadedPolicy::load(HOSTILE_POLICY, roomy()).expect("the hostile policy loads");
    hostile.take_logs();
    hostile
        .reconcile(&asking("log-flood"))
        .expect("a flood of logs is not a fault");
    let calls = hostile.take_logs();
    let [call] = calls.as_slice() else {
        panic!("expected one call's log, got {}", calls.len());
    };
    assert_eq!(call.hook, Hook::Reconcile);
    assert_eq!(call.records.len(), 1000);
    assert!(call.records[0].message.len() <= 4096 + " [cut]".len());
    assert_eq!(
        call.losses,
        LogLosses {
            dropped_records: 999_001,
            cut_messages: 1,
            cut_bytes: (100 << 20) - 4096,
            full_outputs: 0,
        }
    );
}

/// A WAT file of one 100 MiB line that does not parse: the error quotes an excerpt of it.
fn a_wat_line_of_100_mib() {
    let wat = format!("(component (core module (func {})))", "x".repeat(100 << 20));
    let error = LoadedPolicy::load(wat.as_bytes(), Limits::default())
        .err()
        .expect("a line of garbage is refused");
    assert!(matches!(error, Error::Fault(_)), "{error}");
    let message = error_chain(&error);
    assert!(
        message.len() < 4096,
        "{} bytes of error message",
        message.len()
    );
}

#[test]
fn the_hosts_peak_memory_stays_bounded_under_every_attack() {
    assert_peak_bounded("start");
    several_memories_over_the_cap();
    assert_peak_bounded("three memories of 937 MiB");
    a_reason_of_120_mib();
    assert_peak_bounded("a reason of 120 MiB");
    a_log_flood();
    assert_peak_bounded("a log flood");
    a_wat_line_of_100_mib();
    assert_peak_bounded("a WAT line of 100 MiB");
}
