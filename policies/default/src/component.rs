//! The component glue of the default policy, built only for wasm32: the SDK exports the plain-Rust
//! functions of this crate as the contract's hooks, the policy's value being its [`Settings`]
//! (read from the operator's JSON by the SDK, checked by [`Settings::check`]). Nothing here
//! decides anything, so the logic stays testable natively, where the logging import does not
//! exist.

use worker_policy_model::{NodeId, PolicyError, Snapshot, Step, Transition, Verdict, WorkerState};
use worker_policy_sdk::{export_policy, Info, Policy};

use crate::Settings;

export_policy!(Settings);

impl Policy for Settings {
    fn info() -> Info {
        crate::info().into()
    }

    fn check_settings(&self) -> Result<(), String> {
        self.check()
    }

    fn validate_transition(
        &self,
        snapshot: &Snapshot,
        node: NodeId,
        to: WorkerState,
    ) -> Result<Verdict, PolicyError> {
        crate::validate_transition(snapshot, node, to)
    }

    fn reconcile(&self, snapshot: &Snapshot) -> Result<Vec<Transition>, PolicyError> {
        crate::reconcile(snapshot)
    }

    fn place(&self, snapshot: &Snapshot) -> Result<Vec<Step>, PolicyError> {
        crate::place_with(self, snapshot)
    }

    fn rebalance(
        &self,
        snapshot: &Snapshot,
        max_moves: Option<u32>,
    ) -> Result<Vec<Step>, PolicyError> {
        crate::rebalance_with(self, snapshot, max_moves)
    }
}
