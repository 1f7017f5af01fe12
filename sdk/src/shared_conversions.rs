//! The conversions both contract versions share, for the generated types of a module `$wit`:
//! scopes and worker states (`mirror_contract_enums!`), the replication property and roles in,
//! transitions and the insufficient-nodes error out. Each version's module invokes it once.

macro_rules! shared_conversions {
    ($wit:ident) => {
        worker_policy_model::mirror_contract_enums!($wit);

        /// The model's form of a replication property; one the model refuses is an invalid
        /// snapshot.
        fn replication_from_wit(
            counts: &[$wit::ScopeCount],
        ) -> Result<model::Replication, $wit::PolicyError> {
            let counts: Vec<(model::Scope, u32)> = counts
                .iter()
                .map(|c| (scope_from_wit(c.scope), c.count))
                .collect();
            model::Replication::from_counts(&counts)
                .map_err(|e| $wit::PolicyError::InvalidSnapshot(format!("replication: {e}")))
        }

        /// The model's form of a role set: the contract's flags are the model's roles in the
        /// same order.
        fn roles_from_wit(roles: $wit::Roles) -> model::Roles {
            model::Roles::from_bits(roles.bits())
        }

        /// The contract's form of a transition.
        pub fn transition_to_wit(t: model::Transition) -> $wit::Transition {
            $wit::Transition {
                node: t.node,
                from: state_to_wit(t.from),
                to: state_to_wit(t.to),
                reason: t.reason,
            }
        }

        /// The contract's form of the shortfall behind an insufficient-nodes error.
        fn shortfall_to_wit(s: model::replication::Shortfall) -> $wit::InsufficientNodes {
            $wit::InsufficientNodes {
                scope: scope_to_wit(s.scope),
                available: s.available,
                required: s.required,
            }
        }
    };
}
pub(crate) use shared_conversions;
