//! A plan: transitions and steps in the order to apply them, each with the policy's reason.

use serde::Serialize;
use worker_policy_model::snapshot::node_label;
use worker_policy_model::{NodeId, PartitionId, Plan, StepOp, WorkerState};

use super::names;

/// A plan as the output shows it.
#[derive(Debug, Clone, Serialize)]
pub struct PlanView {
    /// Replica and leader steps, in order.
    pub steps: Vec<StepView>,
    /// Worker-state transitions, applied before the steps.
    pub transitions: Vec<TransitionView>,
}

/// One step of a plan.
#[derive(Debug, Clone, Serialize)]
pub struct StepView {
    /// The node it acts on.
    pub node: NodeId,
    /// What it does.
    #[serde(serialize_with = "names::op")]
    pub op: StepOp,
    /// The partition it acts on.
    pub partition: PartitionId,
    /// Why, in the policy's words.
    pub reason: String,
}

/// One transition of a plan.
#[derive(Debug, Clone, Serialize)]
pub struct TransitionView {
    /// The state the node leaves.
    #[serde(serialize_with = "names::state")]
    pub from: WorkerState,
    /// The node.
    pub node: NodeId,
    /// Why, in the policy's words.
    pub reason: String,
    /// The state the node enters.
    #[serde(serialize_with = "names::state")]
    pub to: WorkerState,
}

impl From<&Plan> for PlanView {
    fn from(plan: &Plan) -> PlanView {
        PlanView {
            steps: plan
                .steps
                .iter()
                .map(|s| StepView {
                    node: s.node,
                    op: s.op,
                    partition: s.partition,
                    reason: s.reason.clone(),
                })
                .collect(),
            transitions: plan
                .transitions
                .iter()
                .map(|t| TransitionView {
                    from: t.from,
                    node: t.node,
                    reason: t.reason.clone(),
                    to: t.to,
                })
                .collect(),
        }
    }
}

impl PlanView {
    /// The plan as aligned text: its transitions, then its numbered steps.
    pub fn table(&self) -> String {
        if self.steps.is_empty() && self.transitions.is_empty() {
            return "plan      empty: nothing to do\n".into();
        }
        let mut out = String::new();
        if !self.transitions.is_empty() {
            out.push_str(&format!("\ntransitions ({})\n", self.transitions.len()));
            for t in &self.transitions {
                let change = format!("{} -> {}", t.from, t.to);
                out.push_str(&format!(
                    "  {:<6} {change:<26} {}\n",
                    node_label(t.node),
                    t.reason
                ));
            }
        }
        if !self.steps.is_empty() {
            out.push_str(&format!("\nsteps ({})\n", self.steps.len()));
            out.push_str(&format!(
                "  {:>5}  {:<14} {:>9}  {:<6} reason\n",
                "#", "op", "partition", "node"
            ));
            for (i, s) in self.steps.iter().enumerate() {
                out.push_str(&format!(
                    "  {:>5}  {:<14} {:>9}  {:<6} {}\n",
                    i + 1,
                    s.op.name(),
                    s.partition,
                    node_label(s.node),
                    s.reason
                ));
            }
        }
        out
    }

    /// One line counting the transitions and the steps by kind.
    pub fn summary(&self) -> String {
        let count = |op| self.steps.iter().filter(|s| s.op == op).count();
        format!(
            "{} transition(s), {} step(s): {} replica(s) added, {} removed, {} leader change(s)",
            self.transitions.len(),
            self.steps.len(),
            count(StepOp::AddReplica),
            count(StepOp::RemoveReplica),
            count(StepOp::SetLeader)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use worker_policy_model::{Step, Transition};

    fn plan() -> Plan {
        Plan {
            transitions: vec![Transition {
                node: 4,
                from: WorkerState::Provisioning,
                to: WorkerState::Active,
                reason: "alive".into(),
            }],
            steps: vec![Step {
                op: StepOp::AddReplica,
                partition: 2,
                node: 4,
                reason: "balance".into(),
            }],
        }
    }

    #[test]
    fn json_names_states_and_ops_with_keys_sorted() {
        let view = PlanView::from(&plan());
        crate::output::tests::assert_keys_sorted(&view);
        let json = serde_json::to_string(&view).unwrap();
        assert_eq!(
            json,
            r#"{"steps":[{"node":4,"op":"add-replica","partition":2,"reason":"balance"}],"transitions":[{"from":"provisioning","node":4,"reason":"alive","to":"active"}]}"#
        );
    }

    #[test]
    fn the_table_numbers_steps_and_the_summary_counts_them() {
        let view = PlanView::from(&plan());
        assert!(view
            .table()
            .contains("  N4     provisioning -> active     alive\n"));
        assert!(view
            .table()
            .contains("      1  add-replica            2  N4     balance\n"));
        assert_eq!(
            view.summary(),
            "1 transition(s), 1 step(s): 1 replica(s) added, 0 removed, 0 leader change(s)"
        );
        assert_eq!(
            PlanView::from(&Plan::default()).table(),
            "plan      empty: nothing to do\n"
        );
    }
}
