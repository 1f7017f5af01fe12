//! One partition's steps of a round as Restate's unit of change, a whole replica set,
//! make-before-break: the set grown by the new replicas, a wait for each to catch up, the
//! leader pinned, then the set without the replicas that leave.

use std::collections::BTreeSet;

use worker_policy_model::replication::Shortfall;
use worker_policy_model::{LeaderAffinity, Node, NodeId, PartitionId, Step, StepOp};

use super::command::Command;
use super::error::ScriptError;
use super::writer::Writer;

impl Writer<'_> {
    /// Writes the commands for `steps`, all of partition `id`, and applies them to both views.
    pub(super) fn partition_change(
        &mut self,
        id: PartitionId,
        steps: &[&Step],
    ) -> Result<(), ScriptError> {
        let unknown = |round| ScriptError::Refused {
            round,
            command: format!("the steps of partition {id}"),
            refusal: super::restate::Refusal::UnknownPartition(id),
        };
        let round = self.round;
        let partition = self.model_partition(id).ok_or_else(|| unknown(round))?;
        // Restate's view of the set: the replicas and the nodes the partition is moving to.
        let base: Vec<NodeId> = partition
            .replicas
            .iter()
            .copied()
            .chain(partition.pending_next())
            .collect();
        for step in steps {
            partition.apply(step.op, step.node);
        }
        let held: BTreeSet<NodeId> = partition.holders();
        let of = |op: StepOp| steps.iter().filter(move |s| s.op == op);
        let mut set = base.clone();
        for step in of(StepOp::AddReplica) {
            if !set.contains(&step.node) {
                set.push(step.node);
            }
        }
        if of(StepOp::AddReplica).next().is_some() {
            self.write_set(id, &set, of(StepOp::AddReplica).copied())?;
            let mut waited = BTreeSet::new();
            for step in of(StepOp::AddReplica).filter(|s| waited.insert(s.node)) {
                self.emit(
                    &[],
                    Command::WaitCaughtUp {
                        partition: id,
                        node: step.node,
                    },
                )?;
            }
        }
        for step in of(StepOp::SetLeader) {
            self.pin(id, step)?;
        }
        let last_written = set.clone();
        set.retain(|n| held.contains(n));
        if set != last_written {
            self.write_set(id, &set, of(StepOp::RemoveReplica).copied())?;
        }
        Ok(())
    }

    /// `placement set` of `set`, frozen, after the reasons of `steps`; refused when the set is
    /// empty, or falls short of the replication property while dropping a replica that serves.
    fn write_set<'s>(
        &mut self,
        id: PartitionId,
        set: &[NodeId],
        steps: impl Iterator<Item = &'s Step>,
    ) -> Result<(), ScriptError> {
        let round = self.round;
        if set.is_empty() {
            return Err(ScriptError::EmptySet {
                round,
                partition: id,
            });
        }
        let mut notes: Vec<String> = steps.map(|s| format!("{s}: {}", s.reason)).collect();
        if let Some(shortfall) = self.shortfall(set) {
            if !self.keeps_serving_replicas(id, set) {
                return Err(ScriptError::Unsatisfied {
                    round,
                    partition: id,
                    set: set.to_vec(),
                    shortfall,
                });
            }
            notes.push(format!(
                "This set falls short of the replication property ({shortfall}), but it keeps \
                 every replica that serves: the plan drops only replicas on dead or disabled \
                 nodes, or nodes the partition was still moving to, or adds to a set that was \
                 short already."
            ));
        }
        let notes: Vec<&str> = notes.iter().map(String::as_str).collect();
        self.emit(
            &notes,
            Command::PlacementSet {
                partition: id,
                replicas: set.to_vec(),
                freeze: self.freeze.clone(),
            },
        )?;
        self.frozen.insert(id);
        Ok(())
    }

    /// Where `set` falls short of the replication property, if it does.
    fn shortfall(&self, set: &[NodeId]) -> Option<Shortfall> {
        let nodes: Vec<&Node> = set.iter().filter_map(|&n| self.view.node(n).ok()).collect();
        self.view
            .snapshot()
            .replication
            .shortfall(nodes.iter().copied())
    }

    /// Whether `set` keeps every current replica of partition `id` in Restate's view that
    /// serves (on an alive node, not disabled); a node the partition is still moving to serves
    /// nothing yet.
    fn keeps_serving_replicas(&self, id: PartitionId, set: &[NodeId]) -> bool {
        let Ok(partition) = self.view.partition(id) else {
            return false;
        };
        partition.replicas.iter().all(|n| {
            set.contains(n) || self.view.node(*n).is_ok_and(|node| !node.serves_replicas())
        })
    }

    /// `leadership pin` for a set-leader step, with a note when it replaces an affinity the
    /// snapshot had.
    fn pin(&mut self, id: PartitionId, step: &Step) -> Result<(), ScriptError> {
        let before = self
            .original
            .partition(id)
            .and_then(|p| p.leader_affinity.clone());
        let mut notes = vec![format!("{step}: {}", step.reason)];
        match &before {
            Some(LeaderAffinity::Node(node)) if *node == step.node => {}
            Some(affinity) => notes.push(format!(
                "This pin replaces the snapshot's leader affinity ({affinity}) of partition {id}; \
                 the hand-back at the end says how to restore it."
            )),
            None => {}
        }
        let notes: Vec<&str> = notes.iter().map(String::as_str).collect();
        self.emit(
            &notes,
            Command::LeadershipPin {
                partitions: vec![id],
                node: step.node,
            },
        )?;
        self.pinned.entry(id).or_insert(before);
        Ok(())
    }
}
