//! What no policy may ever allow, whatever its own rules: a worker-state change that is not an
//! edge of the state machine, that disables a node still in use, or that leaves the eligible
//! workers unable to satisfy the replication property. The host refuses an allowed verdict with
//! such a hazard (unless the operator forces it), and the conformance suite's transition rules
//! refuse with the same function.

use std::fmt;

use crate::replication::Shortfall;
use crate::snapshot::{NodeId, NodeLabel, NodeUsage, Snapshot, WorkerState};

/// Why moving a node to a worker state is unsafe, whatever the policy says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransitionHazard {
    /// The snapshot has no such node.
    UnknownNode(NodeId),
    /// The state machine has no edge `from -> to`: nothing goes back to provisioning, and a
    /// disabled node has nothing to drain.
    NotAnEdge {
        /// The node's state now.
        from: WorkerState,
        /// The state asked for.
        to: WorkerState,
    },
    /// Disabling a node that some partition still holds (replicas or `next`) or that leads one.
    StillInUse {
        /// The node.
        node: NodeId,
        /// What it holds and leads.
        usage: NodeUsage,
    },
    /// Without the node, the eligible workers (worker role, active, alive) cannot satisfy the
    /// replication property.
    Unsatisfiable {
        /// The node that would stop being eligible.
        node: NodeId,
        /// Where the remaining eligible workers fall short.
        shortfall: Shortfall,
    },
}

impl TransitionHazard {
    /// The rule broken, as a short kebab-case name (for JSON and scripts).
    pub fn rule(&self) -> &'static str {
        match self {
            TransitionHazard::UnknownNode(_) => "known-node",
            TransitionHazard::NotAnEdge { .. } => "state-machine-edge",
            TransitionHazard::StillInUse { .. } => "disable-only-when-empty",
            TransitionHazard::Unsatisfiable { .. } => "replication-stays-satisfiable",
        }
    }
}

impl fmt::Display for TransitionHazard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            TransitionHazard::UnknownNode(node) => {
                write!(f, "the snapshot has no node {}", NodeLabel(node))
            }
            TransitionHazard::NotAnEdge {
                from,
                to: WorkerState::Provisioning,
            } => write!(
                f,
                "{from} -> provisioning is refused: a node never goes back to provisioning"
            ),
            TransitionHazard::NotAnEdge { from, to } => write!(
                f,
                "{from} -> {to} is refused: a disabled node has nothing to drain"
            ),
            TransitionHazard::StillInUse { node, usage } => write!(
                f,
                "{} may be disabled only when nothing holds or is led by it, and {} partition(s) hold it and it leads {}",
                NodeLabel(node),
                usage.holds,
                usage.leads
            ),
            TransitionHazard::Unsatisfiable { node, shortfall } => write!(
                f,
                "a change that takes an eligible worker away must leave the replication property satisfiable: without {}, {shortfall}",
                NodeLabel(node)
            ),
        }
    }
}

impl std::error::Error for TransitionHazard {}

/// Whether the state machine has the edge `from -> to` (same -> same always counts as one).
fn is_edge(from: WorkerState, to: WorkerState) -> bool {
    use WorkerState::{Disabled, Draining, Provisioning};
    from == to || !matches!((from, to), (_, Provisioning) | (Disabled, Draining))
}

