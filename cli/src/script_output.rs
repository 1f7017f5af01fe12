//! `--emit restatectl` of `evaluate` and `simulate`: their output option (table, json or a
//! `restatectl` script), and the script itself, replayed on the snapshot and compared with the
//! plan applied before it is printed (the host never trusts even its own output).

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, ValueEnum};
use sha2::{Digest, Sha256};
use worker_policy::ErrorClass;
use worker_policy_model::{Plan, Snapshot};
use worker_policy_restate_bridge::script::{
    replay, restatectl_script, same_placement, ScriptHeader,
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

/// The output option of `evaluate` and `simulate`: `--format` or `--emit`.
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

/// Prints the script for `input` after replaying it; a plan that cannot be applied safely with
/// `restatectl` exits 3 naming the rule, a script that does not do what the plan does is a host
/// error.
pub fn emit_script(input: &ScriptInput) -> anyhow::Result<ExitCode> {
    let header = header(input)?;
    let script = match restatectl_script(&header, input.snapshot, input.rounds) {
        Ok(script) => script,
        Err(error) => {
            write_stderr_line(&format!(
                "error: the plan cannot be applied safely with restatectl: {error}"
            ));
            return Ok(ExitCode::from(ErrorClass::PolicyFault.exit_code()));
        }
    };
    let replayed = replay(&script, input.snapshot)
        .context("the restatectl script does not replay (a bug of worker-policy)")?;
    same_placement(&replayed.snapshot, input.after)
        .context("the restatectl script does not do what the plan does (a bug of worker-policy)")?;
    write_stdout(&script)?;
    Ok(ExitCode::SUCCESS)
}

/// The header: the policy, the snapshot file's digest, the quality lines, the command line.
fn header(input: &ScriptInput) -> anyhow::Result<ScriptHeader> {
    let bytes = std::fs::read(input.path).with_context(|| {
        format!(
            "{}: cannot be read again for its digest",
            input.path.display()
        )
    })?;
    let command: Vec<String> = std::env::args_os()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    Ok(ScriptHeader {
        policy_name: input.policy.name.clone(),
        policy_version: input.policy.version.clone(),
        policy_sha256: input.policy.sha256.clone(),
        snapshot_path: input.path.display().to_string(),
        snapshot_sha256: format!("{:x}", Sha256::digest(&bytes)),
        quality: input
            .quality
            .table()
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect(),
        command: format!("worker-policy {}", command.join(" ")),
    })
}
