//! A canonical, indexed view of a snapshot: nodes sorted by id and numbered densely, failure
//! domains interned, partitions sorted by id with their replica sets as node indices.
//!
//! Every decision of the policy works on this view, so its answers never depend on the order in
//! which the host lists nodes, partitions or replicas, and lookups are array indexing instead of
//! searches. Building it is also where a self-contradicting snapshot is rejected, by the model's
//! rules ([`Snapshot::check_replica_sets`]).

use std::collections::BTreeMap;

use smallvec::SmallVec;

use worker_policy_model::positions::Positions;
use worker_policy_model::snapshot::NodeLabel;
use worker_policy_model::{
    LeaderAffinity, Node, NodeId, Partition, PartitionId, PolicyError, Replication, Snapshot,
};

/// A node's position in [`Cluster::nodes`].
pub(crate) type Ix = u32;

/// A partition's members, as node indices: inline up to four (a replica set rarely has more),
/// so indexing a cluster allocates nothing per partition.
pub(crate) type Members = SmallVec<[Ix; 4]>;

/// One partition, with node indices instead of ids.
#[derive(Debug, Clone)]
pub(crate) struct PartitionView {
    /// The partition's id.
    pub id: PartitionId,
    /// Its current replicas, sorted.
    pub replicas: Members,
    /// The nodes of its `next` set that are not also replicas, sorted.
    pub next_only: Members,
    /// Its leader, when the leader is a known node.
    pub leader: Option<Ix>,
    /// Whether a placement freeze keeps its replicas and `next` set as they are
    /// ([`Partition::is_frozen`]).
    pub frozen: bool,
    /// Where its leader should be, if anywhere.
    pub affinity: Option<LeaderAffinity>,
}

impl PartitionView {
    /// The view of partition `p`, with `index` the nodes' indices; `p`'s sets must name known
    /// nodes (see [`Snapshot::check_replica_sets`]).
    fn new(p: &Partition, index: &Positions) -> PartitionView {
        PartitionView {
            id: p.id,
            replicas: indices(p.replicas.iter().copied(), index),
            next_only: indices(p.pending_next(), index),
            leader: p.leader.and_then(|l| ix_in(index, l)),
            frozen: p.is_frozen(),
            affinity: p.leader_affinity.clone(),
        }
    }

    /// Whether the partition has no replicas and no `next` set.
    pub fn is_unplaced(&self) -> bool {
        self.replicas.is_empty() && self.next_only.is_empty()
    }

    /// Whether `node` holds the partition (replicas or `next`).
    pub fn holds(&self, node: Ix) -> bool {
        self.replicas.binary_search(&node).is_ok() || self.next_only.binary_search(&node).is_ok()
    }

    /// Every holder: replicas, then the `next`-only nodes.
    pub fn holders(&self) -> impl Iterator<Item = Ix> + '_ {
        self.replicas.iter().chain(&self.next_only).copied()
    }
}

/// The indexed snapshot.
#[derive(Debug)]
pub(crate) struct Cluster<'a> {
    /// The snapshot indexed.
    pub snapshot: &'a Snapshot,
    /// The replication property.
    pub replication: Replication,
    /// The nodes, sorted by id.
    pub nodes: Vec<&'a Node>,
    /// Per node: may it receive and keep replicas (worker, active, alive)?
    pub eligible: Vec<bool>,
    /// Per node: does it serve the replicas it holds (alive and not disabled)?
    pub serving: Vec<bool>,
    /// Per node: its zone, numbered in the order of the zone names.
    pub zone: Vec<u32>,
    /// Per zone: its region, numbered in the order of the region names.
    pub zone_region: Vec<u32>,
    /// Per node id: its index.
    pub index: Positions,
    /// The partitions, sorted by id.
    pub partitions: Vec<PartitionView>,
}

