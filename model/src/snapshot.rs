//! Nodes, partitions and the snapshot of a cluster that a policy decides on.

use std::collections::BTreeSet;
use std::fmt;

use crate::positions::Positions;
use crate::replication::{Replication, Scope, Shortfall};

/// A node's id; printed as `N<id>`, like Restate does.
pub type NodeId = u32;
/// A partition's id.
pub type PartitionId = u32;

/// The lifecycle state of a worker node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum WorkerState {
    /// Started, not yet initialised: never receives replicas.
    Provisioning,
    /// Normal operation: eligible for new replica sets.
    Active,
    /// About to leave: receives nothing new; its replicas move to active workers.
    Draining,
    /// Has left every replica set: safe to stop.
    Disabled,
}

impl WorkerState {
    /// Every state, in lifecycle order.
    pub const ALL: [WorkerState; 4] = [
        WorkerState::Provisioning,
        WorkerState::Active,
        WorkerState::Draining,
        WorkerState::Disabled,
    ];

    /// The kebab-case name used in snapshots and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            WorkerState::Provisioning => "provisioning",
            WorkerState::Active => "active",
            WorkerState::Draining => "draining",
            WorkerState::Disabled => "disabled",
        }
    }

    /// Parses a kebab-case name.
    pub fn from_name(name: &str) -> Option<WorkerState> {
        WorkerState::ALL.into_iter().find(|s| s.name() == name)
    }
}

impl fmt::Display for WorkerState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The roles a node runs, as a set of flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct Roles(u8);

impl Roles {
    /// Serves the HTTP ingress.
    pub const HTTP_INGRESS: Roles = Roles(1);
    /// Runs the cluster controller.
    pub const ADMIN: Roles = Roles(2);
    /// Holds partition replicas.
    pub const WORKER: Roles = Roles(4);
    /// Stores the log.
    pub const LOG_SERVER: Roles = Roles(8);
    /// Runs the metadata store.
    pub const METADATA_SERVER: Roles = Roles(16);

    /// Every role with its kebab-case name, in Restate's order.
    pub const NAMED: [(Roles, &'static str); 5] = [
        (Roles::HTTP_INGRESS, "http-ingress"),
        (Roles::ADMIN, "admin"),
        (Roles::WORKER, "worker"),
        (Roles::LOG_SERVER, "log-server"),
        (Roles::METADATA_SERVER, "metadata-server"),
    ];

    /// No role at all.
    pub const fn empty() -> Roles {
        Roles(0)
    }

    /// The raw bits, one per role in the order of [`Roles::NAMED`].
    pub const fn bits(self) -> u8 {
        self.0
    }

    /// The set with the given raw bits; unknown bits are dropped.
    pub const fn from_bits(bits: u8) -> Roles {
        Roles(bits & 31)
    }

    /// Whether every role of `other` is in this set.
    pub const fn contains(self, other: Roles) -> bool {
        self.0 & other.0 == other.0
    }

    /// The union of two sets.
    pub const fn union(self, other: Roles) -> Roles {
        Roles(self.0 | other.0)
    }

    /// The role called `name`, if there is one.
    pub fn from_name(name: &str) -> Option<Roles> {
        Roles::NAMED
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(r, _)| *r)
    }

    /// The names of the roles in this set, in Restate's order.
    pub fn names(self) -> Vec<&'static str> {
        Roles::NAMED
            .iter()
            .filter(|(r, _)| self.contains(*r))
            .map(|(_, n)| *n)
            .collect()
    }
}

/// One node's configuration and liveness.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Node {
    /// The node's id.
    pub id: NodeId,
    /// The generation of the node id.
    pub generation: u32,
    /// The node's name.
    pub name: String,
    /// Where the node listens.
    pub address: String,
    /// `region.zone`, `region` or empty.
    pub location: String,
    /// The roles it runs.
    pub roles: Roles,
    /// Its worker state.
    pub worker_state: WorkerState,
    /// Whether it is up.
    pub alive: bool,
    /// Its capacity relative to the other nodes: fair shares are proportional to it.
    pub weight: Weight,
}

