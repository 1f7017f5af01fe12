//! A canonical, indexed view of a snapshot: nodes sorted by id and numbered densely, failure
//! domains interned, partitions sorted by id with their replica sets as node indices.
//!
//! Every decision of the policy works on this view, so its answers never depend on the order in
//! which the host lists nodes, partitions or replicas, and lookups are array indexing instead of
//! searches. Building it is also where a self-contradicting snapshot is rejected.

use std::collections::BTreeMap;
use std::fmt;

use worker_policy_model::replication::Scope;
use worker_policy_model::snapshot::node_label;
use worker_policy_model::{Node, NodeId, PartitionId, PolicyError, Replication, Snapshot};

/// A node's position in [`Cluster::nodes`].
pub(crate) type Ix = u32;

/// A node as Restate prints it (`N3`), written straight into a message without an allocation
/// of its own (a placement can have hundreds of thousands of steps, each with a reason).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Label(pub NodeId);

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "N{}", self.0)
    }
}

/// One partition, with node indices instead of ids.
#[derive(Debug, Clone)]
pub(crate) struct PartitionView {
    /// The partition's id.
    pub id: PartitionId,
    /// Its current replicas, sorted.
    pub replicas: Vec<Ix>,
    /// The nodes of its `next` set that are not also replicas, sorted.
    pub next_only: Vec<Ix>,
    /// Its leader, when the leader is a known node.
    pub leader: Option<Ix>,
}

impl PartitionView {
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
    /// The partitions, sorted by id.
    pub partitions: Vec<PartitionView>,
}

impl<'a> Cluster<'a> {
    /// Indexes `snapshot`; rejects duplicate ids, replica sets naming unknown nodes and replica
    /// lists that repeat a node.
    pub fn new(snapshot: &'a Snapshot) -> Result<Cluster<'a>, PolicyError> {
        let mut nodes: Vec<&Node> = snapshot.nodes.iter().collect();
        nodes.sort_by_key(|n| n.id);
        if let Some(pair) = nodes.windows(2).find(|w| w[0].id == w[1].id) {
            return Err(PolicyError::InvalidSnapshot(format!(
                "node {} appears twice in the node list",
                node_label(pair[0].id)
            )));
        }
        let mut zone_names: BTreeMap<&str, u32> = BTreeMap::new();
        let mut region_names: BTreeMap<&str, u32> = BTreeMap::new();
        for n in &nodes {
            zone_names.insert(named(n, Scope::Zone), 0);
            region_names.insert(named(n, Scope::Region), 0);
        }
        for (i, v) in zone_names.values_mut().enumerate() {
            *v = i as u32;
        }
        for (i, v) in region_names.values_mut().enumerate() {
            *v = i as u32;
        }
        let mut zone_region = vec![0; zone_names.len()];
        let zone: Vec<u32> = nodes
            .iter()
            .map(|n| {
                let z = zone_names[named(n, Scope::Zone)];
                zone_region[z as usize] = region_names[named(n, Scope::Region)];
                z
            })
            .collect();
        let ids: Vec<NodeId> = nodes.iter().map(|n| n.id).collect();
        let ix = |id: NodeId| ids.binary_search(&id).ok().map(|i| i as Ix);

        let mut partitions = Vec::with_capacity(snapshot.partitions.len());
        for p in &snapshot.partitions {
            let unknown = |id: NodeId| {
                PolicyError::InvalidSnapshot(format!(
                    "partition {} names {}, which is not in the node list",
                    p.id,
                    node_label(id)
                ))
            };
            let twice = |id: Ix, list: &str| {
                PolicyError::InvalidSnapshot(format!(
                    "partition {} lists {} twice in its {list}",
                    p.id,
                    node_label(ids[id as usize])
                ))
            };
            let mut replicas = Vec::with_capacity(p.replicas.len());
            for &id in &p.replicas {
                replicas.push(ix(id).ok_or_else(|| unknown(id))?);
            }
            replicas.sort_unstable();
            if let Some(w) = replicas.windows(2).find(|w| w[0] == w[1]) {
                return Err(twice(w[0], "replicas"));
            }
            let mut next = Vec::new();
            for &id in p.next.iter().flatten() {
                next.push(ix(id).ok_or_else(|| unknown(id))?);
            }
            next.sort_unstable();
            if let Some(w) = next.windows(2).find(|w| w[0] == w[1]) {
                return Err(twice(w[0], "next set"));
            }
            next.retain(|n| replicas.binary_search(n).is_err());
            partitions.push(PartitionView {
                id: p.id,
                replicas,
                next_only: next,
                leader: p.leader.and_then(ix),
            });
        }
        partitions.sort_by_key(|p| p.id);
        if let Some(w) = partitions.windows(2).find(|w| w[0].id == w[1].id) {
            return Err(PolicyError::InvalidSnapshot(format!(
                "partition {} appears twice in the partition list",
                w[0].id
            )));
        }
        Ok(Cluster {
            replication: snapshot.replication,
            eligible: nodes.iter().map(|n| n.is_placement_candidate()).collect(),
            serving: nodes.iter().map(|n| n.serves_replicas()).collect(),
            nodes,
            zone,
            zone_region,
            partitions,
        })
    }

    /// The node id of index `ix`.
    pub fn id(&self, ix: Ix) -> NodeId {
        self.nodes[ix as usize].id
    }

    /// Node `ix` as Restate prints it.
    pub fn label(&self, ix: Ix) -> Label {
        Label(self.id(ix))
    }

    /// The index of node `id`, if the snapshot has it.
    pub fn ix(&self, id: NodeId) -> Option<Ix> {
        self.nodes
            .binary_search_by_key(&id, |n| n.id)
            .ok()
            .map(|i| i as Ix)
    }

    /// The region of node `ix`.
    pub fn region(&self, ix: Ix) -> u32 {
        self.zone_region[self.zone[ix as usize] as usize]
    }

    /// The eligible nodes, by index.
    pub fn eligible_nodes(&self) -> Vec<Ix> {
        (0..self.nodes.len() as Ix)
            .filter(|&i| self.eligible[i as usize])
            .collect()
    }

    /// `Err(InsufficientNodes)` when the eligible nodes cannot satisfy the replication property.
    pub fn check_satisfiable(&self) -> Result<(), PolicyError> {
        let eligible = self
            .nodes
            .iter()
            .copied()
            .filter(|n| n.is_placement_candidate());
        match self.replication.shortfall(eligible) {
            Some(shortfall) => Err(PolicyError::InsufficientNodes(shortfall)),
            None => Ok(()),
        }
    }
}

/// The name of a node's region or zone.
fn named(node: &Node, scope: Scope) -> &str {
    match scope {
        Scope::Region => node.location.split('.').next().unwrap_or(""),
        _ => &node.location,
    }
}
