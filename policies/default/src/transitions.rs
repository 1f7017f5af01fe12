//! Whether an operator may move a node to another worker state: Restate's
//! `restatectl nodes set-worker-state` rules, plus the checks Restate leaves to the operator
//! (a node is disabled only once nothing is left on it).
//!
//! Allowed: same -> same; provisioning -> any; active -> draining; draining -> active;
//! disabled -> active; active or draining -> disabled once no partition holds the node (replicas
//! or `next`) and it leads none. Every target but `active` must also pass the safety check: the
//! eligible workers left after the change must still satisfy the replication property. The
//! check refuses only changes that take an eligible worker away; a node that is not eligible
//! (provisioning, dead, already draining) changes nothing about what can be built.

use worker_policy_model::snapshot::node_label;
use worker_policy_model::{NodeId, PolicyError, Snapshot, Verdict, WorkerState};

use crate::cluster::Cluster;

/// An operator asks to move `node` to `to`: allow or refuse it, with the reason.
pub fn validate_transition(
    snapshot: &Snapshot,
    node: NodeId,
    to: WorkerState,
) -> Result<Verdict, PolicyError> {
    let cluster = Cluster::new(snapshot)?;
    let ix = cluster.ix(node).ok_or(PolicyError::UnknownNode(node))?;
    let target = cluster.nodes[ix as usize];
    let from = target.worker_state;
    let label = node_label(node);
    if from == to {
        return Ok(allow(format!("{label} is already {to}; nothing changes.")));
    }
    if let Some(why) = forbidden(&label, from, to) {
        return Ok(refuse(why));
    }
    let usage = snapshot.usage(node);
    if to == WorkerState::Disabled && !usage.is_idle() {
        let holding = format!(
            "{} partition(s) still hold it (replicas or next sets) and it leads {}",
            usage.holds, usage.leads
        );
        return Ok(refuse(match from {
            WorkerState::Active => format!(
                "{label} is active and {holding}. Set it to draining first; once rebalancing has moved everything off, it can be disabled."
            ),
            WorkerState::Draining => format!(
                "{label} has not finished draining: {holding}. It can be disabled once rebalancing has moved them to active workers."
            ),
            _ => format!("{label} cannot be disabled yet: {holding}."),
        }));
    }
    if to != WorkerState::Active && target.is_placement_candidate() {
        if let Some(s) = snapshot.shortfall_without(Some(node)) {
            return Ok(refuse(format!(
                "Safety-check failed: Can no longer create new replica sets with worker-state changes. Without {label}, the eligible workers (worker role, active, alive) span {} {}(s); the replication property {} requires {}.",
                s.available, s.scope, cluster.replication, s.required
            )));
        }
    }
    Ok(allow(match (from, to) {
        (WorkerState::Provisioning, WorkerState::Active) => {
            format!("{label} becomes active and joins placement.")
        }
        (WorkerState::Provisioning, _) => format!(
            "{label} is still provisioning and holds nothing; it may go to {to} directly."
        ),
        (WorkerState::Active, WorkerState::Draining) => format!(
            "{label} stops receiving replicas; rebalancing moves its {} replica(s) and {} leadership(s) to active workers, and the replication property can still be met without it.",
            usage.holds, usage.leads
        ),
        (WorkerState::Draining, WorkerState::Active) => format!(
            "{label} becomes active again and may receive replicas; the replicas it still holds stay."
        ),
        (WorkerState::Disabled, WorkerState::Active) => {
            format!("{label} becomes active again and joins placement.")
        }
        (_, WorkerState::Disabled) => format!(
            "No partition holds {label} and it leads none; it may be disabled and stopped safely."
        ),
        _ => format!("{label} may go from {from} to {to}."),
    }))
}

/// Why the state machine forbids `from -> to`, if it does.
fn forbidden(label: &str, from: WorkerState, to: WorkerState) -> Option<String> {
    use WorkerState::{Active, Disabled, Draining, Provisioning};
    match (from, to) {
        (Active, Provisioning) | (Draining, Provisioning) | (Disabled, Provisioning) => Some(format!(
            "{label} is {from}; a node never goes back to provisioning (that state is only for nodes that have not started yet)."
        )),
        (Disabled, Draining) => Some(format!(
            "{label} is disabled and holds nothing, so there is nothing to drain; set it to active to bring it back into placement."
        )),
        _ => None,
    }
}

