//! The plan `apply` and `control` carry out, made from the live cluster each time they ask: the
//! cluster imported (worker-policy's own freezes read as none: they are its to change), the `--drain` nodes asked of the policy
//! (those the cluster already has draining or disabled are not asked again), every round to
//! convergence (each answer checked by the host), the script of those rounds replayed and
//! compared with the plan's end, and its commands grouped into steps.

use std::collections::BTreeMap;
use std::path::Path;

use sha2::{Digest, Sha256};
use worker_policy::snapshot_file::{snapshot_to_json, SnapshotFile};
use worker_policy::LoadedPolicy;
use worker_policy_model::{quality, NodeId, PartitionId, Snapshot, WorkerState};
use worker_policy_restate_bridge::apply::{steps, Step};
use worker_policy_restate_bridge::script::{round_parts, ScriptHeader, FREEZE_PREFIX};

use crate::drain_first::{drain_first, DrainOptions, DrainRefused, Drained};
use crate::error::CliError;
use crate::live_target::{LiveTarget, PlanningOptions};
use crate::output::write_note_line;
use crate::script_output::{checked_script, quality_lines};
use crate::view::policy::PolicyView;
use crate::view::quality::QualityView;
use crate::view::shortage::explain_insufficient;
use crate::view::snapshot::snapshot_line;

/// What planning came to.
pub enum Planned {
    /// The steps (none when the policy has nothing to do).
    Steps(Box<PlannedSteps>),
    /// A `--drain` the policy refused: the verdicts.
    Refused(DrainRefused),
}

/// A plan as steps, with what it was made from.
pub struct PlannedSteps {
    /// The policy.
    pub policy: PolicyView,
    /// The live cluster in one line.
    pub cluster: String,
    /// The SHA-256 of the imported snapshot (as `import restate` writes it).
    pub snapshot_sha256: String,
    /// How many rounds the plan has.
    pub rounds: usize,
    /// Its worker-state transitions, all rounds together.
    pub transitions: usize,
    /// Its replica and leader steps, all rounds together.
    pub plan_steps: usize,
    /// The quality of the whole change.
    pub quality: QualityView,
    /// What apply carries out.
    pub steps: Vec<Step>,
}

/// Imports the live cluster of `target` and plans it with `policy`, after asking for the
/// drains of `drain`.
pub fn plan(
    target: &LiveTarget,
    planning: &PlanningOptions,
    drain: &[NodeId],
    policy: &LoadedPolicy,
    verbose: bool,
) -> anyhow::Result<Planned> {
    let observation = observe(target)?;
    for note in &observation.notes {
        write_note_line(&format!("note: {note}"));
    }
    decide(target, planning, drain, policy, verbose, observation)
}

/// The live cluster as apply and control plan it.
pub struct Observation {
    /// The cluster, worker-policy's own freezes read as none.
    pub file: SnapshotFile,
    /// The SHA-256 of that snapshot as `import restate` writes it.
    pub sha256: String,
    /// What the import noted.
    pub notes: Vec<String>,
    /// The partitions worker-policy froze (its own, read as not frozen in `file`).
    pub owned: Vec<PartitionId>,
}

/// Imports the live cluster of `target`; worker-policy's own freezes are read as none (and
/// listed as owned).
pub fn observe(target: &LiveTarget) -> anyhow::Result<Observation> {
    let mut imported = crate::import::import_live(&target.import_options())?;
    let mut owned = Vec::new();
    for partition in &mut imported.snapshot.partitions {
        if partition
            .freeze
            .as_deref()
            .is_some_and(|r| r.starts_with(FREEZE_PREFIX))
        {
            partition.freeze = None;
            owned.push(partition.id);
        }
    }
    let json = snapshot_to_json(&imported.snapshot);
    let file = SnapshotFile::parse(&json, Path::new(&target.name()))?;
    Ok(Observation {
        file,
        sha256: format!("{:x}", Sha256::digest(json.as_bytes())),
        notes: imported.notes,
        owned,
    })
}

/// The plan for the live cluster as [`observe`] read it.
pub fn decide(
    target: &LiveTarget,
    planning: &PlanningOptions,
    drain: &[NodeId],
    policy: &LoadedPolicy,
    verbose: bool,
    observation: Observation,
) -> anyhow::Result<Planned> {
    let (file, snapshot_sha256) = (observation.file, observation.sha256);
    let name = target.name();
    let source = planning.policy.source_name();
    let policy_view = PolicyView::new(policy, source.clone());
    let drains = DrainOptions {
        drain: still_to_drain(drain, &file.snapshot),
    };
    // Where each node's first worker-state step starts: as the cluster has it, before --drain.
    let observed: BTreeMap<NodeId, WorkerState> = file
        .snapshot
        .nodes
        .iter()
        .map(|n| (n.id, n.worker_state))
        .collect();
    let file = match drain_first(&drains, policy, &source, &file)? {
        Drained::Allowed(_, drained) => *drained,
        Drained::Refused(verdicts) => {
            return Ok(Planned::Refused(DrainRefused {
                policy: policy_view,
                verdicts,
                snapshot: snapshot_line(&name, &file.snapshot),
            }))
        }
    };
    let snapshot = file.snapshot;
    let simulation =
        worker_policy::simulate(policy, &snapshot, planning.max_moves, planning.max_rounds)
            .map_err(|error| explain_insufficient(error, &snapshot));
    crate::logs::print_logs(policy, verbose);
    let simulation = simulation?;
    let quality = QualityView::from(&quality::measure(&snapshot, &simulation.last));
    let header = ScriptHeader {
        policy_name: policy_view.name.clone(),
        policy_version: policy_view.version.clone(),
        policy_sha256: policy_view.sha256.clone(),
        snapshot_path: name.clone(),
        snapshot_sha256: snapshot_sha256.clone(),
        summary: quality_lines(&quality),
        command: "worker-policy apply".into(),
    };
    let parts = round_parts(&simulation.rounds);
    if let Err(why) = checked_script(&header, &snapshot, &parts, &simulation.last)? {
        return Err(CliError::Unreachable(format!("{why}; nothing was applied")).into());
    }
    let steps = steps(&header, &snapshot, &parts, &observed)?;
    Ok(Planned::Steps(Box::new(PlannedSteps {
        policy: policy_view,
        cluster: snapshot_line(&name, &snapshot),
        snapshot_sha256,
        rounds: simulation.rounds.len(),
        transitions: simulation.rounds.iter().map(|r| r.transitions.len()).sum(),
        plan_steps: simulation.rounds.iter().map(|r| r.steps.len()).sum(),
        quality,
        steps,
    })))
}

/// The nodes of `drain` the cluster does not have draining or disabled yet (a run resumed after
/// the drain was applied does not ask for it again).
fn still_to_drain(drain: &[NodeId], snapshot: &Snapshot) -> Vec<NodeId> {
    drain
        .iter()
        .copied()
        .filter(|&id| {
            !snapshot.node(id).is_some_and(|n| {
                matches!(
                    n.worker_state,
                    WorkerState::Draining | WorkerState::Disabled
                )
            })
        })
        .collect()
}
