//! Choosing nodes for replicas: an index of the eligible nodes ordered by how far each is below
//! its target, and the greedy fill that gives every replica set its missing members.
//!
//! The index keeps, per group (the zones, or regions, the property constrains; see
//! [`Rules::group`]), one bitset of nodes per deficit value (target minus planned load), and the
//! groups ordered by their largest deficit. "The neediest node that may join this set" then
//! costs a few map steps and word scans instead of a scan of every node (groups the property
//! rules out for the set are skipped whole), and a node's deficit changes in constant time plus
//! a lookup in a map of the few deficit values present: placing 100,000 partitions on 1,000
//! nodes takes a few tens of milliseconds.
//!
//! Ties between equally needy nodes are broken by rotations derived from the partition id and
//! the slot being filled (deterministic, no randomness): breaking them by node id alone would
//! give the partitions placed together the same companions over and over, and a later drain of
//! one node would then find its replicas unable to move anywhere but a few zones.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet};

use super::domains::Rules;
use crate::cluster::Ix;
use worker_policy_model::PartitionId;

/// The eligible nodes ordered by deficit, grouped.
pub(crate) struct Deficits {
    deficit: Vec<i64>,
    /// Per node: its group and its position in the group's node list.
    place: Vec<(u32, u32)>,
    groups: Vec<Group>,
    /// Every group with eligible nodes, by its largest deficit (largest first).
    order: BTreeSet<(Reverse<i64>, u32)>,
}

/// One group's eligible nodes, by deficit.
struct Group {
    /// Its nodes, by index.
    nodes: Vec<Ix>,
    /// Per deficit that some node has: which of them (a bit per position in `nodes`).
    levels: BTreeMap<i64, Level>,
}

/// The nodes of a group with one deficit: a bit per position in the group's node list.
type Level = Vec<u64>;

impl Group {
    fn top(&self) -> Option<i64> {
        self.levels.last_key_value().map(|(&d, _)| d)
    }

    fn set(&mut self, pos: u32, deficit: i64, on: bool) {
        let words = self.nodes.len().div_ceil(64);
        let level = self.levels.entry(deficit).or_insert_with(|| vec![0; words]);
        let (w, bit) = (pos as usize / 64, 1u64 << (pos % 64));
        if on {
            level[w] |= bit;
        } else {
            level[w] &= !bit;
            if level.iter().all(|&word| word == 0) {
                self.levels.remove(&deficit);
            }
        }
    }

    /// The neediest node not in `exclude`; ties to the first at or after position `start`.
    fn pick(&self, exclude: &[Ix], start: usize) -> Option<(i64, Ix)> {
        let len = self.nodes.len();
        for (&d, level) in self.levels.iter().rev() {
            for (from, to) in [(start, len), (0, start)] {
                let mut w = from / 64;
                while w * 64 < to {
                    let mut word = level[w];
                    if w == from / 64 {
                        word &= !0u64 << (from % 64);
                    }
                    while word != 0 {
                        let i = w * 64 + word.trailing_zeros() as usize;
                        if i >= to {
                            break;
                        }
                        let n = self.nodes[i];
                        if !exclude.contains(&n) {
                            return Some((d, n));
                        }
                        word &= word - 1;
                    }
                    w += 1;
                }
            }
        }
        None
    }
}

impl Deficits {
    /// An index of `eligible` (node indices) with `deficit` (indexed by node), grouped by
    /// `rules`.
    pub fn new(rules: &Rules<'_>, eligible: &[Ix], deficit: Vec<i64>) -> Deficits {
        let mut groups: Vec<Group> = (0..rules.groups())
            .map(|_| Group {
                nodes: Vec::new(),
                levels: BTreeMap::new(),
            })
            .collect();
        let mut place = vec![(0, 0); deficit.len()];
        for &n in eligible {
            let g = rules.group(n);
            let members = &mut groups[g as usize].nodes;
            place[n as usize] = (g, members.len() as u32);
            members.push(n);
        }
        for &n in eligible {
            let (g, pos) = place[n as usize];
            groups[g as usize].set(pos, deficit[n as usize], true);
        }
        let order = groups
            .iter()
            .enumerate()
            .filter_map(|(g, group)| group.top().map(|d| (Reverse(d), g as u32)))
            .collect();
        Deficits {
            deficit,
            place,
            groups,
            order,
        }
    }

    /// How far node `n` is below its target (negative: above).
    pub fn deficit(&self, n: Ix) -> i64 {
        self.deficit[n as usize]
    }

    /// Changes node `n`'s deficit by `delta`.
    pub fn change(&mut self, n: Ix, delta: i64) {
        let (g, pos) = self.place[n as usize];
        let old = self.deficit[n as usize];
        let group = &mut self.groups[g as usize];
        let before = group.top();
        group.set(pos, old, false);
        group.set(pos, old + delta, true);
        self.deficit[n as usize] = old + delta;
        let after = group.top();
        if before != after {
            if let Some(d) = before {
                self.order.remove(&(Reverse(d), g));
            }
            if let Some(d) = after {
                self.order.insert((Reverse(d), g));
            }
        }
    }

