//! Where two policies' decisions on one snapshot differ: transitions, steps only in one plan,
//! and verdicts (with both reasons).

use serde::Serialize;
use worker_policy::compare::{
    Outcome, PlanDifference, StepKey, TransitionDifference, VerdictDifference, Verdicts,
};
use worker_policy_model::snapshot::node_label;
use worker_policy_model::{NodeId, PartitionId, StepOp, Verdict, WorkerState};

use super::names;

/// How many steps of each side a table lists; JSON lists every one.
pub const LISTED_STEPS: usize = 20;

/// Where two plans differ.
#[derive(Debug, Serialize)]
pub struct PlanDifferenceView {
    /// Steps only the candidate's plan has.
    pub only_candidate: Vec<StepKeyView>,
    /// Steps only the current policy's plan has.
    pub only_current: Vec<StepKeyView>,
    /// Nodes the plans move differently.
    pub transitions: Vec<TransitionDifferenceView>,
}

/// A step, reason aside.
#[derive(Debug, Serialize)]
pub struct StepKeyView {
    /// The node.
    pub node: NodeId,
    /// What it does.
    #[serde(serialize_with = "names::op")]
    pub op: StepOp,
    /// The partition.
    pub partition: PartitionId,
}

/// A node the plans move differently.
#[derive(Debug, Serialize)]
pub struct TransitionDifferenceView {
    /// The state the candidate moves it to; absent when it leaves the node as it is.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "some_state")]
    pub candidate: Option<WorkerState>,
    /// The state the current policy moves it to; absent when it leaves the node as it is.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "some_state")]
    pub current: Option<WorkerState>,
    /// Its state in the snapshot.
    #[serde(serialize_with = "names::state")]
    pub from: WorkerState,
    /// The node.
    pub node: NodeId,
}

/// The verdicts compared, and those that differ.
#[derive(Debug, Serialize)]
pub struct VerdictsView {
    /// Requests asked of both: every node times every state.
    pub compared: u32,
    /// The requests answered differently.
    pub differences: Vec<VerdictDifferenceView>,
}

/// A request the two policies answer differently.
#[derive(Debug, Serialize)]
pub struct VerdictDifferenceView {
    /// The candidate's verdict.
    pub candidate: VerdictView,
    /// The current policy's verdict.
    pub current: VerdictView,
    /// The node's state.
    #[serde(serialize_with = "names::state")]
    pub from: WorkerState,
    /// The node.
    pub node: NodeId,
    /// The state asked for.
    #[serde(serialize_with = "names::state")]
    pub to: WorkerState,
}

/// One verdict: what the policy decided and why.
#[derive(Debug, Serialize)]
pub struct VerdictView {
    /// `allows`, `refuses`, `errs` (a typed error) or `fails`.
    pub decision: &'static str,
    /// The policy's reason, or the error.
    pub reason: String,
}

fn some_state<S: serde::Serializer>(
    state: &Option<WorkerState>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match state {
        Some(state) => names::state(state, serializer),
        None => serializer.serialize_none(),
    }
}

impl From<&StepKey> for StepKeyView {
    fn from(k: &StepKey) -> StepKeyView {
        StepKeyView {
            node: k.node,
            op: k.op,
            partition: k.partition,
        }
    }
}

impl From<&PlanDifference> for PlanDifferenceView {
    fn from(d: &PlanDifference) -> PlanDifferenceView {
        PlanDifferenceView {
            only_candidate: d.only_candidate.iter().map(StepKeyView::from).collect(),
            only_current: d.only_current.iter().map(StepKeyView::from).collect(),
            transitions: d
                .transitions
                .iter()
                .map(|t: &TransitionDifference| TransitionDifferenceView {
                    candidate: t.candidate,
                    current: t.current,
                    from: t.from,
                    node: t.node,
                })
                .collect(),
        }
    }
}

impl From<&Outcome<Verdict>> for VerdictView {
    fn from(outcome: &Outcome<Verdict>) -> VerdictView {
        let (decision, reason) = match outcome {
            Outcome::Answered(v) if v.allowed => ("allows", v.reason.clone()),
            Outcome::Answered(v) => ("refuses", v.reason.clone()),
            Outcome::Refused(e) => ("errs", e.to_string()),
            Outcome::Failed(f) => ("fails", f.message.clone()),
        };
        VerdictView { decision, reason }
    }
}

