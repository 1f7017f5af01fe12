//! What is left to do in a cluster a policy has nothing more to do for: a settled cluster has
//! no alive provisioning worker left waiting to be made active, no draining node in use, every partition placed with the factor's count of replicas over the
//! property's domains on nodes that may keep them, no `next` set in flight, and every leader on
//! an eligible replica. The conformance suite's convergence and leader checks and `simulate`'s
//! "converged" both ask [`Snapshot::unsettled`].
//!
//! A frozen partition (a placed one with a placement freeze) is never work left: its replicas
//! on draining or dead nodes, its pending `next` and its missing replicas stay as they are, and
//! its leader counts only when one of its replicas is eligible (a leader may still move). A
//! draining node that a frozen partition holds cannot be emptied: [`Snapshot::blocked`] names
//! it with the freezes, and it is never disabled. [`Snapshot::affinity_misses`] lists the
//! partitions led elsewhere than their leader affinity asks, where it could be honoured.

use std::cell::OnceCell;
use std::fmt;

use crate::invariants::not_a_candidate;
use crate::positions::Positions;
use crate::replication::Shortfall;
use crate::snapshot::{
    Node, NodeId, NodeLabel, NodeUsage, Partition, PartitionId, Roles, Snapshot, WorkerState,
};

mod affinity;
mod blocked;

pub use affinity::AffinityMiss;
pub use blocked::{BlockedDrain, NAMED_FREEZES};

/// One thing that keeps a cluster from being settled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unsettled {
    /// An alive provisioning worker was never made active: it is up, yet takes no replicas.
    NotActivated {
        /// The node.
        node: NodeId,
    },
    /// A draining node still holds or leads partitions.
    DrainingInUse {
        /// The node.
        node: NodeId,
        /// What it holds and leads.
        usage: NodeUsage,
    },
    /// A partition has no replicas.
    Unplaced {
        /// The partition.
        partition: PartitionId,
    },
    /// A partition's `next` set is still in flight.
    NextInFlight {
        /// The partition.
        partition: PartitionId,
    },
    /// A partition has a replica on a node that may not keep it.
    ReplicaOnIneligible {
        /// The partition.
        partition: PartitionId,
        /// The node.
        node: NodeId,
        /// Why the node may not keep it (`draining and dead`, `active and not a worker`).
        why: String,
    },
    /// A partition has more or fewer replicas than the replication factor.
    ReplicaCount {
        /// The partition.
        partition: PartitionId,
        /// Its replicas.
        count: usize,
        /// The replication factor.
        factor: u32,
    },
    /// A partition's replicas span fewer domains than the property asks.
    ShortOfDomains {
        /// The partition.
        partition: PartitionId,
        /// Where its replicas fall short.
        shortfall: Shortfall,
    },
    /// A partition is led by nobody, or by a node that is not a replica on an eligible worker.
    LeaderOffEligibleReplica {
        /// The partition.
        partition: PartitionId,
        /// Its leader, if any.
        leader: Option<NodeId>,
    },
}

/// The kinds of [`Unsettled`], to count them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum UnsettledKind {
    /// [`Unsettled::NotActivated`].
    NotActivated,
    /// [`Unsettled::DrainingInUse`].
    DrainingInUse,
    /// [`Unsettled::Unplaced`].
    Unplaced,
    /// [`Unsettled::NextInFlight`].
    NextInFlight,
    /// [`Unsettled::ReplicaOnIneligible`].
    ReplicaOnIneligible,
    /// [`Unsettled::ReplicaCount`].
    ReplicaCount,
    /// [`Unsettled::ShortOfDomains`].
    ShortOfDomains,
    /// [`Unsettled::LeaderOffEligibleReplica`].
    LeaderOffEligibleReplica,
}

