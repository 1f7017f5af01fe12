//! Why a plan cannot be written as a safe `restatectl` script.

use thiserror::Error;
use worker_policy_model::replication::Shortfall;
use worker_policy_model::{NodeId, PartitionId};

use super::restate::Refusal;

/// A plan that cannot be applied safely with `restatectl`; each names the round, what it is
/// about and the rule it breaks ([`ScriptError::rule`]).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ScriptError {
    /// A replica set the script would write does not satisfy the replication property, and
    /// drops a replica that serves (on an alive node that is not disabled).
    #[error("round {round}, partition {partition}: the replica set {set:?} falls short of the replication property ({shortfall}) and drops a replica that serves (rule {})", self.rule())]
    Unsatisfied {
        /// The round, from 1.
        round: usize,
        /// The partition.
        partition: PartitionId,
        /// The set.
        set: Vec<NodeId>,
        /// Where it falls short.
        shortfall: Shortfall,
    },
    /// A replica set the script would write is empty (Restate would stop the partition).
    #[error("round {round}, partition {partition}: the plan leaves it with no replica; a script never writes an empty set (rule {})", self.rule())]
    EmptySet {
        /// The round, from 1.
        round: usize,
        /// The partition.
        partition: PartitionId,
    },
    /// Disabling a node that still holds or leads a partition at that point of the script.
    #[error("round {round}: N{node} would be disabled while it still holds or leads partition {partition} (rule {})", self.rule())]
    StillInUse {
        /// The round, from 1.
        round: usize,
        /// The node.
        node: NodeId,
        /// A partition it holds or leads.
        partition: PartitionId,
    },
    /// A command Restate would refuse, or that would not take effect.
    #[error("round {round}: `{command}` would fail: {refusal} (rule {})", self.rule())]
    Refused {
        /// The round, from 1.
        round: usize,
        /// The command.
        command: String,
        /// Why.
        refusal: Refusal,
    },
}

impl ScriptError {
    /// The rule broken, as a short kebab-case name.
    pub fn rule(&self) -> &'static str {
        match self {
            ScriptError::Unsatisfied { .. } => "every-set-satisfies-replication",
            ScriptError::EmptySet { .. } => "no-empty-set",
            ScriptError::StillInUse { .. } => "disable-only-when-empty",
            ScriptError::Refused { .. } => "restate-accepts-every-command",
        }
    }
}
