//! The worker-policy host: loads a policy component into a sandbox, calls its hooks with a
//! cluster snapshot, and checks every decision against the safety invariants before anyone acts
//! on it.
//!
//! - [`snapshot_file`] reads and writes the JSON snapshot format, with errors that name the field;
//! - [`engine`] is the wasmtime engine policies run in, shareable between them;
//! - [`compile`] compiles untrusted bytes under static limits, in process or in a worker process;
//! - [`sandbox`] is the limits every policy call runs under, and its per-call store;
//! - [`contract`] names the contract and the versions of it this host loads;
//! - [`policy`] loads a component, checks its contract version and imports, and calls its hooks;
//! - [`hooks`] is the contract's hooks as a trait, for a loaded component or native logic;
//! - [`mod@evaluate`] runs reconcile, place and rebalance, validating each answer, and simulates;
//! - [`verdict_check`] refuses an allowed verdict that breaks a rule no policy may break;
//! - [`conformance`] certifies a policy against the safety properties and scores its quality;
//! - [`compare`] sets two policies' decisions on the same snapshots side by side;
//! - [`decommission`] plans nodes leaving in safe waves, each on a [`planning_view`] where the
//!   nodes of later waves receive nothing, and [`rollout`] a rolling restart;
//! - [`eligibility`] names the domains without an eligible worker, and whether a change or the
//!   cluster itself is why the replication property cannot be met;
//! - [`headroom`] names where a change leaves one node loss from an unsatisfiable property;
//! - [`atomic_file`] writes output files whole or not at all;
//! - [`error`] has the typed errors and the exit code of each class.
//!
//! # Embedding
//!
//! Load policies into one shared [`PolicyEngine`], read a snapshot, and ask for a plan; every
//! answer has passed the invariant checker by the time you see it:
//!
//! ```
//! use std::path::Path;
//!
//! use worker_policy::embedded::DEFAULT_POLICY;
//! use worker_policy::model::WorkerState;
//! use worker_policy::snapshot_file::SnapshotFile;
//! use worker_policy::{evaluate, Limits, LoadedPolicy, PolicyEngine};
//!
//! # fn main() -> Result<(), worker_policy::Error> {
//! let file = SnapshotFile::read(Path::new("../examples/three-zones-draining.json"))?;
//! let limits = Limits::default();
//! // One engine (and one epoch thread) for every policy this program loads.
//! let engine = PolicyEngine::new(limits.fuel.is_some())?;
//! let policy = LoadedPolicy::load_in(&engine, DEFAULT_POLICY, limits)?;
//!
//! let verdict = policy.validate_transition(&file.snapshot, 5, WorkerState::Draining)?;
//! println!("may N5 drain? {} ({})", verdict.allowed, verdict.reason);
//!
//! let evaluation = evaluate(&policy, &file.snapshot, None)?;
//! for step in &evaluation.plan.steps {
//!     println!("{step}: {}", step.reason);
//! }
//! assert!(!evaluation.plan.is_empty(), "a draining node has replicas to move");
//! # Ok(())
//! # }
//! ```

pub mod atomic_file;
mod bindings;
pub mod compare;
pub mod compile;
pub mod conformance;
pub mod contract;
pub mod decommission;
pub mod eligibility;
#[cfg(feature = "embedded")]
pub mod embedded;
pub mod engine;
pub mod error;
pub mod evaluate;
pub mod headroom;
pub mod hooks;
pub mod leftovers;
mod not_a_snapshot;
pub mod planning_view;
pub mod policy;
pub mod rollout;
pub mod sandbox;
pub mod settings;
pub mod snapshot_file;
pub mod verdict_check;

pub use engine::PolicyEngine;
pub use error::{Error, ErrorClass};
pub use evaluate::{evaluate, simulate, simulate_each, Evaluation, Simulation};
pub use hooks::{Hook, NativePolicy, PolicyHooks};
pub use policy::{LoadedPolicy, PolicyMetadata};
pub use sandbox::{Limits, LogLevel};
pub use settings::PolicySettings;
/// The cluster model the host speaks (snapshots, plans, invariants), re-exported for embedders.
pub use worker_policy_model as model;
