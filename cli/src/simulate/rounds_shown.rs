//! `simulate`'s rounds while they are computed: in the table to stdout, each round's line as soon
//! as the round is known, the table's first line with the first round's (so a first round that
//! fails prints nothing, as before); the parts printed together are the whole table. Otherwise
//! (JSON, a script, a file) they are counted on a progress line on stderr while the result waits
//! to be printed whole.

use worker_policy::Error;
use worker_policy_model::Plan;

use crate::output::{write_table_part, Progress};
use crate::view::plan::PlanView;

/// How the rounds are shown while they are computed.
pub enum RoundsShown {
    /// Each round's table line, to stdout.
    Streamed {
        /// The table's first line until the first round prints it.
        start: Option<String>,
        /// The first write that failed; nothing more is written after it.
        failed: Option<Error>,
    },
    /// Counted on stderr.
    Counted(Progress),
}

impl RoundsShown {
    /// Rounds streamed, after `start`, the table's first line; or counted.
    pub fn new(streamed: bool, start: String) -> RoundsShown {
        match streamed {
            true => RoundsShown::Streamed {
                start: Some(start),
                failed: None,
            },
            false => RoundsShown::Counted(Progress::counter("simulate: rounds")),
        }
    }

    /// Shows round `number`, whose plan is `plan`.
    pub fn round(&mut self, number: u32, plan: &Plan) {
        match self {
            RoundsShown::Streamed {
                start,
                failed: failed @ None,
            } => {
                let mut text = start.take().unwrap_or_default();
                text.push_str(&round_line(number as usize, &PlanView::from(plan)));
                *failed = write_table_part(&text).err();
            }
            RoundsShown::Streamed { .. } => {}
            RoundsShown::Counted(progress) => progress.advance(),
        }
    }

    /// Ends the showing (a progress line is cleared); the first write that failed, if one did.
    pub fn finish(self) -> Result<(), Error> {
        match self {
            RoundsShown::Streamed {
                failed: Some(error),
                ..
            } => Err(error),
            _ => Ok(()),
        }
    }
}

/// The table's line for round `number`.
pub fn round_line(number: usize, plan: &PlanView) -> String {
    format!("round {number:<3} {}\n", plan.summary())
}
