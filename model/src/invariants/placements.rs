//! Which partitions the answer being checked places: those unplaced when it began that a step
//! of the answer gives a replica. Each must end the answer placed in full
//! ([`super::Invariant::PlacedInFull`]): a freeze does not excuse a short placement, since it
//! holds what a cluster already has, not what a policy just did (Restate initialises a frozen
//! partition fully).

use crate::snapshot::{PartitionId, Snapshot};

/// The partitions unplaced at the start of the answer, and the last step of the answer that
/// touched each.
#[derive(Debug, Clone, Default)]
pub(super) struct Placements {
    /// By partition position: whether it was unplaced when the answer began. Empty when none
    /// was, so that a placed cluster costs nothing.
    unplaced: Vec<bool>,
    /// The partitions placed in this answer and the index of the last step that touched each,
    /// in the order they were first touched.
    placed: Vec<(usize, usize)>,
}

impl Placements {
    /// The unplaced partitions of `snapshot` at the start of an answer.
    pub(super) fn new(snapshot: &Snapshot) -> Placements {
        if snapshot.partitions.iter().all(|p| !p.is_unplaced()) {
            return Placements::default();
        }
        Placements {
            unplaced: snapshot
                .partitions
                .iter()
                .map(|p| p.is_unplaced())
                .collect(),
            placed: Vec::new(),
        }
    }

    /// Records step `step` of the answer, on the partition at position `partition`.
    #[inline]
    pub(super) fn record(&mut self, partition: usize, step: usize) {
        if !self.unplaced.get(partition).copied().unwrap_or(false) {
            return;
        }
        match self.placed.iter_mut().find(|(p, _)| *p == partition) {
            Some(entry) => entry.1 = step,
            None => self.placed.push((partition, step)),
        }
    }

    /// The first partition this answer placed short in `snapshot` (the answer applied): its id,
    /// the last step that touched it, and what is short.
    pub(super) fn first_short(&self, snapshot: &Snapshot) -> Option<(PartitionId, usize, String)> {
        let factor = snapshot.replication.factor() as usize;
        self.placed.iter().find_map(|&(position, step)| {
            let partition = &snapshot.partitions[position];
            let holders = partition.holders();
            let members = holders.iter().filter_map(|&id| snapshot.node(id));
            let short = match snapshot.replication.shortfall(members) {
                _ if holders.len() < factor => Some(format!(
                    "{} replica(s), the replication factor is {factor}",
                    holders.len()
                )),
                Some(shortfall) => Some(shortfall.to_string()),
                None => None,
            };
            short.map(|why| (partition.id, step, why))
        })
    }
}
