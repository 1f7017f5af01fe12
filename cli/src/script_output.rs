//! `--emit restatectl` of `evaluate`, `simulate`, `decommission` and `rollout`: their output
//! option (table, json or a `restatectl` script), and the script itself, replayed on the
//! snapshot and compared with the plan applied before it is printed (the host never trusts even
//! its own output). A script that cannot reach the plan (a rule it would break, or an end that
//! differs from the plan's, its leaders included) is refused with exit 3, naming why.
//!
//! Whenever a verb asked for a script refuses or fails, the script that goes to stdout in its
//! place is [`refusal_script`]: one that fails when run, so `> plan.sh` never leaves an empty
//! file that `bash plan.sh` runs with exit 0.

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

use crate::output::{write_stderr_line, write_stdout, Destination, Format, OutputFile};
use crate::snapshot_input::{display_name, snapshot_bytes};
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
    #[command(flatten)]
    pub file: OutputFile,
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

/// Prints the script for `input` to `destination` after replaying it; see [`emit_parts`].
pub fn emit_script(input: &ScriptInput, destination: &Destination) -> anyhow::Result<ExitCode> {
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
        destination,
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

/// Prints the script of `parts` on `snapshot` to `destination` after replaying it and comparing
/// its end with `after`, the plan's end: a plan that cannot be applied safely with `restatectl`,
/// or a script that would end elsewhere (another leader, say), exits 3 naming why and prints
/// nothing; a script that does not replay is a host error.
pub fn emit_parts(
    source: &ScriptSource,
    snapshot: &Snapshot,
    parts: &[Part],
    after: &Snapshot,
    destination: &Destination,
) -> anyhow::Result<ExitCode> {
    let header = header(source)?;
    match checked_script(&header, snapshot, parts, after)? {
        Ok(text) => {
            destination.write(&text)?;
            Ok(ExitCode::SUCCESS)
        }
        Err(why) => refuse(&why, destination),
    }
}

/// The script of `parts` on `snapshot`, replayed and compared with `after`, the plan's end:
/// `Err(why)` when the plan cannot be applied safely with `restatectl` or the script would end
/// elsewhere (another leader, say); a script that does not replay is a host error.
pub fn checked_script(
    header: &ScriptHeader,
    snapshot: &Snapshot,
    parts: &[Part],
    after: &Snapshot,
) -> anyhow::Result<Result<String, String>> {
    let text = match script(header, snapshot, parts) {
        Ok(text) => text,
        Err(error) => {
            return Ok(Err(format!(
                "the plan cannot be applied safely with restatectl: {error}"
            )))
        }
    };
    let replayed = replay(&text, snapshot)
        .context("the restatectl script does not replay (a bug of worker-policy)")?;
    if let Err(difference) = same_placement(&replayed.snapshot, after) {
        return Ok(Err(format!(
            "the restatectl script would not end where the plan does: {difference}"
        )));
    }
    Ok(Ok(text))
}

/// Says why there is no script, and exits 3.
fn refuse(why: &str, destination: &Destination) -> anyhow::Result<ExitCode> {
    refuse_script(
        &[format!("{why}; no script is printed")],
        ErrorClass::PolicyFault,
        destination,
    )
}

/// Says why there is no script: each of `lines` on stderr after `error: `, and, when the script
/// was to go to stdout, [`refusal_script`] there in its place; the exit code is `class`'s.
pub fn refuse_script(
    lines: &[String],
    class: ErrorClass,
    destination: &Destination,
) -> anyhow::Result<ExitCode> {
    for line in lines {
        write_stderr_line(&format!("error: {line}"));
    }
    if destination.is_stdout() {
        write_stdout(&refusal_script(lines))?;
    }
    Ok(ExitCode::from(class.exit_code()))
}

/// The heredoc delimiter of [`refusal_script`] (no line of the heredoc can be it: each starts
/// with `worker-policy refused: `).
const REFUSAL_END: &str = "WORKER_POLICY_REFUSED";

/// A script that fails when run: the refusal as comments, then the same lines to stderr and
/// `exit 1`. Printed where a refused or failed verb's script would have gone.
pub fn refusal_script(lines: &[String]) -> String {
    let lines: Vec<&str> = lines.iter().flat_map(|l| l.lines()).collect();
    let mut out = String::from(
        "#!/usr/bin/env bash\n# worker-policy refused: there is no plan to apply; this script only fails.\n",
    );
    for line in &lines {
        out.push_str(&format!("# {line}\n"));
    }
    out.push_str(&format!("cat >&2 <<'{REFUSAL_END}'\n"));
    for line in &lines {
        out.push_str(&format!("worker-policy refused: {line}\n"));
    }
    out.push_str(&format!("{REFUSAL_END}\nexit 1\n"));
    out
}

/// The header: the policy, the snapshot file's digest, the summary lines, the command line.
fn header(source: &ScriptSource) -> anyhow::Result<ScriptHeader> {
    let bytes = snapshot_bytes(source.path)?;
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
        snapshot_path: display_name(source.path),
        snapshot_sha256: format!("{:x}", Sha256::digest(&bytes)),
        summary: source.summary.clone(),
        command: format!("worker-policy {}", command.join(" ")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_refusal_script_says_why_and_fails() {
        let script = refusal_script(&["a drain is refused\nN6: no".into()]);
        assert_eq!(
            script,
            "#!/usr/bin/env bash\n\
             # worker-policy refused: there is no plan to apply; this script only fails.\n\
             # a drain is refused\n\
             # N6: no\n\
             cat >&2 <<'WORKER_POLICY_REFUSED'\n\
             worker-policy refused: a drain is refused\n\
             worker-policy refused: N6: no\n\
             WORKER_POLICY_REFUSED\n\
             exit 1\n"
        );
    }
}
