//! Conversions between the contract's generated types and the model's, in the guest: the
//! snapshot comes in, transitions, steps, verdicts, errors and the policy's info go out.

use worker_policy_model as model;

use crate::bindings::worker_policy::policy::types as wit;

/// The model's form of the snapshot; a replication property the model refuses is an invalid
/// snapshot.
pub fn snapshot_from_wit(s: wit::Snapshot) -> Result<model::Snapshot, wit::PolicyError> {
    let counts: Vec<(model::Scope, u32)> = s
        .replication
        .iter()
        .map(|c| (scope_from_wit(c.scope), c.count))
        .collect();
    let replication = model::Replication::from_counts(&counts)
        .map_err(|e| wit::PolicyError::InvalidSnapshot(format!("replication: {e}")))?;
    Ok(model::Snapshot {
        replication,
        nodes: s
            .nodes
            .into_iter()
            .map(|n| model::Node {
                id: n.id,
                generation: n.generation,
                name: n.name,
                address: n.address,
                location: n.location,
                roles: model::Roles::from_bits(n.roles.bits()),
                worker_state: state_from_wit(n.worker_state),
                alive: n.alive,
            })
            .collect(),
        partitions: s
            .partitions
            .into_iter()
            .map(|p| model::Partition {
                id: p.id,
                replicas: p.replicas,
                next: p.next,
                leader: p.leader,
            })
            .collect(),
    })
}

fn scope_from_wit(scope: wit::Scope) -> model::Scope {
    match scope {
        wit::Scope::Region => model::Scope::Region,
        wit::Scope::Zone => model::Scope::Zone,
        wit::Scope::Node => model::Scope::Node,
    }
}

fn scope_to_wit(scope: model::Scope) -> wit::Scope {
    match scope {
        model::Scope::Region => wit::Scope::Region,
        model::Scope::Zone => wit::Scope::Zone,
        model::Scope::Node => wit::Scope::Node,
    }
}

/// The model's form of a worker state.
pub fn state_from_wit(state: wit::WorkerState) -> model::WorkerState {
    match state {
        wit::WorkerState::Provisioning => model::WorkerState::Provisioning,
        wit::WorkerState::Active => model::WorkerState::Active,
        wit::WorkerState::Draining => model::WorkerState::Draining,
        wit::WorkerState::Disabled => model::WorkerState::Disabled,
    }
}

fn state_to_wit(state: model::WorkerState) -> wit::WorkerState {
    match state {
        model::WorkerState::Provisioning => wit::WorkerState::Provisioning,
        model::WorkerState::Active => wit::WorkerState::Active,
        model::WorkerState::Draining => wit::WorkerState::Draining,
        model::WorkerState::Disabled => wit::WorkerState::Disabled,
    }
}

/// The contract's form of a transition.
pub fn transition_to_wit(t: model::Transition) -> wit::Transition {
    wit::Transition {
        node: t.node,
        from: state_to_wit(t.from),
        to: state_to_wit(t.to),
        reason: t.reason,
    }
}

/// The contract's form of a step.
pub fn step_to_wit(step: model::Step) -> wit::Step {
    wit::Step {
        op: match step.op {
            model::StepOp::AddReplica => wit::StepOp::AddReplica,
            model::StepOp::RemoveReplica => wit::StepOp::RemoveReplica,
            model::StepOp::SetLeader => wit::StepOp::SetLeader,
        },
        partition: step.partition,
        node: step.node,
        reason: step.reason,
    }
}

/// The contract's form of a policy error.
pub fn error_to_wit(error: model::PolicyError) -> wit::PolicyError {
    match error {
        model::PolicyError::InsufficientNodes(s) => {
            wit::PolicyError::InsufficientNodes(wit::InsufficientNodes {
                scope: scope_to_wit(s.scope),
                available: s.available,
                required: s.required,
            })
        }
        model::PolicyError::InvalidSnapshot(why) => wit::PolicyError::InvalidSnapshot(why),
        model::PolicyError::UnknownNode(id) => wit::PolicyError::UnknownNode(id),
    }
}

/// The contract's form of the policy's info.
pub fn info_to_wit(info: crate::Info) -> wit::PolicyInfo {
    wit::PolicyInfo {
        name: info.name,
        version: info.version,
        description: info.description,
    }
}