fn allow(reason: String) -> Verdict {
    Verdict {
        allowed: true,
        reason,
    }
}

fn refuse(reason: String) -> Verdict {
    Verdict {
        allowed: false,
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{node, partition, snapshot};
    use WorkerState::{Active, Disabled, Draining, Provisioning};

    /// Three zones of two nodes, `{zone: 3, node: 3}`; node 1 in `state` holds partition 0
    /// (with 3 and 5) and leads it, unless `empty`.
    fn cluster(state: WorkerState, empty: bool) -> Snapshot {
        let mut nodes: Vec<_> = (1..=6)
            .map(|i| node(i, &format!("r.z{}", i.div_ceil(2)), Active))
            .collect();
        nodes[0].worker_state = state;
        let partitions = if empty {
            vec![partition(0, &[2, 3, 5])]
        } else {
            vec![partition(0, &[1, 3, 5])]
        };
        snapshot("{zone: 3, node: 3}", nodes, partitions)
    }

    fn verdict(state: WorkerState, empty: bool, to: WorkerState) -> Verdict {
        validate_transition(&cluster(state, empty), 1, to).unwrap()
    }

    /// Asserts `v` refuses, with a reason that says every one of `words`.
    fn assert_refused(v: &Verdict, words: &[&str]) {
        assert!(!v.allowed, "{}", v.reason);
        for word in words {
            assert!(v.reason.contains(word), "{word:?} not in: {}", v.reason);
        }
    }

    #[test]
    fn the_same_state_is_always_allowed() {
        for s in WorkerState::ALL {
            let v = verdict(s, false, s);
            assert!(v.allowed, "{s}: {}", v.reason);
            assert!(v.reason.contains("already"), "{}", v.reason);
        }
    }

    #[test]
    fn provisioning_may_go_anywhere() {
        for to in WorkerState::ALL {
            let v = verdict(Provisioning, true, to);
            assert!(v.allowed, "{to}: {}", v.reason);
        }
    }

    #[test]
    fn active_may_drain_but_not_go_back_to_provisioning() {
        assert!(verdict(Active, false, Draining).allowed);
        assert_refused(
            &verdict(Active, false, Provisioning),
            &["N1", "provisioning"],
        );
    }

    #[test]
    fn a_worker_may_be_disabled_only_once_empty() {
        for (from, words) in [
            (Active, ["1 partition(s) still hold it", "leads 1"]),
            (Draining, ["has not finished draining", "1 partition(s)"]),
        ] {
            assert_refused(&verdict(from, false, Disabled), &words);
            assert!(verdict(from, true, Disabled).allowed, "{from}");
        }
    }

    #[test]
    fn draining_may_return_to_active_but_not_to_provisioning() {
        assert!(verdict(Draining, false, Active).allowed);
        assert!(!verdict(Draining, false, Provisioning).allowed);
    }

    #[test]
    fn a_node_only_in_a_next_set_still_blocks_disabling() {
        let mut s = cluster(Draining, true);
        s.partitions[0].next = Some(vec![1, 3, 5]);
        let v = validate_transition(&s, 1, Disabled).unwrap();
        assert!(!v.allowed, "{}", v.reason);
    }

    #[test]
    fn disabled_may_only_become_active() {
        assert!(verdict(Disabled, true, Active).allowed);
        assert!(!verdict(Disabled, true, Draining).allowed);
        assert!(!verdict(Disabled, true, Provisioning).allowed);
    }

    #[test]
    fn the_safety_check_keeps_enough_domains() {
        // Zone 1 has nodes 1 and 2; with node 2 dead, draining node 1 leaves two zones.
        let mut s = cluster(Active, false);
        s.nodes[1].alive = false;
        let v = validate_transition(&s, 1, Draining).unwrap();
        assert!(!v.allowed);
        assert!(
            v.reason
                .starts_with("Safety-check failed: Can no longer create new replica sets")
                && v.reason.contains("2 zone(s)")
                && v.reason.contains("requires 3"),
            "{}",
            v.reason
        );
        // Back to active needs no check; an empty node may not be disabled either.
        assert!(validate_transition(&s, 2, Active).unwrap().allowed);
        let mut empty = cluster(Active, true);
        empty.nodes[1].alive = false;
        assert!(!validate_transition(&empty, 1, Disabled).unwrap().allowed);
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
