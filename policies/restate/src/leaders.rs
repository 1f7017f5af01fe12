//! Restate's `select_leader`, as its scheduler calls it on a replica set.
//!
//! Restate scores each alive member 3 when it matches the leader affinity and is caught up, 2
//! when caught up, 1 when it matches the affinity only, 0 otherwise, and takes the last of the
//! equal maxima in the stored order. A snapshot carries no catch-up state, so every alive
//! member counts as caught up: a member the affinity matches scores 3, the others 2, and the
//! leader is the last alive member of the order that the affinity matches, else the last alive
//! member.

use worker_policy_model::NodeId;

/// The leader of a replica set stored in `order`: its last member for which `alive` and
/// `affine` hold, else its last member for which `alive` holds.
pub fn select_leader(
    order: &[NodeId],
    alive: impl Fn(NodeId) -> bool,
    affine: impl Fn(NodeId) -> bool,
) -> Option<NodeId> {
    let mut members = order.iter().rev().copied().filter(|&n| alive(n));
    let last = members.clone().next();
    members.find(|&n| affine(n)).or(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_alive_member_of_the_order_leads() {
        let none = |_| false;
        assert_eq!(select_leader(&[11, 8, 3], |_| true, none), Some(3));
        assert_eq!(select_leader(&[11, 8, 3], |n| n != 3, none), Some(8));
        assert_eq!(select_leader(&[11, 8, 3], |_| false, none), None);
        assert_eq!(select_leader(&[], |_| true, none), None);
    }

    #[test]
    fn an_alive_member_the_affinity_matches_comes_first() {
        assert_eq!(select_leader(&[11, 8, 3], |_| true, |n| n == 11), Some(11));
        assert_eq!(
            select_leader(&[11, 8, 3], |_| true, |n| n == 11 || n == 8),
            Some(8)
        );
        // A dead member is never chosen, whatever its affinity.
        assert_eq!(
            select_leader(&[11, 8, 3], |n| n != 11, |n| n == 11),
            Some(3)
        );
    }
}
