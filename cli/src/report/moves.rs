//! Replica moves as a from/to matrix: for every partition, each node (or zone) that stopped
//! holding it is paired with one that started to, in node order; a holder with no partner
//! came from nowhere (`new`) or went nowhere (`dropped`).

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use worker_policy_model::{NodeId, PartitionId, Snapshot};

use super::layout::Layout;

/// The moves of a plan, counted per pair of columns.
#[derive(Debug, Serialize)]
pub struct MoveMatrix {
    /// The destination columns that gained something, in layout order.
    pub to: Vec<String>,
    /// One row per source column that lost something.
    pub rows: Vec<MoveRow>,
    /// Every replica placed anew.
    pub total: u32,
}

/// The moves out of one column.
#[derive(Debug, Serialize)]
pub struct MoveRow {
    /// The source.
    pub from: String,
    /// Count and shade (0..1) per destination, in the order of [`MoveMatrix::to`].
    pub cells: Vec<(u32, f64)>,
    /// The row's total.
    pub total: u32,
}

/// A source or destination that is not a column.
const OUTSIDE: usize = usize::MAX;

impl MoveMatrix {
    /// The moves from `before` to `after`, with `layout`'s columns as sources and destinations.
    pub fn of(layout: &Layout, before: &Snapshot, after: &Snapshot) -> MoveMatrix {
        let slot_of = layout.slot_of();
        let column = |n: &NodeId| slot_of.get(n).copied().unwrap_or(OUTSIDE);
        let old: BTreeMap<PartitionId, BTreeSet<NodeId>> = before
            .partitions
            .iter()
            .map(|p| (p.id, p.holders()))
            .collect();
        let mut counts: BTreeMap<(usize, usize), u32> = BTreeMap::new();
        let none = BTreeSet::new();
        for p in &after.partitions {
            let (was, now) = (old.get(&p.id).unwrap_or(&none), p.holders());
            let mut lost = was.difference(&now).map(column);
            let mut gained = now.difference(was).map(column);
            loop {
                match (lost.next(), gained.next()) {
                    (None, None) => break,
                    (None, Some(to)) => *counts.entry((OUTSIDE, to)).or_default() += 1,
                    (from, to) => {
                        *counts
                            .entry((from.unwrap_or(OUTSIDE), to.unwrap_or(OUTSIDE)))
                            .or_default() += 1
                    }
                }
            }
        }
        MoveMatrix::from_counts(layout, &counts)
    }

    /// The matrix of `counts` keyed by (source, destination) column.
    fn from_counts(layout: &Layout, counts: &BTreeMap<(usize, usize), u32>) -> MoveMatrix {
        let name = |i: usize, outside: &str| {
            layout
                .slots
                .get(i)
                .map_or_else(|| outside.to_string(), |s| s.title.clone())
        };
        let sources: BTreeSet<usize> = counts.keys().map(|k| k.0).collect();
        let targets: BTreeSet<usize> = counts.keys().map(|k| k.1).collect();
        let most = counts.values().copied().max().unwrap_or(1).max(1);
        let rows = sources
            .iter()
            .map(|&from| {
                let cells: Vec<(u32, f64)> = targets
                    .iter()
                    .map(|&to| {
                        let c = counts.get(&(from, to)).copied().unwrap_or(0);
                        (c, f64::from(c) / f64::from(most))
                    })
                    .collect();
                MoveRow {
                    from: name(from, "new"),
                    total: cells.iter().map(|c| c.0).sum(),
                    cells,
                }
            })
            .collect();
        MoveMatrix {
            to: targets.iter().map(|&t| name(t, "dropped")).collect(),
            rows,
            total: counts
                .iter()
                .filter(|((_, to), _)| *to != OUTSIDE)
                .map(|(_, c)| c)
                .sum(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use worker_policy_model::generate::{generate, ClusterShape};
    use worker_policy_model::{Partition, Replication};

    #[test]
    fn a_replaced_replica_is_one_move_from_the_old_node_to_the_new() {
        let mut shape = ClusterShape::new(vec![2, 2], 2, Replication::parse("2").unwrap());
        shape.placed = true;
        let before = generate(&shape);
        let mut after = before.clone();
        let holders: Vec<NodeId> = after.partitions[0].replicas.clone();
        let stranger = (1..=4).find(|n| !holders.contains(n)).unwrap();
        after.partitions[0].replicas[0] = stranger;
        after
            .partitions
            .push(Partition::placed(9, &[1, 2], Some(1)));
        let matrix = MoveMatrix::of(&Layout::of(&after, &[]), &before, &after);
        assert_eq!(matrix.total, 3);
        let moved = matrix
            .rows
            .iter()
            .find(|r| r.from == format!("N{} n{}", holders[0], holders[0]))
            .unwrap();
        assert_eq!(moved.total, 1);
        let new = matrix.rows.iter().find(|r| r.from == "new").unwrap();
        assert_eq!(new.total, 2);
        assert!(matrix.to.iter().all(|t| t != "dropped"));
    }
}
