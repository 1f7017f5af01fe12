//! `evaluate --drain N4[,N5]`: "is it safe to drain these nodes, and what will move?" in one
//! command. Each node is asked of the policy's `validate-transition` (to draining), in order, on
//! the snapshot with the nodes before it draining, and checked by the host exactly as
//! `transition` checks it; when every one is allowed, the plan is evaluated on the snapshot with
//! the nodes draining. The first refusal stops there: the verdicts so far are the result, with
//! `transition`'s exit code (1 the policy refused, 3 the host refused what the policy allowed).

use clap::Args;
use serde::Serialize;
use worker_policy::snapshot_file::SnapshotFile;
use worker_policy::{ErrorClass, LoadedPolicy};
use worker_policy_model::{NodeId, WorkerState};

use crate::output::Render;
use crate::transition::{current_state, decide, Request, Verdict};
use crate::values;
use crate::view::policy::PolicyView;

/// The nodes to drain before the plan.
#[derive(Debug, Args)]
pub struct DrainOptions {
    /// Ask the policy to drain these nodes first (`N4` or `N4,N5`, in order), each checked by
    /// the host as `transition --to draining` is; when all are allowed, the verdicts come first
    /// and the plan is made for the cluster with them draining.
    #[arg(long, value_name = "IDS", value_delimiter = ',', value_parser = values::node_id)]
    pub drain: Vec<NodeId>,
}

/// The verdicts when one of the drains is refused: every verdict up to the refusal.
#[derive(Debug, Serialize)]
pub struct DrainRefused {
    /// The policy.
    pub policy: PolicyView,
    /// The verdicts, in order; the last is the refusal.
    pub verdicts: Vec<Verdict>,
    /// The snapshot in one line (table only).
    #[serde(skip)]
    pub snapshot: String,
}

/// What the drains came to.
pub enum Drained {
    /// Every drain allowed: the verdicts, and the file with the nodes draining.
    Allowed(Vec<Verdict>, Box<SnapshotFile>),
    /// A drain refused: the verdicts up to it, the refusal last.
    Refused(Vec<Verdict>),
}

/// Asks for each drain of `options` in order on `file`'s snapshot: every verdict, and `file`
/// with the nodes draining, when all are allowed; the verdicts up to the first refusal
/// otherwise. A node the snapshot lacks is an argument error.
pub fn drain_first(
    options: &DrainOptions,
    policy: &LoadedPolicy,
    source: &str,
    file: &SnapshotFile,
) -> anyhow::Result<Drained> {
    let mut drained = file.clone();
    let mut verdicts = Vec::with_capacity(options.drain.len());
    for &node in &options.drain {
        let request = Request {
            node,
            from: current_state(&drained.snapshot, node, "--drain", &file.path)?,
            to: WorkerState::Draining,
            force: false,
        };
        let (verdict, after) = decide(policy, source.to_string(), &drained.snapshot, &request)?;
        verdicts.push(verdict);
        match after {
            Some(after) => drained.snapshot = after,
            None => return Ok(Drained::Refused(verdicts)),
        }
    }
    Ok(Drained::Allowed(verdicts, Box::new(drained)))
}

/// Every verdict's lines, in order.
pub fn verdict_lines(verdicts: &[Verdict]) -> String {
    verdicts.iter().map(Verdict::lines).collect()
}

impl Render for DrainRefused {
    fn table(&self) -> String {
        format!(
            "{}{}{}",
            self.policy.line(),
            self.snapshot,
            verdict_lines(&self.verdicts)
        )
    }

    fn failure(&self) -> Option<ErrorClass> {
        self.verdicts.last().and_then(Render::failure)
    }
}
