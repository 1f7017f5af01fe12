//! `--emit restatectl` of `evaluate`, `simulate`, `decommission` and `rollout`: their output
//! option (table, json or a `restatectl` script), and the script itself, replayed on the
//! snapshot and compared with the plan applied before it is printed (the host never trusts even
//! its own output). A script that cannot reach the plan (a rule it would break, or an end that
//! differs from the plan's, its leaders included) is refused with exit 3, naming why.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, ValueEnum};
use sha2::{Digest, Sha256};
use worker_policy::ErrorClass;
use worker_policy_model::{Plan, Snapshot};
use worker_policy_restate_bridge::script::{
    replay, round_parts, same_placement, script, Part, ScriptHeader,
};

use crate::output::{write_stderr_line, write_stdout, Format};
use crate::view::policy::PolicyView;
use crate::view::quality::QualityView;

/// How the verbs that plan print their result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    /// Aligned text for people.
    Table,
    /// JSON for programs.
    Json,
    /// A bash script of `restatectl` commands that applies the plan, for review.
    Restatectl,
}

/// The output option of the verbs that plan: `--format` or `--emit`.
#[derive(Debug, Args)]
pub struct PlanOutputOptions {
    /// Output format: table, json, or restatectl (a script that applies the plan).
    #[arg(long, visible_alias = "emit", value_enum, default_value_t = PlanFormat::Table)]
    pub format: PlanFormat,
}

impl PlanFormat {
    /// The format every verb shares, or `None` for the script.
    pub fn shared(self) -> Option<Format> {
        match self {
            PlanFormat::Table => Some(Format::Table),
            PlanFormat::Json => Some(Format::Json),
            PlanFormat::Restatectl => None,
        }
    }
}

/// What a script is made from: the policy and quality as the result shows them, the snapshot
/// file and its snapshot, the rounds planned, and where they lead.
pub struct ScriptInput<'a> {
    /// The policy.
    pub policy: &'a PolicyView,
    /// The quality of the whole change.
    pub quality: &'a QualityView,
    /// The snapshot file.
    pub path: &'a Path,
    /// Its snapshot.
    pub snapshot: &'a Snapshot,
    /// Each round's plan.
    pub rounds: &'a [Plan],
    /// The snapshot after every round.
    pub after: &'a Snapshot,
}

/// Where a script comes from: the policy that planned it (none for a rollout), lines about the
/// change, and the snapshot file.
pub struct ScriptSource<'a> {
    /// The policy, or `None` when the host planned alone.
    pub policy: Option<&'a PolicyView>,
    /// Lines about the change (its quality, a rollout's rule).
    pub summary: Vec<String>,
    /// The snapshot file.
    pub path: &'a Path,
}

/// Prints the script for `input` after replaying it; see [`emit_parts`].
pub fn emit_script(input: &ScriptInput) -> anyhow::Result<ExitCode> {
    let source = ScriptSource {
        policy: Some(input.policy),
        summary: quality_lines(input.quality),
        path: input.path,
    };
    emit_parts(
        &source,
        input.snapshot,
        &round_parts(input.rounds),
        input.after,
    )
}

/// The quality of a change as lines of a script's header, as the table prints them.
pub fn quality_lines(quality: &QualityView) -> Vec<String> {
    quality
        .table()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

/// Prints the script of `parts` on `snapshot` after replaying it and comparing its end with
/// `after`, the plan's end: a plan that cannot be applied safely with `restatectl`, or a script
/// that would end elsewhere (another leader, say), exits 3 naming why and prints nothing; a
/// script that does not replay is a host error.
pub fn emit_parts(
    source: &ScriptSource,
    snapshot: &Snapshot,
    parts: &[Part],
    after: &Snapshot,
) -> anyhow::Result<ExitCode> {
    let header = header(source)?;
    let text = match script(&header, snapshot, parts) {
        Ok(text) => text,
        Err(error) => {
            return Ok(refuse(&format!(
                "the plan cannot be applied safely with restatectl: {error}"
            )))
        }
    };
    let replayed = replay(&text, snapshot)
        .context("the restatectl script does not replay (a bug of worker-policy)")?;
    if let Err(difference) = same_placement(&replayed.snapshot, after) {
        return Ok(refuse(&format!(
            "the restatectl script would not end where the plan does: {difference}"
        )));
    }
    write_stdout(&text)?;
    Ok(ExitCode::SUCCESS)
}

/// Says why there is no script, and exits 3.
fn refuse(why: &str) -> ExitCode {
    write_stderr_line(&format!("error: {why}; no script is printed"));
    ExitCode::from(ErrorClass::PolicyFault.exit_code())
}

/// The header: the policy, the snapshot file's digest, the summary lines, the command line.
fn header(source: &ScriptSource) -> anyhow::Result<ScriptHeader> {
    let bytes = std::fs::read(source.path).with_context(|| {
        format!(
            "{}: cannot be read again for its digest",
            source.path.display()
        )
    })?;
    let command: Vec<String> = std::env::args_os()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let (policy_name, policy_version, policy_sha256) = match source.policy {
        Some(policy) => (
            policy.name.clone(),
            policy.version.clone(),
            policy.sha256.clone(),
        ),
        None => (
            "none: the host plans a rollout's leader moves".to_string(),
            String::new(),
            String::new(),
        ),
    };
    Ok(ScriptHeader {
        policy_name,
        policy_version,
        policy_sha256,
        snapshot_path: source.path.display().to_string(),
        snapshot_sha256: format!("{:x}", Sha256::digest(&bytes)),
        summary: source.summary.clone(),
        command: format!("worker-policy {}", command.join(" ")),
    })
}
