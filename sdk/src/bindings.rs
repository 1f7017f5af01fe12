//! The contract's guest bindings, generated once here for every Rust policy, and the adapter
//! that makes every [`Policy`] the component's `Guest`: it converts the input, routes panics to
//! the logging import, calls the policy and converts the answer.
//!
//! `pub_export_macro` makes `export!` usable from the policy's crate, and
//! `default_bindings_module` points it back at this module.

wit_bindgen::generate!({
    path: "../wit",
    world: "worker-policy",
    pub_export_macro: true,
    default_bindings_module: "worker_policy_sdk::bindings",
});

use exports::worker_policy::policy::policy::Guest;
use worker_policy::policy::logging::{log, Level};
use worker_policy::policy::types as wit;
use worker_policy_model as model;

use crate::convert;
use crate::Policy;

impl<P: Policy> Guest for P {
    fn info() -> wit::PolicyInfo {
        convert::info_to_wit(P::info())
    }

    fn validate_transition(
        snapshot: wit::Snapshot,
        node: wit::NodeId,
        to: wit::WorkerState,
    ) -> Result<wit::Verdict, wit::PolicyError> {
        let snapshot = hook_entry(snapshot)?;
        let verdict = P::validate_transition(&snapshot, node, convert::state_from_wit(to))
            .map_err(convert::error_to_wit)?;
        log(Level::Info, &verdict.reason);
        Ok(wit::Verdict {
            allowed: verdict.allowed,
            reason: verdict.reason,
        })
    }

    fn reconcile(snapshot: wit::Snapshot) -> Result<Vec<wit::Transition>, wit::PolicyError> {
        let snapshot = hook_entry(snapshot)?;
        let transitions = P::reconcile(&snapshot).map_err(convert::error_to_wit)?;
        log(
            Level::Debug,
            &format!("reconcile: {} transition(s)", transitions.len()),
        );
        Ok(transitions
            .into_iter()
            .map(convert::transition_to_wit)
            .collect())
    }

    fn place(snapshot: wit::Snapshot) -> Result<Vec<wit::Step>, wit::PolicyError> {
        let snapshot = hook_entry(snapshot)?;
        steps_to_wit("place", P::place(&snapshot))
    }

    fn rebalance(
        snapshot: wit::Snapshot,
        max_moves: Option<u32>,
    ) -> Result<Vec<wit::Step>, wit::PolicyError> {
        let snapshot = hook_entry(snapshot)?;
        steps_to_wit("rebalance", P::rebalance(&snapshot, max_moves))
    }
}

/// Routes panics to the host's log (a panic reaches the host only as an `unreachable` trap) and
/// converts the snapshot.
fn hook_entry(snapshot: wit::Snapshot) -> Result<model::Snapshot, wit::PolicyError> {
    std::panic::set_hook(Box::new(|panic| log(Level::Error, &panic.to_string())));
    convert::snapshot_from_wit(snapshot)
}

/// Logs how many steps `hook` answered and converts them.
fn steps_to_wit(
    hook: &str,
    answer: Result<Vec<model::Step>, model::PolicyError>,
) -> Result<Vec<wit::Step>, wit::PolicyError> {
    let steps = answer.map_err(convert::error_to_wit)?;
    log(Level::Debug, &format!("{hook}: {} step(s)", steps.len()));
    Ok(steps.into_iter().map(convert::step_to_wit).collect())
}
