//! The default policy with exactly one deliberate bug, chosen by a cargo feature (one wasm
//! module per feature), so the tests can prove the conformance suite catches each one on
//! exactly the property it breaks while every other property still holds.
//!
//! Each bug is a `Mutation` (see `mutations.rs`) of the default policy's answers (or, for some
//! of them, of what it is asked); the build without a feature is the default policy unchanged.
//! It speaks contract 0.2.0 and takes no settings: the bugs are in the default's behaviour
//! without settings.

// A mutation whose feature `Cargo.toml` does not declare must not compile.
#![deny(unexpected_cfgs)]

mod mutations;

use worker_policy_model::{NodeId, PolicyError, Snapshot, Step, Transition, Verdict, WorkerState};
use worker_policy_sdk::serde::Deserialize;
use worker_policy_sdk::{export_policy, Info, Policy};

use mutations::{Mutation, Unchanged, MUTATIONS};

/// The policy with the mutation its build's feature chose. It takes no settings.
#[derive(Debug, Default, Deserialize)]
#[serde(crate = "worker_policy_sdk::serde", deny_unknown_fields)]
pub struct Broken {}

export_policy!(Broken);

/// The bug feature this build enables, "" for none (found by `build.rs`).
const BUG: &str = env!("WORKER_POLICY_BUG");

/// How many mutations this build enables.
const fn enabled_mutations() -> usize {
    let (mut count, mut i) = (0, 0);
    while i < MUTATIONS.len() {
        if MUTATIONS[i].1 {
            count += 1;
        }
        i += 1;
    }
    count
}

const _: () = assert!(
    enabled_mutations() == if BUG.is_empty() { 0 } else { 1 },
    "the enabled bug feature has no mutation in `MUTATIONS` (src/mutations.rs)"
);

/// The mutation of this build and its feature's name.
fn chosen() -> (&'static str, &'static dyn Mutation) {
    MUTATIONS
        .iter()
        .find(|(_, enabled, _)| *enabled)
        .map(|&(name, _, mutation)| (name, mutation))
        .unwrap_or(("none", &Unchanged))
}

impl Policy for Broken {
    fn info() -> Info {
        let (name, _) = chosen();
        Info {
            name: format!("worker-policy-broken-{name}"),
            version: env!("CARGO_PKG_VERSION").into(),
            description: format!(
                "The default policy with one deliberate bug ({name}), for the conformance suite's tests. Never use it."
            ),
            settings: String::new(),
        }
    }

    fn check_settings(&self) -> Result<(), String> {
        chosen().1.check_settings()
    }

    fn validate_transition(
        &self,
        snapshot: &Snapshot,
        node: NodeId,
        to: WorkerState,
    ) -> Result<Verdict, PolicyError> {
        let verdict = worker_policy_default::validate_transition(snapshot, node, to)?;
        Ok(chosen().1.verdict(snapshot, node, to, verdict))
    }

    fn reconcile(&self, snapshot: &Snapshot) -> Result<Vec<Transition>, PolicyError> {
        let transitions = worker_policy_default::reconcile(snapshot)?;
        Ok(chosen().1.transitions(snapshot, transitions))
    }

    fn place(&self, snapshot: &Snapshot) -> Result<Vec<Step>, PolicyError> {
        chosen().1.place(snapshot)
    }

    fn rebalance(
        &self,
        snapshot: &Snapshot,
        max_moves: Option<u32>,
    ) -> Result<Vec<Step>, PolicyError> {
        chosen().1.rebalance(snapshot, max_moves)
    }
}
