//! The worker-policy host: loads a policy component into a sandbox, calls its hooks with a
//! cluster snapshot, and checks every decision against the safety invariants before anyone acts
//! on it.
//!
//! - [`snapshot_file`] reads and writes the JSON snapshot format, with errors that name the field;
//! - [`sandbox`] is the engine and the limits every policy call runs under;
//! - [`policy`] loads a component, checks its contract version and imports, and calls its hooks;
//! - [`evaluate`] runs reconcile, place and rebalance, validating each answer, and simulates;
//! - [`conformance`] certifies a policy against the safety properties and scores its quality;
//! - [`atomic_file`] writes output files whole or not at all;
//! - [`error`] has the typed errors and the exit code of each class.

pub mod atomic_file;
pub mod bindings;
pub mod conformance;
pub mod embedded;
pub mod error;
pub mod evaluate;
pub mod policy;
pub mod sandbox;
pub mod snapshot_file;

pub use error::{Error, ErrorClass};
pub use evaluate::{evaluate, simulate, Evaluation, Simulation};
pub use policy::{LoadedPolicy, PolicyMetadata};
pub use sandbox::Limits;
