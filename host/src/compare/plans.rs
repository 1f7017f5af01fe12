//! How two plans for the same snapshot differ, as decisions: the transitions each makes per
//! node, and the steps only one of them has, compared as sets of (operation, partition, node)
//! with the reasons aside.

use std::collections::{BTreeMap, BTreeSet};

use worker_policy_model::{NodeId, PartitionId, Plan, StepOp, WorkerState};

/// A step as a decision: what it does, to which partition, on which node. Sorted by
/// partition, then node, then operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StepKey {
    /// The partition.
    pub partition: PartitionId,
    /// The node.
    pub node: NodeId,
    /// What the step does.
    pub op: StepOp,
}

/// A node one plan moves to another state than the other plan does (or moves at all).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransitionDifference {
    /// The node.
    pub node: NodeId,
    /// Its state in the snapshot.
    pub from: WorkerState,
    /// The state the current policy moves it to (`None`: it leaves the node as it is).
    pub current: Option<WorkerState>,
    /// The state the candidate moves it to (`None`: it leaves the node as it is).
    pub candidate: Option<WorkerState>,
}

/// Where two plans differ.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PlanDifference {
    /// Nodes the plans move differently, by node id.
    pub transitions: Vec<TransitionDifference>,
    /// Steps only the current policy's plan has, sorted.
    pub only_current: Vec<StepKey>,
    /// Steps only the candidate's plan has, sorted.
    pub only_candidate: Vec<StepKey>,
}

impl PlanDifference {
    /// How `candidate` differs from `current`.
    pub fn between(current: &Plan, candidate: &Plan) -> PlanDifference {
        let (a, b) = (step_set(current), step_set(candidate));
        PlanDifference {
            transitions: transition_differences(current, candidate),
            only_current: a.difference(&b).copied().collect(),
            only_candidate: b.difference(&a).copied().collect(),
        }
    }

    /// Whether the plans decide the same.
    pub fn is_empty(&self) -> bool {
        self.transitions.is_empty()
            && self.only_current.is_empty()
            && self.only_candidate.is_empty()
    }
}

/// The plan's steps as a set of decisions.
fn step_set(plan: &Plan) -> BTreeSet<StepKey> {
    plan.steps
        .iter()
        .map(|s| StepKey {
            partition: s.partition,
            node: s.node,
            op: s.op,
        })
        .collect()
}

/// Every node the two plans' transitions treat differently, by node id.
fn transition_differences(current: &Plan, candidate: &Plan) -> Vec<TransitionDifference> {
    let mut by_node: BTreeMap<NodeId, TransitionDifference> = BTreeMap::new();
    let mut note = |plan: &Plan, candidate_side: bool| {
        for t in &plan.transitions {
            let entry = by_node.entry(t.node).or_insert(TransitionDifference {
                node: t.node,
                from: t.from,
                current: None,
                candidate: None,
            });
            if candidate_side {
                entry.candidate = Some(t.to);
            } else {
                entry.current = Some(t.to);
            }
        }
    };
    note(current, false);
    note(candidate, true);
    by_node
        .into_values()
        .filter(|d| d.current != d.candidate)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use worker_policy_model::{Step, Transition};

    fn plan(steps: &[(StepOp, PartitionId, NodeId)], to: Option<WorkerState>) -> Plan {
        Plan {
            transitions: to
                .map(|to| Transition {
                    node: 4,
                    from: WorkerState::Draining,
                    to,
                    reason: "r".into(),
                })
                .into_iter()
                .collect(),
            steps: steps
                .iter()
                .map(|&(op, p, n)| Step::new(op, p, n, format!("reason of {p}")))
                .collect(),
        }
    }

    #[test]
    fn steps_are_compared_as_sets_without_reasons_or_order() {
        let a = plan(
            &[(StepOp::AddReplica, 1, 2), (StepOp::SetLeader, 1, 2)],
            None,
        );
        let mut b = plan(
            &[(StepOp::SetLeader, 1, 2), (StepOp::AddReplica, 1, 2)],
            None,
        );
        b.steps[0].reason = "another reason".into();
        assert!(PlanDifference::between(&a, &b).is_empty());
    }

    #[test]
    fn differences_are_sorted_and_name_each_side() {
        let a = plan(
            &[(StepOp::AddReplica, 3, 1), (StepOp::AddReplica, 1, 2)],
            Some(WorkerState::Disabled),
        );
        let b = plan(&[(StepOp::AddReplica, 1, 5)], None);
        let diff = PlanDifference::between(&a, &b);
        let key = |partition, node| StepKey {
            partition,
            node,
            op: StepOp::AddReplica,
        };
        assert_eq!(diff.only_current, vec![key(1, 2), key(3, 1)]);
        assert_eq!(diff.only_candidate, vec![key(1, 5)]);
        assert_eq!(
            diff.transitions,
            vec![TransitionDifference {
                node: 4,
                from: WorkerState::Draining,
                current: Some(WorkerState::Disabled),
                candidate: None,
            }]
        );
    }
}
