//! `worker-policy evaluate`: the plan the policy decides for a snapshot. What the plan cannot
//! change but the operator should know (a frozen partition Restate will leave short of the
//! replication property) goes to stderr as notes; stdout is the plan alone.

use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use serde::Serialize;
use worker_policy::snapshot_file::SnapshotFile;
use worker_policy::{Evaluation, LoadedPolicy};
use worker_policy_model::quality;
use worker_policy_restate_bridge::import::frozen_next_notes;

use crate::output::{write_stderr_line, Render};
use crate::plan_input::PlanInput;
use crate::script_output::{emit_script, PlanOutputOptions, ScriptInput};
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
    pub render: PlanOutputOptions,
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

/// Runs `evaluate` and prints its result in the format asked for.
pub fn emit(args: &EvaluateArgs, verbose: bool) -> anyhow::Result<ExitCode> {
    let (file, policy) = args.input.load()?;
    for note in frozen_next_notes(&file.snapshot) {
        write_stderr_line(&format!("note: {note}"));
    }
    let result = Evaluated::with_evaluation(
        &policy,
        args.input.policy.source_name(),
        &file,
        args.input.max_moves,
        args.input.snapshot_line(&file),
    );
    crate::logs::print_logs(&policy, verbose);
    let (evaluated, evaluation) =
        result.with_context(|| format!("evaluating {}", args.input.snapshot.display()))?;
    match args.render.format.shared() {
        Some(format) => crate::output::emit(&evaluated, format),
        None => emit_script(&ScriptInput {
            policy: &evaluated.policy,
            quality: &evaluated.quality,
            path: &args.input.snapshot,
            snapshot: &file.snapshot,
            rounds: std::slice::from_ref(&evaluation.plan),
            after: &evaluation.after,
        }),
    }
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
        Evaluated::with_evaluation(policy, source, file, max_moves, snapshot).map(|(e, _)| e)
    }

    /// [`Evaluated::of`], with the evaluation it shows (the plan and the snapshot it leads to).
    fn with_evaluation(
        policy: &LoadedPolicy,
        source: String,
        file: &SnapshotFile,
        max_moves: Option<u32>,
        snapshot: String,
    ) -> Result<(Evaluated, Evaluation), worker_policy::Error> {
        let evaluation = worker_policy::evaluate(policy, &file.snapshot, max_moves)?;
        let evaluated = Evaluated {
            policy: PolicyView::new(policy, source),
            quality: QualityView::from(&quality::measure(&file.snapshot, &evaluation.after)),
            plan: PlanView::from(&evaluation.plan),
            blocked: blocked_drains(&evaluation.after),
            snapshot,
        };
        Ok((evaluated, evaluation))
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
