//! How good a placement change is, in numbers every policy is judged by: how far each eligible
//! node's replica and leader counts are from its fair share, how many replicas moved, and the
//! least number of moves any policy could have made for the same change.
//!
//! Definitions (E: the eligible workers of `after`, that is worker role, active and alive;
//! P: the partitions placed in `after`; RF: the replication factor; "holds": the node is in the
//! partition's replicas or its `next` set):
//!
//! - replica fair share t(n): [`fair_share::replica_shares`] for E and the partitions of P
//!   that can be balanced, in proportion to the nodes' weights under the domain rule; a node is
//!   balanced when it holds floor(t(n))..=ceil(t(n)) of those partitions (the [`Band`]). A
//!   partition frozen in `after` that a node outside E still holds cannot spread its replicas
//!   over E, so it is left out of the replica balance (its count, and what it puts on the nodes
//!   of E);
//! - leader fair share: [`fair_share::leader_shares`], the partitions of P without a leader
//!   affinity spread over E in proportion to the weights (P / |E| with equal weights), balanced
//!   likewise; a partition with an affinity is led where its affinity points, outside the count;
//! - a move: a node holding a partition in `after` that did not hold it in `before` (a partition
//!   that is new in `after` counts all its holders);
//! - lower bound of moves: `max(forced + surplus, deficit)`, where
//!   `forced = sum over p in P not frozen in before of
//!   max(0, RF - |holders of p in before that are in E|)`
//!   (replicas that must be made anew because they sit on nodes that may not keep them, are
//!   missing, or the partition was not placed; a partition frozen in `before`, that is placed
//!   there with a `freeze` set, cannot change its replica set, so none of its replicas is
//!   forced), and
//!   `deficit = sum over n in E of max(0, floor(t(n)) - partitions of P that n holds in before)`
//!   (what nodes lack to reach the bottom of their band; the partitions a node holds include
//!   frozen ones), and
//!   `surplus = max(0, sum over n in E of max(0, partitions of P that n holds in before -
//!   ceil(t(n))) - spare)`, where `spare` is the sum over p in P of
//!   `max(0, |holders of p in before that are in E| - RF)`
//!   (what nodes above the top of their band must shed: each replica shed needs a replacement
//!   on another node, unless the partition had more eligible holders than it needs). A move
//!   fills a forced or shed replica and a node's lack at once, so no plan that ends balanced
//!   does with fewer. (With equal weights a node above its ceil is matched by nodes below
//!   their floor and `surplus` rarely adds anything; with weights it does.)

use std::collections::{BTreeMap, BTreeSet};

use crate::fair_share::{self, Band};
use crate::snapshot::{Node, NodeId, Partition, PartitionId, Snapshot};

/// The quality of the change from one snapshot to another.
#[derive(Debug, Clone, PartialEq)]
pub struct Quality {
    /// Eligible workers in `after`.
    pub eligible_nodes: u32,
    /// Partitions placed in `after`.
    pub placed_partitions: u32,
    /// Replicas held per eligible node, against the replica fair share.
    pub replicas: Balance,
    /// Partitions led per eligible node, against the leader fair share.
    pub leaders: Balance,
    /// Replicas on a node that did not hold the partition before.
    pub moves: u64,
    /// The fewest moves that could reach a balanced placement from `before`.
    pub lower_bound: LowerBound,
}

/// How a per-node count spreads over the eligible nodes, against the fair share.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Balance {
    /// The smallest count of an eligible node (0 when there is none).
    pub min: u32,
    /// The largest count of an eligible node.
    pub max: u32,
    /// The smallest fair share of an eligible node.
    pub fair_min: f64,
    /// The largest fair share of an eligible node.
    pub fair_max: f64,
    /// floor of the smallest share to ceil of the largest: the counts a balanced node can have.
    pub band: Band,
    /// Eligible nodes whose count is outside their own floor..=ceil band.
    pub outside_band: u32,
}

/// The lower bound of moves and its parts (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LowerBound {
    /// Replicas that must be made anew: missing, unplaced or on nodes that may not keep them.
    pub forced: u64,
    /// Replicas the eligible nodes above ceil(fair share) must shed, each made anew elsewhere.
    pub surplus: u64,
    /// What the eligible nodes lack to reach floor(fair share).
    pub deficit: u64,
}

impl LowerBound {
    /// `max(forced + surplus, deficit)`.
    pub fn value(&self) -> u64 {
        (self.forced + self.surplus).max(self.deficit)
    }
}

