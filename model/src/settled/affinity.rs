//! Leader affinities a settled cluster could honour and does not: a partition with a leader
//! affinity should be led by an eligible replica (worker role, active, alive) that matches it,
//! when its replica set has one; otherwise it is led like any other partition.

use std::fmt;

use crate::snapshot::{LeaderAffinity, NodeId, NodeLabel, PartitionId, Snapshot};

/// A partition led elsewhere than its leader affinity asks, although an eligible replica
/// matches the affinity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AffinityMiss {
    /// The partition.
    pub partition: PartitionId,
    /// Its leader affinity.
    pub affinity: LeaderAffinity,
    /// Its leader, if any.
    pub leader: Option<NodeId>,
    /// The first eligible replica (in replica order) that matches the affinity.
    pub matching: NodeId,
}

impl fmt::Display for AffinityMiss {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "partition {} has leader affinity {} and an eligible replica there ({}), yet is led by {}",
            self.partition,
            self.affinity,
            NodeLabel(self.matching),
            self.leader
                .map_or("nobody".into(), |l| NodeLabel(l).to_string())
        )
    }
}

impl Snapshot {
    /// The partitions with a leader affinity that an eligible replica matches, led by a node
    /// that does not match it or is not such a replica, in the snapshot's partition order.
    pub fn affinity_misses(&self) -> Vec<AffinityMiss> {
        self.partitions
            .iter()
            .filter_map(|p| {
                let affinity = p.leader_affinity.as_ref()?;
                let honours = |id: NodeId| {
                    p.replicas.contains(&id)
                        && self
                            .node(id)
                            .is_some_and(|n| n.is_placement_candidate() && affinity.matches(n))
                };
                let matching = p.replicas.iter().copied().find(|&id| honours(id))?;
                (!p.leader.is_some_and(honours)).then(|| AffinityMiss {
                    partition: p.id,
                    affinity: affinity.clone(),
                    leader: p.leader,
                    matching,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::{Node, Partition, WorkerState};
    use crate::Replication;

    #[test]
    fn an_affinity_counts_only_where_an_eligible_replica_matches_it() {
        let affine = |id, replicas: &[NodeId], leader, affinity| Partition {
            leader_affinity: Some(affinity),
            ..Partition::placed(id, replicas, Some(leader))
        };
        let zone_b = || LeaderAffinity::Location("eu.b".into());
        let mut s = Snapshot {
            replication: Replication::nodes(2).unwrap(),
            nodes: vec![
                Node::worker(1, "eu.a"),
                Node::worker(2, "eu.b"),
                Node {
                    worker_state: WorkerState::Draining,
                    ..Node::worker(3, "eu.b")
                },
            ],
            partitions: vec![
                affine(0, &[1, 2], 1, LeaderAffinity::Node(2)),
                affine(1, &[1, 2], 2, zone_b()),
                affine(2, &[1, 3], 1, zone_b()),
                affine(3, &[1, 2], 2, LeaderAffinity::Location("eu".into())),
                Partition::placed(4, &[1, 2], Some(1)),
            ],
        };
        let misses = s.affinity_misses();
        assert_eq!(misses.len(), 1, "{misses:?}");
        assert_eq!(
            misses[0].to_string(),
            "partition 0 has leader affinity node N2 and an eligible replica there (N2), yet is led by N1"
        );
        s.partitions[1].leader = None;
        assert_eq!(s.affinity_misses()[1].partition, 1);
    }
}