/// A node's capacity relative to the other nodes (`nodes[].weight`): 1.0 is a standard node, 2.0
/// one that should hold twice as many replicas. Finite, from [`Weight::MIN`] to [`Weight::MAX`].
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct Weight(f64);

impl Weight {
    /// A standard node's weight, the default.
    pub const STANDARD: Weight = Weight(1.0);
    /// The smallest weight a node may have.
    pub const MIN: f64 = 0.001;
    /// The largest weight a node may have.
    pub const MAX: f64 = 1000.0;

    /// The weight `value`, when it is a number from [`Weight::MIN`] to [`Weight::MAX`].
    pub fn new(value: f64) -> Option<Weight> {
        (Weight::MIN..=Weight::MAX)
            .contains(&value)
            .then_some(Weight(value))
    }

    /// The weight as a number.
    #[inline]
    pub fn value(self) -> f64 {
        self.0
    }

    /// Whether this is the standard weight.
    pub fn is_standard(self) -> bool {
        self == Weight::STANDARD
    }
}

impl Default for Weight {
    fn default() -> Weight {
        Weight::STANDARD
    }
}

// A weight is never NaN (`Weight::new` refuses it), so equality is total.
impl Eq for Weight {}

impl std::hash::Hash for Weight {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.to_bits().hash(state);
    }
}

impl fmt::Display for Weight {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl Node {
    /// An alive, active worker at `location` (generation 1, no name or address): the node most
    /// clusters are made of, for building snapshots in code.
    pub fn worker(id: NodeId, location: impl Into<String>) -> Node {
        Node {
            id,
            generation: 1,
            name: String::new(),
            address: String::new(),
            location: location.into(),
            roles: Roles::WORKER,
            worker_state: WorkerState::Active,
            alive: true,
            weight: Weight::STANDARD,
        }
    }

    /// Whether the node may receive new replicas: a worker that is active and alive.
    pub fn is_placement_candidate(&self) -> bool {
        self.roles.contains(Roles::WORKER) && self.worker_state == WorkerState::Active && self.alive
    }

    /// Whether the node may keep the replicas it holds: the same as a placement candidate.
    /// Replicas on draining, disabled, dead or non-worker nodes must move.
    pub fn may_keep_replicas(&self) -> bool {
        self.is_placement_candidate()
    }

    /// Whether the node serves the replicas it holds now (it is up and has not left): a replica
    /// on such a node still counts towards the replication factor while it is being replaced.
    pub fn serves_replicas(&self) -> bool {
        self.alive && self.worker_state != WorkerState::Disabled
    }

    /// The node's region: the part of its location before the first dot.
    #[inline]
    pub fn region(&self) -> &str {
        self.location.split('.').next().unwrap_or("")
    }

    /// The node's zone: its whole location.
    #[inline]
    pub fn zone(&self) -> &str {
        &self.location
    }

    /// The node's domain at `scope`: its region, its zone or the node itself.
    pub fn domain(&self, scope: Scope) -> Domain<'_> {
        match scope {
            Scope::Region => Domain::Named(self.region()),
            Scope::Zone => Domain::Named(self.zone()),
            Scope::Node => Domain::Node(self.id),
        }
    }
}

/// A failure domain: a named region or zone, or a single node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Domain<'a> {
    /// A region or zone, by name.
    Named(&'a str),
    /// A node, by id.
    Node(NodeId),
}

/// A partition and its replica set.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Partition {
    /// The partition's id.
    pub id: PartitionId,
    /// The nodes holding a replica now; empty when the partition is unplaced.
    pub replicas: Vec<NodeId>,
    /// A reconfiguration in flight: the set being moved to.
    pub next: Option<Vec<NodeId>>,
    /// The node leading the partition.
    pub leader: Option<NodeId>,
    /// Restate's placement freeze, with its reason: no plan may change the replica set (an
    /// unplaced partition may still be placed, and its leader may still move among its replicas).
    pub freeze: Option<String>,
    /// Where the partition's leader should be, when a replica there may lead.
    pub leader_affinity: Option<LeaderAffinity>,
}

