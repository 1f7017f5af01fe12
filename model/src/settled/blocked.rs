//! Draining nodes that cannot be emptied because a frozen partition holds them: reported by
//! name with the freezes, so that a simulation says why a drain stops instead of looping or
//! calling the node empty.

use std::fmt;

use crate::snapshot::{NodeId, NodeLabel, PartitionId, Snapshot, WorkerState};

/// How many frozen partitions a [`BlockedDrain`] names (the rest are counted).
pub const NAMED_FREEZES: usize = 3;

/// A draining node that frozen partitions hold (in their replicas or `next` set): no plan may
/// empty it while the freezes last, and it is never disabled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockedDrain {
    /// The node.
    pub node: NodeId,
    /// The first [`NAMED_FREEZES`] frozen partitions holding it, by the snapshot's partition
    /// order, each with its freeze reason.
    pub frozen: Vec<(PartitionId, String)>,
    /// How many frozen partitions hold it.
    pub count: usize,
}

impl fmt::Display for BlockedDrain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} cannot be emptied: ", NodeLabel(self.node))?;
        if let ([(partition, reason)], 1) = (self.frozen.as_slice(), self.count) {
            return write!(f, "partition {partition} is frozen ({reason})");
        }
        let named: Vec<String> = self
            .frozen
            .iter()
            .map(|(partition, reason)| format!("{partition} ({reason})"))
            .collect();
        write!(f, "partitions {}", named.join(", "))?;
        let more = self.count - self.frozen.len();
        if more > 0 {
            write!(f, " and {more} more")?;
        }
        f.write_str(" are frozen")
    }
}

impl Snapshot {
    /// The draining nodes frozen partitions hold, by the snapshot's node order; empty when no
    /// partition is frozen.
    pub fn blocked(&self) -> Vec<BlockedDrain> {
        let frozen: Vec<_> = self.partitions.iter().filter(|p| p.is_frozen()).collect();
        if frozen.is_empty() {
            return Vec::new();
        }
        let draining = self
            .nodes
            .iter()
            .filter(|n| n.worker_state == WorkerState::Draining);
        draining
            .filter_map(|n| {
                let mut holding = frozen.iter().filter(|p| p.is_held_by(n.id));
                let named: Vec<(PartitionId, String)> = holding
                    .by_ref()
                    .take(NAMED_FREEZES)
                    .map(|p| (p.id, p.freeze.clone().unwrap_or_default()))
                    .collect();
                (!named.is_empty()).then(|| BlockedDrain {
                    node: n.id,
                    count: named.len() + holding.count(),
                    frozen: named,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::{Node, Partition};
    use crate::Replication;

    fn frozen(id: PartitionId, replicas: &[NodeId], reason: &str) -> Partition {
        Partition {
            freeze: Some(reason.into()),
            ..Partition::placed(id, replicas, replicas.first().copied())
        }
    }

    #[test]
    fn a_draining_node_held_by_frozen_partitions_is_named_with_the_freezes() {
        let draining = |id| Node {
            worker_state: WorkerState::Draining,
            ..Node::worker(id, "z")
        };
        let mut s = Snapshot {
            replication: Replication::nodes(2).unwrap(),
            nodes: vec![Node::worker(1, "z"), draining(4), draining(5), draining(6)],
            partitions: vec![
                Partition::placed(0, &[1, 6], Some(1)),
                frozen(7, &[1, 4], "maintenance"),
                frozen(8, &[], "unplaced, so never held"),
            ],
        };
        s.partitions
            .extend((9..14).map(|id| frozen(id, &[5, 1], "upgrade")));
        s.partitions[0].next = Some(vec![1, 4]);
        let blocked = s.blocked();
        let text: Vec<String> = blocked.iter().map(ToString::to_string).collect();
        assert_eq!(
            text,
            [
                "N4 cannot be emptied: partition 7 is frozen (maintenance)",
                "N5 cannot be emptied: partitions 9 (upgrade), 10 (upgrade), 11 (upgrade) and 2 more are frozen",
            ]
        );
        assert_eq!(blocked[1].count, 5);
        s.partitions[1].replicas = vec![1];
        s.partitions[1].next = Some(vec![4]);
        assert_eq!(s.blocked()[0].node, 4, "a next slot holds it too");
    }
}
