//! Conversions between the frozen contract 0.1.0's generated types and the model's, in the
//! guest: the snapshot comes in (every node standard, no freeze, no affinity), transitions,
//! steps, verdicts, errors and the policy's info go out.

use worker_policy_model as model;

use crate::bindings_v0_1::worker_policy::policy::types as wit;

/// The model's form of the snapshot; a replication property the model refuses is an invalid
/// snapshot.
pub fn snapshot_from_wit(s: wit::Snapshot) -> Result<model::Snapshot, wit::PolicyError> {
    Ok(model::Snapshot {
        replication: replication_from_wit(&s.replication)?,
        nodes: s
            .nodes
            .into_iter()
            .map(|n| model::Node {
                id: n.id,
                generation: n.generation,
                name: n.name,
                address: n.address,
                location: n.location,
                roles: roles_from_wit(n.roles),
                worker_state: state_from_wit(n.worker_state),
                alive: n.alive,
                // 0.1.0 has no weights: every node is a standard one.
                weight: model::Weight::STANDARD,
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
                // 0.1.0 has neither.
                freeze: None,
                leader_affinity: None,
            })
            .collect(),
    })
}

crate::shared_conversions::shared_conversions!(wit);

/// The contract's form of a step operation (a policy only sends them).
fn step_op_to_wit(op: model::StepOp) -> wit::StepOp {
    match op {
        model::StepOp::AddReplica => wit::StepOp::AddReplica,
        model::StepOp::RemoveReplica => wit::StepOp::RemoveReplica,
        model::StepOp::SetLeader => wit::StepOp::SetLeader,
    }
}

/// The contract's form of a step.
pub fn step_to_wit(step: model::Step) -> wit::Step {
    wit::Step {
        op: step_op_to_wit(step.op),
        partition: step.partition,
        node: step.node,
        reason: step.reason,
    }
}

/// The contract's form of a policy error.
pub fn error_to_wit(error: model::PolicyError) -> wit::PolicyError {
    match error {
        model::PolicyError::InsufficientNodes(s) => {
            wit::PolicyError::InsufficientNodes(shortfall_to_wit(s))
        }
        model::PolicyError::InvalidSnapshot(why) => wit::PolicyError::InvalidSnapshot(why),
        model::PolicyError::UnknownNode(id) => wit::PolicyError::UnknownNode(id),
        // 0.1.0 has no settings (every hook runs the policy's defaults), so no error of its own
        // for them: a policy that refuses its defaults says so as the other input it refuses.
        error @ model::PolicyError::InvalidSettings(_) => {
            wit::PolicyError::InvalidSnapshot(error.to_string())
        }
    }
}

/// The contract's form of the policy's info (0.1.0 has no settings description).
pub fn info_to_wit(info: crate::Info) -> wit::PolicyInfo {
    wit::PolicyInfo {
        name: info.name,
        version: info.version,
        description: info.description,
    }
}

#[cfg(test)]
mod tests {
    // What both versions share (roles, the replication property, transitions, the
    // insufficient-nodes error) is tested once, in `convert.rs`.
    use super::*;
    use worker_policy_model::generate::{Oddities, RandomCluster};

    /// The contract's form of a model snapshot, as a 0.1.0 host sends it.
    fn snapshot_to_wit(s: &model::Snapshot) -> wit::Snapshot {
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
                    roles: wit::Roles::from_bits_retain(n.roles.bits()),
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

    #[test]
    fn a_snapshot_crosses_with_every_field_of_0_1_0() {
        for seed in 0..300 {
            let mut s = RandomCluster::new(seed, Oddities::ALL).snapshot;
            for (i, n) in s.nodes.iter_mut().enumerate() {
                n.generation = 1 + i as u32;
            }
            let back = snapshot_from_wit(snapshot_to_wit(&s))
                .unwrap_or_else(|e| panic!("seed {seed}: {e:?}"));
            assert_eq!(back, s, "seed {seed}");
        }
    }

    #[test]
    fn steps_go_out_with_their_own_reasons() {
        for op in model::StepOp::ALL {
            let step = step_to_wit(model::Step::new(op, 3, 9, "because"));
            assert_eq!(
                step.op as u8, op as u8,
                "{op}: the contract lists the ops in order"
            );
            assert_eq!(
                (step.partition, step.node, step.reason.as_str()),
                (3, 9, "because")
            );
        }
    }

    #[test]
    fn errors_and_info_go_out_in_0_1_0_terms() {
        assert!(matches!(
            error_to_wit(model::PolicyError::InvalidSnapshot("odd".into())),
            wit::PolicyError::InvalidSnapshot(why) if why == "odd"
        ));
        assert!(matches!(
            error_to_wit(model::PolicyError::UnknownNode(4)),
            wit::PolicyError::UnknownNode(4)
        ));
        assert!(matches!(
            error_to_wit(model::PolicyError::InvalidSettings("odd".into())),
            wit::PolicyError::InvalidSnapshot(why) if why == "invalid settings: odd"
        ));
        let info = info_to_wit(crate::Info {
            name: "n".into(),
            version: "v".into(),
            description: "d".into(),
            settings: "{}".into(),
        });
        assert_eq!(
            (info.name, info.version, info.description),
            ("n".into(), "v".into(), "d".into())
        );
    }
}