/// Where a partition's leader should be (Restate's leadership policy affinity).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum LeaderAffinity {
    /// On that node.
    Node(NodeId),
    /// On a node in that location: a region (`eu`) or a zone (`eu.a`).
    Location(String),
}

impl LeaderAffinity {
    /// Whether `node` is where the affinity points.
    pub fn matches(&self, node: &Node) -> bool {
        match self {
            LeaderAffinity::Node(id) => node.id == *id,
            // A region names every zone in it; a zone only itself.
            LeaderAffinity::Location(location) => {
                node.location == *location
                    || (!location.contains('.')
                        && node
                            .location
                            .strip_prefix(location.as_str())
                            .is_some_and(|zone| zone.starts_with('.')))
            }
        }
    }
}

impl fmt::Display for LeaderAffinity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LeaderAffinity::Node(id) => write!(f, "node {}", NodeLabel(*id)),
            LeaderAffinity::Location(location) => write!(f, "location `{location}`"),
        }
    }
}

impl Partition {
    /// A partition placed on `replicas`, led by `leader`, with no reconfiguration in flight.
    pub fn placed(id: PartitionId, replicas: &[NodeId], leader: Option<NodeId>) -> Partition {
        Partition {
            id,
            replicas: replicas.to_vec(),
            leader,
            ..Partition::default()
        }
    }

    /// Whether the partition's leader is one the balance of leaderships decides: it has no
    /// leader affinity (an affine partition is led where its affinity points).
    pub fn leads_by_balance(&self) -> bool {
        self.leader_affinity.is_none()
    }

    /// Whether a placement freeze keeps the partition's replica set as it is. An unplaced
    /// partition is never held back: Restate places it even when frozen.
    pub fn is_frozen(&self) -> bool {
        self.freeze.is_some() && !self.is_unplaced()
    }

    /// Whether the partition has no replicas and no reconfiguration in flight.
    pub fn is_unplaced(&self) -> bool {
        self.replicas.is_empty() && self.next.as_ref().is_none_or(|n| n.is_empty())
    }

    /// Every node holding the partition: its replicas and the nodes of its `next` set, sorted.
    pub fn holders(&self) -> BTreeSet<NodeId> {
        let mut all: BTreeSet<NodeId> = self.replicas.iter().copied().collect();
        if let Some(next) = &self.next {
            all.extend(next.iter().copied());
        }
        all
    }

    /// Whether `node` holds the partition, in its replicas or its `next` set.
    pub fn is_held_by(&self, node: NodeId) -> bool {
        self.replicas.contains(&node) || self.next.as_ref().is_some_and(|n| n.contains(&node))
    }

    /// The nodes of the `next` set that are not replicas yet: what a plan still has to settle.
    /// A node that is already a replica has nothing left to settle, so a `next` set without
    /// such nodes is done (every normalisation of `next` goes through this).
    pub fn pending_next(&self) -> impl Iterator<Item = NodeId> + '_ {
        self.next
            .iter()
            .flatten()
            .copied()
            .filter(|n| !self.replicas.contains(n))
    }
}

/// Everything a policy knows about the cluster.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Snapshot {
    /// The replication property every replica set must satisfy.
    pub replication: Replication,
    /// The nodes, in any order.
    pub nodes: Vec<Node>,
    /// The partitions, in any order.
    pub partitions: Vec<Partition>,
}

impl Snapshot {
    /// The node with id `id`.
    pub fn node(&self, id: NodeId) -> Option<&Node> {
        self.nodes.iter().find(|n| n.id == id)
    }

    /// The partition with id `id`.
    pub fn partition(&self, id: PartitionId) -> Option<&Partition> {
        self.partitions.iter().find(|p| p.id == id)
    }

    /// The first scope at which the eligible workers (worker role, active, alive), leaving out
    /// `without` when given, span fewer domains than the replication property requires: `None`
    /// when they can satisfy it. Placement refuses with it, and the safety check of a
    /// transition asks it without the node that would stop being eligible.
    pub fn shortfall_without(&self, without: Option<NodeId>) -> Option<Shortfall> {
        let eligible = self
            .nodes
            .iter()
            .filter(|n| Some(n.id) != without && n.is_placement_candidate());
        self.replication.shortfall(eligible)
    }

