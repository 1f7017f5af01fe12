//! What every random cluster may have beyond its shape: the situations that let buggy policies
//! through when the generator never made them (nodes without the worker role, a disabled worker
//! still holding replicas, a draining worker only a `next` set holds, dead nodes in every
//! position, node and partition ids that are not 1..N and 0..P). Each is a valid snapshot a
//! file can hold; [`RandomCluster`](super::RandomCluster) documents how often each comes.

use std::collections::{BTreeSet, HashMap};

use super::SplitMix64;
use crate::snapshot::{Node, NodeId, PartitionId, Roles, Snapshot, WorkerState};

/// The largest node id the generator hands out: one below `u32::MAX`, so that a caller can
/// still name an unknown node one past the largest.
pub const LARGEST_NODE_ID: NodeId = u32::MAX - 1;

/// How the node ids of a cluster are numbered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeIds {
    /// 1 to N.
    Consecutive,
    /// From 1 to 4 on, each id 1 to 3 more than the one before.
    Holes,
    /// Spread at random over the whole `u32` range, the largest [`LARGEST_NODE_ID`].
    Wide,
}

/// How the partition ids of a cluster are numbered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartitionIds {
    /// 0 to P - 1.
    FromZero,
    /// From 0 on, each id 1 to 1,000 more than the one before.
    Sparse,
    /// Consecutive, about half of them below 256 and the rest from 256 on.
    Across255,
    /// Consecutive, about half of them below 65,536 and the rest from 65,536 on.
    Across65535,
}

/// A position where a node that was alive dies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeadPosition {
    /// A draining worker (holding replicas when the cluster is placed).
    Draining,
    /// A provisioning worker.
    Provisioning,
    /// A node that a `next` set is moving a partition to.
    Next,
    /// The leader of a partition.
    Leader,
}

/// The features a random cluster got beyond its shape, in the order they are applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Features {
    /// A worker holding replicas was disabled without being drained.
    pub disabled_holding: bool,
    /// A new draining worker was added that only one partition's `next` set holds.
    pub draining_next_only: bool,
    /// The positions where one more node died.
    pub dead: Vec<DeadPosition>,
    /// Nodes without the worker role added beside the workers.
    pub non_workers: u32,
    /// How node ids are numbered.
    pub node_ids: NodeIds,
    /// Whether node ids were shuffled across the nodes, so they are not in zone order.
    pub ids_across_zones: bool,
    /// How partition ids are numbered.
    pub partition_ids: PartitionIds,
}

impl DeadPosition {
    /// Every position, in the order they are drawn.
    pub const ALL: [DeadPosition; 4] = [
        DeadPosition::Draining,
        DeadPosition::Provisioning,
        DeadPosition::Next,
        DeadPosition::Leader,
    ];
}

impl Features {
    /// Draws the features and applies them to `snapshot` (with `placed` telling whether the
    /// shape placed its partitions), each draw in the order [`Features`] lists them.
    pub(super) fn apply(snapshot: &mut Snapshot, placed: bool, rng: &mut SplitMix64) -> Features {
        let disabled_holding = placed && rng.below(4) == 0 && disable_a_holder(snapshot, rng);
        let draining_next_only =
            placed && rng.below(4) == 0 && add_draining_next_only(snapshot, rng);
        let dead = DeadPosition::ALL
            .into_iter()
            .filter(|&position| rng.below(4) == 0 && kill_one(snapshot, position, rng))
            .collect();
        let non_workers = if rng.below(3) == 0 {
            1 + rng.below(3) as u32
        } else {
            0
        };
        add_non_workers(snapshot, non_workers, rng);
        let node_ids = [
            NodeIds::Consecutive,
            NodeIds::Consecutive,
            NodeIds::Holes,
            NodeIds::Wide,
        ][rng.below(4)];
        let ids_across_zones = rng.below(3) == 0;
        let ids = draw_node_ids(snapshot.nodes.len(), node_ids, ids_across_zones, rng);
        renumber_nodes(snapshot, &ids);
        let partition_ids = [
            PartitionIds::FromZero,
            PartitionIds::FromZero,
            PartitionIds::FromZero,
            PartitionIds::Sparse,
            PartitionIds::Across255,
            PartitionIds::Across65535,
        ][rng.below(6)];
        let ids = draw_partition_ids(snapshot.partitions.len(), partition_ids, rng);
        for (p, id) in snapshot.partitions.iter_mut().zip(ids) {
            p.id = id;
        }
        Features {
            disabled_holding,
            draining_next_only,
            dead,
            non_workers,
            node_ids,
            ids_across_zones,
            partition_ids,
        }
    }
}

