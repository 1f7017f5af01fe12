//! Which partitions a placement freeze holds for the answer being checked: those with a
//! `freeze` that were placed when the answer began. An unplaced frozen partition may be placed
//! (Restate initialises it even when frozen), with as many `add-replica` steps as that takes;
//! from the next answer on, its replica set is held like any other frozen partition's.

use crate::snapshot::Snapshot;

/// By partition position: whether a freeze holds its replica set in this answer.
#[derive(Debug, Clone, Default)]
pub(super) struct Freezes {
    /// Empty when no partition has a freeze, so that a snapshot without freezes costs nothing.
    held: Vec<bool>,
}

impl Freezes {
    /// The freezes of `snapshot` at the start of an answer: one pass over the partitions when
    /// any has a freeze, none otherwise.
    pub(super) fn new(snapshot: &Snapshot) -> Freezes {
        if snapshot.partitions.iter().all(|p| p.freeze.is_none()) {
            return Freezes::default();
        }
        Freezes {
            held: snapshot.partitions.iter().map(|p| p.is_frozen()).collect(),
        }
    }

    /// Whether a freeze holds the replica set of the partition at `partition` in this answer.
    #[inline]
    pub(super) fn holds(&self, partition: usize) -> bool {
        self.held.get(partition).copied().unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::{Node, Partition};
    use crate::Replication;

    #[test]
    fn only_placed_frozen_partitions_are_held() {
        let frozen = |p: Partition| Partition {
            freeze: Some("maintenance".into()),
            ..p
        };
        let mut snapshot = Snapshot {
            replication: Replication::nodes(1).unwrap(),
            nodes: vec![Node::worker(1, "z")],
            partitions: vec![
                Partition::placed(0, &[1], Some(1)),
                frozen(Partition::placed(1, &[1], Some(1))),
                frozen(Partition::placed(2, &[], None)),
            ],
        };
        let freezes = Freezes::new(&snapshot);
        assert_eq!(
            [0, 1, 2, 3].map(|p| freezes.holds(p)),
            [false, true, false, false]
        );
        snapshot.partitions[1].freeze = None;
        snapshot.partitions[2].freeze = None;
        assert!(Freezes::new(&snapshot).held.is_empty());
    }
}
