//! Whether a script ends where its plan does, as Restate sees it: per partition its holders and
//! its leader, per node its worker state. Freezes and affinities are left out: a script sets
//! freezes by design. A partition the plan leaves without a leader of its choosing (none, or one
//! on a dead node) is Restate's to lead: any leader the script ends with matches it.

use std::collections::BTreeSet;
use std::fmt;

use thiserror::Error;
use worker_policy_model::{NodeId, PartitionId, Snapshot, WorkerState};

/// The first thing the script's end and the plan's end differ on.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Difference {
    /// A node only one of them has.
    #[error("N{0} is in one snapshot only")]
    Node(NodeId),
    /// A partition only one of them has.
    #[error("partition {0} is in one snapshot only")]
    Partition(PartitionId),
    /// A node in different worker states.
    #[error("N{node} is {script} after the script and {plan} in the plan")]
    WorkerState {
        /// The node.
        node: NodeId,
        /// Its state after the script.
        script: WorkerState,
        /// Its state in the plan.
        plan: WorkerState,
    },
    /// A partition held by different nodes (replicas and `next`, as sets).
    #[error(
        "partition {partition} is held by {} after the script and by {} in the plan",
        Ids(script),
        Ids(plan)
    )]
    Holders {
        /// The partition.
        partition: PartitionId,
        /// Its holders after the script.
        script: BTreeSet<NodeId>,
        /// Its holders in the plan.
        plan: BTreeSet<NodeId>,
    },
    /// A partition led by another node than the plan's.
    #[error(
        "partition {partition} is led by {} after the script (Restate's election) and by {} in the plan",
        Leader(*script),
        Leader(*plan)
    )]
    Leader {
        /// The partition.
        partition: PartitionId,
        /// Its leader after the script.
        script: Option<NodeId>,
        /// Its leader in the plan.
        plan: Option<NodeId>,
    },
}

struct Ids<'a>(&'a BTreeSet<NodeId>);

impl fmt::Display for Ids<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ids: Vec<String> = self.0.iter().map(|n| format!("N{n}")).collect();
        write!(f, "[{}]", ids.join(", "))
    }
}

/// A leader as messages name it: `N3`, or `no node`.
struct Leader(Option<NodeId>);

impl fmt::Display for Leader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(node) => write!(f, "N{node}"),
            None => f.write_str("no node"),
        }
    }
}

/// `Ok` when the `script`'s end (its replay) shows Restate the same placement as the `plan`'s
/// end: the same nodes in the same worker states, the same partitions with the same holders, and
/// the plan's leader wherever the plan chose one (a leader on an alive node).
pub fn same_placement(script: &Snapshot, plan: &Snapshot) -> Result<(), Difference> {
    let (script, plan) = (script.clone().canonical(), plan.clone().canonical());
    for pair in zip_by_id(&script.nodes, &plan.nodes, |n| n.id) {
        let (a, b) = pair.map_err(Difference::Node)?;
        if a.worker_state != b.worker_state {
            return Err(Difference::WorkerState {
                node: a.id,
                script: a.worker_state,
                plan: b.worker_state,
            });
        }
    }
    let chosen = |leader: Option<NodeId>| leader.filter(|&l| plan.node(l).is_some_and(|n| n.alive));
    for pair in zip_by_id(&script.partitions, &plan.partitions, |p| p.id) {
        let (a, b) = pair.map_err(Difference::Partition)?;
        if a.holders() != b.holders() {
            return Err(Difference::Holders {
                partition: a.id,
                script: a.holders(),
                plan: b.holders(),
            });
        }
        if chosen(b.leader).is_some() && a.leader != b.leader {
            return Err(Difference::Leader {
                partition: a.id,
                script: a.leader,
                plan: b.leader,
            });
        }
    }
    Ok(())
}

/// Pairs of items with the same id from two lists sorted by id; `Err(id)` for an id only one
/// list has.
fn zip_by_id<'a, T, I: Ord + Copy>(
    left: &'a [T],
    right: &'a [T],
    id: impl Fn(&T) -> I + Copy + 'a,
) -> impl Iterator<Item = Result<(&'a T, &'a T), I>> + 'a {
    let longer = left.len().max(right.len());
    (0..longer).map(move |i| match (left.get(i), right.get(i)) {
        (Some(a), Some(b)) if id(a) == id(b) => Ok((a, b)),
        (Some(a), Some(b)) => Err(id(a).min(id(b))),
        (Some(a), None) | (None, Some(a)) => Err(id(a)),
        (None, None) => unreachable!("i is below the longer length"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use worker_policy_model::{Node, Partition, Replication};

    fn cluster(leader: Option<NodeId>) -> Snapshot {
        let mut nodes: Vec<Node> = (1..=3).map(|id| Node::worker(id, "")).collect();
        nodes[2].alive = false;
        Snapshot {
            replication: Replication::nodes(2).unwrap(),
            nodes,
            partitions: vec![Partition::placed(0, &[1, 2, 3], leader)],
        }
    }

    #[test]
    fn the_plans_leader_must_be_reached_where_the_plan_chose_one() {
        let (one, two) = (cluster(Some(1)), cluster(Some(2)));
        assert_eq!(
            same_placement(&one, &two).unwrap_err().to_string(),
            "partition 0 is led by N1 after the script (Restate's election) and by N2 in the plan"
        );
        assert!(same_placement(&cluster(None), &two).is_err());
        // No leader, or one on a dead node (N3): Restate's choice stands.
        assert!(same_placement(&one, &cluster(None)).is_ok());
        assert!(same_placement(&one, &cluster(Some(3))).is_ok());
    }
}
