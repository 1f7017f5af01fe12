//! `worker-policy evaluate`: the plan the policy decides for a snapshot.

use anyhow::Context;
use clap::Args;
use serde::Serialize;
use worker_policy::snapshot_file::SnapshotFile;
use worker_policy::LoadedPolicy;
use worker_policy_model::quality;

use crate::output::{OutputOptions, Render};
use crate::plan_input::PlanInput;
use crate::view::blocked::{blocked_drains, blocked_table, BlockedView};
use crate::view::plan::PlanView;
use crate::view::policy::PolicyView;
use crate::view::quality::QualityView;

/// Options of `evaluate`.
#[derive(Debug, Args)]
pub struct EvaluateArgs {
    #[command(flatten)]
    pub input: PlanInput,
    #[command(flatten)]
    pub render: OutputOptions,
}

/// The plan, the policy that made it and the quality of the result.
#[derive(Debug, Serialize)]
pub struct Evaluated {
    /// The policy.
    pub policy: PolicyView,
    /// The quality of the snapshot the plan leads to.
    pub quality: QualityView,
    /// The plan: `steps` and `transitions`, after `quality` in the output.
    #[serde(flatten)]
    pub plan: PlanView,
    /// Draining nodes that frozen partitions still hold after the plan (left out when none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub blocked: Vec<BlockedView>,
    /// The snapshot in one line (table only).
    #[serde(skip)]
    pub snapshot: String,
}

/// Runs `evaluate`.
pub fn run(args: &EvaluateArgs, verbose: bool) -> anyhow::Result<Evaluated> {
    let (file, policy) = args.input.load()?;
    let result = Evaluated::of(
        &policy,
        args.input.policy.source_name(),
        &file,
        args.input.max_moves,
        args.input.snapshot_line(&file),
    );
    crate::logs::print_logs(&policy, verbose);
    result.with_context(|| format!("evaluating {}", args.input.snapshot.display()))
}

impl Evaluated {
    /// The plan `policy` (named `source` in output) decides for `file`'s snapshot, with at most
    /// `max_moves` added replicas, and the quality it leads to; `snapshot` describes the file.
    pub fn of(
        policy: &LoadedPolicy,
        source: String,
        file: &SnapshotFile,
        max_moves: Option<u32>,
        snapshot: String,
    ) -> Result<Evaluated, worker_policy::Error> {
        let evaluation = worker_policy::evaluate(policy, &file.snapshot, max_moves)?;
        Ok(Evaluated {
            policy: PolicyView::new(policy, source),
            quality: QualityView::from(&quality::measure(&file.snapshot, &evaluation.after)),
            plan: PlanView::from(&evaluation.plan),
            blocked: blocked_drains(&evaluation.after),
            snapshot,
        })
    }
}

impl Render for Evaluated {
    fn table(&self) -> String {
        format!(
            "{}{}{}\nsummary   {}\n{}{}",
            self.policy.line(),
            self.snapshot,
            self.plan.table(),
            self.plan.summary(),
            blocked_table(&self.blocked),
            self.quality.table()
        )
    }
}
