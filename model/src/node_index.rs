//! Where each node id is in a list of them, found in constant time: a table indexed by id when
//! the ids are dense enough (they usually count from 1), else the ids sorted with their
//! positions, searched. Policies and the consistency rules look node ids up once for every
//! replica of every partition, so the search this replaces ran millions of times on a large
//! cluster.

use std::cmp::Reverse;

use crate::snapshot::NodeId;

/// The positions of a list of node ids, by id.
#[derive(Debug, Clone)]
pub struct NodeIndex {
    lookup: Lookup,
}

/// How [`NodeIndex`] finds an id.
#[derive(Debug, Clone)]
enum Lookup {
    /// Per id up to the largest: its position, or [`ABSENT`].
    Dense(Vec<u32>),
    /// The ids with their positions, sorted by id.
    Sparse(Vec<(NodeId, u32)>),
}

/// A [`Lookup::Dense`] entry for an id the list does not have.
const ABSENT: u32 = u32::MAX;

/// The most ids a [`Lookup::Dense`] table holds beyond four per listed node: up to there a
/// table costs at most a few kilobytes more than the sorted list.
const DENSE_SLACK: usize = 1024;

impl NodeIndex {
    /// The positions of `ids`, in the order given (the first is at 0). An id given more than
    /// once has its last position, as a map built in list order keeps it.
    pub fn new(ids: &[NodeId]) -> NodeIndex {
        let largest = ids.iter().max().map_or(0, |&id| id as usize);
        let lookup = if largest <= 4 * ids.len() + DENSE_SLACK {
            let mut table = vec![ABSENT; largest + 1];
            for (position, &id) in ids.iter().enumerate() {
                table[id as usize] = position as u32;
            }
            Lookup::Dense(table)
        } else {
            let mut sorted: Vec<(NodeId, u32)> = ids.iter().copied().zip(0..).collect();
            // Each id once, with its last position first among its entries, then kept.
            sorted.sort_unstable_by_key(|&(id, position)| (id, Reverse(position)));
            sorted.dedup_by_key(|&mut (id, _)| id);
            Lookup::Sparse(sorted)
        };
        NodeIndex { lookup }
    }

    /// Where `id` is in the list, if it is there.
    #[inline]
    pub fn position(&self, id: NodeId) -> Option<u32> {
        match &self.lookup {
            Lookup::Dense(table) => table
                .get(id as usize)
                .copied()
                .filter(|&position| position != ABSENT),
            Lookup::Sparse(sorted) => sorted
                .binary_search_by_key(&id, |&(known, _)| known)
                .ok()
                .map(|i| sorted[i].1),
        }
    }

    /// Whether `id` is in the list.
    #[inline]
    pub fn contains(&self, id: NodeId) -> bool {
        self.position(id).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every id of `ids` at its position, and `absent` nowhere.
    fn assert_positions(ids: &[NodeId], absent: &[NodeId]) {
        let index = NodeIndex::new(ids);
        for (position, &id) in ids.iter().enumerate() {
            assert_eq!(index.position(id), Some(position as u32), "{id} in {ids:?}");
            assert!(index.contains(id));
        }
        for &id in absent {
            assert_eq!(index.position(id), None, "{id} is not in {ids:?}");
            assert!(!index.contains(id));
        }
    }

    #[test]
    fn dense_ids_are_found_by_table() {
        let ids = [3, 1, 2, 7];
        assert!(matches!(NodeIndex::new(&ids).lookup, Lookup::Dense(_)));
        assert_positions(&ids, &[0, 4, 5, 6, 8, 1 << 20, NodeId::MAX]);
    }

    #[test]
    fn sparse_ids_are_found_by_search() {
        let ids = [4_000_000_000, 1, 70_000, 2];
        assert!(matches!(NodeIndex::new(&ids).lookup, Lookup::Sparse(_)));
        assert_positions(&ids, &[0, 3, 69_999, 70_001, 3_999_999_999, NodeId::MAX]);
    }

    #[test]
    fn the_table_stops_at_four_ids_per_node_and_the_slack() {
        let at_bound = [1, (4 * 2 + DENSE_SLACK) as NodeId];
        assert!(matches!(NodeIndex::new(&at_bound).lookup, Lookup::Dense(_)));
        assert_positions(&at_bound, &[0, 2, 1025]);
        let past_bound = [1, (4 * 2 + DENSE_SLACK + 1) as NodeId];
        assert!(matches!(
            NodeIndex::new(&past_bound).lookup,
            Lookup::Sparse(_)
        ));
        assert_positions(&past_bound, &[0, 2, 1032]);
    }

    #[test]
    fn an_id_given_twice_has_its_last_position() {
        for ids in [
            [5, 1, 5, 2, 5],
            [4_000_000_000, 1, 4_000_000_000, 2, 4_000_000_000],
        ] {
            let index = NodeIndex::new(&ids);
            assert_eq!(index.position(ids[0]), Some(4), "{ids:?}");
            assert_eq!(index.position(1), Some(1), "{ids:?}");
            assert_eq!(index.position(2), Some(3), "{ids:?}");
        }
    }

    #[test]
    fn no_ids_find_nothing() {
        assert_positions(&[], &[0, 1, NodeId::MAX]);
    }
}