impl UnsettledKind {
    /// A stable kebab-case name (for JSON and scripts).
    pub fn name(self) -> &'static str {
        match self {
            UnsettledKind::NotActivated => "not-activated",
            UnsettledKind::DrainingInUse => "draining-in-use",
            UnsettledKind::Unplaced => "unplaced",
            UnsettledKind::NextInFlight => "next-in-flight",
            UnsettledKind::ReplicaOnIneligible => "replica-on-ineligible-node",
            UnsettledKind::ReplicaCount => "wrong-replica-count",
            UnsettledKind::ShortOfDomains => "short-of-domains",
            UnsettledKind::LeaderOffEligibleReplica => "leader-off-eligible-replica",
        }
    }

    /// What `count` problems of this kind are, in words: `3 partition(s) unplaced`.
    pub fn describe(self, count: usize) -> String {
        let what = match self {
            UnsettledKind::NotActivated => "alive provisioning worker(s) never made active",
            UnsettledKind::DrainingInUse => "draining node(s) still in use",
            UnsettledKind::Unplaced => "partition(s) unplaced",
            UnsettledKind::NextInFlight => "partition(s) with a next set in flight",
            UnsettledKind::ReplicaOnIneligible => {
                "partition(s) with a replica on a node that may not keep it"
            }
            UnsettledKind::ReplicaCount => "partition(s) without the factor's count of replicas",
            UnsettledKind::ShortOfDomains => "partition(s) short of domains",
            UnsettledKind::LeaderOffEligibleReplica => {
                "partition(s) not led by a replica on an alive, active worker"
            }
        };
        format!("{count} {what}")
    }
}

impl Unsettled {
    /// Its kind.
    pub fn kind(&self) -> UnsettledKind {
        match self {
            Unsettled::NotActivated { .. } => UnsettledKind::NotActivated,
            Unsettled::DrainingInUse { .. } => UnsettledKind::DrainingInUse,
            Unsettled::Unplaced { .. } => UnsettledKind::Unplaced,
            Unsettled::NextInFlight { .. } => UnsettledKind::NextInFlight,
            Unsettled::ReplicaOnIneligible { .. } => UnsettledKind::ReplicaOnIneligible,
            Unsettled::ReplicaCount { .. } => UnsettledKind::ReplicaCount,
            Unsettled::ShortOfDomains { .. } => UnsettledKind::ShortOfDomains,
            Unsettled::LeaderOffEligibleReplica { .. } => UnsettledKind::LeaderOffEligibleReplica,
        }
    }

    /// What it is about: `N3` or `partition 7`.
    pub fn subject(&self) -> String {
        match self {
            Unsettled::NotActivated { node } | Unsettled::DrainingInUse { node, .. } => {
                NodeLabel(*node).to_string()
            }
            Unsettled::Unplaced { partition }
            | Unsettled::NextInFlight { partition }
            | Unsettled::ReplicaOnIneligible { partition, .. }
            | Unsettled::ReplicaCount { partition, .. }
            | Unsettled::ShortOfDomains { partition, .. }
            | Unsettled::LeaderOffEligibleReplica { partition, .. } => {
                format!("partition {partition}")
            }
        }
    }
}

impl fmt::Display for Unsettled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let subject = self.subject();
        match self {
            Unsettled::NotActivated { .. } => write!(
                f,
                "{subject} is an alive provisioning worker that was never made active"
            ),
            Unsettled::DrainingInUse { usage, .. } => write!(
                f,
                "draining {subject} still holds {} partition(s) and leads {}",
                usage.holds, usage.leads
            ),
            Unsettled::Unplaced { .. } => write!(f, "{subject}: it is unplaced"),
            Unsettled::NextInFlight { .. } => {
                write!(f, "{subject}: its next set is still in flight")
            }
            Unsettled::ReplicaOnIneligible { node, why, .. } => write!(
                f,
                "{subject}: it has a replica on {}, which is {why} and may not keep it",
                NodeLabel(*node)
            ),
            Unsettled::ReplicaCount { count, factor, .. } => write!(
                f,
                "{subject}: it has {count} replica(s), the replication factor is {factor}"
            ),
            Unsettled::ShortOfDomains { shortfall, .. } => {
                write!(f, "{subject}: its replicas fall short: {shortfall}")
            }
            Unsettled::LeaderOffEligibleReplica { leader, .. } => write!(
                f,
                "{subject} is led by {}, not by a replica on an alive, active worker",
                leader.map_or("nobody".into(), |l| NodeLabel(l).to_string())
            ),
        }
    }
}

