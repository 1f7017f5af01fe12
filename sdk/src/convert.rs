//! Conversions between contract 0.2.0's generated types and the model's, in the guest: the
//! snapshot comes in (its partitions column by column, [`columns`]), transitions, plans (steps
//! with a table of reasons, [`plan`]), verdicts, errors and the policy's info go out.

mod columns;
mod plan;

use worker_policy_model as model;
use worker_policy_model::snapshot::node_label;

use crate::bindings::worker_policy::policy::types as wit;

pub use plan::plan_to_wit;

/// The model's form of the snapshot. A replication property the model refuses, a weight out of
/// range or a malformed partition column is an invalid snapshot that names the field.
pub fn snapshot_from_wit(s: wit::Snapshot) -> Result<model::Snapshot, wit::PolicyError> {
    let replication = replication_from_wit(&s.replication)?;
    let nodes = s
        .nodes
        .into_iter()
        .enumerate()
        .map(|(i, n)| node_from_wit(i, n))
        .collect::<Result<_, _>>()?;
    Ok(model::Snapshot {
        replication,
        nodes,
        partitions: columns::partitions_from_wit(s.partitions)?,
    })
}

/// An invalid snapshot, and why.
fn invalid_snapshot(why: String) -> wit::PolicyError {
    wit::PolicyError::InvalidSnapshot(why)
}

/// The model's form of the node at index `i` of the snapshot's nodes.
fn node_from_wit(i: usize, n: wit::NodeConfig) -> Result<model::Node, wit::PolicyError> {
    let weight = model::Weight::new(n.weight).ok_or_else(|| {
        invalid_snapshot(format!(
            "nodes[{i}].weight ({}): {} is not a weight; a weight is from {} to {}",
            node_label(n.id),
            n.weight,
            model::Weight::MIN,
            model::Weight::MAX
        ))
    })?;
    Ok(model::Node {
        id: n.id,
        generation: n.generation,
        name: n.name,
        address: n.address,
        location: n.location,
        roles: roles_from_wit(n.roles),
        worker_state: state_from_wit(n.worker_state),
        alive: n.alive,
        weight,
    })
}

crate::shared_conversions::shared_conversions!(wit);

/// The contract's form of a policy error.
pub fn error_to_wit(error: model::PolicyError) -> wit::PolicyError {
    match error {
        model::PolicyError::InsufficientNodes(s) => {
            wit::PolicyError::InsufficientNodes(shortfall_to_wit(s))
        }
        model::PolicyError::InvalidSnapshot(why) => wit::PolicyError::InvalidSnapshot(why),
        model::PolicyError::UnknownNode(id) => wit::PolicyError::UnknownNode(id),
        model::PolicyError::InvalidSettings(why) => wit::PolicyError::InvalidSettings(why),
    }
}

