//! A policy's steps as the contract's plan: each step names its reason by index in a table
//! where every distinct reason is written once, in the order of first use (so the same steps
//! always make the same plan).

use std::collections::HashMap;

use worker_policy_model as model;

use crate::bindings::worker_policy::policy::types as wit;

/// The contract's form of the steps: the steps with reason indexes, and the reason table.
pub fn plan_to_wit(steps: Vec<model::Step>) -> wit::Plan {
    let mut reasons: Vec<String> = Vec::new();
    let mut indexes: HashMap<String, u32> = HashMap::new();
    let steps = steps
        .into_iter()
        .map(|step| {
            let reason = *indexes.entry(step.reason).or_insert_with_key(|reason| {
                reasons.push(reason.clone());
                // A plan has fewer than 2^32 steps: the contract counts them in u32 too.
                u32::try_from(reasons.len() - 1).unwrap_or(u32::MAX)
            });
            wit::Step {
                op: step_op_to_wit(step.op),
                partition: step.partition,
                node: step.node,
                reason,
            }
        })
        .collect();
    wit::Plan { steps, reasons }
}

/// The contract's form of a step operation (a policy only sends them).
fn step_op_to_wit(op: model::StepOp) -> wit::StepOp {
    match op {
        model::StepOp::AddReplica => wit::StepOp::AddReplica,
        model::StepOp::RemoveReplica => wit::StepOp::RemoveReplica,
        model::StepOp::SetLeader => wit::StepOp::SetLeader,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::StepOp::{AddReplica, RemoveReplica, SetLeader};

    /// The plan's steps back with their reasons written out.
    fn steps_from_wit(plan: &wit::Plan) -> Vec<(u8, u32, u32, &str)> {
        plan.steps
            .iter()
            .map(|s| {
                let reason = &plan.reasons[s.reason as usize];
                (s.op as u8, s.partition, s.node, reason.as_str())
            })
            .collect()
    }

    #[test]
    fn every_op_goes_out_in_the_contracts_order() {
        for op in model::StepOp::ALL {
            let plan = plan_to_wit(vec![model::Step::new(op, 3, 9, "because")]);
            assert_eq!(plan.steps[0].op as u8, op as u8, "{op}");
        }
    }

    #[test]
    fn each_reason_is_written_once_in_the_order_of_first_use() {
        let steps = vec![
            model::Step::new(AddReplica, 1, 4, "drain N2"),
            model::Step::new(SetLeader, 1, 4, "balance leaders"),
            model::Step::new(RemoveReplica, 1, 2, "drain N2"),
            model::Step::new(AddReplica, 2, 5, "restore the replication property"),
            model::Step::new(SetLeader, 2, 5, "balance leaders"),
        ];
        let plan = plan_to_wit(steps.clone());
        assert_eq!(
            plan.reasons,
            [
                "drain N2",
                "balance leaders",
                "restore the replication property"
            ]
        );
        assert_eq!(
            plan.steps.iter().map(|s| s.reason).collect::<Vec<_>>(),
            [0, 1, 0, 2, 1]
        );
        let expected: Vec<_> = steps
            .iter()
            .map(|s| (s.op as u8, s.partition, s.node, s.reason.as_str()))
            .collect();
        assert_eq!(steps_from_wit(&plan), expected);
        let again = plan_to_wit(steps.clone());
        assert_eq!(
            (steps_from_wit(&again), again.reasons.clone()),
            (expected, plan.reasons.clone()),
            "deterministic"
        );
    }

    #[test]
    fn no_steps_is_an_empty_plan() {
        let plan = plan_to_wit(Vec::new());
        assert!(plan.steps.is_empty() && plan.reasons.is_empty());
    }
}
