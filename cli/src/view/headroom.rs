//! Where a cluster has no headroom left after a change (the model's
//! [`worker_policy::headroom`]): in JSON, and as table lines (`headroom  zone b keeps 1
//! eligible worker(s) (N6) ...`).

use serde::Serialize;
use worker_policy::headroom::{headroom, Headroom};
use worker_policy_model::{NodeId, Snapshot};

/// One place without headroom.
#[derive(Debug, Serialize)]
pub struct HeadroomView {
    /// `last-failure` (one more node lost there leaves the replication property unsatisfiable)
    /// or `overloaded` (a node above twice the mean replica count).
    pub kind: &'static str,
    /// The whole in words.
    pub message: String,
    /// The domain's eligible workers, or the overloaded node.
    pub nodes: Vec<NodeId>,
}

impl From<&Headroom> for HeadroomView {
    fn from(found: &Headroom) -> HeadroomView {
        let (kind, nodes) = match found {
            Headroom::LastFailure { workers, .. } => ("last-failure", workers.clone()),
            Headroom::Overloaded { node, .. } => ("overloaded", vec![*node]),
        };
        HeadroomView {
            kind,
            message: found.to_string(),
            nodes,
        }
    }
}

/// Where `snapshot` has no headroom left, in the model's order.
pub fn headroom_of(snapshot: &Snapshot) -> Vec<HeadroomView> {
    headroom(snapshot).iter().map(HeadroomView::from).collect()
}

/// One table line per place without headroom; empty when there are none.
pub fn headroom_table(found: &[HeadroomView]) -> String {
    found
        .iter()
        .map(|h| format!("headroom  {}\n", h.message))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::tests::assert_keys_sorted;

    #[test]
    fn lines_and_json_keys() {
        let view = HeadroomView {
            kind: "overloaded",
            message: "N6 holds 18 replica(s)".into(),
            nodes: vec![6],
        };
        assert_eq!(
            headroom_table(std::slice::from_ref(&view)),
            "headroom  N6 holds 18 replica(s)\n"
        );
        assert_keys_sorted(&view);
    }
}