/// One eligible node of a snapshot against its fair shares, counted as [`measure`] counts the
/// placement a change ends with (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NodeBalance {
    /// Placed partitions it holds that count towards the replica balance.
    pub replicas: u32,
    /// Its replica fair share t(n).
    pub replica_share: f64,
    /// Placed partitions without a leader affinity that it leads.
    pub leaders: u32,
    /// Its leader fair share.
    pub leader_share: f64,
}

impl NodeBalance {
    /// How far its replicas are outside its band: 0 inside, below 0 under the floor, above 0
    /// over the ceil.
    pub fn replicas_off(&self) -> i64 {
        off_band(self.replicas, self.replica_share)
    }

    /// How far its leaderships are outside its band, as [`NodeBalance::replicas_off`].
    pub fn leaders_off(&self) -> i64 {
        off_band(self.leaders, self.leader_share)
    }
}

/// `count` minus the nearest end of the band of `share`; 0 inside the band.
fn off_band(count: u32, share: f64) -> i64 {
    let band = Band::of(share);
    if count < band.floor {
        i64::from(count) - i64::from(band.floor)
    } else {
        i64::from(count.saturating_sub(band.ceil))
    }
}

/// Whether `p` is a frozen partition a node outside `eligible` still holds: its replica set
/// cannot reach the eligible nodes, so it is left out of the replica balance.
fn held_off_eligible(p: &Partition, eligible: &BTreeSet<NodeId>) -> bool {
    p.is_frozen() && p.holders().iter().any(|n| !eligible.contains(n))
}

/// Every eligible node of `snapshot` (worker role, active, alive) against its fair shares,
/// by node id.
pub fn node_balances(snapshot: &Snapshot) -> BTreeMap<NodeId, NodeBalance> {
    let eligible: Vec<&Node> = snapshot
        .nodes
        .iter()
        .filter(|n| n.is_placement_candidate())
        .collect();
    let eligible_ids: BTreeSet<NodeId> = eligible.iter().map(|n| n.id).collect();
    let placed: Vec<&Partition> = (snapshot.partitions.iter())
        .filter(|p| !p.is_unplaced())
        .collect();
    let mut held: BTreeMap<NodeId, u32> = eligible_ids.iter().map(|&n| (n, 0)).collect();
    let mut led = held.clone();
    let mut balanced = 0u32;
    for p in placed
        .iter()
        .filter(|p| !held_off_eligible(p, &eligible_ids))
    {
        balanced += 1;
        for n in p.holders() {
            if let Some(c) = held.get_mut(&n) {
                *c += 1;
            }
        }
    }
    let mut balanced_leaders = 0u32;
    for p in placed.iter().filter(|p| p.leads_by_balance()) {
        balanced_leaders += 1;
        if let Some(c) = p.leader.and_then(|l| led.get_mut(&l)) {
            *c += 1;
        }
    }
    let shares = fair_share::replica_shares(&snapshot.replication, &eligible, balanced);
    let leader_shares = fair_share::leader_shares(&eligible, balanced_leaders);
    eligible_ids
        .iter()
        .map(|n| {
            let balance = NodeBalance {
                replicas: held[n],
                replica_share: shares.get(n).copied().unwrap_or(0.0),
                leaders: led[n],
                leader_share: leader_shares.get(n).copied().unwrap_or(0.0),
            };
            (*n, balance)
        })
        .collect()
}