    /// How many partitions a node holds (replicas or `next` sets) and how many it leads.
    pub fn usage(&self, node: NodeId) -> NodeUsage {
        let mut usage = NodeUsage::default();
        for p in &self.partitions {
            if p.is_held_by(node) {
                usage.holds += 1;
            }
            if p.leader == Some(node) {
                usage.leads += 1;
            }
        }
        usage
    }

    /// [`Snapshot::usage`] of every node, in the order of `nodes`, counted in one pass over the
    /// partitions: what a question about many nodes asks instead of one pass per node. A node
    /// listed twice is counted at its last position.
    pub fn usage_by_node(&self) -> Vec<NodeUsage> {
        self.usage_counted(&Positions::new(self.nodes.iter().map(|n| n.id)), |_| {
            (true, true)
        })
    }

    /// What every node holds and leads, by its position in `index` (made from the ids of
    /// `nodes`, in order), counting only the partitions `counts` says to: `(holds, leads)`.
    pub(crate) fn usage_counted(
        &self,
        index: &Positions,
        counts: impl Fn(&Partition) -> (bool, bool),
    ) -> Vec<NodeUsage> {
        let mut usage = vec![NodeUsage::default(); self.nodes.len()];
        // The partition (from 1) that last counted each node: a node a partition names twice
        // (in its replicas and its `next` set) holds it once.
        let mut counted_for = vec![0usize; self.nodes.len()];
        for (at, p) in self.partitions.iter().enumerate() {
            let (holds, leads) = counts(p);
            if holds {
                let holders = p.replicas.iter().chain(p.next.iter().flatten());
                for node in holders.filter_map(|&id| index.get(id)) {
                    if counted_for[node] != at + 1 {
                        counted_for[node] = at + 1;
                        usage[node].holds += 1;
                    }
                }
            }
            if let Some(leader) = p.leader.and_then(|id| index.get(id)).filter(|_| leads) {
                usage[leader].leads += 1;
            }
        }
        usage
    }

    /// The same snapshot with nodes and partitions sorted by id, every replica set sorted, and
    /// `next` sets holding only the nodes that are not replicas yet (None when that leaves
    /// nothing): the form the host hands to policies and writes back.
    pub fn canonical(mut self) -> Snapshot {
        self.nodes.sort_by_key(|n| n.id);
        self.partitions.sort_by_key(|p| p.id);
        for p in &mut self.partitions {
            p.replicas.sort_unstable();
            let mut pending: Vec<NodeId> = p.pending_next().collect();
            pending.sort_unstable();
            p.next = (!pending.is_empty()).then_some(pending);
        }
        self
    }
}

/// What a node takes part in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NodeUsage {
    /// Partitions whose replicas or `next` set hold the node.
    pub holds: u32,
    /// Partitions the node leads.
    pub leads: u32,
}

impl NodeUsage {
    /// Whether the node holds nothing (no replica, no `next` set) and leads nothing: the one
    /// condition under which it may be disabled.
    pub fn is_idle(&self) -> bool {
        self.holds == 0 && self.leads == 0
    }
}

/// A node id as Restate prints it (`N3`), written straight into a message without an
/// allocation of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeLabel(pub NodeId);

impl fmt::Display for NodeLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "N{}", self.0)
    }
}

/// Formats a node id as Restate prints it: `N3`.
pub fn node_label(id: NodeId) -> String {
    NodeLabel(id).to_string()
}

