//! Whether two snapshots look the same to Restate: per partition its holders and its leader,
//! per node its worker state. Freezes and affinities are left out: a script sets them by design.

use std::collections::BTreeSet;
use std::fmt;

use thiserror::Error;
use worker_policy_model::{NodeId, PartitionId, Snapshot, WorkerState};

/// The first thing two snapshots differ on.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Difference {
    /// A node only one of them has.
    #[error("N{0} is in one snapshot only")]
    Node(NodeId),
    /// A partition only one of them has.
    #[error("partition {0} is in one snapshot only")]
    Partition(PartitionId),
    /// A node in different worker states.
    #[error("N{node} is {left} in one and {right} in the other")]
    WorkerState {
        /// The node.
        node: NodeId,
        /// Its state in the first.
        left: WorkerState,
        /// Its state in the second.
        right: WorkerState,
    },
    /// A partition held by different nodes (replicas and `next`, as sets).
    #[error(
        "partition {partition} is held by {} in one and {} in the other",
        Ids(left),
        Ids(right)
    )]
    Holders {
        /// The partition.
        partition: PartitionId,
        /// Its holders in the first.
        left: BTreeSet<NodeId>,
        /// Its holders in the second.
        right: BTreeSet<NodeId>,
    },
    /// A partition led by different nodes.
    #[error("partition {partition} is led by {left:?} in one and {right:?} in the other")]
    Leader {
        /// The partition.
        partition: PartitionId,
        /// Its leader in the first.
        left: Option<NodeId>,
        /// Its leader in the second.
        right: Option<NodeId>,
    },
}

struct Ids<'a>(&'a BTreeSet<NodeId>);

impl fmt::Display for Ids<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ids: Vec<String> = self.0.iter().map(|n| format!("N{n}")).collect();
        write!(f, "[{}]", ids.join(", "))
    }
}

/// `Ok` when `left` and `right` show Restate the same placement: the same nodes in the same
/// worker states, the same partitions with the same holders and leaders.
pub fn same_placement(left: &Snapshot, right: &Snapshot) -> Result<(), Difference> {
    let (left, right) = (left.clone().canonical(), right.clone().canonical());
    for pair in zip_by_id(&left.nodes, &right.nodes, |n| n.id) {
        let (a, b) = pair.map_err(Difference::Node)?;
        if a.worker_state != b.worker_state {
            return Err(Difference::WorkerState {
                node: a.id,
                left: a.worker_state,
                right: b.worker_state,
            });
        }
    }
    for pair in zip_by_id(&left.partitions, &right.partitions, |p| p.id) {
        let (a, b) = pair.map_err(Difference::Partition)?;
        if a.holders() != b.holders() {
            return Err(Difference::Holders {
                partition: a.id,
                left: a.holders(),
                right: b.holders(),
            });
        }
        if a.leader != b.leader {
            return Err(Difference::Leader {
                partition: a.id,
                left: a.leader,
                right: b.leader,
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
