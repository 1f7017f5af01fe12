//! The steps of the answer being checked, kept per partition, so that a step that repeats or
//! undoes an earlier one is found among its own partition's steps only.
//!
//! Within one answer a partition has few steps: every step the checker lets through on a
//! partition is distinct, an added replica stays until the answer ends (removing it would undo
//! the addition) and a removed holder cannot come back (adding it would undo the removal), so a
//! partition's steps are at most two per node that holds it during the answer, and one leader
//! change. Looking through them costs what looking through its replica set costs.

use crate::plan::StepOp;
use crate::snapshot::NodeId;

/// No entry: the end of a partition's chain.
const NONE: u32 = u32::MAX;

/// One recorded step: its operation and node, and the partition's previous entry.
#[derive(Debug, Clone, Copy)]
struct Entry {
    op: StepOp,
    node: NodeId,
    previous: u32,
}

/// The steps recorded since the answer began, chained per partition position.
#[derive(Debug, Clone, Default)]
pub(super) struct AnswerLog {
    /// How many partitions the snapshot has.
    partitions: usize,
    /// Per partition position, its latest entry in this answer, or [`NONE`]; empty until the
    /// first step is recorded, so that an answer without steps costs nothing.
    latest: Vec<u32>,
    /// Every entry of this answer, in the order recorded.
    entries: Vec<Entry>,
    /// The partition positions that have entries, to forget them when the next answer begins.
    touched: Vec<u32>,
}

impl AnswerLog {
    /// A log for a snapshot with `partitions` partitions.
    pub(super) fn new(partitions: usize) -> AnswerLog {
        AnswerLog {
            partitions,
            latest: Vec::new(),
            entries: Vec::new(),
            touched: Vec::new(),
        }
    }

    /// Forgets every step: the next answer begins. Costs what the last answer recorded.
    pub(super) fn begin_answer(&mut self) {
        for &partition in &self.touched {
            self.latest[partition as usize] = NONE;
        }
        self.touched.clear();
        self.entries.clear();
    }

    /// Makes room for `steps` more steps (each records at most one entry), so that a long
    /// answer does not grow the log by doubling.
    pub(super) fn reserve(&mut self, steps: usize) {
        self.entries.reserve(steps);
        self.touched.reserve(
            steps
                .min(self.latest.len())
                .saturating_sub(self.touched.len()),
        );
    }

    /// The steps recorded on the partition at `partition`, latest first.
    fn steps_on(&self, partition: usize) -> impl Iterator<Item = (StepOp, NodeId)> + '_ {
        let mut at = self.latest.get(partition).copied().unwrap_or(NONE);
        std::iter::from_fn(move || {
            let entry = self.entries.get(at as usize)?;
            at = entry.previous;
            Some((entry.op, entry.node))
        })
    }

    /// Whether this answer sets the leader of the partition at `partition` to a node other
    /// than `node`.
    pub(super) fn sets_leader_to_another(&self, partition: usize, node: NodeId) -> bool {
        self.steps_on(partition)
            .any(|(op, other)| op == StepOp::SetLeader && other != node)
    }

    /// Records step `op` on `node` for the partition at `partition` unless this answer
    /// already has it; true when the step is new and this answer has no step `opposite` on
    /// `node` for the partition either.
    pub(super) fn record(
        &mut self,
        partition: usize,
        op: StepOp,
        node: NodeId,
        opposite: Option<StepOp>,
    ) -> bool {
        let mut undoes = false;
        for (earlier, on) in self.steps_on(partition) {
            if on == node {
                if earlier == op {
                    return false;
                }
                undoes |= Some(earlier) == opposite;
            }
        }
        if self.latest.is_empty() {
            self.latest = vec![NONE; self.partitions];
        }
        let previous = self.latest[partition];
        if previous == NONE {
            self.touched.push(partition as u32);
        }
        self.latest[partition] = self.entries.len() as u32;
        self.entries.push(Entry { op, node, previous });
        !undoes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use StepOp::{AddReplica, RemoveReplica, SetLeader};

    #[test]
    fn a_step_is_new_once_per_answer_and_partition_and_never_after_its_opposite() {
        let mut log = AnswerLog::new(3);
        let mut record = |partition, op, node| {
            let opposite = match op {
                AddReplica => Some(RemoveReplica),
                RemoveReplica => Some(AddReplica),
                SetLeader => None,
            };
            log.record(partition, op, node, opposite)
        };
        assert!(record(0, AddReplica, 4));
        assert!(record(2, AddReplica, 4));
        assert!(record(0, RemoveReplica, 5));
        assert!(!record(0, AddReplica, 4), "a repeat");
        assert!(!record(0, AddReplica, 5), "undoes the removal");
        assert!(!record(0, AddReplica, 5), "recorded although it undid");
        assert!(record(1, AddReplica, 5), "another partition");
        assert!(record(0, SetLeader, 4));
        assert!(!record(0, SetLeader, 4));
        assert!(log.sets_leader_to_another(0, 5) && !log.sets_leader_to_another(0, 4));
        assert!(!log.sets_leader_to_another(2, 5));
        log.begin_answer();
        assert!(!log.sets_leader_to_another(0, 5));
        assert!(log.record(0, RemoveReplica, 4, Some(AddReplica)));
    }
}