impl<'a> Cluster<'a> {
    /// Indexes `snapshot`; rejects what the model's replica-set consistency rules reject
    /// (duplicate ids, sets naming unknown nodes or a node twice). Leaders are not checked: a
    /// leader that is not a replica is one the plan replaces.
    pub fn new(snapshot: &'a Snapshot) -> Result<Cluster<'a>, PolicyError> {
        snapshot
            .check_replica_sets()
            .map_err(|e| PolicyError::InvalidSnapshot(e.to_string()))?;
        let mut nodes: Vec<&Node> = snapshot.nodes.iter().collect();
        nodes.sort_by_key(|n| n.id);
        let (zone, zone_region) = intern_domains(&nodes);
        let index = Positions::new(nodes.iter().map(|n| n.id));
        let mut partitions: Vec<PartitionView> = snapshot
            .partitions
            .iter()
            .map(|p| PartitionView::new(p, &index))
            .collect();
        partitions.sort_by_key(|p| p.id);
        Ok(Cluster {
            snapshot,
            replication: snapshot.replication,
            eligible: nodes.iter().map(|n| n.is_placement_candidate()).collect(),
            serving: nodes.iter().map(|n| n.serves_replicas()).collect(),
            nodes,
            zone,
            zone_region,
            index,
            partitions,
        })
    }

    /// The node id of index `ix`.
    pub fn id(&self, ix: Ix) -> NodeId {
        self.nodes[ix as usize].id
    }

    /// Node `ix` as Restate prints it.
    pub fn label(&self, ix: Ix) -> NodeLabel {
        NodeLabel(self.id(ix))
    }

    /// The index of node `id`, if the snapshot has it.
    pub fn ix(&self, id: NodeId) -> Option<Ix> {
        ix_in(&self.index, id)
    }

    /// The region of node `ix`.
    pub fn region(&self, ix: Ix) -> u32 {
        self.zone_region[self.zone[ix as usize] as usize]
    }

    /// Whether node `ix` is where partition `p`'s leader affinity points.
    pub fn is_affine(&self, p: &PartitionView, ix: Ix) -> bool {
        p.affinity
            .as_ref()
            .is_some_and(|a| a.matches(self.nodes[ix as usize]))
    }

    /// The eligible nodes, by index.
    pub fn eligible_nodes(&self) -> Vec<Ix> {
        (0..self.nodes.len() as Ix)
            .filter(|&i| self.eligible[i as usize])
            .collect()
    }

    /// `Err(InsufficientNodes)` when the eligible nodes cannot satisfy the replication property.
    pub fn check_satisfiable(&self) -> Result<(), PolicyError> {
        match self.snapshot.shortfall_without(None) {
            Some(shortfall) => Err(PolicyError::InsufficientNodes(shortfall)),
            None => Ok(()),
        }
    }
}

/// The index of node `id` in `index`, if it has it (a cluster has fewer than 2^32 nodes).
fn ix_in(index: &Positions, id: NodeId) -> Option<Ix> {
    index.get(id).map(|at| at as Ix)
}

/// The indices of the nodes `set` names that `index` has, sorted.
fn indices(set: impl Iterator<Item = NodeId>, index: &Positions) -> Members {
    let mut out: Members = set.filter_map(|id| ix_in(index, id)).collect();
    out.sort_unstable();
    out
}

/// Numbers the zones and regions of `nodes` in the order of their names: per node its zone,
/// and per zone its region.
fn intern_domains(nodes: &[&Node]) -> (Vec<u32>, Vec<u32>) {
    let number = |name: fn(&Node) -> &str| {
        let mut numbers: BTreeMap<&str, u32> = BTreeMap::new();
        for n in nodes {
            numbers.insert(name(n), 0);
        }
        for (i, v) in numbers.values_mut().enumerate() {
            *v = i as u32;
        }
        numbers
    };
    let (zones, regions) = (number(Node::zone), number(Node::region));
    let mut zone_region = vec![0; zones.len()];
    let zone = nodes
        .iter()
        .map(|n| {
            let z = zones[n.zone()];
            zone_region[z as usize] = regions[n.region()];
            z
        })
        .collect();
    (zone, zone_region)
}
