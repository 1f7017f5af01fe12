//! How a plan step changes a partition. Applying does not check anything: the
//! [`crate::invariants`] checker decides whether a step may be applied.

use crate::plan::StepOp;
use crate::snapshot::{NodeId, Partition};

impl Partition {
    /// Applies one step to this partition.
    pub fn apply(&mut self, op: StepOp, node: NodeId) {
        match op {
            StepOp::AddReplica => {
                self.drop_from_next(node);
                if !self.replicas.contains(&node) {
                    self.replicas.push(node);
                }
            }
            StepOp::RemoveReplica => {
                self.drop_from_next(node);
                self.replicas.retain(|&n| n != node);
                if self.leader == Some(node) {
                    self.leader = None;
                }
            }
            StepOp::SetLeader => self.leader = Some(node),
        }
    }

    fn drop_from_next(&mut self, node: NodeId) {
        if let Some(next) = &mut self.next {
            next.retain(|&n| n != node);
            if next.is_empty() {
                self.next = None;
            }
        }
    }
}
