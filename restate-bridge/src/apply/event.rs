//! What happens while a plan is applied, one event at a time: the command line shows them as a
//! progress bar on a terminal and as one JSON line each otherwise.

use serde::Serialize;

/// One thing that happened to a step.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum Event {
    /// A step was started: the cluster was where it expects.
    StepStarted {
        /// The step's number.
        step: usize,
        /// What it changes.
        change: String,
    },
    /// A `restatectl` command of a step was issued.
    Command {
        /// The step's number.
        step: usize,
        /// The command line.
        command: String,
    },
    /// A step's change was confirmed by the cluster.
    StepDone {
        /// The step's number.
        step: usize,
        /// What it changed.
        change: String,
        /// How long it took, issue to confirmation.
        seconds: f64,
    },
    /// A step was not carried out: the cluster already was where it leads.
    StepSkipped {
        /// The step's number.
        step: usize,
        /// What it changes.
        change: String,
    },
    /// No new step is started: the steps in flight are finished first.
    Finishing {
        /// Why.
        why: String,
        /// How many steps are in flight.
        in_flight: usize,
    },
}
