//! The ten safety properties the conformance suite certifies (9 and 10 only for policies that
//! speak contract 0.2.0), with the stable ids and names
//! reports and scripts rely on, and how a host error met while checking one of them is
//! attributed to the property it actually breaks (a broken invariant names its own property;
//! a trap, timeout or memory fault is a failure of whatever was being checked).

use std::fmt;

use worker_policy_model::invariants::Invariant;

use crate::error::{Error, PolicyFault};

/// A safety property every policy must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Property {
    /// New replicas go only to alive, active workers.
    PlacementEligibility,
    /// Verdicts and `reconcile` never allow a transition the model calls a hazard.
    TransitionRules,
    /// No partition ever drops below its replica count or domain spread while a plan applies.
    MakeBeforeBreak,
    /// Repeated evaluation empties draining nodes and reaches an empty plan, or a typed error.
    Convergence,
    /// Leaders sit on a replica of their partition on an active node.
    LeaderPlacement,
    /// The same input gives the same answer, whatever the order of nodes and partitions.
    Determinism,
    /// A balanced cluster gives an empty plan; plans do not flap.
    Stability,
    /// Answers name only known nodes and partitions, give every verdict, transition and step a
    /// reason, without duplicate or contradictory steps; settings are accepted or refused with a
    /// message, never with a fault.
    ContractHygiene,
    /// No plan changes the replica set of a frozen partition (contract 0.2.0).
    Freezes,
    /// A settled partition with a leader affinity is led where the affinity points, when an
    /// eligible replica is there (contract 0.2.0).
    LeaderAffinity,
}

impl Property {
    /// Every property, by id.
    pub const ALL: [Property; 10] = [
        Property::PlacementEligibility,
        Property::TransitionRules,
        Property::MakeBeforeBreak,
        Property::Convergence,
        Property::LeaderPlacement,
        Property::Determinism,
        Property::Stability,
        Property::ContractHygiene,
        Property::Freezes,
        Property::LeaderAffinity,
    ];

    /// The stable number of the property, 1 to 10.
    pub fn id(self) -> u8 {
        self as u8 + 1
    }

    /// The stable name of the property.
    pub fn name(self) -> &'static str {
        match self {
            Property::PlacementEligibility => "placement-eligibility",
            Property::TransitionRules => "transition-rules",
            Property::MakeBeforeBreak => "make-before-break",
            Property::Convergence => "convergence",
            Property::LeaderPlacement => "leader-placement",
            Property::Determinism => "determinism",
            Property::Stability => "stability",
            Property::ContractHygiene => "contract-hygiene",
            Property::Freezes => "freezes",
            Property::LeaderAffinity => "leader-affinity",
        }
    }

    /// The property in one sentence.
    pub fn rule(self) -> &'static str {
        match self {
            Property::PlacementEligibility => {
                "new replicas go only to alive, active workers; provisioning, draining, disabled and dead nodes never receive one"
            }
            Property::TransitionRules => {
                "no verdict allows and reconcile never makes a transition the state machine has no edge for, that disables a node holding or leading anything, or that makes the replication property unsatisfiable; reconcile never takes an alive active or provisioning node out of service; refusing a safe request is not a failure"
            }
            Property::MakeBeforeBreak => {
                "applied step by step, a plan never leaves a partition with fewer serving replicas than the factor or less domain spread than the property"
            }
            Property::Convergence => {
                "evaluate-and-apply empties every draining node and reaches an empty plan with every partition placed and replicated; when capacity does not allow it, a typed insufficient-nodes error"
            }
            Property::LeaderPlacement => {
                "leaders sit on a replica of their partition on an alive, active worker"
            }
            Property::Determinism => {
                "the same input gives the same answer, and shuffled nodes, partitions and replicas give the same decisions"
            }
            Property::Stability => {
                "a balanced cluster gives an empty plan, and applying a plan then re-evaluating never flaps"
            }
            Property::ContractHygiene => {
                "answers name only known nodes and partitions, give every verdict, transition and step a reason that is not blank, repeat nothing, contradict nothing and keep the move budget; settings are accepted or refused with a message, never with a fault"
            }
            Property::Freezes => {
                "no plan adds or removes a replica of a placed partition with a placement freeze; its leader may move among its replicas, and an unplaced frozen partition may be placed"
            }
            Property::LeaderAffinity => {
                "in the settled cluster, a partition with a leader affinity is led by a replica on an alive, active worker that matches it, whenever its replica set has one"
            }
        }
    }

    /// The property that a broken invariant of the host's plan checker breaks.
    pub fn of_invariant(invariant: Invariant) -> Property {
        match invariant {
            Invariant::EligibleTarget => Property::PlacementEligibility,
            Invariant::DisableOnlyWhenEmpty | Invariant::ReconcileKeepsCapacity => {
                Property::TransitionRules
            }
            Invariant::ReplicaFloor | Invariant::DomainSpread => Property::MakeBeforeBreak,
            Invariant::LeaderOnReplica => Property::LeaderPlacement,
            Invariant::KnownNode
            | Invariant::KnownPartition
            | Invariant::TransitionFromCurrent
            | Invariant::RemoveOnlyHeld
            | Invariant::NoContradictorySteps
            | Invariant::MoveBudget => Property::ContractHygiene,
            Invariant::FrozenReplicaSet => Property::Freezes,
            Invariant::PlacedInFull => Property::Convergence,
        }
    }
}

