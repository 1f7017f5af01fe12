//! What every node holds and leads, counted in one pass over the partitions, so that checking
//! many transitions to disabled costs one pass rather than one per transition.

use super::positions::Positions;
use crate::snapshot::{NodeUsage, Snapshot};

/// [`Snapshot::usage`] of every node, by node position.
pub(super) fn usage_by_node(snapshot: &Snapshot, nodes: &Positions) -> Vec<NodeUsage> {
    let mut usage = vec![NodeUsage::default(); snapshot.nodes.len()];
    // The partition (from 1) that last counted each node: a node a partition names twice (in
    // its replicas and its `next` set) holds it once.
    let mut counted_for = vec![0usize; snapshot.nodes.len()];
    for (at, p) in snapshot.partitions.iter().enumerate() {
        let holders = p.replicas.iter().chain(p.next.iter().flatten());
        for node in holders.filter_map(|&id| nodes.get(id)) {
            if counted_for[node] != at + 1 {
                counted_for[node] = at + 1;
                usage[node].holds += 1;
            }
        }
        if let Some(leader) = p.leader.and_then(|id| nodes.get(id)) {
            usage[leader].leads += 1;
        }
    }
    usage
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::{Node, Partition};
    use crate::Replication;

    #[test]
    fn every_node_counts_as_snapshot_usage_counts_it() {
        let snapshot = Snapshot {
            replication: Replication::nodes(2).unwrap(),
            nodes: [1, 2, 3, 4].map(|id| Node::worker(id, "z")).to_vec(),
            partitions: vec![
                Partition {
                    next: Some(vec![1, 3, 9]),
                    ..Partition::placed(0, &[1, 2], Some(2))
                },
                Partition::placed(1, &[2, 9], Some(9)),
                Partition::placed(2, &[], None),
            ],
        };
        let nodes = Positions::new(snapshot.nodes.iter().map(|n| n.id));
        let table = usage_by_node(&snapshot, &nodes);
        for (at, node) in snapshot.nodes.iter().enumerate() {
            assert_eq!(table[at], snapshot.usage(node.id), "N{}", node.id);
        }
        assert_eq!((table[1].holds, table[1].leads), (2, 1));
    }
}
