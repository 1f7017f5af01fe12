//! A plan as a `restatectl` script, and its replay.
//!
//! [`restatectl_script`] writes the rounds of a plan as a bash script an operator reviews and
//! runs: worker-state changes with `nodes set-worker-state` (`--force` exactly where Restate
//! needs it), replica changes per partition as whole replica sets with `partitions placement
//! set --freeze` (grown, waited for, then shrunk: make-before-break), leader moves with
//! `partitions leadership pin`, and at the end the commented-out commands that hand the frozen
//! and pinned partitions back to Restate. Every command is checked on the cluster as Restate
//! would have it at that line, and every untrusted text stays in a comment or in quotes.
//!
//! [`replay`] reads such a script back and applies it as Restate would; [`same_placement`]
//! compares the result with the plan applied.

mod command;
mod compare;
mod error;
mod handback;
mod header;
mod partition;
mod replay;
mod restate;
mod shell;
mod writer;

pub use command::Command;
pub use compare::{same_placement, Difference};
pub use error::ScriptError;
pub use header::{ScriptHeader, FREEZE_PREFIX};
pub use replay::{replay, ReplayError, ReplayProblem, Replayed};
pub use restate::Refusal;
pub use shell::{quote, ShellError};
pub use writer::restatectl_script;

#[cfg(test)]
mod tests;
