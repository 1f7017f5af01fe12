//! `worker-policy transition`: the policy's verdict on an operator's request to change a node's
//! worker state, and, when allowed and asked for, the snapshot with the change written back.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;
use serde::Serialize;
use worker_policy::atomic_file::write_atomically;
use worker_policy::error::PolicyFault;
use worker_policy::snapshot_file::SnapshotFile;
use worker_policy::{Error, ErrorClass};
use worker_policy_model::invariants::PlanChecker;
use worker_policy_model::snapshot::node_label;
use worker_policy_model::{NodeId, Snapshot, Transition, WorkerState};

use crate::error::CliError;
use crate::output::{OutputOptions, Render};
use crate::policy_options::PolicyOptions;
use crate::values;
use crate::view::names;
use crate::view::policy::PolicyView;

/// Options of `transition`.
#[derive(Debug, Args)]
pub struct TransitionArgs {
    /// The cluster snapshot (JSON).
    #[arg(long, value_name = "FILE")]
    pub snapshot: PathBuf,
    /// The node, as `N3` or `3`.
    #[arg(long, value_name = "ID", value_parser = values::node_id)]
    pub node: NodeId,
    /// The worker state asked for.
    #[arg(long, value_parser = values::worker_state())]
    pub to: WorkerState,
    #[command(flatten)]
    pub policy: PolicyOptions,
    /// When allowed, write the snapshot with the node's new state here (atomically; nothing is
    /// written when refused). May be the input file.
    #[arg(long, value_name = "FILE")]
    pub write: Option<PathBuf>,
    #[command(flatten)]
    pub render: OutputOptions,
}

/// The policy's verdict on the request.
#[derive(Debug, Serialize)]
pub struct Verdict {
    /// Whether the policy allows it.
    pub allowed: bool,
    /// The node's state now.
    #[serde(serialize_with = "names::state")]
    pub from: WorkerState,
    /// The node.
    pub node: NodeId,
    /// The policy.
    pub policy: PolicyView,
    /// Why, in the policy's words.
    pub reason: String,
    /// The state asked for.
    #[serde(serialize_with = "names::state")]
    pub to: WorkerState,
    /// Where the new snapshot was written (table only).
    #[serde(skip)]
    pub written: Option<PathBuf>,
}

/// Runs `transition`: a refusal is a result (exit 1), and nothing is written then.
pub fn run(args: &TransitionArgs, verbose: bool) -> anyhow::Result<Verdict> {
    let file = SnapshotFile::read(&args.snapshot)?;
    let from = current_state(&file.snapshot, args.node, &args.snapshot)?;
    let policy = args.policy.load()?;
    let result = policy.validate_transition(&file.snapshot, args.node, args.to);
    crate::logs::print_logs(&policy, verbose);
    let verdict = result.context("asking the policy")?;
    let mut written = None;
    if verdict.allowed {
        let transition = Transition {
            node: args.node,
            from,
            to: args.to,
            reason: verdict.reason.clone(),
        };
        let after = checked_apply(&file.snapshot, &transition)?;
        if let Some(path) = &args.write {
            write_atomically(path, file.to_json(&after).as_bytes())?;
            written = Some(path.clone());
        }
    }
    Ok(Verdict {
        allowed: verdict.allowed,
        from,
        node: args.node,
        policy: PolicyView::new(&policy, args.policy.source_name()),
        reason: verdict.reason,
        to: args.to,
        written,
    })
}

/// The state of `node`, which `--node` named; a node the snapshot lacks is an argument error.
fn current_state(snapshot: &Snapshot, node: NodeId, file: &Path) -> Result<WorkerState, CliError> {
    snapshot.node(node).map(|n| n.worker_state).ok_or_else(|| {
        let mut ids: Vec<NodeId> = snapshot.nodes.iter().map(|n| n.id).collect();
        ids.sort_unstable();
        let listed = match ids.as_slice() {
            [] => "it has no nodes".to_string(),
            [only] => format!("its node is {}", node_label(*only)),
            [first, .., last] if ids.len() > 12 => format!(
                "its {} nodes run from {} to {}",
                ids.len(),
                node_label(*first),
                node_label(*last)
            ),
            _ => format!(
                "its nodes are {}",
                ids.iter()
                    .map(|&id| node_label(id))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        CliError::Argument(format!(
            "--node {}: no such node in {}; {listed}",
            node_label(node),
            file.display()
        ))
    })
}

/// An allowed change must still be safe to apply: the host checks it like any plan.
fn checked_apply(snapshot: &Snapshot, transition: &Transition) -> Result<Snapshot, Error> {
    let mut checker = PlanChecker::new(snapshot.clone());
    if transition.from != transition.to {
        checker.transition(transition).map_err(|violation| {
            Error::Fault(PolicyFault::Violation {
                hook: "validate-transition",
                violation,
            })
        })?;
    }
    Ok(checker.into_snapshot())
}

impl Render for Verdict {
    fn table(&self) -> String {
        let word = if self.allowed { "allowed" } else { "refused" };
        let mut out = format!(
            "{}{word}   {} {} -> {}: {}\n",
            self.policy.line(),
            node_label(self.node),
            self.from,
            self.to,
            self.reason
        );
        if let Some(path) = &self.written {
            out.push_str(&format!("wrote     {}\n", path.display()));
        }
        out
    }

    fn failure(&self) -> Option<ErrorClass> {
        (!self.allowed).then_some(ErrorClass::Refused)
    }
}