    /// The node with the largest deficit that is not in `exclude` and whose group passes
    /// `group_ok`. Ties are broken by rotations that `salt` picks: one over the groups, and one
    /// within each group, so that the groups and the nodes a partition gets do not follow from
    /// the ones it already has.
    pub fn best(
        &self,
        exclude: &[Ix],
        salt: u64,
        mut group_ok: impl FnMut(u32) -> bool,
    ) -> Option<Ix> {
        let first_group = (mix(salt) % (self.groups.len().max(1) as u64)) as u32;
        let mut found: Option<(i64, Ix)> = None;
        let mut level = self.order.first()?.0;
        loop {
            if found.is_some_and(|(d, _)| Reverse(d) <= level) {
                return found.map(|(_, n)| n);
            }
            let at_level = |from: u32, to: u32| {
                self.order
                    .range((level, from)..(level, to))
                    .map(|&(_, g)| g)
            };
            for g in at_level(first_group, u32::MAX).chain(at_level(0, first_group)) {
                if !group_ok(g) {
                    continue;
                }
                let group = &self.groups[g as usize];
                let start = mix(salt ^ (u64::from(g) << 32)) % group.nodes.len() as u64;
                let Some((d, n)) = group.pick(exclude, start as usize) else {
                    continue;
                };
                if Reverse(d) == level {
                    return Some(n);
                }
                if found.is_none_or(|(f, _)| d > f) {
                    found = Some((d, n));
                }
            }
            let Reverse(l) = level;
            match self.order.range((Reverse(l - 1), 0)..).next() {
                Some(&(next, _)) => level = next,
                None => return found.map(|(_, n)| n),
            }
        }
    }
}

/// Mixes a salt into well-spread bits (the model's splitmix64 output function).
pub(crate) use worker_policy_model::generate::mix;

/// The neediest node that may join partition `id`'s `set` (with the rest of the set still to
/// follow), ties rotated by the partition and the slot; `None` only when no eligible node fits,
/// which the up-front satisfiability check rules out.
pub(crate) fn fill_one(
    rules: &Rules<'_>,
    deficits: &Deficits,
    set: &[Ix],
    id: PartitionId,
) -> Option<Ix> {
    let extra = rules.factor().checked_sub(set.len() + 1)?;
    let span = rules.span(set);
    let salt = mix(u64::from(id)) ^ set.len() as u64;
    deficits.best(set, salt, |g| rules.group_fits(set, span, g, extra))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::Cluster;
    use crate::test_support::{node, snapshot};
    use worker_policy_model::WorkerState::Active;

    #[test]
    fn best_prefers_the_neediest_allowed_node() {
        let nodes = vec![
            node(1, "r.a", Active),
            node(2, "r.a", Active),
            node(3, "r.b", Active),
            node(4, "r.b", Active),
        ];
        let s = snapshot("{zone: 2, node: 2}", nodes, vec![]);
        let cluster = Cluster::new(&s).unwrap();
        let rules = Rules::new(&cluster);
        // Nodes 0..4 in zones a, a, b, b with deficits 5, 3, 4, 1.
        let mut d = Deficits::new(&rules, &[0, 1, 2, 3], vec![5, 3, 4, 1]);
        assert_eq!(d.best(&[], 0, |_| true), Some(0));
        assert_eq!(d.best(&[0], 0, |_| true), Some(2));
        assert_eq!(d.best(&[0, 2], 0, |_| true), Some(1));
        assert_eq!(d.best(&[], 0, |g| g == 1), Some(2));
        d.change(3, 10);
        assert_eq!(d.best(&[], 0, |_| true), Some(3));
        assert_eq!(d.deficit(3), 11);
        assert_eq!(d.best(&[0, 1, 2, 3], 0, |_| true), None);
        // A set on node 0 (zone a) with one more to add must take it from zone b.
        assert_eq!(fill_one(&rules, &d, &[0], 0), Some(3));
    }

    #[test]
    fn ties_rotate_with_the_salt() {
        let nodes = (1..=4).map(|i| node(i, "", Active)).collect();
        let s = snapshot("1", nodes, vec![]);
        let cluster = Cluster::new(&s).unwrap();
        let rules = Rules::new(&cluster);
        let d = Deficits::new(&rules, &[0, 1, 2, 3], vec![2, 2, 2, 2]);
        let picks: BTreeSet<Ix> = (0..16)
            .filter_map(|salt| d.best(&[], salt, |_| true))
            .collect();
        assert!(picks.len() > 1, "{picks:?}");
        assert!((0..16).all(|salt| d.best(&[], salt, |_| true) == d.best(&[], salt, |_| true)));
    }
}
