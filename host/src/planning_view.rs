//! A decommission's planning view: the snapshot a wave is planned on, in which the nodes queued
//! for later waves are no placement candidates (draining, for the policy's eyes only), so no
//! wave ever puts a replica on a node that is to leave after it; and the rounds planned on that
//! view brought back to the real snapshot, where the queued nodes are still what they are.
//!
//! Only the policy sees the view. What the plan says to do is checked again on the real
//! snapshot: every step by the invariant checker, and the policy's transitions of queued nodes
//! (in the view they drain and then are disabled) are dropped, since in the cluster those nodes
//! have not been asked to drain yet; their own wave asks for it.

use worker_policy_model::invariants::PlanChecker;
use worker_policy_model::{NodeId, Plan, Snapshot, WorkerState};

use crate::error::Error;
use crate::hooks::Hook;

/// `snapshot` with each of `queued` that is not disabled moved to draining: the policy places
/// nothing on them, and moves what they hold to the nodes that stay.
pub fn without_candidates(snapshot: &Snapshot, queued: &[NodeId]) -> Snapshot {
    let mut view = snapshot.clone();
    for node in &mut view.nodes {
        if queued.contains(&node.id) && node.worker_state != WorkerState::Disabled {
            node.worker_state = WorkerState::Draining;
        }
    }
    view
}

/// The `rounds` planned on the view of `real` that hid `queued`, as they apply to `real`: the
/// transitions of queued nodes left out, every other transition and every step checked by the
/// invariant checker on the real snapshot, round after round; with the snapshot they lead to.
pub fn bring_back(
    real: &Snapshot,
    rounds: &[Plan],
    queued: &[NodeId],
) -> Result<(Vec<Plan>, Snapshot), Error> {
    let mut current = real.clone();
    let mut kept = Vec::with_capacity(rounds.len());
    for plan in rounds {
        let mut checker = PlanChecker::new(current);
        let transitions: Vec<_> = plan
            .transitions
            .iter()
            .filter(|t| !queued.contains(&t.node))
            .cloned()
            .collect();
        for t in &transitions {
            checker
                .transition(t)
                .map_err(|v| Error::violation(Hook::Reconcile, v))?;
        }
        checker.begin_answer();
        checker
            .steps(&plan.steps)
            .map_err(|v| Error::violation(Hook::Rebalance, v))?;
        current = checker.into_snapshot();
        let plan = Plan {
            transitions,
            steps: plan.steps.clone(),
        };
        if !plan.is_empty() {
            kept.push(plan);
        }
    }
    Ok((kept, current))
}

#[cfg(test)]
mod tests {
    use super::*;
    use worker_policy_model::{Node, Partition, Replication, Step, StepOp, Transition};

    /// `{zone: 1, node: 2}` in one zone: N1 draining, N2 queued, N3 and N4 active; partition 0
    /// on N1 and N2, led by N2.
    fn cluster() -> Snapshot {
        let mut nodes: Vec<Node> = (1..=4).map(|id| Node::worker(id, "a")).collect();
        nodes[0].worker_state = WorkerState::Draining;
        Snapshot {
            replication: Replication::parse("{node: 2}").unwrap(),
            nodes,
            partitions: vec![Partition::placed(0, &[1, 2], Some(2))],
        }
    }

    fn step(op: StepOp, node: NodeId) -> Step {
        Step {
            op,
            partition: 0,
            node,
            reason: String::new(),
        }
    }

    #[test]
    fn queued_nodes_are_no_candidates_in_the_view_and_disabled_ones_stay() {
        let mut s = cluster();
        s.nodes[3].worker_state = WorkerState::Disabled;
        let view = without_candidates(&s, &[2, 4]);
        let states: Vec<_> = view.nodes.iter().map(|n| n.worker_state).collect();
        use WorkerState::{Active, Disabled, Draining};
        assert_eq!(states, [Draining, Draining, Active, Disabled]);
        assert_eq!(view.partitions, s.partitions);
    }

    #[test]
    fn the_queued_nodes_transitions_are_dropped_and_every_step_is_checked_on_the_real_snapshot() {
        let s = cluster();
        let moved = Plan {
            transitions: Vec::new(),
            steps: vec![
                step(StepOp::AddReplica, 3),
                step(StepOp::AddReplica, 4),
                step(StepOp::SetLeader, 3),
                step(StepOp::RemoveReplica, 1),
                step(StepOp::RemoveReplica, 2),
            ],
        };
        let disable = |node| Transition {
            node,
            from: WorkerState::Draining,
            to: WorkerState::Disabled,
            reason: String::new(),
        };
        let disabled = Plan {
            transitions: vec![disable(1), disable(2)],
            steps: Vec::new(),
        };
        let (rounds, after) = bring_back(&s, &[moved, disabled], &[2]).unwrap();
        assert_eq!(rounds.len(), 2);
        assert_eq!(rounds[1].transitions, [disable(1)]);
        assert_eq!(after.node(2).unwrap().worker_state, WorkerState::Active);
        assert_eq!(after.node(1).unwrap().worker_state, WorkerState::Disabled);
        assert_eq!(after.partition(0).unwrap().replicas, [3, 4]);

        let onto_a_draining_node = Plan {
            transitions: Vec::new(),
            steps: vec![step(StepOp::AddReplica, 1)],
        };
        assert!(bring_back(&s, &[onto_a_draining_node], &[2]).is_err());
    }
}
