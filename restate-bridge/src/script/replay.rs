//! Reading a script back and applying it to a snapshot as Restate would: the oracle of the
//! script's tests, and the check the CLI runs on every script before printing it.

use std::collections::BTreeSet;

use thiserror::Error;
use worker_policy_model::Snapshot;

use super::command::{parse, Command, NotACommand};
use super::functions::Block;
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
    /// A block of shell functions that is not exactly one worker-policy writes, or given twice.
    #[error("the shell functions differ from the ones worker-policy writes, or are defined twice")]
    Function,
    /// A command before the functions it needs (the helpers come before any command).
    #[error("a command before the shell functions it needs are defined")]
    Undefined,
}

/// Applies `script` to `snapshot`: comments, blank lines, `set -euo pipefail` and the blocks of
/// shell functions (exactly as written, each once) are skipped; every other line must be a
/// command of ours that Restate accepts at that point, after the functions it needs.
pub fn replay(script: &str, snapshot: &Snapshot) -> Result<Replayed, ReplayError> {
    let mut view = RestateView::new(snapshot.clone());
    let mut commands = 0;
    let mut defined = BTreeSet::new();
    let lines: Vec<&str> = script.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i].trim();
        let number = i + 1;
        let at = move |problem: ReplayProblem| ReplayError {
            line: number,
            problem,
        };
        if let Some(block) = Block::ALL
            .into_iter()
            .find(|b| b.text().lines().next() == Some(line))
        {
            let text: Vec<&str> = block.text().lines().collect();
            let end = i + text.len();
            if lines.get(i..end) != Some(text.as_slice()) || !defined.insert(block) {
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
        if !needs(&command).iter().all(|b| defined.contains(b)) {
            return Err(at(ReplayProblem::Undefined));
        }
        view.apply(&command).map_err(|e| at(e.into()))?;
        commands += 1;
    }
    Ok(Replayed {
        snapshot: view.into_snapshot(),
        commands,
    })
}

/// The blocks of functions `command` needs defined before it: the helpers (with their admin
/// check) for every command, and the restart point's for `await_restart`.
fn needs(command: &Command) -> &'static [Block] {
    match command {
        Command::AwaitRestart { .. } => &[Block::Helpers, Block::Restart],
        _ => &[Block::Helpers],
    }
}
