//! Nodes that look like they are still joining the cluster.
//!
//! On a live Restate 1.7.12 cluster a node that has just started shows in SQL `nodes` at once,
//! with `worker_state: active` but `state: dead`, and turns alive about 6 s later (5.0-5.3 s
//! measured); `provisioning` was never seen. Nothing else in the row tells it apart: its
//! `gen_node_id` is `N<id>:1`, its `binary_version` is already the real one (it registers
//! itself with it; `0.0.0-unknown` never showed), its log-server `storage_state` is already
//! `read-write`. A node that died and that Restate has emptied since (its scheduler moves
//! unfrozen partitions off dead nodes) looks the same: measured, `N5:1`, dead, active,
//! holding nothing, 20 s after it was stopped.
//!
//! So the heuristic is: a worker that SQL reports dead, whose worker state is `active`, that
//! holds no replica, is in no `next` set and leads nothing. It is a note, not a change: the
//! node stays dead in the snapshot (no policy places on a dead node), and the note says to
//! dump again in a few seconds to tell a joining node from a dead one.

use std::collections::BTreeSet;

use worker_policy_model::{NodeId, Roles, Snapshot, WorkerState};

use crate::ids::plain_label;

/// One note per node of `snapshot` that SQL reported dead (`sql_dead`) and that looks like a
/// node still joining.
pub fn notes(snapshot: &Snapshot, sql_dead: &BTreeSet<NodeId>) -> Vec<String> {
    snapshot
        .nodes
        .iter()
        .filter(|n| sql_dead.contains(&n.id) && !n.alive)
        .filter(|n| n.roles.contains(Roles::WORKER) && n.worker_state == WorkerState::Active)
        .filter(|n| snapshot.usage(n.id).is_idle())
        .map(|n| {
            let id = plain_label(n.id);
            format!(
                "{id} is active but dead: it looks like a node still joining (it holds no replica and leads nothing; a new node is reported dead for about 6 s), or one that died and that Restate has emptied; the default policy places nothing on it until it is alive: import again in a few seconds to tell"
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use worker_policy_model::{Node, Partition, Replication};

    use super::*;

    fn cluster() -> Snapshot {
        let mut nodes: Vec<Node> = (1..=5).map(|id| Node::worker(id, "eu.a")).collect();
        for n in &mut nodes[3..] {
            n.alive = false;
        }
        nodes[4].worker_state = WorkerState::Draining;
        Snapshot {
            replication: Replication::nodes(2).unwrap(),
            nodes,
            partitions: vec![Partition::placed(0, &[1, 2], Some(1))],
        }
    }

    #[test]
    fn a_dead_active_worker_that_holds_nothing_is_named() {
        let s = cluster();
        let notes = notes(&s, &BTreeSet::from([4, 5]));
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(notes[0].starts_with("N4 is active but dead: it looks like a node still joining"));
    }

    #[test]
    fn holding_a_replica_a_next_slot_or_being_dead_by_hand_is_not_joining() {
        let mut s = cluster();
        assert!(
            notes(&s, &BTreeSet::new()).is_empty(),
            "--dead is the operator's word"
        );
        s.partitions[0].next = Some(vec![4]);
        assert!(notes(&s, &BTreeSet::from([4])).is_empty());
        s.partitions[0].next = None;
        s.partitions[0].replicas.push(4);
        assert!(notes(&s, &BTreeSet::from([4])).is_empty());
    }
}
