//! The documented transition rules (README, "The default policy's rules"), as the verdict every
//! policy must give: the suite's oracle for property 2, applied both to `validate-transition`
//! answers and to the transitions `reconcile` makes by itself.
//!
//! Deliberately independent of the default policy's rules: it shares model facts, not policy code.

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

/// The verdict the rules give to moving `node` of `snapshot` to `to`.
pub(crate) fn expected(snapshot: &Snapshot, node: &Node, to: WorkerState) -> Expected {
    use WorkerState::{Active, Disabled, Draining, Provisioning};
    let from = node.worker_state;
    let label = node_label(node.id);
    if from == to {
        return Expected::Allow(format!("same -> same ({label} is already {to}) is allowed"));
    }
    match (from, to) {
        (_, Provisioning) => {
            return Expected::Refuse(format!(
                "{from} -> provisioning is refused: a node never goes back to provisioning"
            ))
        }
        (Disabled, Draining) => {
            return Expected::Refuse(
                "disabled -> draining is refused: a disabled node has nothing to drain".into(),
            )
        }
        _ => {}
    }
    let usage = snapshot.usage(node.id);
    if to == Disabled && !usage.is_idle() {
        return Expected::Refuse(format!(
            "{label} may be disabled only when nothing holds or is led by it, and {} partition(s) hold it and it leads {}",
            usage.holds, usage.leads
        ));
    }
    if to != Active && node.is_placement_candidate() {
        if let Some(shortfall) = snapshot.shortfall_without(Some(node.id)) {
            return Expected::Refuse(format!(
                "the safety check must refuse it: without {label}, {shortfall}"
            ));
        }
    }
    Expected::Allow(format!(
        "{from} -> {to} is allowed by the documented rules and passes the safety check"
    ))
}