/// The contract's form of the policy's info.
pub fn info_to_wit(info: crate::Info) -> wit::PolicyInfo {
    wit::PolicyInfo {
        name: info.name,
        version: info.version,
        description: info.description,
        settings: info.settings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use worker_policy_model::generate::{Oddities, RandomCluster};
    use worker_policy_model::replication::Shortfall;

    #[test]
    fn every_role_means_the_same_on_both_sides() {
        let flags = [
            wit::Roles::HTTP_INGRESS,
            wit::Roles::ADMIN,
            wit::Roles::WORKER,
            wit::Roles::LOG_SERVER,
            wit::Roles::METADATA_SERVER,
        ];
        for ((role, name), flag) in model::Roles::NAMED.iter().zip(flags) {
            assert_eq!(role.bits(), flag.bits(), "{name}");
        }
        for bits in 0..1u8 << model::Roles::NAMED.len() {
            let roles = model::Roles::from_bits(bits);
            assert_eq!(wit::Roles::from_bits_retain(roles.bits()).bits(), bits);
        }
    }

    /// The contract's form of a model snapshot, as the host sends it.
    pub(super) fn snapshot_to_wit(s: &model::Snapshot) -> wit::Snapshot {
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
                    weight: n.weight.value(),
                })
                .collect(),
            partitions: columns::partitions_to_wit(&s.partitions),
        }
    }

    /// A random cluster of `seed`, with distinct generations, and weights, freezes and leader
    /// affinities (of both kinds) on some of its nodes and partitions.
    fn cluster_with_every_field(seed: u64) -> model::Snapshot {
        let mut s = RandomCluster::new(seed, Oddities::ALL).snapshot;
        for (i, n) in s.nodes.iter_mut().enumerate() {
            n.generation = 1 + i as u32;
            n.weight = model::Weight::new([1.0, 2.0, 0.5, 0.001, 1000.0][i % 5]).expect("in range");
        }
        let first_node = s.nodes.first().map_or(0, |n| n.id);
        for (i, p) in s.partitions.iter_mut().enumerate() {
            if i % 3 == 1 {
                p.freeze = Some(format!("frozen {i}"));
            }
            p.leader_affinity = match i % 4 {
                1 => Some(model::LeaderAffinity::Node(first_node)),
                2 => Some(model::LeaderAffinity::Location(format!("r{i}.z"))),
                _ => None,
            };
        }
        s
    }

    #[test]
    fn a_snapshot_crosses_with_every_field() {
        for seed in 0..300 {
            let s = cluster_with_every_field(seed);
            let back = snapshot_from_wit(snapshot_to_wit(&s))
                .unwrap_or_else(|e| panic!("seed {seed}: {e:?}"));
            assert_eq!(back, s, "seed {seed}");
        }
    }

    #[test]
    fn a_property_the_model_refuses_is_an_invalid_snapshot() {
        let mut s = snapshot_to_wit(&RandomCluster::new(1, Oddities::default()).snapshot);
        s.replication = vec![wit::ScopeCount {
            scope: wit::Scope::Node,
            count: 0,
        }];
        assert!(matches!(
            snapshot_from_wit(s),
            Err(wit::PolicyError::InvalidSnapshot(why)) if why.starts_with("replication: ")
        ));
    }

    #[test]
    fn a_weight_out_of_range_is_an_invalid_snapshot_naming_the_node() {
        for weight in [0.0, -1.0, 0.0009, 1000.5, f64::NAN, f64::INFINITY] {
            let mut s = snapshot_to_wit(&RandomCluster::new(2, Oddities::default()).snapshot);
            s.nodes[1].weight = weight;
            let expected = format!(
                "nodes[1].weight ({}): {weight} is not a weight; a weight is from 0.001 to 1000",
                node_label(s.nodes[1].id)
            );
            assert!(
                matches!(snapshot_from_wit(s), Err(wit::PolicyError::InvalidSnapshot(why)) if why == expected),
                "{weight}"
            );
        }
    }

    #[test]
    fn transitions_errors_and_info_go_out_as_they_were() {
        for from in model::WorkerState::ALL {
            for to in model::WorkerState::ALL {
                let t = transition_to_wit(model::Transition {
                    node: 7,
                    from,
                    to,
                    reason: "why".into(),
                });
                let back = (
                    t.node,
                    state_from_wit(t.from),
                    state_from_wit(t.to),
                    t.reason,
                );
                assert_eq!(back, (7, from, to, "why".to_string()));
            }
        }
        for scope in model::Scope::ALL {
            let error = error_to_wit(model::PolicyError::InsufficientNodes(Shortfall {
                scope,
                available: 2,
                required: 3,
            }));
            let wit::PolicyError::InsufficientNodes(s) = error else {
                panic!("{scope}: {error:?}");
            };
            assert_eq!(
                (scope_from_wit(s.scope), s.available, s.required),
                (scope, 2, 3)
            );
        }
        assert!(matches!(
            error_to_wit(model::PolicyError::InvalidSnapshot("odd".into())),
            wit::PolicyError::InvalidSnapshot(why) if why == "odd"
        ));
        assert!(matches!(
            error_to_wit(model::PolicyError::UnknownNode(4)),
            wit::PolicyError::UnknownNode(4)
        ));
        assert!(matches!(
            error_to_wit(model::PolicyError::InvalidSettings("moves: no".into())),
            wit::PolicyError::InvalidSettings(why) if why == "moves: no"
        ));
        let info = info_to_wit(crate::Info {
            name: "n".into(),
            version: "v".into(),
            description: "d".into(),
            settings: "{}".into(),
        });
        assert_eq!(
            (info.name, info.version, info.description, info.settings),
            ("n".into(), "v".into(), "d".into(), "{}".into())
        );
    }
}
