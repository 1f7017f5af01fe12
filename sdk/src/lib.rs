//! The Rust SDK for worker-policy components, so a policy is written over the model's types
//! ([`worker_policy_model`]) instead of the contract's generated ones: implement [`Policy`] and
//! export it with [`export_policy!`].
//!
//! The SDK generates the guest bindings of the contract (`wit/`) once for every Rust policy,
//! converts between the contract's types and the model's, sends a panic's message to the host's
//! log before the trap (the host shows it with the fault), and logs a line per answer.
//!
//! ```ignore
//! use worker_policy_sdk::model::{NodeId, PolicyError, Snapshot, Step, Transition, Verdict, WorkerState};
//! use worker_policy_sdk::{export_policy, Info, Policy};
//!
//! struct MyPolicy;
//!
//! impl Policy for MyPolicy {
//!     fn info() -> Info { /* name, version, description */ }
//!     fn validate_transition(s: &Snapshot, node: NodeId, to: WorkerState) -> Result<Verdict, PolicyError> { /* ... */ }
//!     fn reconcile(s: &Snapshot) -> Result<Vec<Transition>, PolicyError> { /* ... */ }
//!     fn place(s: &Snapshot) -> Result<Vec<Step>, PolicyError> { /* ... */ }
//!     fn rebalance(s: &Snapshot, max_moves: Option<u32>) -> Result<Vec<Step>, PolicyError> { /* ... */ }
//! }
//!
//! export_policy!(MyPolicy);
//! ```
//!
//! A policy written as plain functions at its crate's root (the default and the
//! Restate-compatible policies are) exports them with one line instead:
//! `worker_policy_sdk::export_policy_functions!(MyPolicy);`.
//!
//! The bindings exist only when building for wasm32 (the macro expands to nothing natively), so
//! a policy crate compiles and unit-tests natively, where the logging import does not exist.
//! The crate that calls the macro must depend on this one under its own name,
//! `worker_policy_sdk`.

pub use worker_policy_model as model;

use worker_policy_model::{
    NodeId, PolicyError, PolicyInfo, Snapshot, Step, Transition, Verdict, WorkerState,
};

// The bindings are compiled natively too for the unit tests, which check every conversion
// (the imports then trap if called; the tests never call them).
#[cfg(any(target_arch = "wasm32", test))]
#[doc(hidden)]
pub mod bindings;
#[cfg(any(target_arch = "wasm32", test))]
mod convert;

/// What a policy says about itself (`worker-policy inspect` shows it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Info {
    /// The policy's name.
    pub name: String,
    /// Its version.
    pub version: String,
    /// What it does, in a sentence or a paragraph.
    pub description: String,
}

impl From<PolicyInfo> for Info {
    fn from(info: PolicyInfo) -> Info {
        Info {
            name: info.name.into(),
            version: info.version.into(),
            description: info.description.into(),
        }
    }
}

/// The hooks of a worker policy, over the model's types. The host calls one hook at a time with
/// the whole snapshot, in a fresh instance every time: a policy keeps no state between calls and
/// must decide from the snapshot alone, whatever the order of its nodes and partitions.
pub trait Policy {
    /// Name, version and description of the policy.
    fn info() -> Info;

    /// An operator asks to move `node` to state `to`: allow or refuse it, with the reason.
    fn validate_transition(
        snapshot: &Snapshot,
        node: NodeId,
        to: WorkerState,
    ) -> Result<Verdict, PolicyError>;

    /// The state changes the policy makes by itself.
    fn reconcile(snapshot: &Snapshot) -> Result<Vec<Transition>, PolicyError>;

    /// Replica sets and leaders for the partitions that have no replicas yet.
    fn place(snapshot: &Snapshot) -> Result<Vec<Step>, PolicyError>;

    /// The steps that take every placed partition to the policy's target, with at most
    /// `max_moves` `add-replica` steps when given.
    fn rebalance(snapshot: &Snapshot, max_moves: Option<u32>) -> Result<Vec<Step>, PolicyError>;
}

/// Exports a type that implements [`Policy`] as the component's `worker-policy` world. Call it
/// once, at the top level of the policy crate (a `cdylib`); natively it expands to nothing.
#[macro_export]
macro_rules! export_policy {
    ($policy:ident) => {
        #[cfg(target_arch = "wasm32")]
        $crate::bindings::export!($policy);
    };
}

/// Exports a policy written as plain functions at the root of the calling crate (`info() ->
/// PolicyInfo`, `validate_transition`, `reconcile`, `place`, `rebalance`, with the signatures
/// of [`Policy`]'s hooks): the pattern that keeps every decision testable natively. Defines a
/// type `$policy` implementing [`Policy`] by calling them, and exports it.
#[allow(
    clippy::crate_in_macro_def,
    reason = "`crate::` names the calling policy crate's functions on purpose"
)]
#[macro_export]
macro_rules! export_policy_functions {
    ($policy:ident) => {
        struct $policy;

        $crate::export_policy!($policy);

        impl $crate::Policy for $policy {
            fn info() -> $crate::Info {
                crate::info().into()
            }

            fn validate_transition(
                snapshot: &$crate::model::Snapshot,
                node: $crate::model::NodeId,
                to: $crate::model::WorkerState,
            ) -> Result<$crate::model::Verdict, $crate::model::PolicyError> {
                crate::validate_transition(snapshot, node, to)
            }

            fn reconcile(
                snapshot: &$crate::model::Snapshot,
            ) -> Result<Vec<$crate::model::Transition>, $crate::model::PolicyError> {
                crate::reconcile(snapshot)
            }

            fn place(
                snapshot: &$crate::model::Snapshot,
            ) -> Result<Vec<$crate::model::Step>, $crate::model::PolicyError> {
                crate::place(snapshot)
            }

            fn rebalance(
                snapshot: &$crate::model::Snapshot,
                max_moves: Option<u32>,
            ) -> Result<Vec<$crate::model::Step>, $crate::model::PolicyError> {
                crate::rebalance(snapshot, max_moves)
            }
        }
    };
}
