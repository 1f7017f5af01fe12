//! One partition's steps of a round as Restate's unit of change, a whole replica set,
//! make-before-break, with its leader chosen by the order of the set.
//!
//! After `placement set`, Restate elects the last alive node of the list, or an alive member the
//! partition's leader affinity points to ([`super::restate::elect`]). So the set grows by the new
//! replicas with the current leader last (a caught-up replica keeps leading while the new ones
//! catch up; never a new one), the script waits for each new replica, then writes the final set
//! with the plan's leader last and waits until it leads. A leader move alone is the same set
//! reordered. No leadership pin is written: a pin comes back on the next import as an affinity
//! indistinguishable from an operator's, and would keep that partition out of leader balancing.
//! When an affinity makes Restate elect another node than the plan's leader whatever the order,
//! the plan cannot be reached and the script is refused.

use std::collections::BTreeSet;

use worker_policy_model::replication::Shortfall;
use worker_policy_model::{Node, NodeId, PartitionId, Step, StepOp};

use super::command::Command;
use super::error::ScriptError;
use super::restate::Refusal;
use super::writer::Writer;

impl Writer<'_> {
    /// Writes the commands for `steps`, all of partition `id`, and applies them to both views.
    pub(super) fn partition_change(
        &mut self,
        id: PartitionId,
        steps: &[&Step],
    ) -> Result<(), ScriptError> {
        let part = self.part.clone();
        let refused = |refusal| ScriptError::Refused {
            part: part.clone(),
            command: format!("the steps of partition {id}"),
            refusal,
        };
        let partition = self
            .model_partition(id)
            .ok_or_else(|| refused(Refusal::UnknownPartition(id)))?;
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
        // A plan leads by a leader it chose (an alive node); one it left on a dead node (or
        // none) leaves the choice to Restate.
        let plan_leader = partition.leader;
        let plan_leader = plan_leader.filter(|&l| self.view.node(l).is_ok_and(|n| n.alive));
        let before_leader = self.view.partition(id).map_err(refused)?.leader;
        let of = |op: StepOp| steps.iter().filter(move |s| s.op == op).copied();
        let mut added: Vec<NodeId> = Vec::new();
        for step in of(StepOp::AddReplica) {
            if !base.contains(&step.node) && !added.contains(&step.node) {
                added.push(step.node);
            }
        }
        let mut order = base.clone();
        let mut written = false;
        if of(StepOp::AddReplica).next().is_some() {
            let mut grow = base.clone();
            grow.extend(&added);
            let keep = self.grow_leader(id, &grow, plan_leader).map_err(refused)?;
            if let Some(keep) = keep {
                to_last(&mut grow, keep);
            }
            let mut notes = reasons(of(StepOp::AddReplica));
            notes.extend(keep.map(|k| grow_note(k, before_leader)));
            self.write_set(id, &grow, &notes)?;
            for &node in &added {
                self.emit(
                    &[],
                    Command::WaitCaughtUp {
                        partition: id,
                        node,
                    },
                )?;
            }
            order = grow;
            written = true;
        }
        let mut last = order.clone();
        last.retain(|n| held.contains(n));
        if let Some(leader) = plan_leader {
            to_last(&mut last, leader);
        }
        let mut rest = reasons(of(StepOp::RemoveReplica).chain(of(StepOp::SetLeader)));
        let needed = match written {
            true => last != order,
            false => {
                let same = |set: &[NodeId]| set.iter().copied().collect::<BTreeSet<_>>();
                same(&last) != same(&base) || plan_leader.is_some_and(|l| Some(l) != before_leader)
            }
        };
        if written || needed {
            self.check_elected(id, &last, plan_leader)?;
        }
        if needed {
            let leading = self.view.partition(id).map_err(refused)?.leader;
            rest.extend(plan_leader.map(|l| final_note(l, leading)));
            self.write_set(id, &last, &rest)?;
            rest.clear();
            written = true;
        }
        let leader = self.view.partition(id).map_err(refused)?.leader;
        if !written {
            rest.push("Restate has this already: nothing to write.".into());
        }
        match (written, leader) {
            (true, Some(node)) => {
                let notes: Vec<&str> = rest.iter().map(String::as_str).collect();
                self.emit(
                    &notes,
                    Command::WaitLeader {
                        partition: id,
                        node,
                    },
                )
            }
            _ => {
                if !rest.is_empty() {
                    self.out.push_str(&super::shell::comment(&rest.join("\n")));
                }
                Ok(())
            }
        }
    }

    /// The replica to list last while the set grows: the current leader when it is an alive,
    /// caught-up replica, else the plan's leader, else the last such replica; among the ones
    /// an affinity points to when it points to any (Restate elects those first). `None` when no
    /// replica is alive and caught up: then the plan's leader if it is in the set.
    fn grow_leader(
        &self,
        id: PartitionId,
        grow: &[NodeId],
        plan_leader: Option<NodeId>,
    ) -> Result<Option<NodeId>, Refusal> {
        let partition = self.view.partition(id)?;
        let alive = |n: &NodeId| self.view.node(*n).is_ok_and(|node| node.alive);
        let mut old: Vec<NodeId> = grow
            .iter()
            .copied()
            .filter(|n| partition.replicas.contains(n) && alive(n))
            .collect();
        if let Some(affinity) = &partition.leader_affinity {
            let matches = |n: &NodeId| self.view.node(*n).is_ok_and(|node| affinity.matches(node));
            if old.iter().any(matches) {
                old.retain(matches);
            }
        }
        let chosen = [partition.leader, plan_leader]
            .into_iter()
            .flatten()
            .find(|n| old.contains(n))
            .or(old.last().copied());
        Ok(chosen.or(plan_leader.filter(|n| grow.contains(n) && alive(n))))
    }

    /// Refuses a final set whose elected leader is not the plan's (an affinity that wins over
    /// the order); a plan without a leader for the partition lets Restate choose.
    fn check_elected(
        &self,
        id: PartitionId,
        set: &[NodeId],
        plan_leader: Option<NodeId>,
    ) -> Result<(), ScriptError> {
        let refused = |refusal| ScriptError::Refused {
            part: self.part.clone(),
            command: format!("the final set of partition {id}"),
            refusal,
        };
        let Some(plan) = plan_leader else {
            return Ok(());
        };
        let elected = self.view.elect(id, set).map_err(refused)?;
        if elected == Some(plan) {
            return Ok(());
        }
        let affinity = self
            .view
            .partition(id)
            .map_err(refused)?
            .leader_affinity
            .clone();
        match (affinity, elected) {
            (Some(affinity), Some(elected)) => Err(ScriptError::AffinityElectsOther {
                part: self.part.clone(),
                partition: id,
                plan,
                elected,
                affinity,
            }),
            _ => Err(refused(Refusal::NotElected {
                partition: id,
                node: plan,
                elected,
            })),
        }
    }

    /// `placement set` of `set`, frozen, after `notes`; refused when the set is empty, or falls
    /// short of the replication property while dropping a replica that serves. A partition
    /// frozen before the script keeps its freeze reason (control characters made spaces).
    fn write_set(
        &mut self,
        id: PartitionId,
        set: &[NodeId],
        notes: &[String],
    ) -> Result<(), ScriptError> {
        if set.is_empty() {
            return Err(ScriptError::EmptySet {
                part: self.part.clone(),
                partition: id,
            });
        }
        let mut notes = notes.to_vec();
        if let Some(shortfall) = self.shortfall(set) {
            if let Some((dropped, in_flight)) = self.drops_serving(id, set) {
                return Err(ScriptError::Unsatisfied {
                    part: self.part.clone(),
                    partition: id,
                    set: set.to_vec(),
                    shortfall,
                    dropped,
                    in_flight,
                });
            }
            notes.push(format!(
                "This set falls short of the replication property ({shortfall}), but it keeps \
                 every replica that serves: the plan drops only replicas on dead or disabled \
                 nodes, or adds to a set that was short already."
            ));
        }
        let before = self
            .original
            .partition(id)
            .and_then(|p| p.freeze.as_deref());
        let freeze = match before {
            Some(reason) => {
                notes.push(format!(
                    "Partition {id} was frozen before this script: the set keeps its freeze reason."
                ));
                reason
                    .chars()
                    .map(|c| if c.is_control() { ' ' } else { c })
                    .collect()
            }
            None => self.freeze.clone(),
        };
        let notes: Vec<&str> = notes.iter().map(String::as_str).collect();
        self.emit(
            &notes,
            Command::PlacementSet {
                partition: id,
                replicas: set.to_vec(),
                freeze,
            },
        )?;
        match before {
            Some(_) => self.kept.insert(id),
            None => self.frozen.insert(id),
        };
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

    /// The first node of partition `id` in Restate's view that serves (alive, not disabled) and
    /// that `set` drops, and whether it is a node of a pending `next`: those count, since Restate
    /// may complete the reconfiguration in flight before the set is written.
    fn drops_serving(&self, id: PartitionId, set: &[NodeId]) -> Option<(NodeId, bool)> {
        let partition = self.view.partition(id).ok()?;
        let serves = |n: &NodeId| self.view.node(*n).is_ok_and(|node| node.serves_replicas());
        partition
            .holders()
            .into_iter()
            .find(|n| !set.contains(n) && serves(n))
            .map(|n| (n, !partition.replicas.contains(&n)))
    }
}

/// Moves `node`, when `set` has it, to the end (where Restate looks for its leader).
fn to_last(set: &mut Vec<NodeId>, node: NodeId) {
    if let Some(i) = set.iter().position(|&n| n == node) {
        set.remove(i);
        set.push(node);
    }
}

/// Each step and its reason, one note each.
fn reasons<'s>(steps: impl Iterator<Item = &'s Step>) -> Vec<String> {
    steps.map(|s| format!("{s}: {}", s.reason)).collect()
}

/// Why the final set ends with the plan's `leader`, given who `leads` before it.
fn final_note(leader: NodeId, leads: Option<NodeId>) -> String {
    match leads == Some(leader) {
        true => format!("N{leader} is last: it keeps leading, as the plan has it."),
        false => format!("N{leader} is last: Restate elects it, the plan's leader."),
    }
}

/// Why the growing set ends with `keep`.
fn grow_note(keep: NodeId, leader: Option<NodeId>) -> String {
    match leader == Some(keep) {
        true => format!(
            "N{keep} is last: it keeps leading while the new replica(s) catch up (Restate elects \
             the last node of the set)."
        ),
        false => format!(
            "N{keep} is last: Restate elects it, a caught-up replica, while the new replica(s) \
             catch up."
        ),
    }
}
