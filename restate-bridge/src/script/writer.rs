//! Writing a script: its parts in order (a plan's rounds, a rollout's restart points), each
//! round's commands in the order that keeps every line safe, every command checked on the
//! cluster as Restate would have it at that line.

use std::collections::{BTreeSet, HashMap};

use worker_policy_model::{
    NodeId, Partition, PartitionId, Plan, Snapshot, Step, StepOp, Transition, WorkerState,
};

use super::command::Command;
use super::error::ScriptError;
use super::functions::Block;
use super::header::ScriptHeader;
use super::parts::{round_parts, Part};
use super::restate::{needs_force, RestateView};
use super::shell::comment;

/// The script that applies `plans` (each made on the snapshot the one before leads to,
/// the first on `snapshot`) with `restatectl`, safe at every line; see the `--emit restatectl`
/// section of `docs/operators/restate.md` for the order and why.
pub fn restatectl_script(
    header: &ScriptHeader,
    snapshot: &Snapshot,
    plans: &[Plan],
) -> Result<String, ScriptError> {
    script(header, snapshot, &round_parts(plans))
}

/// The script of `parts` on `snapshot`: the header, the helper functions, each part, and the
/// hand-back of what it froze.
pub fn script(
    header: &ScriptHeader,
    snapshot: &Snapshot,
    parts: &[Part],
) -> Result<String, ScriptError> {
    let restarts = parts.iter().filter(|p| p.plan().is_none()).count();
    let mut writer = Writer::new(header, snapshot);
    writer
        .out
        .push_str(&header.text(parts.len() - restarts, restarts));
    if parts.iter().all(|p| p.plan().is_some_and(Plan::is_empty)) {
        writer.out.push_str("\n# nothing to do\n");
        return Ok(writer.out);
    }
    writer.out.push('\n');
    writer.out.push_str(Block::Helpers.text());
    if restarts > 0 {
        writer.out.push('\n');
        writer.out.push_str(Block::Restart.text());
    }
    writer.write_parts(parts)?;
    writer.out.push_str(&super::handback::text(
        snapshot,
        &writer.frozen,
        &writer.kept,
    ));
    Ok(writer.out)
}

/// The commands the script of `parts` on `snapshot` runs, in order, each with the part it
/// belongs to and the notes written above it: what `apply` carries out on a live cluster.
/// Every command is checked as [`script`] checks it.
pub fn commands(
    header: &ScriptHeader,
    snapshot: &Snapshot,
    parts: &[Part],
) -> Result<Vec<Emitted>, ScriptError> {
    let mut writer = Writer::new(header, snapshot);
    writer.write_parts(parts)?;
    Ok(writer.emitted)
}

/// One command of a script, as [`commands`] lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Emitted {
    /// The part it belongs to (`round 1 of 2`).
    pub part: String,
    /// The notes written above it: the policy's reasons and why the command is safe.
    pub notes: Vec<String>,
    /// The command.
    pub command: Command,
}

/// A script being written, and the cluster at the line being written, both as Restate shows
/// it and as the plans see it.
pub(super) struct Writer<'a> {
    pub(super) out: String,
    /// The part being written, as errors name it.
    pub(super) part: String,
    pub(super) freeze: String,
    pub(super) original: &'a Snapshot,
    /// Restate's view: the commands so far applied.
    pub(super) view: RestateView,
    /// The plans' view: the rounds so far applied (it keeps `next` sets as a plan sees them).
    pub(super) model: Snapshot,
    pub(super) model_partitions: HashMap<PartitionId, usize>,
    /// The partitions the script froze.
    pub(super) frozen: BTreeSet<PartitionId>,
    /// The partitions frozen before the script whose sets it wrote, keeping their freeze.
    pub(super) kept: BTreeSet<PartitionId>,
    /// Every command written so far.
    pub(super) emitted: Vec<Emitted>,
}

