//! `worker-policy evaluate`: the plan the policy decides for a snapshot.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use serde::Serialize;
use worker_policy::snapshot_file::SnapshotFile;
use worker_policy_model::quality;

use crate::output::{OutputOptions, Render};
use crate::policy_options::PolicyOptions;
use crate::view::plan::PlanView;
use crate::view::policy::PolicyView;
use crate::view::quality::QualityView;
use crate::view::snapshot::snapshot_line;

/// Options of `evaluate`.
#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// The cluster snapshot (JSON).
    #[arg(long, value_name = "FILE")]
    pub snapshot: PathBuf,
    #[command(flatten)]
    pub policy: PolicyOptions,
    /// At most this many replicas added by the rebalance; later rounds finish the work.
    #[arg(long, value_name = "N")]
    pub max_moves: Option<u32>,
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
    /// The snapshot in one line (table only).
    #[serde(skip)]
    pub snapshot: String,
}

/// Runs `evaluate`.
pub fn run(args: &EvaluateArgs, verbose: bool) -> anyhow::Result<Evaluated> {
    let file = SnapshotFile::read(&args.snapshot)?;
    let policy = args.policy.load()?;
    let result = worker_policy::evaluate(&policy, &file.snapshot, args.max_moves);
    crate::logs::print_logs(&policy, verbose);
    let evaluation = result.with_context(|| format!("evaluating {}", args.snapshot.display()))?;
    Ok(Evaluated {
        policy: PolicyView::new(&policy, args.policy.source_name()),
        quality: QualityView::from(&quality::measure(&file.snapshot, &evaluation.after)),
        plan: PlanView::from(&evaluation.plan),
        snapshot: snapshot_line(&args.snapshot.display().to_string(), &file.snapshot),
    })
}

impl Render for Evaluated {
    fn table(&self) -> String {
        format!(
            "{}{}{}\nsummary   {}\n{}",
            self.policy.line(),
            self.snapshot,
            self.plan.table(),
            self.plan.summary(),
            self.quality.table()
        )
    }
}
