//! The component glue: the WIT exports of the default policy, built only for wasm32.
//!
//! It converts the contract's types to the model's and back and calls the plain-Rust policy
//! logic. Nothing here decides anything, so the logic stays testable natively, where the
//! logging import does not exist.

use worker_policy_model as model;

wit_bindgen::generate!({
    path: "../wit",
    world: "worker-policy",
});

use exports::worker_policy::policy::policy::Guest;
use worker_policy::policy::logging::{log, Level};
use worker_policy::policy::types as wit;

struct DefaultPolicy;

export!(DefaultPolicy);

impl Guest for DefaultPolicy {
    fn info() -> wit::PolicyInfo {
        let info = crate::info();
        wit::PolicyInfo {
            name: info.name.into(),
            version: info.version.into(),
            description: info.description.into(),
        }
    }

    fn validate_transition(
        snapshot: wit::Snapshot,
        node: wit::NodeId,
        to: wit::WorkerState,
    ) -> Result<wit::Verdict, wit::PolicyError> {
        let snapshot = hook_entry(snapshot)?;
        let verdict = crate::validate_transition(&snapshot, node, state_from_wit(to))
            .map_err(error_to_wit)?;
        log(Level::Info, &verdict.reason);
        Ok(wit::Verdict {
            allowed: verdict.allowed,
            reason: verdict.reason,
        })
    }

    fn reconcile(snapshot: wit::Snapshot) -> Result<Vec<wit::Transition>, wit::PolicyError> {
        let snapshot = hook_entry(snapshot)?;
        let transitions = crate::reconcile(&snapshot).map_err(error_to_wit)?;
        log(
            Level::Debug,
            &format!("reconcile: {} transition(s)", transitions.len()),
        );
        Ok(transitions
            .into_iter()
            .map(|t| wit::Transition {
                node: t.node,
                from: state_to_wit(t.from),
                to: state_to_wit(t.to),
                reason: t.reason,
            })
            .collect())
    }

    fn place(snapshot: wit::Snapshot) -> Result<Vec<wit::Step>, wit::PolicyError> {
        let snapshot = hook_entry(snapshot)?;
        let steps = crate::place(&snapshot).map_err(error_to_wit)?;
        log(Level::Debug, &format!("place: {} step(s)", steps.len()));
        Ok(steps.into_iter().map(step_to_wit).collect())
    }

    fn rebalance(
        snapshot: wit::Snapshot,
        max_moves: Option<u32>,
    ) -> Result<Vec<wit::Step>, wit::PolicyError> {
        let snapshot = hook_entry(snapshot)?;
        let steps = crate::rebalance(&snapshot, max_moves).map_err(error_to_wit)?;
        log(Level::Debug, &format!("rebalance: {} step(s)", steps.len()));
        Ok(steps.into_iter().map(step_to_wit).collect())
    }
}

/// Routes panics to the host's log (a panic reaches the host only as an `unreachable` trap) and
/// converts the snapshot.
fn hook_entry(snapshot: wit::Snapshot) -> Result<model::Snapshot, wit::PolicyError> {
    std::panic::set_hook(Box::new(|panic| log(Level::Error, &panic.to_string())));
    snapshot_from_wit(snapshot)
}

fn snapshot_from_wit(s: wit::Snapshot) -> Result<model::Snapshot, wit::PolicyError> {
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

fn state_from_wit(state: wit::WorkerState) -> model::WorkerState {
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

fn step_to_wit(step: model::Step) -> wit::Step {
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

fn error_to_wit(error: model::PolicyError) -> wit::PolicyError {
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