/// A random pick from `items`, `None` when there are none.
fn pick<'a, T>(items: &'a [T], rng: &mut SplitMix64) -> Option<&'a T> {
    (!items.is_empty()).then(|| &items[rng.below(items.len())])
}

/// Disables a random worker that holds a replica (it keeps them); whether there was one.
fn disable_a_holder(snapshot: &mut Snapshot, rng: &mut SplitMix64) -> bool {
    let holders: BTreeSet<NodeId> = snapshot
        .partitions
        .iter()
        .flat_map(|p| p.replicas.iter().copied())
        .collect();
    let holders: Vec<NodeId> = holders.into_iter().collect();
    let Some(&id) = pick(&holders, rng) else {
        return false;
    };
    for n in snapshot.nodes.iter_mut().filter(|n| n.id == id) {
        n.worker_state = WorkerState::Disabled;
    }
    true
}

/// Adds a draining worker in the zone of a random node and makes it the pending member of a
/// random placed partition's `next` set (its replicas with one swapped for the new node), so
/// only that `next` set holds it; whether there was a placed partition.
fn add_draining_next_only(snapshot: &mut Snapshot, rng: &mut SplitMix64) -> bool {
    let placed: Vec<usize> = (0..snapshot.partitions.len())
        .filter(|&i| !snapshot.partitions[i].replicas.is_empty())
        .collect();
    let (Some(&p), Some(beside)) = (pick(&placed, rng), pick(&snapshot.nodes, rng)) else {
        return false;
    };
    let id = next_node_id(snapshot);
    let location = beside.location.clone();
    snapshot.nodes.push(Node {
        worker_state: WorkerState::Draining,
        ..new_node(id, location, Roles::WORKER)
    });
    let partition = &mut snapshot.partitions[p];
    let mut next = partition.replicas.clone();
    let slot = rng.below(next.len());
    next[slot] = id;
    partition.next = Some(next);
    true
}

/// Kills a random live node in `position`; whether the cluster had one there.
fn kill_one(snapshot: &mut Snapshot, position: DeadPosition, rng: &mut SplitMix64) -> bool {
    let in_position: BTreeSet<NodeId> = match position {
        DeadPosition::Draining | DeadPosition::Provisioning => {
            let state = if position == DeadPosition::Draining {
                WorkerState::Draining
            } else {
                WorkerState::Provisioning
            };
            let of_state = snapshot.nodes.iter().filter(|n| n.worker_state == state);
            of_state.map(|n| n.id).collect()
        }
        DeadPosition::Next => snapshot
            .partitions
            .iter()
            .flat_map(|p| p.pending_next())
            .collect(),
        DeadPosition::Leader => snapshot
            .partitions
            .iter()
            .filter_map(|p| p.leader)
            .collect(),
    };
    let alive: Vec<NodeId> = in_position
        .into_iter()
        .filter(|&id| snapshot.node(id).is_some_and(|n| n.alive))
        .collect();
    let Some(&id) = pick(&alive, rng) else {
        return false;
    };
    for n in snapshot.nodes.iter_mut().filter(|n| n.id == id) {
        n.alive = false;
    }
    true
}

/// Adds `count` nodes without the worker role: each runs a random non-empty set of the other
/// roles, is in a random worker state, dead in 1/4, and sits in the zone of a random node (3/4)
/// or in a zone of its own (1/4). They hold nothing.
fn add_non_workers(snapshot: &mut Snapshot, count: u32, rng: &mut SplitMix64) {
    let others: Vec<Roles> = Roles::NAMED
        .iter()
        .map(|&(role, _)| role)
        .filter(|&role| role != Roles::WORKER)
        .collect();
    for i in 0..count {
        let mask = 1 + rng.below((1 << others.len()) - 1);
        let roles = (0..others.len())
            .filter(|bit| mask & (1 << bit) != 0)
            .fold(Roles::empty(), |roles, bit| roles.union(others[bit]));
        let worker_state = WorkerState::ALL[rng.below(WorkerState::ALL.len())];
        let alive = rng.below(4) != 0;
        let location = match pick(&snapshot.nodes, rng) {
            Some(beside) if rng.below(4) != 0 => beside.location.clone(),
            _ => format!("r1.non-workers-{}", i + 1),
        };
        let id = next_node_id(snapshot);
        snapshot.nodes.push(Node {
            worker_state,
            alive,
            ..new_node(id, location, roles)
        });
    }
}

