//! Draining nodes that frozen partitions hold, which no plan may empty while the freezes last:
//! each with the frozen partitions (the first few) and their reasons, in JSON and as table
//! lines (`blocked   N4 cannot be emptied: partition 7 is frozen (maintenance)`).

use serde::Serialize;
use worker_policy_model::settled::BlockedDrain;
use worker_policy_model::snapshot::node_label;
use worker_policy_model::{PartitionId, Snapshot};

/// One draining node that frozen partitions hold.
#[derive(Debug, Serialize)]
pub struct BlockedView {
    /// How many frozen partitions hold it.
    pub count: usize,
    /// The first few, with their freeze reasons.
    pub frozen: Vec<FrozenView>,
    /// The node (`N4`).
    pub node: String,
    /// The whole in words.
    pub summary: String,
}

/// A frozen partition and its freeze reason.
#[derive(Debug, Serialize)]
pub struct FrozenView {
    /// The partition.
    pub partition: PartitionId,
    /// Why it is frozen.
    pub reason: String,
}

impl From<&BlockedDrain> for BlockedView {
    fn from(blocked: &BlockedDrain) -> BlockedView {
        BlockedView {
            count: blocked.count,
            frozen: blocked
                .frozen
                .iter()
                .map(|(partition, reason)| FrozenView {
                    partition: *partition,
                    reason: reason.clone(),
                })
                .collect(),
            node: node_label(blocked.node),
            summary: blocked.to_string(),
        }
    }
}

/// The blocked drains of `snapshot`, by node order; empty when nothing is frozen.
pub fn blocked_drains(snapshot: &Snapshot) -> Vec<BlockedView> {
    snapshot.blocked().iter().map(BlockedView::from).collect()
}

/// One table line per blocked drain, and what it means; empty when there are none.
pub fn blocked_table(blocked: &[BlockedView]) -> String {
    if blocked.is_empty() {
        return String::new();
    }
    let mut out: String = blocked
        .iter()
        .map(|b| format!("blocked   {}\n", b.summary))
        .collect();
    out.push_str("          a frozen partition keeps its replicas: the node stays draining, never disabled, until the freeze is lifted\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::tests::assert_keys_sorted;
    use worker_policy_model::{Node, Partition, Replication, WorkerState};

    #[test]
    fn a_blocked_drain_is_named_with_its_freezes() {
        let snapshot = Snapshot {
            replication: Replication::nodes(1).unwrap(),
            nodes: vec![Node {
                worker_state: WorkerState::Draining,
                ..Node::worker(4, "z")
            }],
            partitions: vec![Partition {
                freeze: Some("maintenance".into()),
                ..Partition::placed(7, &[4], Some(4))
            }],
        };
        let blocked = blocked_drains(&snapshot);
        assert_keys_sorted(&blocked[0]);
        assert_eq!(
            blocked_table(&blocked),
            "blocked   N4 cannot be emptied: partition 7 is frozen (maintenance)\n          a frozen partition keeps its replicas: the node stays draining, never disabled, until the freeze is lifted\n"
        );
        assert_eq!(blocked_table(&[]), "");
    }
}
