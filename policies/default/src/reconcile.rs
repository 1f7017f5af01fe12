//! The worker-state changes the policy makes by itself: what Restate does on its own
//! (provisioning -> active once the worker is up) and what it leaves to operators
//! (draining -> disabled once nothing is left on the node).

use std::cell::OnceCell;

use worker_policy_model::snapshot::{node_label, NodeUsage};
use worker_policy_model::{NodeId, PolicyError, Roles, Snapshot, Transition, WorkerState};

use crate::cluster::Cluster;

/// The transitions, sorted by node id: an alive provisioning worker becomes active; a draining
/// worker that no partition holds (replicas or `next`) and that leads nothing becomes disabled
/// (so one that a frozen partition holds never is).
/// Dead provisioning workers stay as they are.
pub fn reconcile(snapshot: &Snapshot) -> Result<Vec<Transition>, PolicyError> {
    let cluster = Cluster::new(snapshot)?;
    // What every node holds and leads, counted in one pass when the first draining node asks:
    // a pass per draining node would cost a decommission of many nodes at once dearly.
    let usage = OnceCell::new();
    let is_idle = |id: NodeId| {
        let usage: &Vec<NodeUsage> = usage.get_or_init(|| snapshot.usage_by_node());
        let at = snapshot.nodes.iter().rposition(|n| n.id == id);
        at.is_some_and(|at| usage[at].is_idle())
    };
    let mut out = Vec::new();
    for node in &cluster.nodes {
        if !node.roles.contains(Roles::WORKER) {
            continue;
        }
        let label = node_label(node.id);
        let (to, reason) = match node.worker_state {
            WorkerState::Provisioning if node.alive => (
                WorkerState::Active,
                format!("{label} is up: it becomes active and joins placement."),
            ),
            WorkerState::Draining if is_idle(node.id) => (
                WorkerState::Disabled,
                format!(
                    "{label} has drained: no partition holds it (replicas or next sets) and it leads none, so it becomes disabled and is safe to stop."
                ),
            ),
            _ => continue,
        };
        out.push(Transition {
            node: node.id,
            from: node.worker_state,
            to,
            reason,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{apply_transitions, node, partition, snapshot};
    use WorkerState::{Active, Disabled, Draining, Provisioning};

    #[test]
    fn activates_provisioned_workers_and_disables_drained_ones() {
        let mut nodes = vec![
            node(4, "", Draining),
            node(1, "", Provisioning),
            node(2, "", Provisioning),
            node(3, "", Draining),
            node(5, "", Active),
            node(6, "", Draining),
        ];
        nodes[2].alive = false;
        let mut p = partition(0, &[5]);
        p.next = Some(vec![6]);
        let s = snapshot("1", nodes, vec![partition(1, &[3]), p]);
        let t = reconcile(&s).unwrap();
        let got: Vec<_> = t.iter().map(|t| (t.node, t.from, t.to)).collect();
        assert_eq!(
            got,
            vec![(1, Provisioning, Active), (4, Draining, Disabled)],
            "{t:?}"
        );
        assert!(t[0].reason.contains("joins placement"));
        assert!(t[1].reason.contains("N4 has drained"));
        // The host's checker accepts them.
        apply_transitions(&s, &t);
    }

    #[test]
    fn a_leader_keeps_a_draining_node_enabled() {
        let mut p = partition(0, &[2]);
        p.leader = Some(1);
        let s = snapshot(
            "1",
            vec![node(1, "", Draining), node(2, "", Active)],
            vec![p],
        );
        assert!(reconcile(&s).unwrap().is_empty());
    }

    #[test]
    fn a_frozen_partition_keeps_a_draining_node_enabled() {
        let mut p = partition(0, &[1, 2]);
        p.leader = Some(2);
        p.freeze = Some("maintenance".into());
        let s = snapshot(
            "1",
            vec![node(1, "", Draining), node(2, "", Active)],
            vec![p],
        );
        assert!(reconcile(&s).unwrap().is_empty());
    }

    #[test]
    fn non_workers_are_left_alone() {
        let mut n = node(1, "", Provisioning);
        n.roles = worker_policy_model::Roles::ADMIN;
        assert!(reconcile(&snapshot("1", vec![n], vec![]))
            .unwrap()
            .is_empty());
    }
}
