//! `worker-policy evaluate`: the plan the policy decides for a snapshot.

use anyhow::Context;
use clap::Args;
use serde::Serialize;
use worker_policy_model::quality;

use crate::output::{OutputOptions, Render};
use crate::plan_input::PlanInput;
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
    /// The snapshot in one line (table only).
    #[serde(skip)]
    pub snapshot: String,
}

/// Runs `evaluate`.
pub fn run(args: &EvaluateArgs, verbose: bool) -> anyhow::Result<Evaluated> {
    let (file, policy) = args.input.load()?;
    let result = worker_policy::evaluate(&policy, &file.snapshot, args.input.max_moves);
    crate::logs::print_logs(&policy, verbose);
    let evaluation =
        result.with_context(|| format!("evaluating {}", args.input.snapshot.display()))?;
    Ok(Evaluated {
        policy: PolicyView::new(&policy, args.input.policy.source_name()),
        quality: QualityView::from(&quality::measure(&file.snapshot, &evaluation.after)),
        plan: PlanView::from(&evaluation.plan),
        snapshot: args.input.snapshot_line(&file),
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
