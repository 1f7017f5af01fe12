//! Why `apply` stopped: a plan that cannot be carried out, restatectl failing, or a live
//! cluster that did not do what a step asked within its bound. Each names the step and what was
//! waited for, and says what state the cluster was left in.

use crate::import::live::LiveError;
use crate::script::ScriptError;

use super::observed::RowError;

/// Why a plan could not be applied, or stopped being applied.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// The plan has a step `restatectl` cannot carry out safely (as a script would refuse it).
    #[error("the plan cannot be applied safely with restatectl: {0}")]
    Plan(ScriptError),
    /// A command only an operator can carry out (a rollout's restart point).
    #[error("`{command}` needs an operator (a restart); apply carries out plans of evaluate and simulate: use rollout --emit restatectl for a rolling restart")]
    NotApplicable {
        /// The command.
        command: String,
    },
    /// `restatectl` failed, or the live cluster cannot be read.
    #[error(transparent)]
    Restatectl(#[from] LiveError),
    /// `restatectl sql --json` or `metadata get` printed something other than JSON of the shape
    /// Restate 1.7 prints.
    #[error(
        "`restatectl {query}` printed something other than the JSON Restate 1.7 prints: {error}"
    )]
    SqlOutput {
        /// The query.
        query: String,
        /// Why it does not read.
        error: String,
    },
    /// `restatectl sql` printed a row that cannot be read.
    #[error(transparent)]
    Row(#[from] RowError),
    /// A step was not confirmed by the live cluster within its bound.
    #[error("step {step} ({change}): waited {seconds} s for {waited_for}, in vain; live: {live}. {left}")]
    TimedOut {
        /// The step's number.
        step: usize,
        /// What it changes.
        change: String,
        /// What it waited for.
        waited_for: String,
        /// The bound.
        seconds: u64,
        /// The partition or node as the cluster shows it.
        live: String,
        /// What state the cluster was left in.
        left: String,
    },
    /// The live cluster moved away from what a step wrote while the step was in flight.
    #[error("step {step} ({change}) diverged: {found}. {left}")]
    Diverged {
        /// The step's number.
        step: usize,
        /// What it changes.
        change: String,
        /// What the cluster shows instead.
        found: String,
        /// What state the cluster was left in.
        left: String,
    },
}

impl ApplyError {
    /// Whether the operator can fix it (the addresses, restatectl, the verb asked for) rather
    /// than the policy, the cluster or this machine.
    pub fn is_bad_input(&self) -> bool {
        match self {
            ApplyError::Restatectl(error) => error.is_bad_input(),
            ApplyError::NotApplicable { .. } => true,
            ApplyError::Plan(_) | ApplyError::SqlOutput { .. } | ApplyError::Row(_) => false,
            ApplyError::TimedOut { .. } | ApplyError::Diverged { .. } => false,
        }
    }

    /// Whether the live cluster did not do what a step asked (a timeout, a divergence).
    pub fn is_divergence(&self) -> bool {
        matches!(
            self,
            ApplyError::TimedOut { .. } | ApplyError::Diverged { .. }
        )
    }
}