/// Parses a node id written as `N3`, `n3` or `3`.
pub fn parse_node_id(text: &str) -> Option<NodeId> {
    let digits = text.strip_prefix(['N', 'n']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(id: NodeId, zone: &str, state: WorkerState) -> Node {
        Node {
            worker_state: state,
            ..Node::worker(id, zone)
        }
    }

    #[test]
    fn canonical_keeps_only_the_pending_part_of_next_sorted() {
        let p = |next: Option<Vec<NodeId>>| Partition {
            id: 0,
            replicas: vec![3, 1],
            next,
            leader: None,
            freeze: None,
            leader_affinity: None,
        };
        let canonical = |next| {
            Snapshot {
                replication: Replication::nodes(1).unwrap(),
                nodes: vec![],
                partitions: vec![p(next)],
            }
            .canonical()
            .partitions[0]
                .next
                .clone()
        };
        assert_eq!(canonical(Some(vec![5, 1, 4])), Some(vec![4, 5]));
        assert_eq!(canonical(Some(vec![3, 1])), None);
        assert_eq!(canonical(Some(vec![])), None);
        assert_eq!(canonical(None), None);
        assert_eq!(
            p(Some(vec![5, 1, 4])).pending_next().collect::<Vec<_>>(),
            [5, 4]
        );
    }

    #[test]
    fn a_location_affinity_names_a_region_or_one_zone() {
        let region = LeaderAffinity::Location("eu".into());
        let zone = LeaderAffinity::Location("eu.a".into());
        let at = |location: &str| Node::worker(1, location);
        assert!(region.matches(&at("eu")) && region.matches(&at("eu.a")));
        assert!(!region.matches(&at("eur.a")) && !region.matches(&at("us.a")));
        assert!(
            zone.matches(&at("eu.a")) && !zone.matches(&at("eu.b")) && !zone.matches(&at("eu"))
        );
        assert!(
            LeaderAffinity::Node(1).matches(&at("")) && !LeaderAffinity::Node(2).matches(&at(""))
        );
    }

    #[test]
    fn a_weight_is_a_number_in_its_range() {
        assert_eq!(Weight::new(1.0), Some(Weight::STANDARD));
        assert_eq!(Weight::new(0.5).map(Weight::value), Some(0.5));
        for refused in [0.0, -1.0, 0.0005, 1000.5, f64::NAN, f64::INFINITY] {
            assert_eq!(Weight::new(refused), None, "{refused}");
        }
    }

    #[test]
    fn a_freeze_holds_back_only_a_placed_partition() {
        let frozen = |replicas: &[NodeId]| Partition {
            freeze: Some("maintenance".into()),
            ..Partition::placed(0, replicas, None)
        };
        assert!(frozen(&[1]).is_frozen());
        assert!(!frozen(&[]).is_frozen());
        assert!(!Partition::placed(0, &[1], None).is_frozen());
    }

    #[test]
    fn usage_is_idle_only_without_holding_or_leading() {
        let idle = |holds, leads| NodeUsage { holds, leads }.is_idle();
        assert!(idle(0, 0));
        assert!(!idle(1, 0) && !idle(0, 1));
    }

    #[test]
    fn every_node_counts_as_usage_counts_it() {
        let snapshot = Snapshot {
            replication: Replication::nodes(2).unwrap(),
            nodes: [4, 1, 3, 2].map(|id| Node::worker(id, "z")).to_vec(),
            partitions: vec![
                Partition {
                    next: Some(vec![1, 3, 9]),
                    ..Partition::placed(0, &[1, 2], Some(2))
                },
                Partition::placed(1, &[2, 9], Some(9)),
                Partition::placed(2, &[], None),
            ],
        };
        let table = snapshot.usage_by_node();
        for (at, node) in snapshot.nodes.iter().enumerate() {
            assert_eq!(table[at], snapshot.usage(node.id), "N{}", node.id);
        }
        assert_eq!((table[3].holds, table[3].leads), (2, 1));
        assert_eq!((table[1].holds, table[1].leads), (1, 0));
    }

    #[test]
    fn the_shortfall_counts_eligible_workers_without_the_one_left_out() {
        let mut s = Snapshot {
            replication: Replication::parse("{zone: 2, node: 2}").unwrap(),
            nodes: vec![
                node(1, "a", WorkerState::Active),
                node(2, "b", WorkerState::Active),
                node(3, "b", WorkerState::Draining),
            ],
            partitions: vec![],
        };
        assert_eq!(s.shortfall_without(None), None);
        assert_eq!(s.shortfall_without(Some(3)), None);
        let short = s.shortfall_without(Some(1)).unwrap();
        assert_eq!(
            (short.scope, short.available, short.required),
            (Scope::Zone, 1, 2)
        );
        s.nodes[1].alive = false;
        assert!(s.shortfall_without(None).is_some());
    }
}
