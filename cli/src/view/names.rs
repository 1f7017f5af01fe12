//! Model values serialized by the names the snapshot format and the CLI use.

use serde::Serializer;
use worker_policy_model::{StepOp, WorkerState};

/// A worker state as its name (`draining`).
pub fn state<S: Serializer>(state: &WorkerState, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(state.name())
}

/// A step's operation as its name (`add-replica`).
pub fn op<S: Serializer>(op: &StepOp, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(op.name())
}
