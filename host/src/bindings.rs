//! Host bindings generated from `wit/`, and conversions between the contract's types and the
//! model's.

use worker_policy_model as model;

wasmtime::component::bindgen!({
    path: "../wit",
    world: "worker-policy",
});

pub use self::worker_policy::policy::logging;
pub use self::worker_policy::policy::types as wit;

/// The contract package this host speaks, with its version.
pub const CONTRACT_PACKAGE: &str = "worker-policy:policy";
/// The contract version this host speaks.
pub const CONTRACT_VERSION: &str = "0.1.0";

/// The contract's form of a snapshot.
pub fn snapshot_to_wit(s: &model::Snapshot) -> wit::Snapshot {
    wit::Snapshot {
        replication: s
            .replication
            .scope_counts()
            .into_iter()
            .map(|(scope, count)| wit::ScopeCount {
                scope: scope_to_wit(scope),
                count,
            })
            .collect(),
        nodes: s
            .nodes
            .iter()
            .map(|n| wit::NodeConfig {
                id: n.id,
                generation: n.generation,
                name: n.name.clone(),
                address: n.address.clone(),
                location: n.location.clone(),
                roles: roles_to_wit(n.roles),
                worker_state: state_to_wit(n.worker_state),
                alive: n.alive,
            })
            .collect(),
        partitions: s
            .partitions
            .iter()
            .map(|p| wit::Partition {
                id: p.id,
                replicas: p.replicas.clone(),
                next: p.next.clone(),
                leader: p.leader,
            })
            .collect(),
    }
}

fn roles_to_wit(roles: model::Roles) -> wit::Roles {
    let pairs = [
        (model::Roles::HTTP_INGRESS, wit::Roles::HTTP_INGRESS),
        (model::Roles::ADMIN, wit::Roles::ADMIN),
        (model::Roles::WORKER, wit::Roles::WORKER),
        (model::Roles::LOG_SERVER, wit::Roles::LOG_SERVER),
        (model::Roles::METADATA_SERVER, wit::Roles::METADATA_SERVER),
    ];
    pairs
        .into_iter()
        .filter(|(m, _)| roles.contains(*m))
        .fold(wit::Roles::empty(), |acc, (_, w)| acc | w)
}

/// The contract's form of a scope.
pub fn scope_to_wit(scope: model::Scope) -> wit::Scope {
    match scope {
        model::Scope::Region => wit::Scope::Region,
        model::Scope::Zone => wit::Scope::Zone,
        model::Scope::Node => wit::Scope::Node,
    }
}

/// The model's form of a scope.
pub fn scope_from_wit(scope: wit::Scope) -> model::Scope {
    match scope {
        wit::Scope::Region => model::Scope::Region,
        wit::Scope::Zone => model::Scope::Zone,
        wit::Scope::Node => model::Scope::Node,
    }
}

/// The contract's form of a worker state.
pub fn state_to_wit(state: model::WorkerState) -> wit::WorkerState {
    match state {
        model::WorkerState::Provisioning => wit::WorkerState::Provisioning,
        model::WorkerState::Active => wit::WorkerState::Active,
        model::WorkerState::Draining => wit::WorkerState::Draining,
        model::WorkerState::Disabled => wit::WorkerState::Disabled,
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

/// The model's form of a transition.
pub fn transition_from_wit(t: wit::Transition) -> model::Transition {
    model::Transition {
        node: t.node,
        from: state_from_wit(t.from),
        to: state_from_wit(t.to),
        reason: t.reason,
    }
}

/// The model's form of a step.
pub fn step_from_wit(s: wit::Step) -> model::Step {
    let op = match s.op {
        wit::StepOp::AddReplica => model::StepOp::AddReplica,
        wit::StepOp::RemoveReplica => model::StepOp::RemoveReplica,
        wit::StepOp::SetLeader => model::StepOp::SetLeader,
    };
    model::Step::new(op, s.partition, s.node, s.reason)
}

/// The model's form of a policy error.
pub fn error_from_wit(e: wit::PolicyError) -> model::PolicyError {
    match e {
        wit::PolicyError::InsufficientNodes(s) => {
            model::PolicyError::InsufficientNodes(model::replication::Shortfall {
                scope: scope_from_wit(s.scope),
                available: s.available,
                required: s.required,
            })
        }
        wit::PolicyError::InvalidSnapshot(why) => model::PolicyError::InvalidSnapshot(why),
        wit::PolicyError::UnknownNode(id) => model::PolicyError::UnknownNode(id),
    }
}
