//! The fair share of replicas each eligible node should hold: the most even split the
//! replication property allows, in proportion to the nodes' weights, and the floor..ceil band
//! that counts as balanced.
//!
//! One partition's replicas may sit on a set of nodes S in at most r(S) places: one per node,
//! and no more than the factor minus the domains the property still needs outside S,
//! `r(S) = min(|S|, RF - max(0, zones needed - zones of S, regions needed - regions of S))`.
//! (A zone alone may hold `RF - zones needed + 1`; the zones of a pair, one fewer than twice
//! that when the property needs a third zone; and so on.) The fair share is the most even
//! vector of per-node counts, relative to the weights, under `count(S) <= P * r(S)` for every S
//! (the weighted lexicographically optimal base of that polymatroid): the set of nodes with the
//! lowest capacity per unit of weight gets exactly its capacity, each node of it in proportion
//! to its weight, and the rest is shared the same way by the others. Two kinds of sets can be
//! that bottleneck: unions of zones (a zone's nodes are interchangeable but for their weights,
//! so the heaviest zones among those of a given count in given regions), and a single node too
//! heavy for its weight share, which the one-replica-per-node cap holds to P. With equal
//! weights this is P*RF/N over equal zones; a zone that every partition must use gets at least
//! P.
//!
//! The fill computes in exact fractions: a weight (0.001 to 1000) counts as a whole number of
//! thousandths, `round(w * 1000)`, so equal weights give exactly the shares of equal nodes.

use std::cmp::{Ordering, Reverse};
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
    /// replicas as the property lets them hold, a whole number, and no smaller set within one
    /// step of those the fill tries has that property. A rounding of the shares that keeps
    /// every step's total can be placed.
    pub step: usize,
    /// Whether the step set this node alone, to its cap: one replica of every partition (or
    /// none, when the nodes set before it already take all it could add). Its share is then a
    /// whole number, and the other nodes of its zone come in later steps.
    pub alone: bool,
}

