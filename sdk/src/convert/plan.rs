//! A policy's steps as the contract's plan: each step names its reason by index in a table
//! where every distinct reason is written once, in the order of first use (so the same steps
//! always make the same plan).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use worker_policy_model as model;

use crate::bindings::worker_policy::policy::types as wit;

/// The contract's form of the steps: the steps with reason indexes, and the reason table. Two
/// passes and no copy of a reason: the first finds each distinct reason's index (borrowing the
/// steps' strings), the second moves each reason into the table at its first use.
pub fn plan_to_wit(steps: Vec<model::Step>) -> wit::Plan {
    let mut indexes: HashMap<&str, u32, BuildHasherDefault<WordHasher>> =
        HashMap::with_capacity_and_hasher(steps.len(), Default::default());
    let mut first_use = Vec::new();
    let numbered: Vec<u32> = (steps.iter().enumerate())
        .map(|(i, step)| {
            let next = indexes.len() as u32;
            *indexes.entry(step.reason.as_str()).or_insert_with(|| {
                first_use.push(i);
                next
            })
        })
        .collect();
    drop(indexes);
    let mut reasons = Vec::with_capacity(first_use.len());
    let mut first_use = first_use.into_iter().peekable();
    let steps = (steps.into_iter().zip(numbered).enumerate())
        .map(|(i, (step, reason))| {
            if first_use.next_if_eq(&i).is_some() {
                reasons.push(step.reason);
            }
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

/// A fast hasher for reason strings (FxHash's mixing, eight bytes at a time): the table is
/// built inside the policy's own call, from its own strings, so it needs speed, not resistance
/// to crafted collisions.
#[derive(Default)]
struct WordHasher(u64);

impl Hasher for WordHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let word = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
            self.add(word);
        }
        for &byte in chunks.remainder() {
            self.add(u64::from(byte));
        }
    }

    fn write_u8(&mut self, byte: u8) {
        self.add(u64::from(byte));
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

impl WordHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
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