impl Snapshot {
    /// Everything that keeps this cluster from being settled, in order: alive provisioning
    /// workers never made active and draining nodes in use (by the snapshot's node order), then at most one problem per partition (the first of
    /// unplaced, `next` in flight, a replica on a node that may not keep it, the wrong count of
    /// replicas, too few domains), then partitions not led by a replica on an eligible worker.
    /// Empty when the cluster is settled.
    pub fn unsettled(&self) -> Vec<Unsettled> {
        let nodes = Nodes::new(self);
        // Counted in one pass when the first draining node asks, not in one pass for each.
        let left = OnceCell::new();
        let waiting = self
            .nodes
            .iter()
            .enumerate()
            .filter_map(|(at, n)| match n.worker_state {
                WorkerState::Provisioning if n.alive && n.roles.contains(Roles::WORKER) => {
                    Some(Unsettled::NotActivated { node: n.id })
                }
                WorkerState::Draining => {
                    let usage = left.get_or_init(|| self.usage_left(&nodes))[at];
                    (!usage.is_idle()).then_some(Unsettled::DrainingInUse { node: n.id, usage })
                }
                _ => None,
            });
        let partitions = self
            .partitions
            .iter()
            .filter_map(|p| self.partition_problem(p, &nodes));
        let leaders = self.partitions.iter().filter_map(|p| {
            if p.is_frozen() && !nodes.any_candidate(&p.replicas) {
                return None;
            }
            let on_eligible_replica = p
                .leader
                .is_some_and(|l| p.replicas.contains(&l) && nodes.is_candidate(l));
            (!on_eligible_replica).then_some(Unsettled::LeaderOffEligibleReplica {
                partition: p.id,
                leader: p.leader,
            })
        });
        waiting.chain(partitions).chain(leaders).collect()
    }

    /// What each node (in the order of `nodes`) holds and leads that a plan could still take
    /// off it: every partition but the frozen ones it holds, and the frozen ones it leads that
    /// have an eligible replica to lead instead. The same as [`Snapshot::usage_by_node`] when
    /// no partition is frozen.
    fn usage_left(&self, nodes: &Nodes) -> Vec<NodeUsage> {
        self.usage_counted(&nodes.index, |p| {
            let frozen = p.is_frozen();
            (!frozen, !frozen || nodes.any_candidate(&p.replicas))
        })
    }

    /// The first problem of one partition's replica set, if any.
    fn partition_problem(&self, p: &Partition, nodes: &Nodes) -> Option<Unsettled> {
        let partition = p.id;
        if p.is_frozen() {
            return None;
        }
        if p.is_unplaced() {
            return Some(Unsettled::Unplaced { partition });
        }
        if p.next.is_some() {
            return Some(Unsettled::NextInFlight { partition });
        }
        let members: Vec<_> = p.replicas.iter().filter_map(|&id| nodes.get(id)).collect();
        if let Some((node, why)) = members
            .iter()
            .find_map(|n| not_a_candidate(n).map(|why| (n.id, why)))
        {
            return Some(Unsettled::ReplicaOnIneligible {
                partition,
                node,
                why,
            });
        }
        let factor = self.replication.factor();
        if members.len() != factor as usize {
            return Some(Unsettled::ReplicaCount {
                partition,
                count: members.len(),
                factor,
            });
        }
        self.replication
            .shortfall(members.iter().copied())
            .map(|shortfall| Unsettled::ShortOfDomains {
                partition,
                shortfall,
            })
    }
}

/// A snapshot's nodes by id, each found in constant time.
struct Nodes<'a> {
    list: &'a [Node],
    index: Positions,
}

impl<'a> Nodes<'a> {
    /// The nodes of `snapshot`, indexed.
    fn new(snapshot: &'a Snapshot) -> Nodes<'a> {
        Nodes {
            list: &snapshot.nodes,
            index: Positions::new(snapshot.nodes.iter().map(|n| n.id)),
        }
    }

    /// The node with id `id`.
    fn get(&self, id: NodeId) -> Option<&'a Node> {
        self.index.get(id).map(|at| &self.list[at])
    }

    /// Whether node `id` is an alive, active worker.
    fn is_candidate(&self, id: NodeId) -> bool {
        self.get(id).is_some_and(Node::is_placement_candidate)
    }

    /// Whether one of `ids` is on an alive, active worker.
    fn any_candidate(&self, ids: &[NodeId]) -> bool {
        ids.iter().any(|&id| self.is_candidate(id))
    }
}

