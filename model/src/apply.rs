//! How a plan step changes a partition. Applying does not check anything: the
//! [`crate::invariants`] checker decides whether a step may be applied.

use crate::plan::StepOp;
use crate::snapshot::{NodeId, Partition};

impl Partition {
    /// Applies one step to this partition.
    pub fn apply(&mut self, op: StepOp, node: NodeId) {
        match op {
            StepOp::AddReplica => {
                if !self.replicas.contains(&node) {
                    self.replicas.push(node);
                }
                self.drop_from_next(node);
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

    /// Takes `node` out of the `next` set. A `next` set left with nothing pending (see
    /// [`Partition::pending_next`]) is done, and neither step could settle its nodes
    /// (`add-replica` refuses a node that holds a replica, `remove-replica` would drop the
    /// replica too), so it is cleared.
    fn drop_from_next(&mut self, node: NodeId) {
        if let Some(next) = &mut self.next {
            next.retain(|&n| n != node);
        }
        if self.pending_next().next().is_none() {
            self.next = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reconfiguration_ends_when_its_last_new_node_is_settled() {
        let mut p = Partition {
            id: 0,
            replicas: vec![1, 2, 3],
            next: Some(vec![2, 3, 4]),
            leader: Some(1),
            freeze: None,
            leader_affinity: None,
        };
        p.apply(StepOp::AddReplica, 4);
        assert_eq!(p.next, None);
        p.apply(StepOp::RemoveReplica, 1);
        assert_eq!((p.replicas, p.next, p.leader), (vec![2, 3, 4], None, None));
        let mut q = Partition {
            id: 1,
            replicas: vec![1, 2],
            next: Some(vec![2, 5]),
            leader: None,
            freeze: None,
            leader_affinity: None,
        };
        q.apply(StepOp::RemoveReplica, 5);
        assert_eq!(q.next, None);
    }
}