impl<'a> Writer<'a> {
    fn new(header: &ScriptHeader, snapshot: &'a Snapshot) -> Writer<'a> {
        let model_partitions = snapshot
            .partitions
            .iter()
            .enumerate()
            .map(|(i, p)| (p.id, i))
            .collect();
        Writer {
            out: String::new(),
            part: String::new(),
            freeze: header.freeze_reason(),
            original: snapshot,
            view: RestateView::new(snapshot.clone()),
            model: snapshot.clone(),
            model_partitions,
            frozen: BTreeSet::new(),
            kept: BTreeSet::new(),
            emitted: Vec::new(),
        }
    }

    /// Writes each of `parts` in order.
    fn write_parts(&mut self, parts: &[Part]) -> Result<(), ScriptError> {
        for part in parts {
            match part {
                Part::Round {
                    title,
                    plan,
                    confirm_draining,
                } => self.write_round(title, plan, *confirm_draining)?,
                Part::Restart { wave, waves, nodes } => self.restart(*wave, *waves, nodes)?,
            }
        }
        Ok(())
    }

    /// Writes `notes` as comments, then `command`, after checking it on Restate's view.
    pub(super) fn emit(&mut self, notes: &[&str], command: Command) -> Result<(), ScriptError> {
        self.view
            .apply(&command)
            .map_err(|refusal| ScriptError::Refused {
                part: self.part.clone(),
                command: command.to_string(),
                refusal,
            })?;
        for note in notes {
            self.out.push_str(&comment(note));
        }
        self.out.push_str(&command.to_string());
        self.out.push('\n');
        self.emitted.push(Emitted {
            part: self.part.clone(),
            notes: notes.iter().map(|n| n.to_string()).collect(),
            command,
        });
        Ok(())
    }

    /// One round, in the order that keeps every line safe; `confirm_draining` for the first
    /// round of a plan (see [`Writer::confirm_draining`]).
    fn write_round(
        &mut self,
        title: &str,
        plan: &Plan,
        confirm_draining: bool,
    ) -> Result<(), ScriptError> {
        self.part = title.to_string();
        self.out.push('\n');
        self.out.push_str(&comment(&format!(
            "---- {title}: {} transition(s), {} step(s) ----",
            plan.transitions.len(),
            plan.steps.len()
        )));
        if plan.is_empty() {
            self.out.push_str("# nothing to do\n");
            return Ok(());
        }
        for t in transitions_to(plan, &[WorkerState::Active]) {
            self.transition(t)?;
        }
        let groups = group_by_partition(&plan.steps);
        let (placement, leader_only): (Vec<_>, Vec<_>) = groups
            .into_iter()
            .partition(|(_, steps)| steps.iter().any(|s| s.op != StepOp::SetLeader));
        for (partition, steps) in &placement {
            self.partition_change(*partition, steps)?;
        }
        for (partition, steps) in &leader_only {
            self.partition_change(*partition, steps)?;
        }
        for t in transitions_to(plan, &[WorkerState::Draining]) {
            self.transition(t)?;
        }
        if confirm_draining {
            self.confirm_draining(plan)?;
        }
        for t in transitions_to(plan, &[WorkerState::Disabled, WorkerState::Provisioning]) {
            self.transition(t)?;
        }
        Ok(())
    }

    /// A worker-state change, with `--force` where Restate needs it and why it is safe.
    fn transition(&mut self, t: &Transition) -> Result<(), ScriptError> {
        let node = self
            .view
            .node(t.node)
            .map_err(|refusal| ScriptError::Refused {
                part: self.part.clone(),
                command: format!("set-worker-state N{}", t.node),
                refusal,
            })?;
        let force = needs_force(node, t.to);
        let from = node.worker_state;
        let mut notes = vec![t.reason.clone()];
        if t.to == WorkerState::Disabled {
            self.check_unused(t.node)?;
        }
        if force {
            notes.push(force_note(
                t.node,
                from,
                t.to,
                node.roles.contains(worker_policy_model::Roles::WORKER),
            ));
        }
        if let Some(i) = self.model.nodes.iter().position(|n| n.id == t.node) {
            self.model.nodes[i].worker_state = t.to;
        }
        let notes: Vec<&str> = notes.iter().map(String::as_str).collect();
        self.emit(
            &notes,
            Command::SetWorkerState {
                node: t.node,
                state: t.to,
                force,
            },
        )
    }

    /// Refuses to disable `node` while Restate's view has it holding or leading a partition.
    fn check_unused(&self, node: NodeId) -> Result<(), ScriptError> {
        let used = self
            .view
            .snapshot()
            .partitions
            .iter()
            .find(|p| p.is_held_by(node) || p.leader == Some(node));
        match used {
            Some(p) => Err(ScriptError::StillInUse {
                part: self.part.clone(),
                node,
                partition: p.id,
            }),
            None => Ok(()),
        }
    }

    /// The first round of a plan: tells Restate that the nodes the snapshot has draining (and the plan leaves
    /// alone) are draining, after the moves that empty them.
    fn confirm_draining(&mut self, plan: &Plan) -> Result<(), ScriptError> {
        let moved: BTreeSet<NodeId> = plan.transitions.iter().map(|t| t.node).collect();
        let draining: Vec<NodeId> = self
            .original
            .nodes
            .iter()
            .filter(|n| n.worker_state == WorkerState::Draining && !moved.contains(&n.id))
            .map(|n| n.id)
            .collect();
        for node in draining {
            let note = format!(
                "The plan was made with N{node} draining. If Restate still has it active, this makes it \
                 draining; Restate then moves by itself any partition the plan did not (with \
                 --max-moves, say). Nothing happens if it is draining already."
            );
            let force = self
                .view
                .node(node)
                .is_ok_and(|n| needs_force(n, WorkerState::Draining));
            self.emit(
                &[&note],
                Command::SetWorkerState {
                    node,
                    state: WorkerState::Draining,
                    force,
                },
            )?;
        }
        Ok(())
    }

    /// The partition `id` in the plans' view.
    pub(super) fn model_partition(&mut self, id: PartitionId) -> Option<&mut Partition> {
        let i = *self.model_partitions.get(&id)?;
        self.model.partitions.get_mut(i)
    }
}

/// The transitions of `plan` to one of the `wanted` states, in plan order.
fn transitions_to<'p>(
    plan: &'p Plan,
    wanted: &'static [WorkerState],
) -> impl Iterator<Item = &'p Transition> {
    plan.transitions
        .iter()
        .filter(move |t| wanted.contains(&t.to))
}

/// Why a transition carries `--force`, and why it is safe.
fn force_note(node: NodeId, from: WorkerState, to: WorkerState, worker: bool) -> String {
    if !worker {
        return format!("--force: N{node} does not have the worker role, and Restate changes its worker state only with --force.");
    }
    if (from, to) == (WorkerState::Draining, WorkerState::Disabled) {
        return format!(
            "--force: Restate takes a drained node to disabled only with --force. It is safe: after \
             the lines above, N{node} holds no replica, no next slot, and leads nothing."
        );
    }
    format!("--force: Restate refuses {from} -> {to} without it; the plan's checks allow it here.")
}

/// The steps of each partition, in the order of each partition's first step.
fn group_by_partition(steps: &[Step]) -> Vec<(PartitionId, Vec<&Step>)> {
    let mut groups: Vec<(PartitionId, Vec<&Step>)> = Vec::new();
    let mut index: HashMap<PartitionId, usize> = HashMap::new();
    for step in steps {
        let i = *index.entry(step.partition).or_insert_with(|| {
            groups.push((step.partition, Vec::new()));
            groups.len() - 1
        });
        groups[i].1.push(step);
    }
    groups
}
