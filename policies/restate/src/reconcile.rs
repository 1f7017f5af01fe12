//! The worker-state changes Restate makes by itself: a provisioning worker becomes active once
//! it is up (its partition processor manager starts). Nothing else: Restate never disables a
//! drained node by itself (operators use `--force`).

use worker_policy_model::snapshot::NodeLabel;
use worker_policy_model::{PolicyError, Roles, Snapshot, Transition, WorkerState};

/// The transitions, sorted by node id: every alive provisioning worker becomes active.
pub fn reconcile(snapshot: &Snapshot) -> Result<Vec<Transition>, PolicyError> {
    snapshot
        .check_replica_sets()
        .map_err(|e| PolicyError::InvalidSnapshot(e.to_string()))?;
    let mut nodes: Vec<_> = snapshot
        .nodes
        .iter()
        .filter(|n| {
            n.roles.contains(Roles::WORKER)
                && n.alive
                && n.worker_state == WorkerState::Provisioning
        })
        .collect();
    nodes.sort_by_key(|n| n.id);
    Ok(nodes
        .into_iter()
        .map(|n| Transition {
            node: n.id,
            from: WorkerState::Provisioning,
            to: WorkerState::Active,
            reason: format!(
                "{} is up: its partition processor manager has started, so it becomes active and joins placement (as a Restate node does by itself).",
                NodeLabel(n.id)
            ),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{apply_transitions, node, partition, snapshot};
    use WorkerState::{Active, Disabled, Draining, Provisioning};

    #[test]
    fn activates_alive_provisioned_workers_and_never_disables_drained_ones() {
        let mut nodes = vec![
            node(4, "", Draining),
            node(1, "", Provisioning),
            node(2, "", Provisioning),
            node(3, "", Disabled),
            node(5, "", Active),
            node(6, "", Provisioning),
        ];
        nodes[2].alive = false;
        nodes[5].roles = Roles::ADMIN;
        let s = snapshot("1", nodes, vec![partition(0, &[5])]);
        let t = reconcile(&s).unwrap();
        let got: Vec<_> = t.iter().map(|t| (t.node, t.from, t.to)).collect();
        assert_eq!(got, vec![(1, Provisioning, Active)], "{t:?}");
        assert!(t[0].reason.contains("N1 is up"), "{}", t[0].reason);
        apply_transitions(&s, &t);
    }
}