/// [`replica_shares`] with the fill step of every node.
pub fn replica_fill(
    replication: &Replication,
    eligible: &[&Node],
    partitions: u32,
) -> BTreeMap<NodeId, FairShare> {
    let zones = Zones::of(eligible);
    let mut shares = BTreeMap::new();
    for (zone, filled) in zones.members.iter().zip(zones.fill(replication)) {
        for (&(id, weight), level) in zone.iter().zip(filled) {
            let replicas = level.ratio.times(weight) * f64::from(partitions);
            let (step, alone) = (level.step, level.alone);
            shares.insert(
                id,
                FairShare {
                    replicas,
                    step,
                    alone,
                },
            );
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

/// A node's weight in thousandths: a whole number from 1 to 1,000,000, which the fill adds and
/// compares exactly.
fn weight_millis(node: &Node) -> u64 {
    (node.weight.value() * 1000.0).round() as u64
}

/// A non-negative fraction: replicas of one partition per thousandth of weight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Ratio {
    replicas: u64,
    weight: u64,
}

impl Ratio {
    /// The replicas of one partition a node of `weight` thousandths gets at this ratio, reduced
    /// to lowest terms before the one division (so equal weights give exactly replicas/nodes).
    fn times(self, weight: u64) -> f64 {
        let numerator = u128::from(self.replicas) * u128::from(weight);
        let denominator = u128::from(self.weight);
        let common = gcd(numerator, denominator).max(1);
        (numerator / common) as f64 / (denominator / common) as f64
    }
}

impl Ord for Ratio {
    fn cmp(&self, other: &Ratio) -> Ordering {
        (u128::from(self.replicas) * u128::from(other.weight))
            .cmp(&(u128::from(other.replicas) * u128::from(self.weight)))
    }
}

impl PartialOrd for Ratio {
    fn partial_cmp(&self, other: &Ratio) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// The greatest common divisor (`b` when `a` is 0).
fn gcd(mut a: u128, mut b: u128) -> u128 {
    while a != 0 {
        (a, b) = (b % a, a);
    }
    b
}

/// The eligible nodes grouped by zone (zones in name order), with each zone's region.
struct Zones {
    /// Per zone: its nodes, with their weights in thousandths.
    members: Vec<Vec<(NodeId, u64)>>,
    /// Per zone: the index of its region.
    region: Vec<usize>,
    /// How many regions there are.
    regions: usize,
}

/// A set of nodes: how many, their weight in thousandths, and the zones and regions they touch.
#[derive(Debug, Clone, Default)]
struct Union {
    nodes: u64,
    weight: u64,
    zones: Vec<usize>,
    regions: Vec<usize>,
}

/// Some nodes of one zone: how many, and their weight.
#[derive(Debug, Clone, Copy, Default)]
struct Part {
    nodes: u64,
    weight: u64,
}

impl Union {
    /// The union with `part` of zone `z` of `zones` added.
    fn with(&self, zones: &Zones, z: usize, part: Part) -> Union {
        let mut out = self.clone();
        out.nodes += part.nodes;
        out.weight += part.weight;
        if !out.zones.contains(&z) {
            out.zones.push(z);
        }
        if !out.regions.contains(&zones.region[z]) {
            out.regions.push(zones.region[z]);
        }
        out
    }

    /// r(S): the most replicas of one partition the union may hold.
    fn capacity(&self, replication: &Replication) -> u64 {
        let needed = |scope: Scope, have: usize| {
            u64::from(replication.required(scope)).saturating_sub(have as u64)
        };
        let elsewhere =
            needed(Scope::Zone, self.zones.len()).max(needed(Scope::Region, self.regions.len()));
        self.nodes
            .min(u64::from(replication.factor()).saturating_sub(elsewhere))
    }
}

/// What the fill set for one node: its replicas per thousandth of weight, its step, and
/// whether the step set it alone.
#[derive(Debug, Clone, Copy)]
struct Level {
    ratio: Ratio,
    step: usize,
    alone: bool,
}

/// A bottleneck set: every open node of some zones, or one node (zone, position).
enum Chosen {
    Zones(Vec<usize>),
    Node(usize, usize),
}

/// Per zone, per node: its level once the fill has set it.
type Levels = Vec<Vec<Option<Level>>>;

impl Zones {
    /// The zones of `eligible`.
    fn of(eligible: &[&Node]) -> Zones {
        let mut by_zone: BTreeMap<_, Vec<(NodeId, u64)>> = BTreeMap::new();
        let mut region_names: BTreeMap<_, usize> = BTreeMap::new();
        for n in eligible {
            let key = (n.domain(Scope::Region), n.domain(Scope::Zone));
            by_zone
                .entry(key)
                .or_default()
                .push((n.id, weight_millis(n)));
            let next = region_names.len();
            region_names.entry(key.0).or_insert(next);
        }
        Zones {
            region: by_zone.keys().map(|k| region_names[&k.0]).collect(),
            members: by_zone.into_values().collect(),
            regions: region_names.len(),
        }
    }

    /// Per zone, per node: the replicas of one partition per thousandth of weight it gets, and
    /// the step that set it. The set with the lowest capacity per weight is filled first, then
    /// the rest shares what is left.
    fn fill(&self, replication: &Replication) -> Vec<Vec<Level>> {
        let mut levels: Levels = self.members.iter().map(|m| vec![None; m.len()]).collect();
        let mut taken = Union::default();
        let mut step = 0;
        while let Some((ratio, chosen)) = self.bottleneck(replication, &taken, &levels) {
            let alone = matches!(chosen, Chosen::Node(..));
            let nodes: Vec<(usize, usize)> = match chosen {
                Chosen::Node(z, i) => vec![(z, i)],
                Chosen::Zones(zones) => zones
                    .into_iter()
                    .flat_map(|z| (0..self.members[z].len()).map(move |i| (z, i)))
                    .filter(|&(z, i)| levels[z][i].is_none())
                    .collect(),
            };
            for (z, i) in nodes {
                levels[z][i] = Some(Level { ratio, step, alone });
                let weight = self.members[z][i].1;
                taken = taken.with(self, z, Part { nodes: 1, weight });
            }
            step += 1;
        }
        let empty = Level {
            ratio: Ratio {
                replicas: 0,
                weight: 1,
            },
            step,
            alone: false,
        };
        levels
            .into_iter()
            .map(|zone| zone.into_iter().map(|l| l.unwrap_or(empty)).collect())
            .collect()
    }

    /// Per zone: its nodes without a level.
    fn open(&self, levels: &Levels) -> Vec<Part> {
        self.members
            .iter()
            .zip(levels)
            .map(|(members, level)| {
                let open = members.iter().zip(level).filter(|(_, l)| l.is_none());
                open.fold(Part::default(), |part, (&(_, weight), _)| Part {
                    nodes: part.nodes + 1,
                    weight: part.weight + weight,
                })
            })
            .collect()
    }

    /// Among the nodes without a level, the set whose capacity beyond `taken` is the lowest per
    /// weight (the lightest such set on a tie), with that capacity per weight; `None` when every
    /// node has a level. The sets tried: the open nodes of the zones `taken` already touches
    /// (they add weight and no domain), with those of the heaviest other zones in some regions;
    /// and the heaviest open node alone, when it is strictly lower.
    fn bottleneck(
        &self,
        replication: &Replication,
        taken: &Union,
        levels: &Levels,
    ) -> Option<(Ratio, Chosen)> {
        let base = taken.capacity(replication);
        let open = self.open(levels);
        let beyond = |union: &Union| Ratio {
            replicas: union.capacity(replication) - base,
            weight: union.weight - taken.weight,
        };
        let touched: Vec<usize> = (0..open.len())
            .filter(|&z| open[z].nodes > 0 && taken.zones.contains(&z))
            .collect();
        let mut partial = taken.clone();
        for &z in &touched {
            partial = partial.with(self, z, open[z]);
        }
        let mut best: Option<(Ratio, Vec<usize>)> = None;
        let mut consider = |ratio: Ratio, chosen: &[usize]| {
            let better = best
                .as_ref()
                .is_none_or(|(b, _)| ratio < *b || (ratio == *b && ratio.weight < b.weight));
            if better {
                best = Some((ratio, chosen.to_vec()));
            }
        };
        if !touched.is_empty() {
            consider(beyond(&partial), &touched);
        }
        for regions in self.region_filters(replication) {
            let mut fresh: Vec<usize> = (0..open.len())
                .filter(|&z| open[z].nodes > 0 && !taken.zones.contains(&z))
                .filter(|&z| regions.contains(&self.region[z]))
                .collect();
            fresh.sort_by_key(|&z| (Reverse(open[z].weight), z));
            let mut union = partial.clone();
            let mut chosen = touched.clone();
            for &z in &fresh {
                union = union.with(self, z, open[z]);
                chosen.push(z);
                consider(beyond(&union), &chosen);
            }
        }
        let zones = best.map(|(ratio, zones)| (ratio, Chosen::Zones(zones)));
        match self.heaviest_open(levels) {
            Some((z, i)) => {
                let weight = self.members[z][i].1;
                let ratio = beyond(&taken.with(self, z, Part { nodes: 1, weight }));
                if zones.as_ref().is_none_or(|(b, _)| ratio < *b) {
                    return Some((ratio, Chosen::Node(z, i)));
                }
                zones
            }
            None => zones,
        }
    }

    /// The heaviest node without a level (the first in zone order on a tie), as (zone,
    /// position).
    fn heaviest_open(&self, levels: &Levels) -> Option<(usize, usize)> {
        let mut best: Option<(u64, usize, usize)> = None;
        for (z, members) in self.members.iter().enumerate() {
            for (i, &(_, weight)) in members.iter().enumerate() {
                if levels[z][i].is_none() && best.is_none_or(|(w, _, _)| weight > w) {
                    best = Some((weight, z, i));
                }
            }
        }
        best.map(|(_, z, i)| (z, i))
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
        let mut nodes = [node(1, "a"), node(2, "a"), node(3, "b")];
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

    fn weighted(property: &str, nodes: &[(&str, f64)], partitions: u32) -> Vec<FairShare> {
        let nodes: Vec<Node> = nodes
            .iter()
            .enumerate()
            .map(|(i, &(location, weight))| Node {
                weight: crate::Weight::new(weight).unwrap(),
                ..node(i as u32 + 1, location)
            })
            .collect();
        let refs: Vec<&Node> = nodes.iter().collect();
        replica_fill(&Replication::parse(property).unwrap(), &refs, partitions)
            .into_values()
            .collect()
    }

    fn replicas(shares: &[FairShare]) -> Vec<f64> {
        shares.iter().map(|s| s.replicas).collect()
    }

    #[test]
    fn one_zone_shares_in_proportion_to_the_weights() {
        let s = weighted("1", &[("a", 1.0), ("a", 2.0), ("a", 0.5)], 700);
        assert_eq!(replicas(&s), [200.0, 400.0, 100.0]);
        assert!(s.iter().all(|s| s.step == 0 && !s.alone), "{s:?}");
    }

    #[test]
    fn a_node_heavier_than_its_cap_holds_one_replica_of_every_partition() {
        // RF 3 over weights 4, 1, 1, 1: 4/7 of 3P is more than P, so the heavy node holds P
        // (alone, in the first step) and the others share the remaining 2P evenly.
        let s = weighted("3", &[("a", 4.0), ("a", 1.0), ("a", 1.0), ("a", 1.0)], 300);
        assert_eq!(replicas(&s), [300.0, 200.0, 200.0, 200.0]);
        assert!(s[0].alone && s[0].step == 0, "{s:?}");
        assert!(s[1..].iter().all(|s| !s.alone && s.step == 1), "{s:?}");
    }

    #[test]
    fn weights_across_zones_follow_the_zone_rule() {
        // {zone: 3} over three zones: each zone holds exactly P, split by weight inside it.
        let nodes = [
            ("r.a", 1.0),
            ("r.a", 2.0),
            ("r.b", 1.0),
            ("r.b", 1.0),
            ("r.c", 0.5),
            ("r.c", 0.5),
            ("r.c", 2.0),
        ];
        let s = replicas(&weighted("{zone: 3, node: 3}", &nodes, 300));
        assert_eq!(s, [100.0, 200.0, 150.0, 150.0, 50.0, 50.0, 200.0]);
        // Four zones: a heavy zone is held to P, the other three share the rest by weight.
        let nodes = [
            ("r.a", 3.0),
            ("r.a", 3.0),
            ("r.b", 1.0),
            ("r.c", 1.0),
            ("r.d", 2.0),
        ];
        let s = replicas(&weighted("{zone: 3, node: 3}", &nodes, 400));
        assert_eq!(s, [200.0, 200.0, 200.0, 200.0, 400.0]);
    }

    #[test]
    fn equal_weights_other_than_one_share_like_standard_nodes() {
        let standard = shares("{zone: 3, node: 4}", &[4, 1, 4, 1], 14);
        let nodes: Vec<(String, f64)> = [4, 1, 4, 1]
            .iter()
            .enumerate()
            .flat_map(|(z, &count)| (0..count).map(move |_| (format!("r.z{z}"), 2.5)))
            .collect();
        let nodes: Vec<(&str, f64)> = nodes.iter().map(|(l, w)| (l.as_str(), *w)).collect();
        assert_eq!(
            replicas(&weighted("{zone: 3, node: 4}", &nodes, 14)),
            standard
        );
    }

    /// r(S) of the nodes of `set` (a bit per node), straight from the module doc.
    fn capacity(replication: &Replication, nodes: &[Node], set: u32) -> u64 {
        let members: Vec<&Node> = (0..nodes.len())
            .filter(|i| set & (1 << i) != 0)
            .map(|i| &nodes[i])
            .collect();
        let distinct = |scope: Scope| {
            let mut d: Vec<_> = members.iter().map(|n| n.domain(scope)).collect();
            d.sort_unstable();
            d.dedup();
            d.len() as u64
        };
        let needed = |scope: Scope| u64::from(replication.required(scope));
        let elsewhere = needed(Scope::Zone)
            .saturating_sub(distinct(Scope::Zone))
            .max(needed(Scope::Region).saturating_sub(distinct(Scope::Region)));
        (members.len() as u64).min(u64::from(replication.factor()) - elsewhere)
    }

    /// A random cluster of 1..=10 nodes in 1-4 zones of 1-2 regions, weights from a small set,
    /// or `None` when it cannot hold `replication`.
    fn random_cluster(seed: u64, replication: &Replication) -> Option<Vec<Node>> {
        let mut state = seed;
        let mut next = |below: u64| {
            state = crate::generate::mix(state.wrapping_add(0x9e37_79b9_7f4a_7c15));
            state % below
        };
        let zones = 1 + next(4);
        let regions = 1 + next(2).min(zones - 1);
        let count = 1 + next(10);
        let weights = [0.5, 1.0, 2.0, 3.0];
        let nodes: Vec<Node> = (0..count)
            .map(|i| {
                let zone = if i < zones { i } else { next(zones) };
                Node {
                    weight: crate::Weight::new(weights[next(4) as usize]).unwrap(),
                    ..node(i as u32 + 1, &format!("r{}.z{zone}", zone % regions))
                }
            })
            .collect();
        let all = (1u32 << nodes.len()) - 1;
        let fits = capacity(replication, &nodes, all) == u64::from(replication.factor())
            && replication.required(Scope::Region) <= regions as u32
            && replication.required(Scope::Zone) <= zones.min(count) as u32;
        fits.then_some(nodes)
    }

    #[test]
    fn weighted_shares_are_the_lexicographically_optimal_base_on_small_clusters() {
        let properties = [
            "3",
            "{zone: 2, node: 3}",
            "{zone: 3, node: 3}",
            "{region: 2, zone: 2, node: 3}",
        ];
        let partitions = 7u32;
        let mut checked = 0;
        for property in properties {
            let replication = Replication::parse(property).unwrap();
            for seed in 0..400 {
                let Some(nodes) = random_cluster(seed, &replication) else {
                    continue;
                };
                checked += 1;
                let refs: Vec<&Node> = nodes.iter().collect();
                let fill = replica_fill(&replication, &refs, partitions);
                let x: Vec<f64> = nodes.iter().map(|n| fill[&n.id].replicas).collect();
                let w: Vec<f64> = nodes.iter().map(|n| n.weight.value()).collect();
                let f =
                    |set: u32| (capacity(&replication, &nodes, set) * u64::from(partitions)) as f64;
                let sum = |set: u32| -> f64 {
                    (0..nodes.len())
                        .filter(|i| set & (1 << i) != 0)
                        .map(|i| x[i])
                        .sum()
                };
                let all = (1u32 << nodes.len()) - 1;
                let case = format!("{property}, seed {seed}: {nodes:?} -> {x:?}");
                assert!((sum(all) - f(all)).abs() < 1e-6, "not a base: {case}");
                for set in 1..all {
                    assert!(
                        sum(set) <= f(set) + 1e-6,
                        "set {set:b} over capacity: {case}"
                    );
                }
                for t in (0..nodes.len()).map(|i| x[i] / w[i]) {
                    let below = (0..nodes.len())
                        .filter(|&i| x[i] / w[i] <= t + 1e-9)
                        .fold(0u32, |set, i| set | (1 << i));
                    assert!(
                        (sum(below) - f(below)).abs() < 1e-6,
                        "{below:b} not tight: {case}"
                    );
                }
                for n in &nodes {
                    let s = fill[&n.id];
                    let whole = (s.replicas - s.replicas.round()).abs() < 1e-9;
                    assert!(!s.alone || whole, "a node set alone must be whole: {case}");
                }
            }
        }
        assert!(checked > 500, "only {checked} clusters checked");
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
