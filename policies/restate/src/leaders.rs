//! Restate's `select_leader`, as its scheduler calls it on a replica set this policy selects.
//!
//! Restate scores each alive member 3 when it matches the leader affinity and is caught up, 2
//! when caught up, 1 when it matches the affinity only, 0 otherwise, and takes the last of the
//! equal maxima in the stored order. A snapshot carries no affinity and no catch-up state, so
//! every alive member counts as caught up without affinity: they all score 2, and the leader
//! is the last alive member of the selected order.

use worker_policy_model::NodeId;

/// The leader of a replica set stored in `order`: its last member for which `alive` holds.
pub fn select_leader(order: &[NodeId], alive: impl Fn(NodeId) -> bool) -> Option<NodeId> {
    order.iter().rev().copied().find(|&n| alive(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_alive_member_of_the_order_leads() {
        assert_eq!(select_leader(&[11, 8, 3], |_| true), Some(3));
        assert_eq!(select_leader(&[11, 8, 3], |n| n != 3), Some(8));
        assert_eq!(select_leader(&[11, 8, 3], |_| false), None);
        assert_eq!(select_leader(&[], |_| true), None);
    }
}
