//! The guest bindings of the frozen contract 0.1.0 (`wit/0.1.0/`), and the adapter that makes
//! every [`Policy`] that version's `Guest`: no settings (each hook runs `P::default()`), a
//! snapshot without weights, freezes or affinities, steps with their reasons inline.
//!
//! The world is included under a name of its own (`worker-policy-v0-1`): wit-bindgen names the
//! exported `export!` macro after the world, and the 0.2.0 world already has `worker-policy`.

wit_bindgen::generate!({
    path: "../wit/0.1.0",
    inline: "
        package worker-policy:sdk;
        world worker-policy-v0-1 {
            include worker-policy:policy/worker-policy@0.1.0;
        }
    ",
    world: "worker-policy:sdk/worker-policy-v0-1",
    pub_export_macro: true,
    default_bindings_module: "worker_policy_sdk::bindings_v0_1",
    // The contract's interfaces live in the included package, not the inline one.
    generate_all,
});

use exports::worker_policy::policy::policy::Guest;
use worker_policy::policy::logging::{log, Level};
use worker_policy::policy::types as wit;
use worker_policy_model as model;

use crate::convert_v0_1 as convert;
use crate::{panics, Policy};

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
        let verdict = P::default()
            .validate_transition(&snapshot, node, convert::state_from_wit(to))
            .map_err(convert::error_to_wit)?;
        log(Level::Info, &verdict.reason);
        Ok(wit::Verdict {
            allowed: verdict.allowed,
            reason: verdict.reason,
        })
    }

    fn reconcile(snapshot: wit::Snapshot) -> Result<Vec<wit::Transition>, wit::PolicyError> {
        let snapshot = hook_entry(snapshot)?;
        let transitions = P::default()
            .reconcile(&snapshot)
            .map_err(convert::error_to_wit)?;
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
        steps_to_wit("place", P::default().place(&snapshot))
    }

    fn rebalance(
        snapshot: wit::Snapshot,
        max_moves: Option<u32>,
    ) -> Result<Vec<wit::Step>, wit::PolicyError> {
        let snapshot = hook_entry(snapshot)?;
        steps_to_wit("rebalance", P::default().rebalance(&snapshot, max_moves))
    }
}

/// Logs a panic's message as an error.
fn log_error(message: &str) {
    log(Level::Error, message);
}

/// Routes panics to the host's log and converts the snapshot.
fn hook_entry(snapshot: wit::Snapshot) -> Result<model::Snapshot, wit::PolicyError> {
    panics::route_to(log_error);
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
