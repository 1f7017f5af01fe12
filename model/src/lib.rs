//! The cluster model that the worker-policy host and the default policy share: node configs,
//! partitions, the replication property and its failure domains, when a snapshot contradicts
//! itself, plans, how a plan applies to a snapshot, the safety invariants every plan must keep
//! (with the removal rule a policy shares with them), what no worker-state change may do
//! whatever the policy (`transition_safety`), what is left of a cluster that is not settled
//! (`settled`), a constant-time index of node and partition ids, the fair-share measures of balance, the
//! quality figures of a change, and a seeded generator of synthetic clusters.
//!
//! It is plain Rust with no dependencies, so the default policy's logic compiles both natively and
//! for wasm32, and the host checks a policy's answers with the same definitions.

pub mod apply;
pub mod consistency;
pub mod fair_share;
pub mod generate;
pub mod invariants;
mod mirror;
pub mod plan;
pub mod positions;
pub mod quality;
pub mod removal;
pub mod replication;
pub mod settled;
pub mod snapshot;
pub mod transition_safety;

pub use plan::{Plan, PolicyError, PolicyInfo, Step, StepOp, Transition, Verdict};
pub use replication::{Replication, Scope};
pub use snapshot::{
    LeaderAffinity, Node, NodeId, Partition, PartitionId, Roles, Snapshot, Weight, WorkerState,
};