impl fmt::Display for Property {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.id(), self.name())
    }
}

/// The property `error` breaks when it came up while the suite checked `checking`, and why.
pub(crate) fn attribute(error: &Error, checking: Property) -> (Property, String) {
    let during = |what: &str| {
        (
            checking,
            format!("{what} while the suite checked {checking}, so that check fails"),
        )
    };
    match error {
        Error::Fault(PolicyFault::Violation { hook, violation }) => {
            let property = Property::of_invariant(violation.invariant);
            (
                property,
                format!(
                    "the host refused the answer to `{hook}` at {}, which breaks invariant `{}`: {}",
                    violation.at,
                    violation.invariant,
                    property.rule()
                ),
            )
        }
        Error::Fault(PolicyFault::OversizedAnswer { .. }) => (
            Property::ContractHygiene,
            "the answer has more items than any plan for this snapshot needs".into(),
        ),
        Error::Fault(PolicyFault::OversizedCrossing { .. }) => (
            Property::ContractHygiene,
            "the answer is more data than any plan for this snapshot needs".into(),
        ),
        Error::Fault(PolicyFault::OversizedText { field, .. }) => (
            Property::ContractHygiene,
            format!("the answer's `{field}` is longer than any string a policy may hand the host"),
        ),
        Error::Fault(PolicyFault::Loops { .. }) => (
            Property::Stability,
            "the plans lead back to a cluster state seen before: the policy flaps".into(),
        ),
        Error::Fault(PolicyFault::FalseInsufficient { .. }) => (
            Property::Convergence,
            "the eligible workers can satisfy the replication property, yet the policy answers insufficient nodes".into(),
        ),
        Error::Fault(PolicyFault::NoConvergence { .. }) => {
            (Property::Convergence, "the plan never becomes empty".into())
        }
        Error::Fault(PolicyFault::Trap { .. }) => during("the policy trapped"),
        Error::Fault(PolicyFault::Timeout { .. }) => during("the policy ran past its deadline"),
        Error::Fault(PolicyFault::OutOfFuel { .. }) => during("the policy ran out of fuel"),
        Error::Fault(PolicyFault::OutOfMemory { .. }) => during("the policy ran out of memory"),
        Error::Refused(_) => during("the policy refused to answer a valid snapshot"),
        _ => during("the call failed"),
    }
}
