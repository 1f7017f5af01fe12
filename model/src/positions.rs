//! Where each id (of a node or a partition) stands in its list, found in O(1) without hashing
//! when the ids are dense (as the generator's and most real clusters' are: partitions `0..P`,
//! nodes `1..=N`), and without any memory when they are consecutive in list order (the
//! canonical form of such ids). The invariant checker, the consistency rules, the settledness
//! check and policies look ids up through it once for every replica of every partition.

use std::collections::HashMap;

/// A table slot no id maps to.
const ABSENT: u32 = u32::MAX;

/// How many table slots per listed id the dense form may spend before a map is cheaper.
const SLOTS_PER_ID: u64 = 4;

/// Slots the dense form may always spend, however few the ids.
const FREE_SLOTS: u64 = 1024;

/// The position of every id in a list; for an id listed twice, its last position (as a map
/// built in list order keeps it).
#[derive(Debug, Clone)]
pub struct Positions(Lookup);

/// How [`Positions`] finds an id.
#[derive(Debug, Clone)]
enum Lookup {
    /// The ids are `first`, `first + 1`, ... in list order: the position is `id - first`.
    Run {
        /// The first id.
        first: u32,
        /// How many ids.
        len: u32,
    },
    /// Indexed by the id: the position, or [`ABSENT`].
    Table(Vec<u32>),
    /// Ids too sparse for a table.
    Map(HashMap<u32, usize>),
}

impl Positions {
    /// The positions of `ids`, in list order.
    pub fn new(ids: impl Iterator<Item = u32> + Clone) -> Positions {
        Positions(Lookup::new(ids))
    }

    /// Where `id` stands, if it is listed.
    #[inline]
    pub fn get(&self, id: u32) -> Option<usize> {
        match self.0 {
            Lookup::Run { first, len } => {
                let at = id.wrapping_sub(first);
                (id >= first && at < len).then_some(at as usize)
            }
            Lookup::Table(ref table) => match table.get(id as usize) {
                Some(&at) if at != ABSENT => Some(at as usize),
                _ => None,
            },
            Lookup::Map(ref map) => map.get(&id).copied(),
        }
    }

    /// Whether `id` is listed.
    #[inline]
    pub fn contains(&self, id: u32) -> bool {
        self.get(id).is_some()
    }

    /// How many ids have a position.
    #[cfg(test)]
    fn len(&self) -> usize {
        match &self.0 {
            Lookup::Run { len, .. } => *len as usize,
            Lookup::Table(table) => table.iter().filter(|&&at| at != ABSENT).count(),
            Lookup::Map(map) => map.len(),
        }
    }
}

impl Lookup {
    /// The form that suits `ids`: a run, else a table when affordable, else a map.
    fn new(ids: impl Iterator<Item = u32> + Clone) -> Lookup {
        let (count, largest) = ids.clone().fold((0u64, None), |(count, largest), id| {
            (count + 1, largest.max(Some(id)))
        });
        if let Some(run) = Lookup::run(ids.clone(), count) {
            return run;
        }
        // Counted in u64: the largest id plus one does not fit a u32, nor a 32-bit usize.
        let slots = largest.map_or(0, |id| u64::from(id) + 1);
        let affordable = count * SLOTS_PER_ID + FREE_SLOTS;
        match usize::try_from(slots) {
            Ok(slots) if slots as u64 <= affordable && count < u64::from(ABSENT) => {
                let mut table = vec![ABSENT; slots];
                for (i, id) in ids.enumerate() {
                    table[id as usize] = i as u32;
                }
                Lookup::Table(table)
            }
            _ => Lookup::Map(ids.enumerate().map(|(i, id)| (id, i)).collect()),
        }
    }

    /// The [`Lookup::Run`] of `count` ids, if they are consecutive in list order.
    fn run(mut ids: impl Iterator<Item = u32>, count: u64) -> Option<Lookup> {
        let first = ids.next()?;
        let len = u32::try_from(count).ok()?;
        let consecutive = (1..)
            .zip(ids)
            .all(|(i, id)| first.checked_add(i) == Some(id));
        consecutive.then_some(Lookup::Run { first, len })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn positions(ids: &[u32]) -> Positions {
        Positions::new(ids.iter().copied())
    }

    #[test]
    fn consecutive_ids_need_no_table() {
        let run = positions(&[7, 8, 9]);
        assert!(matches!(run.0, Lookup::Run { first: 7, len: 3 }));
        assert_eq!(
            [6, 7, 9, 10, u32::MAX].map(|id| run.get(id)),
            [None, Some(0), Some(2), None, None]
        );
        let top = positions(&[u32::MAX - 1, u32::MAX]);
        assert_eq!((top.get(u32::MAX), top.get(0)), (Some(1), None));
        assert!(matches!(
            positions(&[]).0,
            Lookup::Map(_) | Lookup::Table(_)
        ));
    }

    #[test]
    fn dense_ids_index_a_table_and_sparse_ones_a_map() {
        let dense = positions(&[3, 1, 2, 7]);
        assert!(matches!(dense.0, Lookup::Table(_)));
        assert_eq!(
            [0, 1, 2, 3, 7, 8, 5000].map(|id| dense.get(id)),
            [None, Some(1), Some(2), Some(0), Some(3), None, None]
        );
        let sparse = positions(&[u32::MAX, 5, 4_000_000]);
        assert!(matches!(sparse.0, Lookup::Map(_)));
        assert_eq!(
            [5, 4_000_000, u32::MAX, 6].map(|id| sparse.get(id)),
            [Some(1), Some(2), Some(0), None]
        );
        assert_eq!(positions(&[]).get(0), None);
        assert!(dense.contains(7) && !dense.contains(8) && sparse.contains(5));
    }

    #[test]
    fn a_repeated_id_stands_at_its_last_position_in_either_form() {
        for ids in [[4, 9, 4], [4_000_000, 9, 4_000_000]] {
            let p = positions(&ids);
            assert_eq!(
                (p.get(4_000_000).or(p.get(4)), p.get(9)),
                (Some(2), Some(1))
            );
            assert_eq!(p.len(), 2);
        }
    }
}
