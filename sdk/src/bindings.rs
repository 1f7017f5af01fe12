//! The guest bindings of contract 0.2.0, generated once here for every Rust policy, and the
//! adapter that makes every [`Policy`] the component's `Guest`: it reads the settings into the
//! policy, converts the snapshot, routes panics to the logging import, calls the policy and
//! converts the answer.
//!
//! `pub_export_macro` makes `export!` usable from the policy's crate, and
//! `default_bindings_module` points it back at this module.

wit_bindgen::generate!({
    path: "../wit",
    world: "worker-policy",
    pub_export_macro: true,
    default_bindings_module: "worker_policy_sdk::bindings",
});

use std::mem::ManuallyDrop;

use exports::worker_policy::policy::policy::Guest;
use worker_policy::policy::logging::{log, Level};
use worker_policy::policy::types as wit;
use worker_policy_model as model;

use crate::convert;
use crate::{panics, settings, Policy};

impl<P: Policy> Guest for P {
    fn info() -> wit::PolicyInfo {
        convert::info_to_wit(P::info())
    }

    fn validate_settings(text: String) -> Result<(), String> {
        panics::route_to(log_error);
        settings::parse::<P>(&text).map(drop)
    }

    fn validate_transition(
        settings: wit::Settings,
        snapshot: wit::Snapshot,
        node: wit::NodeId,
        to: wit::WorkerState,
    ) -> Result<wit::Verdict, wit::PolicyError> {
        let (policy, snapshot) = hook_entry::<P>(settings, snapshot)?;
        let verdict = policy
            .validate_transition(&snapshot, node, convert::state_from_wit(to))
            .map_err(convert::error_to_wit)?;
        log(Level::Info, &verdict.reason);
        Ok(wit::Verdict {
            allowed: verdict.allowed,
            reason: verdict.reason,
        })
    }

    fn reconcile(
        settings: wit::Settings,
        snapshot: wit::Snapshot,
    ) -> Result<Vec<wit::Transition>, wit::PolicyError> {
        let (policy, snapshot) = hook_entry::<P>(settings, snapshot)?;
        let transitions = policy.reconcile(&snapshot).map_err(convert::error_to_wit)?;
        log(
            Level::Debug,
            &format!("reconcile: {} transition(s)", transitions.len()),
        );
        Ok(transitions
            .into_iter()
            .map(convert::transition_to_wit)
            .collect())
    }

    fn place(
        settings: wit::Settings,
        snapshot: wit::Snapshot,
    ) -> Result<wit::Plan, wit::PolicyError> {
        let (policy, snapshot) = hook_entry::<P>(settings, snapshot)?;
        plan_to_wit("place", policy.place(&snapshot))
    }

    fn rebalance(
        settings: wit::Settings,
        snapshot: wit::Snapshot,
        max_moves: Option<u32>,
    ) -> Result<wit::Plan, wit::PolicyError> {
        let (policy, snapshot) = hook_entry::<P>(settings, snapshot)?;
        plan_to_wit("rebalance", policy.rebalance(&snapshot, max_moves))
    }
}

/// Logs a panic's message as an error.
fn log_error(message: &str) {
    log(Level::Error, message);
}

/// Routes panics to the host's log, reads the settings into the policy and converts the
/// snapshot. The snapshot is never dropped: the host makes a fresh instance for every call and
/// discards it after, so freeing 100,000 partitions one by one (2.5 ms of a 100,000-partition
/// call) would be wasted work.
fn hook_entry<P: Policy>(
    settings: wit::Settings,
    snapshot: wit::Snapshot,
) -> Result<(P, ManuallyDrop<model::Snapshot>), wit::PolicyError> {
    panics::route_to(log_error);
    let policy = settings::for_hook::<P>(settings.as_deref()).map_err(convert::error_to_wit)?;
    Ok((
        policy,
        ManuallyDrop::new(convert::snapshot_from_wit(snapshot)?),
    ))
}

/// Logs how many steps `hook` answered and converts them into a plan.
fn plan_to_wit(
    hook: &str,
    answer: Result<Vec<model::Step>, model::PolicyError>,
) -> Result<wit::Plan, wit::PolicyError> {
    let steps = answer.map_err(convert::error_to_wit)?;
    log(Level::Debug, &format!("{hook}: {} step(s)", steps.len()));
    Ok(convert::plan_to_wit(steps))
}
