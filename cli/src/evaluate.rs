//! `worker-policy evaluate`: the plan the policy decides for a snapshot. What the plan cannot
//! change but the operator should know (a frozen partition Restate will leave short of the
//! replication property) goes to stderr as notes; stdout is the plan alone. With `--drain`
//! ([`crate::drain_first`]), the policy's verdicts on draining the nodes come first, the plan is
//! for the snapshot with them draining, and where that change leaves no headroom is named.

use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use serde::Serialize;
use worker_policy::snapshot_file::SnapshotFile;
use worker_policy::{ErrorClass, Evaluation, LoadedPolicy};
use worker_policy_model::quality;
use worker_policy_restate_bridge::import::frozen_next_notes;

use crate::drain_first::{drain_first, verdict_lines, DrainOptions, DrainRefused, Drained};
use crate::output::{write_note_line, Destination, Format, Render};
use crate::plan_input::PlanInput;
use crate::script_output::{emit_script, refuse_script, PlanOutputOptions, ScriptInput};
use crate::snapshot_input::display_name;
use crate::transition::Verdict;
use crate::view::blocked::{blocked_drains, blocked_table, BlockedView};
use crate::view::headroom::{headroom_of, headroom_table, HeadroomView};
use crate::view::plan::PlanView;
use crate::view::policy::PolicyView;
use crate::view::quality::QualityView;
use crate::view::shortage::explain_insufficient;

/// Options of `evaluate`.
#[derive(Debug, Args)]
pub struct EvaluateArgs {
    #[command(flatten)]
    pub input: PlanInput,
    #[command(flatten)]
    pub drain: DrainOptions,
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
    /// With `--drain`: where the drains and the plan leave no headroom (left out when none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub headroom: Vec<HeadroomView>,
    /// With `--drain`: the policy's verdicts on the drains, checked by the host (left out
    /// without `--drain`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub verdicts: Vec<Verdict>,
    /// The snapshot in one line (table only).
    #[serde(skip)]
    pub snapshot: String,
}

/// Runs `evaluate` and prints its result in the format asked for; with `--drain`, a refused
/// drain prints the verdicts (to stderr with `--emit restatectl`) and exits as `transition`.
pub fn emit(args: &EvaluateArgs, verbose: bool) -> anyhow::Result<ExitCode> {
    let destination = args.render.file.destination()?;
    let (file, policy) = args.input.load()?;
    let source = args.input.policy.source_name();
    let snapshot_line = args.input.snapshot_line(&file);
    let drained = drain_first(&args.drain, &policy, &source, &file);
    let (verdicts, file) = match drained {
        Ok(Drained::Allowed(verdicts, file)) => (verdicts, *file),
        Ok(Drained::Refused(verdicts)) => {
            crate::logs::print_logs(&policy, verbose);
            let refused = DrainRefused {
                policy: PolicyView::new(&policy, source),
                verdicts,
                snapshot: snapshot_line,
            };
            return emit_refused(&refused, args.render.format.shared(), &destination);
        }
        Err(error) => {
            crate::logs::print_logs(&policy, verbose);
            return Err(error);
        }
    };
    for note in frozen_next_notes(&file.snapshot) {
        write_note_line(&format!("note: {note}"));
    }
    let result =
        Evaluated::with_evaluation(&policy, source, &file, args.input.max_moves, snapshot_line);
    crate::logs::print_logs(&policy, verbose);
    let (mut evaluated, evaluation) = result
        .map_err(|error| explain_insufficient(error, &file.snapshot))
        .with_context(|| format!("evaluating {}", display_name(args.input.snapshot.path())))?;
    if !verdicts.is_empty() {
        evaluated.headroom = headroom_of(&evaluation.after);
        evaluated.verdicts = verdicts;
    }
    match args.render.format.shared() {
        Some(format) => crate::output::emit(&evaluated, format, &destination),
        None => emit_script(
            &ScriptInput {
                policy: &evaluated.policy,
                quality: &evaluated.quality,
                path: args.input.snapshot.path(),
                snapshot: &file.snapshot,
                rounds: std::slice::from_ref(&evaluation.plan),
                after: &evaluation.after,
            },
            &destination,
        ),
    }
}

/// A refused drain: the verdicts in the format asked for, or on stderr with a script that fails
/// instead of the plan's.
fn emit_refused(
    refused: &DrainRefused,
    format: Option<Format>,
    destination: &Destination,
) -> anyhow::Result<ExitCode> {
    if let Some(format) = format {
        return crate::output::emit(refused, format, destination);
    }
    let mut lines: Vec<String> = verdict_lines(&refused.verdicts)
        .lines()
        .map(str::to_string)
        .collect();
    lines.push("a drain is refused; no restatectl script is printed".into());
    let class = refused.failure().unwrap_or(ErrorClass::Refused);
    refuse_script(&lines, class, destination)
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
            headroom: Vec::new(),
            verdicts: Vec::new(),
            snapshot,
        };
        Ok((evaluated, evaluation))
    }
}

impl Render for Evaluated {
    fn table(&self) -> String {
        format!(
            "{}{}{}{}\nsummary   {}\n{}{}{}",
            self.policy.line(),
            self.snapshot,
            verdict_lines(&self.verdicts),
            self.plan.table(),
            self.plan.summary(),
            blocked_table(&self.blocked),
            headroom_table(&self.headroom),
            self.quality.table()
        )
    }
}
