//! A plan carried out on a live Restate cluster step by step (`worker-policy apply`), instead
//! of printed as a script for a person to run.
//!
//! The steps are the script's own commands ([`crate::script::commands`]: make-before-break
//! replica sets, the leader chosen by the order of the set, `--force` only where Restate needs
//! it, every command checked on Restate's view of the cluster as a script's is), grouped by
//! [`steps`] into one step per worker-state change and one per partition change. [`execute`]
//! carries them out on a [`Cluster`] ([`RestatectlCluster`]: `restatectl` itself), checking the
//! live cluster before, during and after each step; see its module for the rules.

mod cluster;
mod error;
mod event;
mod execute;
mod observed;
mod steps;

pub use cluster::{Cluster, RestatectlCluster};
pub use error::ApplyError;
pub use event::Event;
pub use execute::{execute, Limits, Outcome, Tally};
pub use observed::{Observed, ObservedNode, ObservedPartition, RowError};
pub use steps::{steps, Change, PartitionShape, Step};

#[cfg(test)]
mod tests;