/// Measures the change from `before` to `after` (see the module docs for every definition).
pub fn measure(before: &Snapshot, after: &Snapshot) -> Quality {
    let balances = node_balances(after);
    let eligible_ids: BTreeSet<NodeId> = balances.keys().copied().collect();
    let placed: Vec<_> = after
        .partitions
        .iter()
        .filter(|p| !p.is_unplaced())
        .collect();
    let old_holders: BTreeMap<PartitionId, BTreeSet<NodeId>> = before
        .partitions
        .iter()
        .map(|p| (p.id, p.holders()))
        .collect();
    let frozen: BTreeSet<PartitionId> = (before.partitions.iter())
        .filter(|p| p.is_frozen())
        .map(|p| p.id)
        .collect();
    let none = BTreeSet::new();

    let mut held_before: BTreeMap<NodeId, u32> = eligible_ids.iter().map(|&n| (n, 0)).collect();
    let (mut moves, mut forced, mut spare) = (0u64, 0u64, 0u64);
    let factor = after.replication.factor();
    for p in &placed {
        let old = old_holders.get(&p.id).unwrap_or(&none);
        moves += p.holders().difference(old).count() as u64;
        let kept = old.iter().filter(|n| eligible_ids.contains(n)).count() as u32;
        if !frozen.contains(&p.id) {
            forced += u64::from(factor.saturating_sub(kept));
        }
        spare += u64::from(kept.saturating_sub(factor));
        if held_off_eligible(p, &eligible_ids) {
            continue;
        }
        for n in old {
            if let Some(c) = held_before.get_mut(n) {
                *c += 1;
            }
        }
    }

    let held = |n: &NodeId| held_before.get(n).copied().unwrap_or(0);
    let deficit = balances
        .iter()
        .map(|(n, b)| u64::from(Band::of(b.replica_share).floor.saturating_sub(held(n))))
        .sum();
    let over: u64 = balances
        .iter()
        .map(|(n, b)| u64::from(held(n).saturating_sub(Band::of(b.replica_share).ceil)))
        .sum();
    Quality {
        eligible_nodes: balances.len() as u32,
        placed_partitions: placed.len() as u32,
        replicas: balance(balances.values().map(|b| (b.replicas, b.replica_share))),
        leaders: balance(balances.values().map(|b| (b.leaders, b.leader_share))),
        moves,
        lower_bound: LowerBound {
            forced,
            surplus: over.saturating_sub(spare),
            deficit,
        },
    }
}

