//! Reading a script back and applying it to a snapshot as Restate would: the oracle of the
//! script's tests, and the check the CLI runs on every script before printing it.

use thiserror::Error;
use worker_policy_model::Snapshot;

use super::command::{parse, NotACommand};
use super::header::WAIT_FUNCTION;
use super::restate::{Refusal, RestateView};
use super::shell::{words, ShellError};

/// A script replayed: the cluster it leaves, and how many commands it ran.
#[derive(Debug, Clone)]
pub struct Replayed {
    /// The snapshot after every command.
    pub snapshot: Snapshot,
    /// The commands run (comments, blank lines and the preamble are not commands).
    pub commands: usize,
}

/// Why a script cannot be replayed, at which line (from 1).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("line {line}: {problem}")]
pub struct ReplayError {
    /// The line, from 1.
    pub line: usize,
    /// What is wrong with it.
    pub problem: ReplayProblem,
}

/// What is wrong with a line of a script.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ReplayProblem {
    /// It does not split into shell words the way a script of ours does.
    #[error("{0}")]
    Shell(#[from] ShellError),
    /// It is not a command a script of ours runs.
    #[error("{0}")]
    NotACommand(#[from] NotACommand),
    /// Restate would refuse it (or it would not take effect).
    #[error("{0}")]
    Refused(#[from] Refusal),
    /// The wait function is not the one worker-policy writes.
    #[error("the wait_caught_up function differs from the one worker-policy writes")]
    Function,
}

/// Applies `script` to `snapshot`: comments, blank lines, `set -euo pipefail` and the wait
/// function (exactly as written) are skipped; every other line must be a command of ours that
/// Restate accepts at that point.
pub fn replay(script: &str, snapshot: &Snapshot) -> Result<Replayed, ReplayError> {
    let mut view = RestateView::new(snapshot.clone());
    let mut commands = 0;
    let lines: Vec<&str> = script.lines().collect();
    let function: Vec<&str> = WAIT_FUNCTION.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i].trim();
        let number = i + 1;
        let at = move |problem: ReplayProblem| ReplayError {
            line: number,
            problem,
        };
        if line == function[0] {
            let end = i + function.len();
            if lines.get(i..end) != Some(function.as_slice()) {
                return Err(at(ReplayProblem::Function));
            }
            i = end;
            continue;
        }
        i += 1;
        if line.is_empty() || line.starts_with('#') || line == "set -euo pipefail" {
            continue;
        }
        let words = words(line).map_err(|e| at(e.into()))?;
        let command = parse(&words).map_err(|e| at(e.into()))?;
        view.apply(&command).map_err(|e| at(e.into()))?;
        commands += 1;
    }
    Ok(Replayed {
        snapshot: view.into_snapshot(),
        commands,
    })
}
