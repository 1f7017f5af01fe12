//! Why a plan cannot be written as a safe `restatectl` script.

use thiserror::Error;
use worker_policy_model::replication::Shortfall;
use worker_policy_model::{LeaderAffinity, NodeId, PartitionId};

use super::restate::Refusal;

/// A plan that cannot be applied safely with `restatectl`; each names the part of the script
/// (`round 2 of 3`, `wave 1 of 2: leaders off`), what it is about and the rule it breaks
/// ([`ScriptError::rule`]).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ScriptError {
    /// A replica set the script would write does not satisfy the replication property, and
    /// drops a replica that serves (on an alive node that is not disabled), or a node of a
    /// reconfiguration in flight, which serves once Restate completes it.
    #[error("{part}, partition {partition}: the replica set {set:?} falls short of the replication property ({shortfall}) and drops N{dropped}, {} (rule {})", if *in_flight { "a node of the reconfiguration in flight, which serves once Restate completes it (a freeze does not stop that)" } else { "a replica that serves" }, self.rule())]
    Unsatisfied {
        /// The part of the script.
        part: String,
        /// The partition.
        partition: PartitionId,
        /// The set.
        set: Vec<NodeId>,
        /// Where it falls short.
        shortfall: Shortfall,
        /// A serving node the set drops.
        dropped: NodeId,
        /// Whether that node is in the partition's pending `next` rather than a replica.
        in_flight: bool,
    },
    /// A replica set the script would write is empty (Restate would stop the partition).
    #[error("{part}, partition {partition}: the plan leaves it with no replica; a script never writes an empty set (rule {})", self.rule())]
    EmptySet {
        /// The part of the script.
        part: String,
        /// The partition.
        partition: PartitionId,
    },
    /// Disabling a node that still holds or leads a partition at that point of the script.
    #[error("{part}: N{node} would be disabled while it still holds or leads partition {partition} (rule {})", self.rule())]
    StillInUse {
        /// The part of the script.
        part: String,
        /// The node.
        node: NodeId,
        /// A partition it holds or leads.
        partition: PartitionId,
    },
    /// A command Restate would refuse, or that would not take effect.
    #[error("{part}: `{command}` would fail: {refusal} (rule {})", self.rule())]
    Refused {
        /// The part of the script.
        part: String,
        /// The command.
        command: String,
        /// Why.
        refusal: Refusal,
    },
    /// The partition's leader affinity makes Restate elect another node than the plan's
    /// leader, whatever the order of the set.
    #[error("{part}, partition {partition}: the plan's leader is N{plan}, but Restate would elect N{elected}: the partition's leader affinity ({affinity}) points to it, and an affinity wins over the order of the set; remove the affinity (restatectl partitions leadership unpin {partition}) or plan without it (rule {})", self.rule())]
    AffinityElectsOther {
        /// The part of the script.
        part: String,
        /// The partition.
        partition: PartitionId,
        /// The plan's leader.
        plan: NodeId,
        /// The node Restate would elect.
        elected: NodeId,
        /// The affinity.
        affinity: LeaderAffinity,
    },
    /// At a rollout's restart point, a partition would keep fewer than a majority of its
    /// replicas serving.
    #[error("{part}, partition {partition}: restarting {} would leave {kept} of its {replicas} replica(s) serving, not a majority (rule {})", labels(restarting), self.rule())]
    RestartLosesMajority {
        /// The part of the script.
        part: String,
        /// The partition.
        partition: PartitionId,
        /// The nodes restarting.
        restarting: Vec<NodeId>,
        /// Replicas kept serving.
        kept: usize,
        /// Replicas of the partition.
        replicas: usize,
    },
    /// At a rollout's restart point, a restarting node still leads a partition.
    #[error("{part}, partition {partition}: N{node} would restart while it leads the partition (rule {})", self.rule())]
    RestartsALeader {
        /// The part of the script.
        part: String,
        /// The partition.
        partition: PartitionId,
        /// The restarting leader.
        node: NodeId,
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
            ScriptError::AffinityElectsOther { .. } => "restate-elects-the-plans-leader",
            ScriptError::RestartLosesMajority { .. } | ScriptError::RestartsALeader { .. } => {
                "restart-keeps-a-serving-majority"
            }
        }
    }
}

/// `N4, N5`.
fn labels(nodes: &[NodeId]) -> String {
    let labels: Vec<String> = nodes.iter().map(|n| format!("N{n}")).collect();
    labels.join(", ")
}