/// The spread of the eligible nodes' counts against their shares, `(count, share)` per node.
fn balance(nodes: impl Iterator<Item = (u32, f64)> + Clone) -> Balance {
    let counts = nodes.clone().map(|(count, _)| count);
    let shares = nodes.clone().map(|(_, share)| share);
    let min = counts.clone().min().unwrap_or(0);
    let max = counts.max().unwrap_or(0);
    let fair_min = shares.clone().reduce(f64::min).unwrap_or(0.0);
    let fair_max = shares.reduce(f64::max).unwrap_or(0.0);
    let outside_band = nodes
        .filter(|&(count, share)| !Band::of(share).contains(count))
        .count() as u32;
    Balance {
        min,
        max,
        fair_min,
        fair_max,
        band: Band {
            floor: Band::of(fair_min).floor,
            ceil: Band::of(fair_max).ceil,
        },
        outside_band,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::{generate, ClusterShape};
    use crate::replication::Replication;
    use crate::snapshot::WorkerState;

    fn placed() -> Snapshot {
        generate(&ClusterShape {
            placed: true,
            ..ClusterShape::new(vec![2, 2, 2], 6, Replication::parse("3").unwrap())
        })
    }

    #[test]
    fn an_unchanged_striped_cluster_is_balanced_and_moves_nothing() {
        let s = placed();
        let q = measure(&s, &s);
        assert_eq!((q.eligible_nodes, q.placed_partitions), (6, 6));
        assert_eq!((q.replicas.min, q.replicas.max), (3, 3));
        assert_eq!(q.replicas.outside_band, 0);
        assert_eq!(
            (q.leaders.min, q.leaders.max, q.leaders.outside_band),
            (1, 1, 0)
        );
        assert_eq!(q.moves, 0);
        assert_eq!(q.lower_bound.value(), 0);
    }

    #[test]
    fn each_eligible_node_is_measured_against_its_own_band() {
        let mut s = placed();
        s.nodes[0].worker_state = WorkerState::Draining;
        let balances = node_balances(&s);
        assert_eq!(
            balances.keys().copied().collect::<Vec<_>>(),
            [2, 3, 4, 5, 6]
        );
        let second = balances[&2];
        assert_eq!((second.replicas, second.leaders), (3, 1));
        assert!((second.replica_share - 3.6).abs() < 1e-9);
        assert!((second.leader_share - 1.2).abs() < 1e-9);
        assert_eq!((second.replicas_off(), second.leaders_off()), (0, 0));
        assert_eq!(
            (off_band(2, 3.6), off_band(4, 3.6), off_band(6, 3.6)),
            (-1, 0, 2)
        );
        assert_eq!((off_band(0, 0.0), off_band(1, 0.0)), (0, 1));
    }

    #[test]
    fn draining_forces_its_replicas_to_move() {
        let before = placed();
        let mut after = before.clone();
        after.nodes[0].worker_state = WorkerState::Draining;
        // Nothing moved yet: node 1's replicas are forced moves, the others lack nothing more.
        let q = measure(&before, &after);
        assert_eq!(q.lower_bound.forced, 3);
        assert_eq!(q.lower_bound.deficit, 0);
        assert_eq!(q.moves, 0);
        assert_eq!(q.eligible_nodes, 5);
        assert_eq!(q.leaders.outside_band, 0);
    }

    #[test]
    fn a_frozen_partition_is_not_forced_and_one_held_off_the_eligible_nodes_is_not_balanced() {
        let mut before = placed();
        before.nodes[0].worker_state = WorkerState::Draining;
        let on_first: Vec<PartitionId> = (before.partitions.iter())
            .filter(|p| p.holders().contains(&before.nodes[0].id))
            .map(|p| p.id)
            .collect();
        assert_eq!(measure(&before, &before).lower_bound.forced, 3);
        for p in &mut before.partitions {
            if p.id == on_first[0] {
                p.freeze = Some("maintenance".into());
            }
        }
        let q = measure(&before, &before);
        assert_eq!(q.lower_bound.forced, 2);
        // Held by the draining node, it cannot spread over the eligible ones: it is out of the
        // replica balance, which the other five partitions make on their own (3 replicas a
        // node); the two nodes that lack one are the two forced replicas' new homes.
        assert_eq!((q.replicas.min, q.replicas.max), (2, 3));
        assert_eq!((q.lower_bound.deficit, q.lower_bound.value()), (2, 2));
        assert_eq!(q.placed_partitions, 6);
        let mut drained = before.clone();
        for p in &mut drained.partitions {
            if p.id != on_first[0] && p.holders().contains(&before.nodes[0].id) {
                let stand_in = (1..=6).find(|n| !p.holders().contains(n)).unwrap();
                p.replicas
                    .iter_mut()
                    .filter(|r| **r == before.nodes[0].id)
                    .for_each(|r| *r = stand_in);
                p.leader = p.replicas.first().copied();
            }
        }
        let q = measure(&before, &drained);
        assert_eq!((q.moves, q.lower_bound.value()), (2, 2));
        // Once placed, the freeze holds it; unplaced, it is forced like any other.
        before.partitions[0] = crate::snapshot::Partition {
            freeze: Some("maintenance".into()),
            ..crate::snapshot::Partition::default()
        };
        let mut after = placed();
        after.nodes[0].worker_state = WorkerState::Draining;
        assert!(measure(&before, &after).lower_bound.forced >= 3);
    }

    #[test]
    fn replicas_above_a_band_must_be_shed_and_made_anew_elsewhere() {
        // RF 1 on four nodes weighing 2, 1, 2 and 0.75, held as the weights 2, 1, 2, 1 would
        // have it: N4 (share 130.4) must shed 167 - 131 = 36, more than the others lack (34).
        let weights = [2.0, 1.0, 2.0, 0.75];
        let nodes = (0..4)
            .map(|i| Node {
                weight: crate::Weight::new(weights[i]).unwrap(),
                ..Node::worker(i as NodeId + 1, "")
            })
            .collect();
        let held = [333, 167, 333, 167];
        let mut partitions = Vec::new();
        for (node, &count) in held.iter().enumerate() {
            for _ in 0..count {
                let id = partitions.len() as PartitionId;
                let on = node as NodeId + 1;
                partitions.push(crate::snapshot::Partition::placed(id, &[on], Some(on)));
            }
        }
        let s = Snapshot {
            replication: Replication::nodes(1).unwrap(),
            nodes,
            partitions,
        };
        let bound = measure(&s, &s).lower_bound;
        assert_eq!((bound.forced, bound.surplus, bound.deficit), (0, 36, 34));
        assert_eq!(bound.value(), 36);
        // A partition on N4 with a second eligible holder (N1, joining) sheds N4 without a move.
        let mut spare = s.clone();
        spare.partitions[999].next = Some(vec![1]);
        assert_eq!(measure(&spare, &spare).lower_bound.surplus, 35);
    }

    #[test]
    fn unplaced_partitions_are_all_forced() {
        let before = generate(&ClusterShape::new(
            vec![2, 2, 2],
            6,
            Replication::parse("3").unwrap(),
        ));
        let q = measure(&before, &placed());
        assert_eq!(q.lower_bound.value(), 18);
        assert_eq!(q.moves, 18);
    }
}