/// One more than the largest node id (1 for no nodes).
fn next_node_id(snapshot: &Snapshot) -> NodeId {
    snapshot.nodes.iter().map(|n| n.id + 1).max().unwrap_or(1)
}

/// An alive, active node `id` named and addressed after its id.
fn new_node(id: NodeId, location: String, roles: Roles) -> Node {
    Node {
        id,
        generation: 1,
        name: format!("n{id}"),
        address: format!("http://n{id}:5122/"),
        location,
        roles,
        worker_state: WorkerState::Active,
        alive: true,
        weight: crate::Weight::STANDARD,
    }
}

/// Node ids numbered as `scheme` says for `count` nodes, in a random order with `shuffled`.
fn draw_node_ids(
    count: usize,
    scheme: NodeIds,
    shuffled: bool,
    rng: &mut SplitMix64,
) -> Vec<NodeId> {
    let mut ids: Vec<NodeId> = match scheme {
        NodeIds::Consecutive => (1..=count as NodeId).collect(),
        NodeIds::Holes => {
            let mut id = rng.below(4) as NodeId;
            (0..count)
                .map(|_| {
                    id += 1 + rng.below(3) as NodeId;
                    id
                })
                .collect()
        }
        NodeIds::Wide => wide_ids(count, rng),
    };
    if shuffled {
        rng.shuffle(&mut ids);
    }
    ids
}

/// `count` distinct ids spread over `1..=LARGEST_NODE_ID`, sorted, the last one the largest.
fn wide_ids(count: usize, rng: &mut SplitMix64) -> Vec<NodeId> {
    let mut ids = BTreeSet::new();
    if count > 0 {
        ids.insert(LARGEST_NODE_ID);
    }
    while ids.len() < count {
        ids.insert(1 + rng.below(LARGEST_NODE_ID as usize - 1) as NodeId);
    }
    ids.into_iter().collect()
}

/// Gives the nodes of `snapshot` the distinct `ids`, in the order of the node list; every
/// replica, `next` set and leader follows, and names and addresses are made after the new ids.
///
/// # Panics
///
/// When `ids` has fewer ids than the snapshot has nodes.
pub fn renumber_nodes(snapshot: &mut Snapshot, ids: &[NodeId]) {
    assert!(ids.len() >= snapshot.nodes.len(), "an id for every node");
    let renamed: HashMap<NodeId, NodeId> = snapshot
        .nodes
        .iter()
        .map(|n| n.id)
        .zip(ids.iter().copied())
        .collect();
    for n in &mut snapshot.nodes {
        let id = renamed[&n.id];
        n.id = id;
        n.name = format!("n{id}");
        n.address = format!("http://n{id}:5122/");
    }
    let new_id = |old: &mut NodeId| *old = renamed[old];
    for p in &mut snapshot.partitions {
        p.replicas.iter_mut().for_each(new_id);
        p.next.iter_mut().flatten().for_each(new_id);
        p.leader.iter_mut().for_each(new_id);
    }
}

/// Partition ids numbered as `scheme` says for `count` partitions.
fn draw_partition_ids(
    count: usize,
    scheme: PartitionIds,
    rng: &mut SplitMix64,
) -> Vec<PartitionId> {
    let half = count as PartitionId / 2;
    let mut id = match scheme {
        PartitionIds::FromZero | PartitionIds::Sparse => 0,
        PartitionIds::Across255 => 256 - half.min(256),
        PartitionIds::Across65535 => 65_536 - half,
    };
    (0..count)
        .map(|_| {
            let this = id;
            id += match scheme {
                PartitionIds::Sparse => 1 + rng.below(1000) as PartitionId,
                _ => 1,
            };
            this
        })
        .collect()
}
