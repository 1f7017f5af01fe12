//! Whether an operator may move a node to another worker state: what
//! `restatectl nodes set-worker-state` decides without `--force`.
//!
//! Allowed: same -> same; provisioning -> any; active -> draining; draining -> active;
//! disabled -> active. Every target but active must also pass Restate's safety check: replica
//! sets can still be built, that is the eligible workers left after the change still satisfy
//! the replication property (the model's [`Snapshot::transition_hazard`], which also refuses
//! what the state machine has no edge for and disabling a node in use). Everything else,
//! draining -> disabled included, is refused: `--force` is Restate's override, and this
//! policy never disables a node by itself either.

use worker_policy_model::snapshot::NodeLabel;
use worker_policy_model::{NodeId, PolicyError, Snapshot, Verdict, WorkerState};

/// An operator asks to move `node` to `to`: allow or refuse it, with the reason.
pub fn validate_transition(
    snapshot: &Snapshot,
    node: NodeId,
    to: WorkerState,
) -> Result<Verdict, PolicyError> {
    use WorkerState::{Active, Disabled, Draining, Provisioning};
    snapshot
        .check_replica_sets()
        .map_err(|e| PolicyError::InvalidSnapshot(e.to_string()))?;
    let from = snapshot
        .node(node)
        .ok_or(PolicyError::UnknownNode(node))?
        .worker_state;
    let label = NodeLabel(node);
    if from == to {
        return Ok(verdict(
            true,
            format!("{label} is already {to}; nothing changes."),
        ));
    }
    if !matches!(
        (from, to),
        (Provisioning, _) | (Active, Draining) | (Draining, Active) | (Disabled, Active)
    ) {
        return Ok(verdict(false, needs_force(snapshot, node, from, to)));
    }
    if to != Active {
        if let Some(hazard) = snapshot.transition_hazard(node, to) {
            return Ok(verdict(
                false,
                format!("Safety-check failed: Can no longer create new replica sets with worker-state changes: {hazard}. Restate's override is `--force`."),
            ));
        }
    }
    Ok(verdict(true, match (from, to) {
        (Provisioning, Active) => format!("{label} becomes active and joins placement."),
        (Provisioning, _) => format!("{label} is still provisioning and holds nothing; it may go to {to}."),
        (Active, Draining) => format!("{label} stops receiving replicas; Restate's scheduler recomputes every replica set without it, and the replication property can still be met."),
        _ => format!("{label} becomes active again; Restate's scheduler recomputes every replica set with it."),
    }))
}

/// Why Restate refuses `from -> to` without `--force`.
fn needs_force(snapshot: &Snapshot, node: NodeId, from: WorkerState, to: WorkerState) -> String {
    let label = NodeLabel(node);
    let usage = snapshot.usage(node);
    let what = match to {
        WorkerState::Disabled => format!(
            " Restate never disables a worker by itself; {label} holds {} partition(s) (replicas or next sets) and leads {}.",
            usage.holds, usage.leads
        ),
        WorkerState::Provisioning => " A node never goes back to provisioning.".into(),
        _ => String::new(),
    };
    format!(
        "`restatectl nodes set-worker-state` refuses {from} -> {to} without `--force` (Restate's override, for the operator to decide).{what}"
    )
}

fn verdict(allowed: bool, reason: String) -> Verdict {
    Verdict { allowed, reason }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{node, partition, snapshot};
    use WorkerState::{Active, Disabled, Draining, Provisioning};

    /// Three zones of two nodes, `{zone: 3, node: 3}`; node 1 in `state` holds partition 0
    /// (with 3 and 5) unless `empty`.
    fn cluster(state: WorkerState, empty: bool) -> Snapshot {
        let mut nodes: Vec<_> = (1..=6)
            .map(|i| node(i, &format!("r.z{}", i.div_ceil(2)), Active))
            .collect();
        nodes[0].worker_state = state;
        let set: &[u32] = if empty { &[2, 3, 5] } else { &[1, 3, 5] };
        snapshot("{zone: 3, node: 3}", nodes, vec![partition(0, set)])
    }

    fn allowed(state: WorkerState, empty: bool, to: WorkerState) -> bool {
        validate_transition(&cluster(state, empty), 1, to)
            .unwrap()
            .allowed
    }

    #[test]
    fn restates_table_without_force() {
        for from in WorkerState::ALL {
            for to in WorkerState::ALL {
                let expected = from == to
                    || matches!(
                        (from, to),
                        (Provisioning, _)
                            | (Active, Draining)
                            | (Draining, Active)
                            | (Disabled, Active)
                    );
                for empty in [false, true] {
                    // Disabling a node in use is never safe, provisioning or not.
                    let in_use = to == Disabled && from != Disabled && !empty;
                    let expected = expected && !in_use;
                    assert_eq!(
                        allowed(from, empty, to),
                        expected,
                        "{from} -> {to}, empty {empty}"
                    );
                }
            }
        }
    }

    #[test]
    fn disabling_is_restates_force_even_when_the_node_is_empty() {
        let v = validate_transition(&cluster(Draining, true), 1, Disabled).unwrap();
        assert!(!v.allowed);
        assert!(
            v.reason.contains("--force") && v.reason.contains("holds 0 partition(s)"),
            "{}",
            v.reason
        );
    }

    #[test]
    fn the_safety_check_keeps_enough_zones() {
        // Zone 1 has nodes 1 and 2; with node 2 dead, draining node 1 leaves two zones.
        let mut s = cluster(Active, false);
        s.nodes[1].alive = false;
        let v = validate_transition(&s, 1, Draining).unwrap();
        assert!(!v.allowed);
        assert!(
            v.reason
                .starts_with("Safety-check failed: Can no longer create new replica sets"),
            "{}",
            v.reason
        );
        assert!(v.reason.contains("2 zone(s) available"), "{}", v.reason);
        assert!(validate_transition(&s, 2, Active).unwrap().allowed);
    }

    #[test]
    fn provisioning_may_go_to_disabled_only_when_nothing_holds_it() {
        let mut s = cluster(Provisioning, true);
        assert!(validate_transition(&s, 1, Disabled).unwrap().allowed);
        s.partitions[0].next = Some(vec![1]);
        assert!(!validate_transition(&s, 1, Disabled).unwrap().allowed);
    }

    #[test]
    fn unknown_nodes_and_broken_snapshots_are_errors() {
        let s = cluster(Active, false);
        assert_eq!(
            validate_transition(&s, 42, Draining),
            Err(PolicyError::UnknownNode(42))
        );
        let mut twice = s.clone();
        twice.nodes.push(twice.nodes[0].clone());
        assert!(matches!(
            validate_transition(&twice, 1, Draining),
            Err(PolicyError::InvalidSnapshot(_))
        ));
    }
}
