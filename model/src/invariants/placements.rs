//! Which partitions the answer being checked places: those unplaced when it began that a step
//! of the answer gives a replica. Each must end the answer placed in full
//! ([`super::Invariant::PlacedInFull`]): a freeze does not excuse a short placement, since it
//! holds what a cluster already has, not what a policy just did (Restate initialises a frozen
//! partition fully).

use crate::positions::Positions;
use crate::snapshot::{PartitionId, Snapshot};

/// One partition's part in the answer being checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    /// Placed when the answer began: not this check's concern.
    Placed,
    /// Unplaced when the answer began, and no step of the answer touched it yet.
    Unplaced,
    /// Unplaced when the answer began; the last step of the answer that touched it.
    PlacedBy(usize),
}

/// By partition position, what the answer does with the partitions unplaced when it began.
#[derive(Debug, Clone, Default)]
pub(super) struct Placements {
    /// Empty when no partition was unplaced, so that a placed cluster costs nothing.
    slots: Vec<Slot>,
}

impl Placements {
    /// The unplaced partitions of `snapshot` at the start of an answer.
    pub(super) fn new(snapshot: &Snapshot) -> Placements {
        if snapshot.partitions.iter().all(|p| !p.is_unplaced()) {
            return Placements::default();
        }
        let slot = |unplaced| match unplaced {
            true => Slot::Unplaced,
            false => Slot::Placed,
        };
        Placements {
            slots: snapshot
                .partitions
                .iter()
                .map(|p| slot(p.is_unplaced()))
                .collect(),
        }
    }

    /// Records step `step` of the answer, on the partition at position `partition`.
    #[inline]
    pub(super) fn record(&mut self, partition: usize, step: usize) {
        if let Some(slot) = self.slots.get_mut(partition) {
            if *slot != Slot::Placed {
                *slot = Slot::PlacedBy(step);
            }
        }
    }

    /// The partition of the lowest id this answer placed short in `snapshot` (the answer
    /// applied; `nodes` indexes its nodes): its id, the last step that touched it, and what is
    /// short. By id, not by position, so the same answer is refused the same way whatever the
    /// order of the snapshot's partitions.
    pub(super) fn first_short(
        &self,
        snapshot: &Snapshot,
        nodes: &Positions,
    ) -> Option<(PartitionId, usize, String)> {
        let factor = snapshot.replication.factor() as usize;
        let placed_short = self
            .slots
            .iter()
            .enumerate()
            .filter_map(|(position, slot)| {
                let Slot::PlacedBy(step) = *slot else {
                    return None;
                };
                let partition = &snapshot.partitions[position];
                let holders = partition.holders();
                let members = holders
                    .iter()
                    .filter_map(|&id| nodes.get(id).map(|i| &snapshot.nodes[i]));
                let short = match holders.len() < factor {
                    true => Some(format!(
                        "{} replica(s), the replication factor is {factor}",
                        holders.len()
                    )),
                    false => snapshot
                        .replication
                        .shortfall(members)
                        .map(|shortfall| shortfall.to_string()),
                };
                short.map(|why| (partition.id, step, why))
            });
        placed_short.min_by_key(|(id, _, _)| *id)
    }
}
