//! The Rust SDK for worker-policy components, so a policy is written over the model's types
//! ([`worker_policy_model`]) instead of the contract's generated ones: implement [`Policy`] and
//! export it with [`export_policy!`].
//!
//! The SDK generates the guest bindings of the contract (`wit/`, version 0.2.0) once for every
//! Rust policy, reads the operator's settings into the policy's type, converts between the
//! contract's types and the model's, sends a panic's message to the host's log before the trap
//! (the host shows it with the fault), and logs a line per answer.
//!
//! A policy type is its settings: the host hands the operator's JSON document to every hook,
//! and the SDK reads it into the type with serde (no settings: [`Default`]), then asks
//! [`Policy::check_settings`] for what serde does not check. A policy without settings derives
//! them from an empty struct (`{}`, with `deny_unknown_fields`), or uses
//! [`export_policy_functions!`].
//!
//! ```
//! use serde::Deserialize;
//! use worker_policy_sdk::model::{NodeId, PolicyError, Snapshot, Step, Transition, Verdict, WorkerState};
//! use worker_policy_sdk::{export_policy, Info, Policy};
//!
//! /// The settings, every key optional: `{"max_moves": 10}`.
//! #[derive(Deserialize)]
//! #[serde(deny_unknown_fields, default)]
//! struct MyPolicy {
//!     max_moves: Option<u32>,
//! }
//!
//! impl Default for MyPolicy {
//!     fn default() -> Self {
//!         // what the policy does without settings
//! #       MyPolicy { max_moves: None }
//!     }
//! }
//!
//! impl Policy for MyPolicy {
//!     fn info() -> Info {
//!         // name, version, description, settings (a JSON Schema)
//! #       Info {
//! #           name: "my-policy".into(),
//! #           version: "0.1.0".into(),
//! #           description: "An example.".into(),
//! #           settings: String::new(),
//! #       }
//!     }
//!     fn check_settings(&self) -> Result<(), String> {
//!         // beyond what serde checks
//! #       Ok(())
//!     }
//!     fn validate_transition(&self, s: &Snapshot, node: NodeId, to: WorkerState) -> Result<Verdict, PolicyError> {
//!         // ...
//! #       Ok(Verdict { allowed: true, reason: format!("N{node} may become {to:?}") })
//!     }
//!     fn reconcile(&self, s: &Snapshot) -> Result<Vec<Transition>, PolicyError> {
//!         // ...
//! #       Ok(Vec::new())
//!     }
//!     fn place(&self, s: &Snapshot) -> Result<Vec<Step>, PolicyError> {
//!         // ...
//! #       Ok(Vec::new())
//!     }
//!     fn rebalance(&self, s: &Snapshot, max_moves: Option<u32>) -> Result<Vec<Step>, PolicyError> {
//!         // ...
//! #       Ok(Vec::new())
//!     }
//! }
//!
//! export_policy!(MyPolicy);
//! #
//! # // Natively the export expands to nothing, and the hooks are plain methods.
//! # fn main() {
//! #     let policy: MyPolicy = serde_json::from_str(r#"{"max_moves": 10}"#).unwrap();
//! #     assert_eq!(policy.max_moves, Some(10));
//! #     policy.check_settings().unwrap();
//! #     assert_eq!(MyPolicy::info().name, "my-policy");
//! # }
//! ```
//!
//! A policy written as plain functions at its crate's root, without settings (the
//! Restate-compatible policy is), exports them with one line instead:
//! `worker_policy_sdk::export_policy_functions!(MyPolicy);`.
//!
//! [`export_policy_v0_1!`] exports the same trait as the frozen contract 0.1.0
//! (`wit/0.1.0/`), for hosts that predate 0.2.0: its hooks get no settings (the policy runs as
//! [`Default`]), no node weights (every node is standard), no freezes and no affinities.
//!
//! The bindings exist only when building for wasm32 (the macros expand to nothing natively), so
//! a policy crate compiles and unit-tests natively, where the logging import does not exist.
//! The crate that calls a macro must depend on this one under its own name,
//! `worker_policy_sdk`.

pub use serde;
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
#[doc(hidden)]
pub mod bindings_v0_1;
#[cfg(any(target_arch = "wasm32", test))]
mod convert;
#[cfg(any(target_arch = "wasm32", test))]
mod convert_v0_1;
#[cfg(any(target_arch = "wasm32", test))]
mod panics;
pub mod settings;
#[cfg(any(target_arch = "wasm32", test))]
mod shared_conversions;

pub use settings::NoSettings;

/// What a policy says about itself (`worker-policy inspect` shows it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Info {
    /// The policy's name.
    pub name: String,
    /// Its version.
    pub version: String,
    /// What it does, in a sentence or a paragraph.
    pub description: String,
    /// The settings it takes, as a JSON Schema with a description and the default of each key;
    /// empty when it takes none.
    pub settings: String,
}

