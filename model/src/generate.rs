//! Synthetic clusters from a seed, so tests, benchmarks and the CLI can exercise a policy on
//! shapes no real cluster has handed us yet (uneven zones, many regions, 100,000 partitions),
//! and reproduce any of them from the shape alone.
//!
//! The generator has its own tiny PRNG (splitmix64): the model stays free of dependencies and a
//! seed gives the same cluster on every platform. [`random`] draws whole clusters (shape and
//! oddities) from a seed, for the tests that want many of them.

use crate::replication::Replication;
use crate::snapshot::{Node, NodeId, Partition, Roles, Snapshot, WorkerState};

pub mod controls;
pub mod features;
pub mod random;

pub use features::{
    renumber_nodes, DeadPosition, Features, NodeIds, PartitionIds, LARGEST_NODE_ID,
};
pub use random::{add_next_sets, add_unplaced, Oddities, RandomCluster};

/// The shape of a synthetic cluster: how many nodes in which zones and regions, how many
/// partitions, and how many nodes start draining, provisioning, dead or disabled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterShape {
    /// Worker nodes per zone, one entry per zone.
    pub zones: Vec<u32>,
    /// Regions the zones are spread over round-robin (zone `i` lands in region `i % regions`);
    /// 0 counts as 1.
    pub regions: u32,
    /// Partitions, with ids `0..partitions`.
    pub partitions: u32,
    /// The replication property of the snapshot.
    pub replication: Replication,
    /// `false`: every partition is unplaced. `true`: partitions start on a simple striped layout
    /// over the nodes that are neither provisioning nor disabled (valid for the property where the nodes allow
    /// it, but not balanced by any policy's definition: the model cannot run a policy).
    pub placed: bool,
    /// Nodes that start draining.
    pub draining: u32,
    /// Nodes that start provisioning.
    pub provisioning: u32,
    /// Nodes that start dead (active but not alive).
    pub dead: u32,
    /// Nodes that start disabled (alive, holding nothing).
    pub disabled: u32,
    /// Picks which nodes are draining, provisioning, dead and disabled.
    pub seed: u64,
}

impl ClusterShape {
    /// A shape with one region, unplaced partitions, every node active and alive, and seed 0.
    pub fn new(zones: Vec<u32>, partitions: u32, replication: Replication) -> ClusterShape {
        ClusterShape {
            zones,
            regions: 1,
            partitions,
            replication,
            placed: false,
            draining: 0,
            provisioning: 0,
            dead: 0,
            disabled: 0,
            seed: 0,
        }
    }
}

/// The increment of splitmix64's state: the golden ratio as a 64-bit fraction.
const GOLDEN_GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// Well-spread bits from any 64-bit value: splitmix64's output for state `x` (the state
/// advanced once, then the finaliser). [`SplitMix64`] is this applied to a counter; the default
/// policy salts its tie-breaking with it.
pub fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(GOLDEN_GAMMA);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A small, fast, seedable PRNG (splitmix64): enough to pick nodes and shuffle lists.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator that starts from `seed`.
    pub fn new(seed: u64) -> SplitMix64 {
        SplitMix64(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let out = mix(self.0);
        self.0 = self.0.wrapping_add(GOLDEN_GAMMA);
        out
    }

    /// A number in `0..bound` (0 when `bound` is 0).
    pub fn below(&mut self, bound: usize) -> usize {
        ((u128::from(self.next_u64()) * bound as u128) >> 64) as usize
    }

    /// Shuffles `items` in place (Fisher-Yates).
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i + 1);
            items.swap(i, j);
        }
    }
}

/// The cluster `shape` describes: nodes `n1`, `n2`, ... with ids from 1, addresses
/// `http://n1:5122/`, the worker role, and locations `r{region}.z{zone}` (both counted from 1,
/// zones numbered across the whole cluster). Nodes and partitions come sorted by id.
pub fn generate(shape: &ClusterShape) -> Snapshot {
    let regions = shape.regions.max(1) as usize;
    let mut nodes = Vec::new();
    for (zone, &count) in shape.zones.iter().enumerate() {
        for _ in 0..count {
            let id = nodes.len() as NodeId + 1;
            nodes.push(Node {
                id,
                generation: 1,
                name: format!("n{id}"),
                address: format!("http://n{id}:5122/"),
                location: format!("r{}.z{}", zone % regions + 1, zone + 1),
                roles: Roles::WORKER,
                worker_state: WorkerState::Active,
                alive: true,
                weight: crate::Weight::STANDARD,
            });
        }
    }
    let mut order: Vec<usize> = (0..nodes.len()).collect();
    SplitMix64::new(shape.seed).shuffle(&mut order);
    let mut picked = order.into_iter();
    for _ in 0..shape.draining {
        if let Some(i) = picked.next() {
            nodes[i].worker_state = WorkerState::Draining;
        }
    }
    for _ in 0..shape.provisioning {
        if let Some(i) = picked.next() {
            nodes[i].worker_state = WorkerState::Provisioning;
        }
    }
    for _ in 0..shape.dead {
        if let Some(i) = picked.next() {
            nodes[i].alive = false;
        }
    }
    for _ in 0..shape.disabled {
        if let Some(i) = picked.next() {
            nodes[i].worker_state = WorkerState::Disabled;
        }
    }
    let partitions = if shape.placed {
        striped(shape, &nodes)
    } else {
        (0..shape.partitions)
            .map(|id| Partition {
                id,
                ..Partition::default()
            })
            .collect()
    };
    Snapshot {
        replication: shape.replication,
        nodes,
        partitions,
    }
}

