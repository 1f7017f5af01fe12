//! A hostile policy for the sandbox tests. Every hook but `info` reads the name of the node with
//! the lowest id and misbehaves as it says: `loop`, `alloc`, `panic`, `recurse`, `huge-output`;
//! any other name answers like a well-behaved policy that has nothing to do.
//!
//! One component for every behaviour keeps the test build to a single wasm crate.

#![cfg(target_arch = "wasm32")]

wit_bindgen::generate!({
    path: "../../../wit",
    world: "worker-policy",
});

use exports::worker_policy::policy::policy::Guest;
use worker_policy::policy::logging::{log, Level};
use worker_policy::policy::types::*;

struct Hostile;

export!(Hostile);

/// Misbehaves as the snapshot asks, or returns normally.
fn misbehave(snapshot: &Snapshot) {
    std::panic::set_hook(Box::new(|panic| log(Level::Error, &panic.to_string())));
    let Some(first) = snapshot.nodes.iter().min_by_key(|n| n.id) else {
        return;
    };
    match first.name.as_str() {
        "loop" => {
            let mut counter = 0u64;
            loop {
                counter = std::hint::black_box(counter.wrapping_add(1));
            }
        }
        "alloc" => {
            let mut hoard: Vec<Vec<u8>> = Vec::new();
            loop {
                hoard.push(vec![1u8; 1 << 20]);
                std::hint::black_box(&hoard);
            }
        }
        "panic" => panic!("the hostile policy panics on purpose"),
        "recurse" => {
            std::hint::black_box(recurse(std::hint::black_box(1)));
        }
        _ => {}
    }
}

/// Recursion with no end, so the call stack runs out.
fn recurse(depth: u64) -> u64 {
    std::hint::black_box(recurse(std::hint::black_box(depth + 1))) + 1
}

/// A step list far longer than any snapshot needs, when the snapshot asks for it.
fn steps(snapshot: &Snapshot) -> Vec<Step> {
    let huge = snapshot
        .nodes
        .iter()
        .min_by_key(|n| n.id)
        .is_some_and(|n| n.name == "huge-output");
    let count = if huge { 500_000 } else { 0 };
    (0..count)
        .map(|i| Step {
            op: StepOp::SetLeader,
            partition: i,
            node: 1,
            reason: String::from("x"),
        })
        .collect()
}

impl Guest for Hostile {
    fn info() -> PolicyInfo {
        PolicyInfo {
            name: "hostile".into(),
            version: "0.0.0".into(),
            description: "misbehaves on request, for the sandbox tests".into(),
        }
    }

    fn validate_transition(
        snapshot: Snapshot,
        _node: NodeId,
        _to: WorkerState,
    ) -> Result<Verdict, PolicyError> {
        misbehave(&snapshot);
        Ok(Verdict {
            allowed: false,
            reason: "the hostile policy allows nothing".into(),
        })
    }

    fn reconcile(snapshot: Snapshot) -> Result<Vec<Transition>, PolicyError> {
        misbehave(&snapshot);
        Ok(Vec::new())
    }

    fn place(snapshot: Snapshot) -> Result<Vec<Step>, PolicyError> {
        misbehave(&snapshot);
        Ok(steps(&snapshot))
    }

    fn rebalance(snapshot: Snapshot, _max_moves: Option<u32>) -> Result<Vec<Step>, PolicyError> {
        misbehave(&snapshot);
        Ok(steps(&snapshot))
    }
}