impl From<&Verdicts> for VerdictsView {
    fn from(v: &Verdicts) -> VerdictsView {
        VerdictsView {
            compared: v.compared,
            differences: v
                .differences
                .iter()
                .map(|d: &VerdictDifference| VerdictDifferenceView {
                    candidate: VerdictView::from(&d.candidate),
                    current: VerdictView::from(&d.current),
                    from: d.from,
                    node: d.node,
                    to: d.to,
                })
                .collect(),
        }
    }
}

impl PlanDifferenceView {
    /// The transitions and the steps of each side, as aligned text.
    pub fn table(&self) -> String {
        let mut out = String::new();
        if !self.transitions.is_empty() {
            out.push_str(&format!(
                "  transitions that differ ({})\n",
                self.transitions.len()
            ));
        }
        for t in &self.transitions {
            let to = |s: Option<WorkerState>| s.map_or("stays".to_string(), |s| s.to_string());
            out.push_str(&format!(
                "    {:<6} {:<13} current: {}, candidate: {}\n",
                node_label(t.node),
                t.from.to_string(),
                to(t.current),
                to(t.candidate)
            ));
        }
        out.push_str(&steps_table("current", &self.only_current));
        out.push_str(&steps_table("candidate", &self.only_candidate));
        out
    }
}

/// The steps only `side`'s plan has, the first [`LISTED_STEPS`] of them.
fn steps_table(side: &str, steps: &[StepKeyView]) -> String {
    if steps.is_empty() {
        return String::new();
    }
    let mut out = format!("  steps only in {side}'s plan ({})\n", steps.len());
    for s in steps.iter().take(LISTED_STEPS) {
        out.push_str(&format!(
            "    {:<14} partition {:>5}  {}\n",
            s.op.name(),
            s.partition,
            node_label(s.node)
        ));
    }
    if steps.len() > LISTED_STEPS {
        out.push_str(&format!(
            "    ... and {} more (--format json lists every one)\n",
            steps.len() - LISTED_STEPS
        ));
    }
    out
}

impl VerdictsView {
    /// The count, then each verdict that differs with both reasons.
    pub fn table(&self) -> String {
        let mut out = format!(
            "  verdicts   {} compared, {} differ\n",
            self.compared,
            self.differences.len()
        );
        for d in &self.differences {
            let change = format!("{} -> {}", d.from, d.to);
            out.push_str(&format!(
                "    {:<6} {change:<26} current {}: {}\n",
                node_label(d.node),
                d.current.decision,
                d.current.reason
            ));
            out.push_str(&format!(
                "    {:<33} candidate {}: {}\n",
                "", d.candidate.decision, d.candidate.reason
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::tests::assert_keys_sorted;

    #[test]
    fn json_keys_are_sorted_and_long_lists_are_cut_in_the_table() {
        let key = |partition| StepKey {
            partition,
            node: 3,
            op: StepOp::AddReplica,
        };
        let view = PlanDifferenceView::from(&PlanDifference {
            transitions: vec![TransitionDifference {
                node: 4,
                from: WorkerState::Draining,
                current: Some(WorkerState::Disabled),
                candidate: None,
            }],
            only_current: (0..25).map(key).collect(),
            only_candidate: vec![key(99)],
        });
        assert_keys_sorted(&view);
        let table = view.table();
        assert!(
            table.contains("N4     draining      current: disabled, candidate: stays"),
            "{table}"
        );
        assert!(
            table.contains("steps only in current's plan (25)"),
            "{table}"
        );
        assert!(table.contains("... and 5 more"), "{table}");
        assert!(
            table.contains("add-replica    partition    99  N3"),
            "{table}"
        );
        let json = serde_json::to_string(&view.transitions).unwrap();
        assert_eq!(
            json,
            r#"[{"current":"disabled","from":"draining","node":4}]"#
        );
    }

    #[test]
    fn a_verdict_difference_shows_both_reasons() {
        let verdict = |allowed, reason: &str| {
            Outcome::Answered(Verdict {
                allowed,
                reason: reason.into(),
            })
        };
        let view = VerdictsView::from(&Verdicts {
            compared: 8,
            differences: vec![VerdictDifference {
                node: 1,
                from: WorkerState::Draining,
                to: WorkerState::Disabled,
                current: verdict(true, "idle"),
                candidate: verdict(false, "needs --force"),
            }],
        });
        assert_keys_sorted(&view);
        let table = view.table();
        assert!(table.contains("8 compared, 1 differ"), "{table}");
        assert!(
            table.contains("draining -> disabled       current allows: idle"),
            "{table}"
        );
        assert!(
            table.contains("candidate refuses: needs --force"),
            "{table}"
        );
    }
}
