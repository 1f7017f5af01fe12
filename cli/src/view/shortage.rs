//! Why the eligible workers cannot satisfy the replication property, as the operator reads it
//! next to a refusal or an insufficient-nodes error: a cluster already short (the node asked
//! about is not the cause) or a change that makes it short ([`worker_policy::eligibility`]).

use serde::Serialize;
use worker_policy::eligibility::{diagnose, Shortage};
use worker_policy_model::{PolicyError, Snapshot};

/// The shortage in JSON and tables.
#[derive(Debug, Serialize)]
pub struct ShortageView {
    /// Whether the cluster was short before the change: the change is not the cause.
    pub already: bool,
    /// The domains without an eligible worker, why, and the fix, in words.
    pub message: String,
}

impl From<&Shortage> for ShortageView {
    fn from(shortage: &Shortage) -> ShortageView {
        ShortageView {
            already: matches!(shortage, Shortage::Already(_)),
            message: shortage.to_string(),
        }
    }
}

/// Why `after` (the snapshot the change leads to) falls short, if it does.
pub fn shortage_of(before: &Snapshot, after: &Snapshot) -> Option<ShortageView> {
    diagnose(before, after).as_ref().map(ShortageView::from)
}

/// `error`, with the domains `snapshot` has no eligible worker in first when it is the policy's
/// insufficient-nodes refusal of that snapshot (the exit class stays the refusal's).
pub fn explain_insufficient(error: worker_policy::Error, snapshot: &Snapshot) -> anyhow::Error {
    let insufficient = matches!(
        error,
        worker_policy::Error::Refused(PolicyError::InsufficientNodes(_))
    );
    match diagnose(snapshot, snapshot) {
        Some(shortage) if insufficient => anyhow::Error::new(error).context(shortage.to_string()),
        _ => error.into(),
    }
}
