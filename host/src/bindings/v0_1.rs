//! Contract 0.1.0 (`wit/0.1.0/`), the adapter for components built against it: the snapshot
//! goes in as 0.1.0 records (no weights, freezes or affinities), answers come back as the model's.

use worker_policy_model as model;

/// What wasmtime's `bindgen!` generates from the frozen 0.1.0 contract.
#[allow(
    missing_docs,
    reason = "generated from wit/0.1.0/, whose comments document the contract"
)]
mod generated {
    wasmtime::component::bindgen!({
        path: "../wit/0.1.0",
        world: "worker-policy",
    });
}

use generated::worker_policy::policy::logging;
pub use generated::worker_policy::policy::types as wit;
pub use generated::{WorkerPolicy, WorkerPolicyPre};

use crate::sandbox::{HostState, LogLevel};

super::shared_conversions!(wit);

/// The contract's form of a snapshot.
pub fn snapshot_to_wit(s: &model::Snapshot) -> wit::Snapshot {
    wit::Snapshot {
        replication: replication_to_wit(&s.replication),
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

/// The model's form of a step.
pub fn step_from_wit(s: wit::Step) -> model::Step {
    model::Step::new(step_op_from_wit(s.op), s.partition, s.node, s.reason)
}

/// The model's form of a policy error.
pub fn error_from_wit(e: wit::PolicyError) -> model::PolicyError {
    match e {
        wit::PolicyError::InsufficientNodes(s) => {
            model::PolicyError::InsufficientNodes(shortfall_from_wit(s))
        }
        wit::PolicyError::InvalidSnapshot(why) => model::PolicyError::InvalidSnapshot(why),
        wit::PolicyError::UnknownNode(id) => model::PolicyError::UnknownNode(id),
    }
}

/// The contract's types interface has no functions to provide.
impl wit::Host for HostState {}

/// A 0.1.0 policy logs through the same log as a current one.
impl logging::Host for HostState {
    fn log(&mut self, level: logging::Level, message: String) {
        let level = match level {
            logging::Level::Debug => LogLevel::Debug,
            logging::Level::Info => LogLevel::Info,
            logging::Level::Warn => LogLevel::Warn,
            logging::Level::Error => LogLevel::Error,
        };
        HostState::log(self, level, message);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use worker_policy_model::generate::{Oddities, RandomCluster};
    use worker_policy_model::replication::Shortfall;

    #[test]
    fn every_role_set_keeps_its_bits() {
        // The contract's flags and the model's roles are one order: the same bits mean the
        // same roles, which is what the guest's conversion (by bits) relies on.
        for bits in 0..1u8 << model::Roles::NAMED.len() {
            let roles = model::Roles::from_bits(bits);
            assert_eq!(
                roles_to_wit(roles).as_array(),
                [u32::from(bits)],
                "{roles:?}"
            );
        }
    }

    /// The model's form of a contract snapshot, as the guest reads it.
    fn snapshot_from_wit(s: wit::Snapshot) -> model::Snapshot {
        let counts: Vec<(model::Scope, u32)> = s
            .replication
            .iter()
            .map(|c| (scope_from_wit(c.scope), c.count))
            .collect();
        model::Snapshot {
            replication: model::Replication::from_counts(&counts).expect("a valid property"),
            nodes: s
                .nodes
                .into_iter()
                .map(|n| model::Node {
                    id: n.id,
                    generation: n.generation,
                    name: n.name,
                    address: n.address,
                    location: n.location,
                    roles: model::Roles::from_bits(n.roles.as_array()[0] as u8),
                    worker_state: state_from_wit(n.worker_state),
                    alive: n.alive,
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
                    ..model::Partition::default()
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
                n.address = format!("http://{}:5122/", n.name);
                n.weight = model::Weight::new(0.5 + i as f64).unwrap();
            }
            for p in &mut s.partitions {
                p.freeze = Some("hold".into());
            }
            let back = snapshot_from_wit(snapshot_to_wit(&s));
            // 0.1.0 has no weights, freezes or affinities: the policy sees none.
            for n in &mut s.nodes {
                n.weight = model::Weight::STANDARD;
            }
            for p in &mut s.partitions {
                (p.freeze, p.leader_affinity) = (None, None);
            }
            assert_eq!(back, s, "seed {seed}");
        }
    }

    #[test]
    fn transitions_steps_and_errors_come_back_as_they_were() {
        for from in model::WorkerState::ALL {
            for to in model::WorkerState::ALL {
                let wit = wit::Transition {
                    node: 7,
                    from: state_to_wit(from),
                    to: state_to_wit(to),
                    reason: "why".into(),
                };
                let expected = model::Transition {
                    node: 7,
                    from,
                    to,
                    reason: "why".into(),
                };
                assert_eq!(transition_from_wit(wit), expected);
            }
        }
        for op in model::StepOp::ALL {
            let wit = wit::Step {
                op: step_op_to_wit(op),
                partition: 3,
                node: 9,
                reason: "because".into(),
            };
            assert_eq!(step_from_wit(wit), model::Step::new(op, 3, 9, "because"));
        }
        for scope in model::Scope::ALL {
            let wit = wit::PolicyError::InsufficientNodes(wit::InsufficientNodes {
                scope: scope_to_wit(scope),
                available: 2,
                required: 3,
            });
            let expected = model::PolicyError::InsufficientNodes(Shortfall {
                scope,
                available: 2,
                required: 3,
            });
            assert_eq!(error_from_wit(wit), expected);
        }
        assert_eq!(
            error_from_wit(wit::PolicyError::InvalidSnapshot("odd".into())),
            model::PolicyError::InvalidSnapshot("odd".into())
        );
        assert_eq!(
            error_from_wit(wit::PolicyError::UnknownNode(4)),
            model::PolicyError::UnknownNode(4)
        );
    }
}
