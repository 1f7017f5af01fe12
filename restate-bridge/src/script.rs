//! A plan as a `restatectl` script, and its replay.
//!
//! [`restatectl_script`] writes the rounds of a plan (and [`script`] the [`Part`]s of a
//! decommission or a rollout) as a bash script an operator reviews and runs: worker-state
//! changes with `nodes set-worker-state` (`--force` exactly where Restate needs it), replica
//! changes per partition as whole replica sets with `partitions placement set --freeze` (grown,
//! waited for, then shrunk: make-before-break), leaders by the order of those sets (Restate
//! elects the last alive node of a set it is given; no leadership pin is written), a rollout's
//! restart points, and at the end the commented-out command that hands the partitions it froze
//! back to Restate. Every command is checked on the cluster as Restate would have it at that
//! line, every wait is bounded and stops at restatectl's own error, and every untrusted text
//! stays in a comment or in quotes.
//!
//! [`replay`] reads such a script back and applies it as Restate would (re-electing leaders as
//! it does); [`same_placement`] compares the result with the plan applied.

mod command;
mod compare;
mod error;
mod functions;
mod handback;
mod header;
mod partition;
mod parts;
mod replay;
mod restart;
mod restate;
mod shell;
mod writer;

pub use command::Command;
pub use compare::{same_placement, Difference};
pub use error::ScriptError;
pub use functions::{Block, END_OF_HELPERS};
pub use header::{ScriptHeader, FREEZE_PREFIX};
pub use parts::{
    decommission_parts, rollout_parts, round_parts, DecommissionWave, Part, RolloutWave,
};
pub use replay::{replay, ReplayError, ReplayProblem, Replayed};
pub use restate::{Refusal, RestateView};
pub use shell::{quote, ShellError};
pub use writer::{commands, restatectl_script, script, Emitted};

#[cfg(test)]
pub(crate) mod tests;