impl Snapshot {
    /// What makes moving `node` to `to` unsafe whatever the policy, if anything: the first of
    /// an unknown node, a change the state machine has no edge for, disabling a node still in
    /// use, and taking away an eligible worker the replication property cannot do without.
    /// Staying in the same state is never a hazard; only a node that is an eligible worker
    /// (worker role, active, alive) counts for the last rule, so admin-only, dead and
    /// provisioning nodes never do.
    pub fn transition_hazard(&self, node: NodeId, to: WorkerState) -> Option<TransitionHazard> {
        let Some(n) = self.node(node) else {
            return Some(TransitionHazard::UnknownNode(node));
        };
        let from = n.worker_state;
        if from == to {
            return None;
        }
        if !is_edge(from, to) {
            return Some(TransitionHazard::NotAnEdge { from, to });
        }
        let usage = self.usage(node);
        if to == WorkerState::Disabled && !usage.is_idle() {
            return Some(TransitionHazard::StillInUse { node, usage });
        }
        if to == WorkerState::Active || !n.is_placement_candidate() {
            return None;
        }
        self.shortfall_without(Some(node))
            .map(|shortfall| TransitionHazard::Unsatisfiable { node, shortfall })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::replication::Scope;
    use crate::snapshot::{Node, Partition, Roles};
    use crate::Replication;
    use WorkerState::{Active, Disabled, Draining, Provisioning};

    fn node(id: NodeId, zone: &str, roles: Roles, state: WorkerState) -> Node {
        Node {
            roles,
            worker_state: state,
            ..Node::worker(id, format!("r.{zone}"))
        }
    }

    /// `{zone: 3, node: 3}` over workers 1, 2 (zone a), 3 (b), 4 (c); an admin-only node 10
    /// and a log-server-only node 11 in zone c; partition 0 on 1, 3, 4, led by 1.
    fn cluster() -> Snapshot {
        let worker = |id, zone| node(id, zone, Roles::WORKER, Active);
        Snapshot {
            replication: Replication::parse("{zone: 3, node: 3}").unwrap(),
            nodes: vec![
                worker(1, "a"),
                worker(2, "a"),
                worker(3, "b"),
                worker(4, "c"),
                node(10, "c", Roles::ADMIN, Active),
                node(11, "b", Roles::LOG_SERVER, Active),
            ],
            partitions: vec![Partition {
                id: 0,
                replicas: vec![1, 3, 4],
                next: None,
                leader: Some(1),
                freeze: None,
                leader_affinity: None,
            }],
        }
    }

    fn rule(s: &Snapshot, node: NodeId, to: WorkerState) -> Option<&'static str> {
        s.transition_hazard(node, to).map(|h| h.rule())
    }

    #[test]
    fn the_same_state_is_never_a_hazard_and_unknown_nodes_always_are() {
        let s = cluster();
        for id in [1, 4, 10] {
            let state = s.node(id).unwrap().worker_state;
            assert_eq!(s.transition_hazard(id, state), None);
        }
        assert_eq!(
            s.transition_hazard(99, Active),
            Some(TransitionHazard::UnknownNode(99))
        );
    }

    #[test]
    fn only_edges_of_the_state_machine_are_safe() {
        let mut s = cluster();
        s.nodes[1].worker_state = Disabled;
        assert_eq!(rule(&s, 2, Draining), Some("state-machine-edge"));
        assert_eq!(rule(&s, 2, Provisioning), Some("state-machine-edge"));
        assert_eq!(rule(&s, 2, Active), None);
        assert_eq!(rule(&s, 1, Provisioning), Some("state-machine-edge"));
        assert_eq!(
            s.transition_hazard(2, Draining).unwrap().to_string(),
            "disabled -> draining is refused: a disabled node has nothing to drain"
        );
    }

    #[test]
    fn a_node_in_use_is_never_disabled_even_through_a_next_set() {
        let mut s = cluster();
        assert_eq!(
            s.transition_hazard(1, Disabled),
            Some(TransitionHazard::StillInUse {
                node: 1,
                usage: NodeUsage { holds: 1, leads: 1 }
            })
        );
        s.nodes[1].worker_state = Draining;
        s.partitions[0].next = Some(vec![2]);
        assert_eq!(rule(&s, 2, Disabled), Some("disable-only-when-empty"));
        s.partitions[0].next = None;
        assert_eq!(rule(&s, 2, Disabled), None);
    }

    #[test]
    fn non_workers_never_count_as_eligible_workers() {
        // Zone c has worker 4 and admin-only node 10: without 4, no worker is left in zone c.
        let s = cluster();
        let hazard = s.transition_hazard(4, Draining).unwrap();
        let TransitionHazard::Unsatisfiable { shortfall, .. } = hazard else {
            panic!("{hazard}");
        };
        assert_eq!(
            (shortfall.scope, shortfall.available, shortfall.required),
            (Scope::Zone, 2, 3)
        );
        // Zone a keeps worker 2, and a non-worker never takes capacity away.
        assert_eq!(rule(&s, 1, Draining), None);
        assert_eq!(rule(&s, 10, Draining), None);
        assert_eq!(rule(&s, 11, Disabled), None);
    }

    #[test]
    fn dead_and_provisioning_workers_take_nothing_away_and_count_for_nothing() {
        let mut s = cluster();
        s.nodes[1].alive = false;
        assert_eq!(rule(&s, 1, Draining), Some("replication-stays-satisfiable"));
        assert_eq!(rule(&s, 2, Draining), None);
        s.nodes[1].alive = true;
        s.nodes[1].worker_state = Provisioning;
        assert_eq!(rule(&s, 1, Draining), Some("replication-stays-satisfiable"));
        assert_eq!(rule(&s, 2, Disabled), None);
        assert_eq!(rule(&s, 2, Draining), None);
    }
}
