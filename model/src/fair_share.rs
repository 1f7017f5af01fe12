//! The fair share of replicas each eligible node should hold: the most even split the
//! replication property allows, and the floor..ceil band that counts as balanced.
//!
//! One partition's replicas may sit on a set of nodes S in at most r(S) places: one per node,
//! and no more than the factor minus the domains the property still needs outside S,
//! `r(S) = min(|S|, RF - max(0, zones needed - zones of S, regions needed - regions of S))`.
//! (A zone alone may hold `RF - zones needed + 1`; the zones of a pair, one fewer than twice
//! that when the property needs a third zone; and so on.) The fair share is the most even
//! vector of per-node counts under `count(S) <= P * r(S)` for every S (the lexicographically
//! optimal base of that polymatroid): the set of nodes with the lowest capacity per node gets
//! exactly its capacity, spread evenly, and the rest is shared the same way by the others.
//! Nodes of one zone are interchangeable, so the sets to try are unions of zones, and the
//! fullest ones among those of a given size in given regions. With equal zones this is
//! P*RF/N; a zone that every partition must use gets at least P.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use crate::replication::{Replication, Scope};
use crate::snapshot::{Node, NodeId};

/// Slack for floating-point error when rounding a share to its band.
const EPSILON: f64 = 1e-9;

/// The band of whole replica counts that counts as balanced for a share.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Band {
    /// floor(share).
    pub floor: u32,
    /// ceil(share).
    pub ceil: u32,
}

impl Band {
    /// The band around a real-valued share.
    pub fn of(share: f64) -> Band {
        Band {
            floor: (share + EPSILON).floor() as u32,
            ceil: (share - EPSILON).ceil().max(0.0) as u32,
        }
    }

    /// Whether `count` is inside the band.
    pub fn contains(self, count: u32) -> bool {
        (self.floor..=self.ceil).contains(&count)
    }
}

/// The fair share of replicas of every node in `eligible`, for `partitions` partitions placed
/// under `replication`. Sorted by node id.
pub fn replica_shares(
    replication: &Replication,
    eligible: &[&Node],
    partitions: u32,
) -> BTreeMap<NodeId, f64> {
    replica_fill(replication, eligible, partitions)
        .into_iter()
        .map(|(id, share)| (id, share.replicas))
        .collect()
}

/// A node's fair share, and the step of the fill that set it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FairShare {
    /// The replicas the node should hold.
    pub replicas: f64,
    /// The fill step (from 0): the nodes of steps `0..=step` together hold exactly as many
    /// replicas as the property lets them hold, a whole number, and no set of fewer zones
    /// within one step has that property. A rounding of the shares that keeps every step's
    /// total can be placed.
    pub step: usize,
}

/// [`replica_shares`] with the fill step of every node.
pub fn replica_fill(
    replication: &Replication,
    eligible: &[&Node],
    partitions: u32,
) -> BTreeMap<NodeId, FairShare> {
    let zones = Zones::of(eligible);
    let mut shares = BTreeMap::new();
    for (zone, (level, step)) in zones.members.iter().zip(zones.fill(replication)) {
        for &id in zone {
            let replicas = level.value() * f64::from(partitions);
            shares.insert(id, FairShare { replicas, step });
        }
    }
    shares
}

/// The fair share of leaderships of every node in `eligible`: `partitions` leaders spread over
/// them in proportion to their weights (evenly when the weights are equal). Sorted by node id.
pub fn leader_shares(eligible: &[&Node], partitions: u32) -> BTreeMap<NodeId, f64> {
    let total: f64 = eligible.iter().map(|n| n.weight.value()).sum();
    eligible
        .iter()
        .map(|n| (n.id, f64::from(partitions) * n.weight.value() / total))
        .collect()
}

/// A non-negative fraction: replicas of one partition per node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Ratio {
    replicas: u64,
    nodes: u64,
}

impl Ratio {
    fn value(self) -> f64 {
        self.replicas as f64 / self.nodes as f64
    }
}

impl Ord for Ratio {
    fn cmp(&self, other: &Ratio) -> Ordering {
        (u128::from(self.replicas) * u128::from(other.nodes))
            .cmp(&(u128::from(other.replicas) * u128::from(self.nodes)))
    }
}

impl PartialOrd for Ratio {
    fn partial_cmp(&self, other: &Ratio) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// The eligible nodes grouped by zone (zones in name order), with each zone's region.
struct Zones {
    /// Per zone: its nodes.
    members: Vec<Vec<NodeId>>,
    /// Per zone: the index of its region.
    region: Vec<usize>,
    /// How many regions there are.
    regions: usize,
}

/// A union of zones: how many zones, nodes and distinct regions it has.
#[derive(Debug, Clone, Default)]
struct Union {
    zones: u64,
    nodes: u64,
    regions: Vec<usize>,
}

impl Union {
    /// The union with zone `z` of `zones` added.
    fn with(&self, zones: &Zones, z: usize) -> Union {
        let mut out = self.clone();
        out.zones += 1;
        out.nodes += zones.members[z].len() as u64;
        if !out.regions.contains(&zones.region[z]) {
            out.regions.push(zones.region[z]);
        }
        out
    }