/// Partition `i`'s replicas go to zones `i, i+1, ...` (over the zones that have nodes which are
/// neither provisioning nor disabled), each zone handing out its nodes round-robin; the first
/// replica leads.
fn striped(shape: &ClusterShape, nodes: &[Node]) -> Vec<Partition> {
    let mut zones: Vec<Vec<NodeId>> = Vec::new();
    let mut first = 0usize;
    for &count in &shape.zones {
        let members: Vec<NodeId> = nodes[first..first + count as usize]
            .iter()
            .filter(|n| {
                !matches!(
                    n.worker_state,
                    WorkerState::Provisioning | WorkerState::Disabled
                )
            })
            .map(|n| n.id)
            .collect();
        first += count as usize;
        if !members.is_empty() {
            zones.push(members);
        }
    }
    let mut next_in_zone = vec![0usize; zones.len()];
    let factor = shape.replication.factor() as usize;
    (0..shape.partitions)
        .map(|id| {
            let mut replicas: Vec<NodeId> = Vec::with_capacity(factor);
            for k in 0..factor {
                if zones.is_empty() {
                    break;
                }
                let z = (id as usize + k) % zones.len();
                let members = &zones[z];
                let free = (0..members.len())
                    .map(|step| (step, members[(next_in_zone[z] + step) % members.len()]))
                    .find(|(_, n)| !replicas.contains(n));
                if let Some((step, node)) = free {
                    replicas.push(node);
                    next_in_zone[z] += step + 1;
                }
            }
            Partition {
                id,
                leader: replicas.first().copied(),
                replicas,
                next: None,
                freeze: None,
                leader_affinity: None,
            }
        })
        .collect()
}

/// The same cluster with nodes, partitions and every replica list in a seeded random order: a
/// deterministic policy must answer it exactly as it answers `snapshot`.
pub fn permute(snapshot: &Snapshot, seed: u64) -> Snapshot {
    let mut rng = SplitMix64::new(seed);
    let mut out = snapshot.clone();
    rng.shuffle(&mut out.nodes);
    rng.shuffle(&mut out.partitions);
    for p in &mut out.partitions {
        rng.shuffle(&mut p.replicas);
        if let Some(next) = &mut p.next {
            rng.shuffle(next);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape() -> ClusterShape {
        ClusterShape {
            regions: 2,
            draining: 2,
            provisioning: 1,
            dead: 1,
            disabled: 1,
            seed: 7,
            ..ClusterShape::new(
                vec![3, 2, 4],
                10,
                Replication::parse("{zone: 3, node: 3}").unwrap(),
            )
        }
    }

    #[test]
    fn mix_and_the_generator_give_splitmix64s_reference_numbers() {
        // The first outputs of splitmix64 from seed 0 (Vigna's reference implementation).
        assert_eq!(mix(0), 0xE220_A839_7B1D_CDAF);
        let mut rng = SplitMix64::new(0);
        assert_eq!(rng.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(rng.next_u64(), 0x6E78_9E6A_A1B9_65F4);
        assert_eq!(rng.next_u64(), mix(GOLDEN_GAMMA.wrapping_mul(2)));
    }

    #[test]
    fn names_addresses_and_locations_follow_the_shape() {
        let s = generate(&shape());
        assert_eq!(s.nodes.len(), 9);
        assert_eq!(s.partitions.len(), 10);
        assert_eq!(s.nodes[0].name, "n1");
        assert_eq!(s.nodes[0].address, "http://n1:5122/");
        assert_eq!(s.nodes[0].location, "r1.z1");
        assert_eq!(s.nodes[3].location, "r2.z2");
        assert_eq!(s.nodes[8].location, "r1.z3");
        assert!(s.partitions.iter().all(Partition::is_unplaced));
    }

    #[test]
    fn the_seed_picks_disjoint_special_nodes_reproducibly() {
        let s = generate(&shape());
        assert_eq!(s, generate(&shape()));
        let count = |f: &dyn Fn(&Node) -> bool| s.nodes.iter().filter(|n| f(n)).count();
        assert_eq!(count(&|n| n.worker_state == WorkerState::Draining), 2);
        assert_eq!(count(&|n| n.worker_state == WorkerState::Provisioning), 1);
        assert_eq!(count(&|n| !n.alive), 1);
        assert_eq!(count(&|n| n.worker_state == WorkerState::Disabled), 1);
        assert_eq!(count(&|n| n.is_placement_candidate()), 4);
        let other = generate(&ClusterShape { seed: 8, ..shape() });
        assert_ne!(s.nodes, other.nodes);
    }

    #[test]
    fn the_striped_layout_spreads_over_zones_and_skips_provisioning_and_disabled_nodes() {
        let s = generate(&ClusterShape {
            placed: true,
            ..shape()
        });
        for p in &s.partitions {
            let members: Vec<&Node> = p.replicas.iter().filter_map(|&n| s.node(n)).collect();
            assert_eq!(members.len(), 3);
            assert_eq!(s.replication.shortfall(members.iter().copied()), None);
            assert!(members.iter().all(|n| !matches!(
                n.worker_state,
                WorkerState::Provisioning | WorkerState::Disabled
            )));
            assert_eq!(p.leader, p.replicas.first().copied());
        }
    }

    #[test]
    fn permute_keeps_the_content() {
        let s = generate(&ClusterShape {
            placed: true,
            ..shape()
        });
        let p = permute(&s, 3);
        assert_ne!(p, s);
        assert_eq!(p.canonical(), s.clone().canonical());
    }
}
