//! The documented transition rules (README, "The default policy's rules"), as the verdict every
//! policy must give: the suite's oracle for property 2, applied both to `validate-transition`
//! answers and to the transitions `reconcile` makes by itself.
//!
//! Deliberately independent of the default policy's rules: it shares model facts (the model's
//! transition hazards, a node's usage, the replication property's shortfall), not policy code.

use worker_policy_model::snapshot::node_label;
use worker_policy_model::{Node, Snapshot, WorkerState};

/// What the rules say about a request, and which rule says it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Expected {
    /// The request must be allowed.
    Allow(String),
    /// The request must be refused.
    Refuse(String),
}

/// The verdict the rules give to moving `node` of `snapshot` to `to`: refused exactly when the
/// model's [`Snapshot::transition_hazard`] finds what no policy may ever allow (the one home of
/// those rules, which the host also enforces on verdicts); every other request is allowed
/// (same -> same, provisioning -> any, active -> draining, draining -> active, disabled ->
/// active, and -> disabled once the node is idle).
pub(crate) fn expected(snapshot: &Snapshot, node: &Node, to: WorkerState) -> Expected {
    if let Some(hazard) = snapshot.transition_hazard(node.id, to) {
        return Expected::Refuse(hazard.to_string());
    }
    let from = node.worker_state;
    Expected::Allow(if from == to {
        format!(
            "same -> same ({} is already {to}) is allowed",
            node_label(node.id)
        )
    } else {
        format!("{from} -> {to} is allowed by the documented rules and passes the safety check")
    })
}