    /// r(S): the most replicas of one partition the union may hold.
    fn capacity(&self, replication: &Replication) -> u64 {
        let needed =
            |scope: Scope, have: u64| u64::from(replication.required(scope)).saturating_sub(have);
        let elsewhere =
            needed(Scope::Zone, self.zones).max(needed(Scope::Region, self.regions.len() as u64));
        self.nodes
            .min(u64::from(replication.factor()).saturating_sub(elsewhere))
    }
}

impl Zones {
    /// The zones of `eligible`.
    fn of(eligible: &[&Node]) -> Zones {
        let mut by_zone: BTreeMap<_, Vec<NodeId>> = BTreeMap::new();
        let mut region_names: BTreeMap<_, usize> = BTreeMap::new();
        for n in eligible {
            let key = (n.domain(Scope::Region), n.domain(Scope::Zone));
            by_zone.entry(key).or_default().push(n.id);
            let next = region_names.len();
            region_names.entry(key.0).or_insert(next);
        }
        Zones {
            region: by_zone.keys().map(|k| region_names[&k.0]).collect(),
            members: by_zone.into_values().collect(),
            regions: region_names.len(),
        }
    }

    /// Per zone: the replicas of one partition each of its nodes gets, and the step that set
    /// it. The zones with the lowest capacity per node are filled first, then the rest shares
    /// what is left.
    fn fill(&self, replication: &Replication) -> Vec<(Ratio, usize)> {
        let mut level = vec![None; self.members.len()];
        let mut taken = Union::default();
        let mut step = 0;
        while let Some((ratio, chosen)) = self.bottleneck(replication, &taken, &level) {
            for z in chosen {
                level[z] = Some((ratio, step));
                taken = taken.with(self, z);
            }
            step += 1;
        }
        let empty = Ratio {
            replicas: 0,
            nodes: 1,
        };
        level
            .into_iter()
            .map(|l| l.unwrap_or((empty, step)))
            .collect()
    }

    /// Among the zones without a level, the union whose capacity beyond `taken` is the lowest
    /// per node (the smallest such union on a tie), with that capacity per node; `None` when
    /// every zone has a level.
    fn bottleneck(
        &self,
        replication: &Replication,
        taken: &Union,
        level: &[Option<(Ratio, usize)>],
    ) -> Option<(Ratio, Vec<usize>)> {
        let base = taken.capacity(replication);
        let mut best: Option<(Ratio, Vec<usize>)> = None;
        for regions in self.region_filters(replication) {
            let mut open: Vec<usize> = (0..self.members.len())
                .filter(|&z| level[z].is_none() && regions.contains(&self.region[z]))
                .collect();
            open.sort_by_key(|&z| (std::cmp::Reverse(self.members[z].len()), z));
            let mut union = taken.clone();
            for (count, &z) in open.iter().enumerate() {
                union = union.with(self, z);
                let ratio = Ratio {
                    replicas: union.capacity(replication) - base,
                    nodes: union.nodes - taken.nodes,
                };
                let better = best
                    .as_ref()
                    .is_none_or(|(b, _)| ratio < *b || (ratio == *b && ratio.nodes < b.nodes));
                if better {
                    best = Some((ratio, open[..=count].to_vec()));
                }
            }
        }
        best
    }

