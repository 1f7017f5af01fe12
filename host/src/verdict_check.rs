//! The host's check of a policy's verdict: an operator's request that the policy allowed is
//! refused when it breaks a rule no policy may ever break (the model's
//! [`TransitionHazard`]), as every step of a plan is checked against the invariants. The CLI's
//! `transition` and any embedder call [`check_verdict`] before acting on an allowed verdict.

use std::fmt;

use worker_policy_model::snapshot::NodeLabel;
use worker_policy_model::transition_safety::TransitionHazard;
use worker_policy_model::{NodeId, Snapshot, Verdict, WorkerState};

use worker_policy_model::invariants::PlanChecker;
use worker_policy_model::Transition;

use crate::error::{excerpt, Error};
use crate::hooks::Hook;

/// A verdict the policy gave as allowed and the host refuses: the request, the policy's
/// reason, and the rule it breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsafeVerdict {
    /// The node.
    pub node: NodeId,
    /// The state asked for.
    pub to: WorkerState,
    /// The policy's reason for allowing it.
    pub reason: String,
    /// The rule the change breaks.
    pub hazard: TransitionHazard,
}

impl UnsafeVerdict {
    /// Whether the operator may override the refusal (`--force`): only the safety check (the
    /// replication property unsatisfiable without the node), as Restate's `--force` does. A
    /// change the state machine has no edge for, or disabling a node still in use, is never
    /// applied.
    pub fn hazard_can_be_forced(&self) -> bool {
        matches!(self.hazard, TransitionHazard::Unsatisfiable { .. })
    }
}

impl fmt::Display for UnsafeVerdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the policy allowed moving {} to {} (\"{}\"), but the host refuses it: {}; {}",
            NodeLabel(self.node),
            self.to,
            excerpt(&self.reason),
            self.hazard,
            if self.hazard_can_be_forced() {
                "pass --force to override"
            } else {
                "this cannot be forced"
            }
        )
    }
}

impl std::error::Error for UnsafeVerdict {}

/// Checks the policy's `verdict` on moving `node` of `snapshot` to `to`: a refusal, or an
/// allowance that breaks no universal rule, passes; an allowance that breaks one is an
/// [`UnsafeVerdict`].
pub fn check_verdict(
    snapshot: &Snapshot,
    node: NodeId,
    to: WorkerState,
    verdict: &Verdict,
) -> Result<(), UnsafeVerdict> {
    if !verdict.allowed {
        return Ok(());
    }
    let Some(hazard) = snapshot.transition_hazard(node, to) else {
        return Ok(());
    };
    Err(UnsafeVerdict {
        node,
        to,
        reason: verdict.reason.clone(),
        hazard,
    })
}

/// Applies a transition an operator requested (and the policy allowed) through the invariant
/// checker, as [`PlanChecker::requested_transition`]; a broken invariant is the policy's fault
/// in `validate-transition`.
pub fn apply_request(checker: &mut PlanChecker, transition: &Transition) -> Result<(), Error> {
    checker
        .requested_transition(transition)
        .map_err(|violation| Error::violation(Hook::ValidateTransition, violation))
}

#[cfg(test)]
mod tests {
    use super::*;
    use worker_policy_model::{Node, Partition, Replication, Roles};

    /// `{zone: 2, node: 2}`: worker 1 in zone a, worker 2 and admin-only node 3 in zone b;
    /// partition 0 on 1 and 2.
    fn cluster() -> Snapshot {
        let node = |id, zone: &str, roles| Node {
            id,
            generation: 1,
            name: String::new(),
            address: String::new(),
            location: zone.into(),
            roles,
            worker_state: WorkerState::Active,
            alive: true,
            weight: worker_policy_model::Weight::STANDARD,
        };
        Snapshot {
            replication: Replication::parse("{zone: 2, node: 2}").unwrap(),
            nodes: vec![
                node(1, "a", Roles::WORKER),
                node(2, "b", Roles::WORKER),
                node(3, "b", Roles::ADMIN),
            ],
            partitions: vec![Partition {
                id: 0,
                replicas: vec![1, 2],
                next: None,
                leader: Some(1),
                freeze: None,
                leader_affinity: None,
            }],
        }
    }

    fn allowed(reason: &str) -> Verdict {
        Verdict {
            allowed: true,
            reason: reason.into(),
        }
    }

    #[test]
    fn refusals_and_safe_allowances_pass() {
        let s = cluster();
        let refused = Verdict {
            allowed: false,
            reason: "no".into(),
        };
        assert_eq!(
            check_verdict(&s, 2, WorkerState::Draining, &refused),
            Ok(())
        );
        assert_eq!(
            check_verdict(&s, 3, WorkerState::Draining, &allowed("ok")),
            Ok(())
        );
    }

    #[test]
    fn an_allowed_drain_of_the_last_worker_of_a_zone_is_refused_but_can_be_forced() {
        let error = check_verdict(
            &cluster(),
            2,
            WorkerState::Draining,
            &allowed("N3 is a worker too"),
        )
        .unwrap_err();
        assert!(error.hazard_can_be_forced());
        assert_eq!(
            error.to_string(),
            "the policy allowed moving N2 to draining (\"N3 is a worker too\"), but the host refuses it: a change that takes an eligible worker away must leave the replication property satisfiable: without N2, 1 zone(s) available, the replication property requires 2; pass --force to override"
        );
    }

    #[test]
    fn disabling_a_node_in_use_cannot_be_forced() {
        let error =
            check_verdict(&cluster(), 1, WorkerState::Disabled, &allowed("fine")).unwrap_err();
        assert!(!error.hazard_can_be_forced());
        assert!(error.to_string().ends_with("; this cannot be forced"));
    }
}
