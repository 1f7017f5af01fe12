//! Both policies' `validate-transition` verdicts on every node and every target state, and
//! where they differ: one allows what the other refuses, or one of them fails (an allowance the
//! host's verdict check refuses is a failure, as `transition` treats it).

use worker_policy_model::{NodeId, Snapshot, Verdict, WorkerState};

use super::outcome::Outcome;
use crate::error::{Error, PolicyFault};
use crate::hooks::PolicyHooks;
use crate::verdict_check::check_verdict;

/// A request the two policies answer differently.
#[derive(Debug, Clone, PartialEq)]
pub struct VerdictDifference {
    /// The node asked about.
    pub node: NodeId,
    /// Its state in the snapshot.
    pub from: WorkerState,
    /// The state asked for.
    pub to: WorkerState,
    /// The current policy's verdict.
    pub current: Outcome<Verdict>,
    /// The candidate's verdict.
    pub candidate: Outcome<Verdict>,
}

/// How many requests were asked, and the ones whose verdicts differ.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Verdicts {
    /// Requests asked of both policies: every node times every state.
    pub compared: u32,
    /// The requests answered differently, by node and then target state.
    pub differences: Vec<VerdictDifference>,
}

impl Verdicts {
    /// How many verdicts failed, on either side.
    pub fn failures(&self) -> usize {
        self.differences
            .iter()
            .map(|d| usize::from(d.current.is_failure()) + usize::from(d.candidate.is_failure()))
            .sum()
    }
}

/// Asks both policies about every node of `snapshot` (by id) and every target state.
pub fn compare_verdicts(
    current: &dyn PolicyHooks,
    candidate: &dyn PolicyHooks,
    snapshot: &Snapshot,
) -> Verdicts {
    let mut nodes: Vec<(NodeId, WorkerState)> = snapshot
        .nodes
        .iter()
        .map(|n| (n.id, n.worker_state))
        .collect();
    nodes.sort_unstable();
    let mut verdicts = Verdicts::default();
    for (node, from) in nodes {
        for to in WorkerState::ALL {
            let ask = |policy: &dyn PolicyHooks| Outcome::from(checked(policy, snapshot, node, to));
            let (a, b) = (ask(current), ask(candidate));
            verdicts.compared += 1;
            if !same_decision(&a, &b) {
                verdicts.differences.push(VerdictDifference {
                    node,
                    from,
                    to,
                    current: a,
                    candidate: b,
                });
            }
        }
    }
    verdicts
}

/// The policy's verdict on moving `node` to `to`, as `transition` takes it: an allowance the
/// host refuses (a transition no policy may allow) is the policy's fault.
fn checked(
    policy: &dyn PolicyHooks,
    snapshot: &Snapshot,
    node: NodeId,
    to: WorkerState,
) -> Result<Verdict, Error> {
    let verdict = policy.validate_transition(snapshot, node, to)?;
    check_verdict(snapshot, node, to, &verdict).map_err(PolicyFault::from)?;
    Ok(verdict)
}

/// Whether two verdicts decide the same: both allow, both refuse (reasons aside), or both
/// refuse with the same typed error. A failure never decides the same as anything.
fn same_decision(a: &Outcome<Verdict>, b: &Outcome<Verdict>) -> bool {
    match (a, b) {
        (Outcome::Answered(a), Outcome::Answered(b)) => a.allowed == b.allowed,
        (Outcome::Refused(a), Outcome::Refused(b)) => a == b,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::Failure;
    use crate::error::ErrorClass;

    fn verdict(allowed: bool, reason: &str) -> Outcome<Verdict> {
        Outcome::Answered(Verdict {
            allowed,
            reason: reason.into(),
        })
    }

    #[test]
    fn reasons_do_not_count_but_allowing_and_failing_do() {
        assert!(same_decision(&verdict(true, "a"), &verdict(true, "b")));
        assert!(!same_decision(&verdict(true, "a"), &verdict(false, "a")));
        let failed = Outcome::Failed(Failure {
            class: ErrorClass::PolicyFault,
            message: "trap".into(),
        });
        assert!(!same_decision(&failed, &failed.clone()));
    }
}
