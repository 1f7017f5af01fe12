//! What a policy answers: transitions, plan steps, verdicts and typed errors.

use std::fmt;

use crate::replication::Shortfall;
use crate::snapshot::{node_label, NodeId, PartitionId, WorkerState};

/// A change of a node's worker state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    /// The node.
    pub node: NodeId,
    /// Its state before.
    pub from: WorkerState,
    /// Its state after.
    pub to: WorkerState,
    /// Why.
    pub reason: String,
}

/// What a step does to a partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StepOp {
    /// Start a replica on the node, or promote the node from the `next` set.
    AddReplica,
    /// Drop the node's replica, or drop it from the `next` set.
    RemoveReplica,
    /// Make the node the partition's leader.
    SetLeader,
}

impl StepOp {
    /// Every operation, in the contract's order.
    pub const ALL: [StepOp; 3] = [StepOp::AddReplica, StepOp::RemoveReplica, StepOp::SetLeader];

    /// The kebab-case name used in JSON output.
    pub fn name(self) -> &'static str {
        match self {
            StepOp::AddReplica => "add-replica",
            StepOp::RemoveReplica => "remove-replica",
            StepOp::SetLeader => "set-leader",
        }
    }
}

impl fmt::Display for StepOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One step of a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// What it does.
    pub op: StepOp,
    /// To which partition.
    pub partition: PartitionId,
    /// On which node.
    pub node: NodeId,
    /// Why.
    pub reason: String,
}

impl Step {
    /// A step with its reason.
    pub fn new(
        op: StepOp,
        partition: PartitionId,
        node: NodeId,
        reason: impl Into<String>,
    ) -> Step {
        Step {
            op,
            partition,
            node,
            reason: reason.into(),
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} partition {} on {}",
            self.op,
            self.partition,
            node_label(self.node)
        )
    }
}

/// Transitions first, then steps, in the order to apply them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Plan {
    /// Worker-state changes.
    pub transitions: Vec<Transition>,
    /// Placement steps.
    pub steps: Vec<Step>,
}

impl Plan {
    /// Whether the plan changes nothing.
    pub fn is_empty(&self) -> bool {
        self.transitions.is_empty() && self.steps.is_empty()
    }

    /// The number of replicas the plan places on nodes that did not hold them.
    pub fn moves(&self) -> usize {
        self.steps
            .iter()
            .filter(|s| s.op == StepOp::AddReplica)
            .count()
    }
}

/// What a policy written in Rust says about itself, as its plain library returns it (the SDK
/// turns it into the contract's `info`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PolicyInfo {
    /// The policy's name.
    pub name: &'static str,
    /// Its version (the crate version).
    pub version: &'static str,
    /// What it does, in one paragraph.
    pub description: &'static str,
    /// The settings it takes, as a JSON Schema; empty when it takes none.
    pub settings: &'static str,
}

/// A policy's answer to an operator's request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// Whether the request may go ahead.
    pub allowed: bool,
    /// Why.
    pub reason: String,
}

/// Why a policy could not answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyError {
    /// The replication property cannot be satisfied with the eligible workers.
    InsufficientNodes(Shortfall),
    /// The snapshot contradicts itself.
    InvalidSnapshot(String),
    /// The request names a node the snapshot does not have.
    UnknownNode(NodeId),
    /// The settings are not ones the policy takes (contract 0.2.0).
    InvalidSettings(String),
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PolicyError::InsufficientNodes(s) => write!(
                f,
                "insufficient nodes: {s} (scope {}, available {}, required {})",
                s.scope, s.available, s.required
            ),
            PolicyError::InvalidSnapshot(why) => write!(f, "invalid snapshot: {why}"),
            PolicyError::UnknownNode(id) => write!(f, "unknown node {}", node_label(*id)),
            PolicyError::InvalidSettings(why) => write!(f, "invalid settings: {why}"),
        }
    }
}

impl std::error::Error for PolicyError {}
