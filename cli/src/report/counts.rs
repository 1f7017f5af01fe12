//! What each column stands for in numbers: the replicas and leaders of its node (or its zone's
//! nodes) before and after the plan, and the fair-share band of the model's own rules
//! ([`fair_share`], as [`worker_policy_model::quality::measure`] uses them).

use std::collections::BTreeMap;

use worker_policy_model::fair_share::{self, Band};
use worker_policy_model::{NodeId, Snapshot};

use super::layout::Layout;
use crate::view::nodes::{node_counts, NodeCounts};

/// A count over a column's nodes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stat {
    /// The total.
    pub sum: u32,
    /// The smallest node's.
    pub min: u32,
    /// The largest node's.
    pub max: u32,
    /// Per node.
    pub mean: f64,
}

/// One column of one chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Measure {
    /// Before the plan.
    pub before: Stat,
    /// After the plan.
    pub after: Stat,
    /// The fair share per node after the plan (the mean over the column's eligible nodes);
    /// `None` when no node of the column may hold replicas.
    pub share: Option<f64>,
    /// The lowest floor and highest ceil of the column's eligible nodes' bands.
    pub band: Option<Band>,
    /// Eligible nodes of the column whose count after is outside their own band.
    pub outside: u32,
}

/// The replica and leader columns of a plan that leads from `before` to `after`.
#[derive(Debug)]
pub struct Measures {
    /// Replicas held (replicas or `next` sets) per column.
    pub replicas: Vec<Measure>,
    /// Partitions led per column.
    pub leaders: Vec<Measure>,
}

impl Measures {
    /// The columns of `layout` for the change from `before` to `after`.
    pub fn of(layout: &Layout, before: &Snapshot, after: &Snapshot) -> Measures {
        let eligible: Vec<_> = after
            .nodes
            .iter()
            .filter(|n| n.is_placement_candidate())
            .collect();
        let placed = after.partitions.iter().filter(|p| !p.is_unplaced()).count() as u32;
        let replica_shares = fair_share::replica_shares(&after.replication, &eligible, placed);
        let balanced_leaders = (after.partitions.iter())
            .filter(|p| !p.is_unplaced() && p.leads_by_balance())
            .count() as u32;
        let leader_shares = fair_share::leader_shares(&eligible, balanced_leaders);
        let (old, new) = (by_node(before), by_node(after));
        let column = |members: &[NodeId], count: fn(&NodeCounts) -> u32, shares| Measure {
            before: stat(members.iter().map(|n| old.get(n).map_or(0, count))),
            after: stat(members.iter().map(|n| new.get(n).map_or(0, count))),
            ..banded(members, shares, |n| new.get(&n).map_or(0, count))
        };
        Measures {
            replicas: (layout.slots.iter())
                .map(|s| column(&s.members, |c| c.replicas, &replica_shares))
                .collect(),
            leaders: (layout.slots.iter())
                .map(|s| column(&s.members, |c| c.leaders, &leader_shares))
                .collect(),
        }
    }
}

/// Per-node counts of `snapshot`, by node.
fn by_node(snapshot: &Snapshot) -> BTreeMap<NodeId, NodeCounts> {
    node_counts(snapshot)
        .into_iter()
        .map(|c| (c.node, c))
        .collect()
}

/// The share, band and nodes outside their band of `members` (counts after from `count`).
fn banded(
    members: &[NodeId],
    shares: &BTreeMap<NodeId, f64>,
    count: impl Fn(NodeId) -> u32,
) -> Measure {
    let mut band: Option<Band> = None;
    let (mut total, mut eligible, mut outside) = (0.0, 0u32, 0u32);
    for &n in members {
        let Some(&share) = shares.get(&n) else {
            continue;
        };
        let own = Band::of(share);
        total += share;
        eligible += 1;
        outside += u32::from(!own.contains(count(n)));
        band = Some(band.map_or(own, |b| Band {
            floor: b.floor.min(own.floor),
            ceil: b.ceil.max(own.ceil),
        }));
    }
    let zero = stat(std::iter::empty());
    Measure {
        before: zero,
        after: zero,
        share: (eligible > 0).then(|| total / f64::from(eligible)),
        band,
        outside,
    }
}

/// Sum, min, max and mean of `counts` (all 0 when empty).
fn stat(counts: impl Iterator<Item = u32>) -> Stat {
    let (mut sum, mut min, mut max, mut n) = (0u32, u32::MAX, 0u32, 0u32);
    for c in counts {
        sum += c;
        min = min.min(c);
        max = max.max(c);
        n += 1;
    }
    Stat {
        sum,
        min: if n == 0 { 0 } else { min },
        max,
        mean: if n == 0 {
            0.0
        } else {
            f64::from(sum) / f64::from(n)
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use worker_policy_model::generate::{generate, ClusterShape};
    use worker_policy_model::{Replication, WorkerState};

    #[test]
    fn a_draining_node_has_no_band_and_the_others_share_its_replicas() {
        let mut shape = ClusterShape::new(vec![2, 2, 2], 6, Replication::parse("3").unwrap());
        shape.placed = true;
        let before = generate(&shape);
        let mut after = before.clone();
        after.nodes[0].worker_state = WorkerState::Draining;
        let layout = Layout::of(&after, &[]);
        let m = Measures::of(&layout, &before, &after);
        let first = &m.replicas[0];
        assert_eq!((first.before.sum, first.after.sum), (3, 3));
        assert_eq!((first.share, first.band), (None, None));
        let second = &m.replicas[1];
        assert!((second.share.unwrap() - 3.6).abs() < 1e-9);
        assert_eq!(second.band, Some(Band { floor: 3, ceil: 4 }));
        assert_eq!(second.outside, 0);
        assert!((m.leaders[1].share.unwrap() - 1.2).abs() < 1e-9);
    }

    #[test]
    fn a_stat_sums_and_spreads() {
        let s = stat([2, 5, 2].into_iter());
        assert_eq!((s.sum, s.min, s.max), (9, 2, 5));
        assert_eq!(s.mean, 3.0);
        assert_eq!(stat(std::iter::empty()).min, 0);
    }
}