/// How many problems of each kind `problems` has, in the order of the kinds.
pub fn count_by_kind(problems: &[Unsettled]) -> Vec<(UnsettledKind, usize)> {
    let mut counts = std::collections::BTreeMap::new();
    for p in problems {
        *counts.entry(p.kind()).or_insert(0) += 1;
    }
    counts.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::{Node, Partition, Roles};
    use crate::Replication;

    fn node(id: NodeId, zone: &str) -> Node {
        Node::worker(id, zone)
    }

    fn partition(id: PartitionId, replicas: &[NodeId], leader: Option<NodeId>) -> Partition {
        Partition::placed(id, replicas, leader)
    }

    /// `{zone: 2, node: 2}` on nodes 1, 2 (zone a) and 3 (zone b); partition 0 settled.
    fn settled() -> Snapshot {
        Snapshot {
            replication: Replication::parse("{zone: 2, node: 2}").unwrap(),
            nodes: vec![node(1, "a"), node(2, "a"), node(3, "b")],
            partitions: vec![partition(0, &[1, 3], Some(1))],
        }
    }

    #[test]
    fn a_settled_cluster_has_nothing_left() {
        assert_eq!(settled().unsettled(), vec![]);
    }

    #[test]
    fn every_problem_is_listed_once_per_partition_in_order() {
        let mut s = settled();
        s.nodes[1].worker_state = WorkerState::Draining;
        s.nodes.push(Node {
            roles: Roles::ADMIN,
            ..node(9, "b")
        });
        s.partitions.extend([
            partition(1, &[], None),
            partition(2, &[1, 2], Some(2)),
            partition(3, &[1, 9], Some(1)),
            partition(4, &[1], Some(1)),
            partition(5, &[1, 3], Some(1)),
        ]);
        s.partitions[5].next = Some(vec![2]);
        let got: Vec<String> = s.unsettled().iter().map(ToString::to_string).collect();
        assert_eq!(
            got,
            [
                "draining N2 still holds 2 partition(s) and leads 1",
                "partition 1: it is unplaced",
                "partition 2: it has a replica on N2, which is draining and may not keep it",
                "partition 3: it has a replica on N9, which is active and not a worker and may not keep it",
                "partition 4: it has 1 replica(s), the replication factor is 2",
                "partition 5: its next set is still in flight",
                "partition 1 is led by nobody, not by a replica on an alive, active worker",
                "partition 2 is led by N2, not by a replica on an alive, active worker",
            ]
        );
        let counts = count_by_kind(&s.unsettled());
        assert_eq!(counts[0], (UnsettledKind::DrainingInUse, 1));
        assert_eq!(
            UnsettledKind::Unplaced.describe(44),
            "44 partition(s) unplaced"
        );
    }

    #[test]
    fn a_frozen_partition_is_never_work_left_but_its_leader_may_still_move() {
        let mut s = settled();
        s.nodes[1].worker_state = WorkerState::Draining;
        s.nodes.push(Node {
            alive: false,
            ..node(4, "b")
        });
        let frozen = |p: Partition| Partition {
            freeze: Some("maintenance".into()),
            ..p
        };
        s.partitions.extend([
            frozen(partition(1, &[2, 4], Some(2))),
            frozen(partition(2, &[1], Some(2))),
            frozen(partition(3, &[], None)),
        ]);
        s.partitions[1].next = Some(vec![3]);
        let got: Vec<String> = s.unsettled().iter().map(ToString::to_string).collect();
        assert_eq!(
            got,
            [
                "draining N2 still holds 0 partition(s) and leads 1",
                "partition 3: it is unplaced",
                "partition 2 is led by N2, not by a replica on an alive, active worker",
                "partition 3 is led by nobody, not by a replica on an alive, active worker",
            ]
        );
        s.partitions[2].leader = Some(1);
        s.partitions.pop();
        assert_eq!(s.unsettled(), vec![]);
        assert_eq!(s.blocked().len(), 1);
    }

    #[test]
    fn an_alive_provisioning_worker_waits_to_be_made_active() {
        let mut s = settled();
        let provisioning = |id, alive, roles| Node {
            worker_state: WorkerState::Provisioning,
            alive,
            roles,
            ..node(id, "b")
        };
        s.nodes.extend([
            provisioning(4, true, Roles::WORKER),
            provisioning(5, false, Roles::WORKER),
            provisioning(6, true, Roles::ADMIN),
        ]);
        let problems = s.unsettled();
        assert_eq!(problems, vec![Unsettled::NotActivated { node: 4 }]);
        assert_eq!(
            problems[0].to_string(),
            "N4 is an alive provisioning worker that was never made active"
        );
    }

    #[test]
    fn replicas_in_one_zone_fall_short_of_domains() {
        let mut s = settled();
        s.partitions[0].replicas = vec![1, 2];
        let problems = s.unsettled();
        assert_eq!(problems.len(), 1);
        assert_eq!(
            problems[0].to_string(),
            "partition 0: its replicas fall short: 1 zone(s) available, the replication property requires 2"
        );
    }
}
