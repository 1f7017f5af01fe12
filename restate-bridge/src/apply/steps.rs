//! A plan as the steps `apply` carries out: the commands of its `restatectl` script
//! ([`crate::script::commands`], each checked on Restate's view of the cluster exactly as the
//! script's are), grouped into one step per worker-state change and one per partition change
//! (its `placement set`s and the waits between them), each with where the cluster must be
//! before it and where it is after.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use worker_policy_model::{NodeId, Partition, PartitionId, Snapshot, WorkerState};

use super::error::ApplyError;
use crate::script::{
    commands, Command, Part, RestateView, ScriptError, ScriptHeader, FREEZE_PREFIX,
};

/// A partition as a step checks it on the live cluster: who holds it and who leads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartitionShape {
    /// The nodes holding it (`current` and `next`), in id order.
    pub replicas: Vec<NodeId>,
    /// Its leader; `None` when the plan leaves the choice to Restate (no alive member).
    pub leader: Option<NodeId>,
}

impl PartitionShape {
    fn of(partition: &Partition) -> PartitionShape {
        PartitionShape {
            replicas: partition.holders().into_iter().collect(),
            leader: partition.leader,
        }
    }

    /// The shape as one line: `N1,N4 led by N4`.
    pub fn describe(&self) -> String {
        let replicas: Vec<String> = self.replicas.iter().map(|n| format!("N{n}")).collect();
        let leader = self
            .leader
            .map_or_else(|| "no leader".to_string(), |l| format!("led by N{l}"));
        format!("{} {leader}", replicas.join(","))
    }
}

/// What a step changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Change {
    /// A node's worker state.
    WorkerState {
        /// The node.
        node: NodeId,
        /// Its state before.
        #[serde(serialize_with = "state_name")]
        from: WorkerState,
        /// Its state after.
        #[serde(serialize_with = "state_name")]
        to: WorkerState,
    },
    /// A partition's replica set or leader.
    Partition {
        /// The partition.
        partition: PartitionId,
        /// Where it is before.
        before: PartitionShape,
        /// Where it is after.
        after: PartitionShape,
        /// The placement freeze someone else set on it, as planned (worker-policy's own read
        /// as none): the step goes ahead only while it is still the same.
        #[serde(skip_serializing_if = "Option::is_none")]
        frozen: Option<String>,
    },
}

impl Change {
    /// The change in a few words: `N4 active -> draining`, `partition 3: N1,N4 led by N4 ->
    /// N1,N5 led by N5`.
    pub fn describe(&self) -> String {
        match self {
            Change::WorkerState { node, from, to } => format!("N{node} {from} -> {to}"),
            Change::Partition {
                partition,
                before,
                after,
                ..
            } => format!(
                "partition {partition}: {} -> {}",
                before.describe(),
                after.describe()
            ),
        }
    }
}

/// One step of a plan on a live cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    /// Its number, from 1.
    pub number: usize,
    /// The part of the plan it belongs to (`round 1 of 2`).
    pub part: String,
    /// What it changes.
    pub change: Change,
    /// Its commands in order: `restatectl` commands and the waits between them.
    #[serde(serialize_with = "as_lines")]
    pub commands: Vec<Command>,
    /// Why: the policy's reasons and why each command is safe, as the script's comments say.
    pub notes: Vec<String>,
}

fn state_name<S: serde::Serializer>(state: &WorkerState, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(state.name())
}

fn as_lines<S: serde::Serializer>(commands: &[Command], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(commands.iter().map(ToString::to_string))
}

/// The steps of `parts` on `snapshot`: the script's commands grouped, in the script's order.
/// `observed` is each node's worker state as the live cluster has it: where a node's first
/// worker-state step starts (the plan's snapshot may have it draining already, as `--drain`
/// asks, when the cluster does not yet).
pub fn steps(
    header: &ScriptHeader,
    snapshot: &Snapshot,
    parts: &[Part],
    observed: &BTreeMap<NodeId, WorkerState>,
) -> Result<Vec<Step>, ApplyError> {
    let mut view = RestateView::new(snapshot.clone());
    let mut steps: Vec<Step> = Vec::new();
    let mut changed: BTreeSet<NodeId> = BTreeSet::new();
    for emitted in commands(header, snapshot, parts).map_err(ApplyError::Plan)? {
        let refused = |refusal| {
            ApplyError::Plan(ScriptError::Refused {
                part: emitted.part.clone(),
                command: emitted.command.to_string(),
                refusal,
            })
        };
        let change = match (&emitted.command, partition_of(&emitted.command)) {
            (Command::SetWorkerState { node, state, .. }, _) => {
                let planned = view.node(*node).map_err(refused)?.worker_state;
                let from = match changed.insert(*node) {
                    true => observed.get(node).copied().unwrap_or(planned),
                    false => planned,
                };
                Some(Change::WorkerState {
                    node: *node,
                    from,
                    to: *state,
                })
            }
            (_, Some(id)) if continues(steps.last(), id, &emitted.part) => None,
            (_, Some(id)) => {
                let partition = view.partition(id).map_err(refused)?;
                let shape = PartitionShape::of(partition);
                Some(Change::Partition {
                    partition: id,
                    before: shape.clone(),
                    after: shape,
                    frozen: others_freeze(partition.freeze.as_deref()),
                })
            }
            (_, None) => {
                return Err(ApplyError::NotApplicable {
                    command: emitted.command.to_string(),
                })
            }
        };
        view.apply(&emitted.command).map_err(refused)?;
        if let Some(change) = change {
            steps.push(Step {
                number: steps.len() + 1,
                part: emitted.part.clone(),
                change,
                commands: Vec::new(),
                notes: Vec::new(),
            });
        }
        let Some(step) = steps.last_mut() else {
            continue;
        };
        if let Change::Partition {
            partition, after, ..
        } = &mut step.change
        {
            *after = PartitionShape::of(view.partition(*partition).map_err(refused)?);
        }
        step.notes.extend(emitted.notes);
        step.commands.push(emitted.command);
    }
    Ok(steps)
}

/// A placement freeze reason, unless it is none or worker-policy's own.
pub fn others_freeze(reason: Option<&str>) -> Option<String> {
    reason
        .filter(|r| !r.starts_with(FREEZE_PREFIX))
        .map(str::to_string)
}

/// The partition a partition command is about.
fn partition_of(command: &Command) -> Option<PartitionId> {
    match command {
        Command::PlacementSet { partition, .. }
        | Command::WaitCaughtUp { partition, .. }
        | Command::WaitLeader { partition, .. } => Some(*partition),
        _ => None,
    }
}

/// Whether a command of partition `id` in `part` belongs to the step before it.
fn continues(last: Option<&Step>, id: PartitionId, part: &str) -> bool {
    last.is_some_and(|step| {
        step.part == part
            && matches!(step.change, Change::Partition { partition, .. } if partition == id)
    })
}