    /// The sets of regions whose zones to try: all regions, and every set of fewer regions
    /// than the property needs (a union confined to them has less room).
    fn region_filters(&self, replication: &Replication) -> Vec<Vec<usize>> {
        let mut out = vec![(0..self.regions).collect()];
        let fewer = (replication.required(Scope::Region) as usize).saturating_sub(1);
        subsets(0, self.regions, fewer, &mut Vec::new(), &mut out);
        out
    }
}

/// Appends to `out` every non-empty set of at most `size` more indices from `from..count`,
/// each after `prefix`.
fn subsets(
    from: usize,
    count: usize,
    size: usize,
    prefix: &mut Vec<usize>,
    out: &mut Vec<Vec<usize>>,
) {
    if !prefix.is_empty() {
        out.push(prefix.clone());
    }
    if size == 0 {
        return;
    }
    for i in from..count {
        prefix.push(i);
        subsets(i + 1, count, size - 1, prefix, out);
        prefix.pop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(id: NodeId, location: &str) -> Node {
        Node {
            name: format!("n{id}"),
            ..Node::worker(id, location)
        }
    }

    fn shares(property: &str, zones: &[usize], partitions: u32) -> Vec<f64> {
        let mut nodes = Vec::new();
        for (z, &count) in zones.iter().enumerate() {
            for _ in 0..count {
                nodes.push(node(nodes.len() as u32 + 1, &format!("r.z{z}")));
            }
        }
        let refs: Vec<&Node> = nodes.iter().collect();
        replica_shares(&Replication::parse(property).unwrap(), &refs, partitions)
            .into_values()
            .collect()
    }

    #[test]
    fn equal_zones_share_evenly() {
        let s = shares("{zone: 3, node: 3}", &[4, 4, 4], 10_000);
        assert!(s.iter().all(|&x| (x - 2500.0).abs() < 1e-6), "{s:?}");
    }

    #[test]
    fn a_small_zone_fills_up_to_one_replica_per_partition() {
        // 5, 3 and 2 nodes, every partition in all three zones: each zone holds exactly P.
        let s = shares("{zone: 3, node: 3}", &[5, 3, 2], 300);
        assert!(
            (s[0] - 60.0).abs() < 1e-6
                && (s[5] - 100.0).abs() < 1e-6
                && (s[8] - 150.0).abs() < 1e-6,
            "{s:?}"
        );
    }

    #[test]
    fn more_zones_than_replicas_caps_the_small_zones_only() {
        // 5 zones, RF 3: zone of 4 nodes capped at P, the rest even.
        let s = shares("{zone: 3, node: 3}", &[4, 1, 1, 1, 1], 100);
        let total: f64 = s.iter().sum();
        assert!((total - 300.0).abs() < 1e-6);
        assert!((s[0] - 25.0).abs() < 1e-6, "{s:?}");
        assert!((s[4] - 50.0).abs() < 1e-6, "{s:?}");
    }

    #[test]
    fn zones_that_every_partition_needs_get_at_least_one_replica_each() {
        // RF 4 over 3 zones of 4, 4 and 1 nodes: a zone holds at most 2 replicas of a
        // partition, so the two big ones together at most 3 and the lone node all P.
        let s = shares("{zone: 3, node: 4}", &[4, 4, 1], 90);
        assert!((s[0] - 33.75).abs() < 1e-6, "{s:?}");
        assert!((s[8] - 90.0).abs() < 1e-6, "{s:?}");
    }

    #[test]
    fn a_union_of_fewer_zones_than_required_is_capped() {
        // Seed 87's shape: RF 4, 3 zones required, zones of 4, 1, 4 and 1 nodes. Any two zones
        // hold at most 3 replicas of a partition, so the two big zones share 3P over 8 nodes
        // and the two lone nodes hold P each (an equal 5.6 each cannot be placed).
        let s = shares("{zone: 3, node: 4}", &[4, 1, 4, 1], 14);
        let total: f64 = s.iter().sum();
        assert!((total - 56.0).abs() < 1e-6, "{s:?}");
        assert!(
            (s[0] - 5.25).abs() < 1e-6 && (s[5] - 5.25).abs() < 1e-6,
            "{s:?}"
        );
        assert!(
            (s[4] - 7.0).abs() < 1e-6 && (s[9] - 7.0).abs() < 1e-6,
            "{s:?}"
        );
    }

    #[test]
    fn regions_cap_the_zones_of_one_region() {
        // {region: 2, zone: 3, node: 5} over a big region (4 zones of 3) and a small one (2
        // zones of 1): one region holds at most 4 replicas of a partition.
        let mut nodes = Vec::new();
        for (z, count) in [3, 3, 3, 3, 1, 1].into_iter().enumerate() {
            let region = if z < 4 { "big" } else { "small" };
            for _ in 0..count {
                nodes.push(node(nodes.len() as u32 + 1, &format!("{region}.z{z}")));
            }
        }
        let refs: Vec<&Node> = nodes.iter().collect();
        let r = Replication::parse("{region: 2, zone: 3, node: 5}").unwrap();
        let s: Vec<f64> = replica_shares(&r, &refs, 12).into_values().collect();
        assert!((s[0] - 4.0).abs() < 1e-6, "{s:?}");
        assert!(
            (s[12] - 6.0).abs() < 1e-6 && (s[13] - 6.0).abs() < 1e-6,
            "{s:?}"
        );
    }

    #[test]
    fn without_domains_every_node_gets_the_same() {
        let s = shares("3", &[5, 1], 100);
        assert!(s.iter().all(|&x| (x - 50.0).abs() < 1e-6), "{s:?}");
    }

    #[test]
    fn leaderships_follow_the_weights() {
        let mut nodes = vec![node(1, "a"), node(2, "a"), node(3, "b")];
        let even: Vec<f64> = leader_shares(&nodes.iter().collect::<Vec<_>>(), 90)
            .into_values()
            .collect();
        assert_eq!(even, [30.0, 30.0, 30.0]);
        nodes[0].weight = crate::Weight::new(2.0).unwrap();
        nodes[2].weight = crate::Weight::new(0.5).unwrap();
        let weighted: Vec<f64> = leader_shares(&nodes.iter().collect::<Vec<_>>(), 70)
            .into_values()
            .collect();
        assert_eq!(weighted, [40.0, 20.0, 10.0]);
        assert!(leader_shares(&[], 5).is_empty());
    }

    #[test]
    fn band_tolerates_rounding() {
        assert_eq!(
            Band::of(2_500.000_000_000_1),
            Band {
                floor: 2500,
                ceil: 2500
            }
        );
        assert_eq!(
            Band::of(303.03),
            Band {
                floor: 303,
                ceil: 304
            }
        );
    }
}
