//! Host bindings generated from the contract, one module per version this host loads, and the
//! conversions between each version's types and the model's.
//!
//! - [`v0_2`]: the current contract, `wit/`;
//! - [`v0_1`]: the first contract, frozen in `wit/0.1.0/`: a component built against it is
//!   called through it with no settings, and sees no weights, freezes or affinities (the host
//!   still checks its answers against them).

pub mod v0_1;
pub mod v0_2;

/// The conversions every version shares, for the generated types of the module `$wit`: roles,
/// scopes, worker states and step operations.
macro_rules! shared_conversions {
    ($wit:ident) => {
        /// The contract's form of a role set: the contract's flags are the model's roles in the
        /// same order, so each of [`model::Roles::NAMED`] maps to the flag at its position.
        fn roles_to_wit(roles: model::Roles) -> $wit::Roles {
            let flags = [
                $wit::Roles::HTTP_INGRESS,
                $wit::Roles::ADMIN,
                $wit::Roles::WORKER,
                $wit::Roles::LOG_SERVER,
                $wit::Roles::METADATA_SERVER,
            ];
            model::Roles::NAMED
                .iter()
                .zip(flags)
                .filter(|((role, _), _)| roles.contains(*role))
                .fold($wit::Roles::empty(), |acc, (_, flag)| acc | flag)
        }

        worker_policy_model::mirror_contract_enums!($wit);
        worker_policy_model::mirror_enum!(
            "step operation",
            step_op_to_wit,
            step_op_from_wit,
            model::StepOp,
            $wit::StepOp,
            [AddReplica, RemoveReplica, SetLeader]
        );

        /// The model's form of a transition.
        pub fn transition_from_wit(t: $wit::Transition) -> model::Transition {
            model::Transition {
                node: t.node,
                from: state_from_wit(t.from),
                to: state_from_wit(t.to),
                reason: t.reason,
            }
        }

        /// The contract's form of a replication property.
        fn replication_to_wit(replication: &model::Replication) -> Vec<$wit::ScopeCount> {
            replication
                .scope_counts()
                .into_iter()
                .map(|(scope, count)| $wit::ScopeCount {
                    scope: scope_to_wit(scope),
                    count,
                })
                .collect()
        }

        /// The model's form of the policy's typed error `$wit::PolicyError::InsufficientNodes`.
        fn shortfall_from_wit(s: $wit::InsufficientNodes) -> model::replication::Shortfall {
            model::replication::Shortfall {
                scope: scope_from_wit(s.scope),
                available: s.available,
                required: s.required,
            }
        }
    };
}
pub(crate) use shared_conversions;