impl From<PolicyInfo> for Info {
    fn from(info: PolicyInfo) -> Info {
        Info {
            name: info.name.into(),
            version: info.version.into(),
            description: info.description.into(),
            settings: info.settings.into(),
        }
    }
}

/// The hooks of a worker policy, over the model's types. The policy's value is its settings,
/// read from the operator's JSON document ([`Default`] when there is none). The host calls one
/// hook at a time with the whole snapshot, in a fresh instance every time: a policy keeps no
/// state between calls and must decide from its settings and the snapshot alone, whatever the
/// order of its nodes and partitions.
pub trait Policy: serde::de::DeserializeOwned + Default {
    /// Name, version, description and settings of the policy.
    fn info() -> Info;

    /// Refuses settings that read but that the policy does not take (a value out of its range,
    /// keys that contradict each other), saying which key or value and what it takes instead.
    /// Unknown keys and wrong types are serde's to refuse (`deny_unknown_fields`).
    fn check_settings(&self) -> Result<(), String> {
        Ok(())
    }

    /// An operator asks to move `node` to state `to`: allow or refuse it, with the reason.
    fn validate_transition(
        &self,
        snapshot: &Snapshot,
        node: NodeId,
        to: WorkerState,
    ) -> Result<Verdict, PolicyError>;

    /// The state changes the policy makes by itself.
    fn reconcile(&self, snapshot: &Snapshot) -> Result<Vec<Transition>, PolicyError>;

    /// Replica sets and leaders for the partitions that have no replicas yet.
    fn place(&self, snapshot: &Snapshot) -> Result<Vec<Step>, PolicyError>;

    /// The steps that take every placed partition to the policy's target, with at most
    /// `max_moves` `add-replica` steps when given; never adding or removing a replica of a
    /// placed frozen partition.
    fn rebalance(
        &self,
        snapshot: &Snapshot,
        max_moves: Option<u32>,
    ) -> Result<Vec<Step>, PolicyError>;
}

/// Exports a type that implements [`Policy`] as the component's `worker-policy` world, contract
/// 0.2.0. Call it once, at the top level of the policy crate (a `cdylib`); natively it expands
/// to nothing.
#[macro_export]
macro_rules! export_policy {
    ($policy:ident) => {
        #[cfg(target_arch = "wasm32")]
        $crate::bindings::export!($policy);
    };
}

/// Exports a type that implements [`Policy`] as the frozen contract 0.1.0's `worker-policy`
/// world, for hosts older than 0.2.0 (0.2.0 hosts load it too, through their adapter): every
/// hook runs the policy's [`Default`], on a snapshot without weights, freezes or affinities.
/// Call it instead of [`export_policy!`], once; natively it expands to nothing.
#[macro_export]
macro_rules! export_policy_v0_1 {
    ($policy:ident) => {
        #[cfg(target_arch = "wasm32")]
        $crate::bindings_v0_1::export!($policy);
    };
}

/// Exports a policy without settings written as plain functions at the root of the calling
/// crate (`info() -> PolicyInfo`, `validate_transition`, `reconcile`, `place`, `rebalance`,
/// with the signatures of [`Policy`]'s hooks without `&self`): the pattern that keeps every
/// decision testable natively. Defines a unit struct `$policy` whose settings are
/// [`NoSettings`] (only `{}`), implementing [`Policy`] by calling the functions, and exports it.
#[allow(
    clippy::crate_in_macro_def,
    reason = "`crate::` names the calling policy crate's functions on purpose"
)]
#[macro_export]
macro_rules! export_policy_functions {
    ($policy:ident) => {
        /// The policy: it takes no settings.
        #[derive(Default)]
        struct $policy;

        impl<'de> $crate::serde::Deserialize<'de> for $policy {
            fn deserialize<D: $crate::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> Result<$policy, D::Error> {
                <$crate::NoSettings as $crate::serde::Deserialize>::deserialize(deserializer)
                    .map(|_| $policy)
            }
        }

        $crate::export_policy!($policy);

        impl $crate::Policy for $policy {
            fn info() -> $crate::Info {
                crate::info().into()
            }

            fn validate_transition(
                &self,
                snapshot: &$crate::model::Snapshot,
                node: $crate::model::NodeId,
                to: $crate::model::WorkerState,
            ) -> Result<$crate::model::Verdict, $crate::model::PolicyError> {
                crate::validate_transition(snapshot, node, to)
            }

            fn reconcile(
                &self,
                snapshot: &$crate::model::Snapshot,
            ) -> Result<Vec<$crate::model::Transition>, $crate::model::PolicyError> {
                crate::reconcile(snapshot)
            }

            fn place(
                &self,
                snapshot: &$crate::model::Snapshot,
            ) -> Result<Vec<$crate::model::Step>, $crate::model::PolicyError> {
                crate::place(snapshot)
            }

            fn rebalance(
                &self,
                snapshot: &$crate::model::Snapshot,
                max_moves: Option<u32>,
            ) -> Result<Vec<$crate::model::Step>, $crate::model::PolicyError> {
                crate::rebalance(snapshot, max_moves)
            }
        }
    };
}
