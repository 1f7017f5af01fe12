//! The component glue of the Restate-compatible policy, built only for wasm32: the SDK's [`Policy`] trait
//! implemented by the plain-Rust functions of this crate, and exported. Nothing here decides
//! anything, so the logic stays testable natively, where the logging import does not exist.

use worker_policy_model::{NodeId, PolicyError, Snapshot, Step, Transition, Verdict, WorkerState};
use worker_policy_sdk::{export_policy, Info, Policy};

struct RestatePolicy;

export_policy!(RestatePolicy);

impl Policy for RestatePolicy {
    fn info() -> Info {
        let info = crate::info();
        Info {
            name: info.name.into(),
            version: info.version.into(),
            description: info.description.into(),
        }
    }

    fn validate_transition(
        snapshot: &Snapshot,
        node: NodeId,
        to: WorkerState,
    ) -> Result<Verdict, PolicyError> {
        crate::validate_transition(snapshot, node, to)
    }

    fn reconcile(snapshot: &Snapshot) -> Result<Vec<Transition>, PolicyError> {
        crate::reconcile(snapshot)
    }

    fn place(snapshot: &Snapshot) -> Result<Vec<Step>, PolicyError> {
        crate::place(snapshot)
    }

    fn rebalance(snapshot: &Snapshot, max_moves: Option<u32>) -> Result<Vec<Step>, PolicyError> {
        crate::rebalance(snapshot, max_moves)
    }
}
