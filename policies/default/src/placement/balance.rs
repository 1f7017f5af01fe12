//! Transfers that bring every node to its replica target: a node above its target hands a
//! replica to a node below it, directly or along a chain of hand-overs, cheapest first.
//!
//! Costs: re-homing a replica the plan itself has just placed is free (the plan simply puts it
//! elsewhere); moving a replica a node holds now costs a move, a little more when the node leads
//! the partition (its leadership moves too) or its leader affinity points there (the replica
//! it would be led by); moving it back to a node that holds the partition
//! now (undoing a hand-over planned earlier) costs nothing. The passes, in order:
//! 1. direct free hand-overs;
//! 2. chains of free hand-overs (x gives a planned replica to y, y to z, ... until a node below
//!    its target), found by a shortest-path search; before them, where a node is left above
//!    its target and another below, the ceil of the rounded fair share may pass from one to the
//!    other instead ([`super::targets::Targets::shift`]), at no cost;
//! 3. direct paid hand-overs, followers before leaders;
//! 4. cheapest chains of any hand-overs, for what is left.

use std::collections::BTreeSet;

use super::assign::{mix, Deficits};
use super::domains::{Rules, Span};
use super::{Layout, Role};
use crate::cluster::{Cluster, Ix};

/// What moving a current (not planned) replica costs, in the search's units.
const MOVE: u32 = 10;
/// What moving a leader's replica costs on top of the move (its leadership moves too), or a
/// replica the partition's leader affinity points to.
const LEADER: u32 = 1;

/// Moves replicas of movable partitions from nodes above their target to nodes below it.
pub(crate) fn transfer(
    cluster: &Cluster<'_>,
    rules: &Rules<'_>,
    layout: &mut Layout,
    deficits: &mut Deficits,
) {
    let nodes = cluster.nodes.len();
    let mut planned: Vec<Vec<u32>> = vec![Vec::new(); nodes];
    let mut held: Vec<Vec<u32>> = vec![Vec::new(); nodes];
    for (p, set) in layout.sets.iter().enumerate() {
        if layout.role[p] == Role::Movable {
            for &n in set {
                let list = if cluster.partitions[p].holds(n) {
                    &mut held
                } else {
                    &mut planned
                };
                list[n as usize].push(p as u32);
            }
        }
    }
    // The passes go over every eligible node, each relieving a node while it is above its
    // target: a node only receives while it is below its own, so none ever rises above it.
    let over = cluster.eligible_nodes();
    let mut members: Vec<Vec<Ix>> = vec![Vec::new(); rules.groups()];
    for &n in &over {
        members[rules.group(n) as usize].push(n);
    }
    let mut t = Transfers {
        cluster,
        rules,
        layout,
        deficits,
        planned,
        held,
        members,
    };
    t.direct(&over, 0);
    // Once: a chain of free hand-overs never makes room for a shift the first pass did not
    // find (it changes no target, only lowers deficits), so a second pass after it finds none.
    t.reround(&over);
    t.chains(&over, 0);
    t.direct(&over, MOVE);
    t.direct(&over, MOVE + LEADER);
    t.chains(&over, u32::MAX);
}

/// One hand-over: partition `p`'s replica goes from `from` to `to`.
type Hop = (usize, Ix, Ix);

/// The transfer passes' shared state.
struct Transfers<'a, 'c> {
    cluster: &'a Cluster<'c>,
    rules: &'a Rules<'c>,
    layout: &'a mut Layout,
    deficits: &'a mut Deficits,
    /// Per node, the movable partitions the plan puts on it anew (entries go stale when one
    /// moves away).
    planned: Vec<Vec<u32>>,
    /// Per node, the movable partitions it holds now and keeps in the plan (likewise).
    held: Vec<Vec<u32>>,
    /// Per group, its eligible nodes.
    members: Vec<Vec<Ix>>,
}

impl Transfers<'_, '_> {
    /// What moving partition `p`'s replica off `x` to a node that does not hold it now costs.
    fn cost(&self, p: usize, x: Ix) -> u32 {
        let view = &self.cluster.partitions[p];
        if !view.holds(x) {
            0
        } else if view.leader == Some(x) || self.cluster.is_affine(view, x) {
            MOVE + LEADER
        } else {
            MOVE
        }
    }

    /// Hands over, from each node of `over` above its target, replicas that cost exactly `cost`
    /// directly to the neediest node below its target that the property allows.
    fn direct(&mut self, over: &[Ix], cost: u32) {
        for &a in over {
            let mut i = 0;
            loop {
                let list = if cost == 0 {
                    &self.planned[a as usize]
                } else {
                    &self.held[a as usize]
                };
                if i >= list.len() || self.deficits.deficit(a) >= 0 {
                    break;
                }
                let p = list[i] as usize;
                i += 1;
                if !self.layout.sets[p].contains(&a) || self.cost(p, a) != cost {
                    continue;
                }
                if let Some(b) = self.receiver(p, a) {
                    self.hop(p, a, b);
                }
            }
        }
    }

    /// Passes units of target from nodes below their target to the nodes of `over` above
    /// theirs, where the bands allow it: the rounding of the fair shares guessed which nodes get
    /// the ceil, and this corrects the guess where the replicas cannot follow it, for free.
    fn reround(&mut self, over: &[Ix]) {
        let under: Vec<Ix> = (0..self.cluster.nodes.len() as Ix)
            .filter(|&n| self.cluster.eligible[n as usize] && self.deficits.deficit(n) > 0)
            .collect();
        for &o in over {
            while self.deficits.deficit(o) < 0 {
                let Some(&u) = under.iter().find(|&&u| {
                    self.deficits.deficit(u) > 0
                        && self.layout.targets.can_shift(self.cluster, u, o)
                }) else {
                    break;
                };
                self.layout.targets.shift(self.cluster, u, o);
                self.deficits.change(o, 1);
                self.deficits.change(u, -1);
            }
        }
    }

    /// The neediest node below its target that may take `a`'s place in partition `p`'s set.
    fn receiver(&self, p: usize, a: Ix) -> Option<Ix> {
        let set = &self.layout.sets[p];
        let without: Vec<Ix> = set.iter().copied().filter(|&n| n != a).collect();
        let span = self.rules.span(&without);
        let id = self.cluster.partitions[p].id;
        let b = self
            .deficits
            .best(set, mix(u64::from(id)).rotate_left(17), |g| {
                self.rules.group_fits(&without, span, g, 0)
            })?;
        (self.deficits.deficit(b) > 0).then_some(b)
    }

    /// Applies a hand-over.
    fn hop(&mut self, p: usize, from: Ix, to: Ix) {
        if let Some(slot) = self.layout.sets[p].iter_mut().find(|n| **n == from) {
            *slot = to;
        }
        self.deficits.change(from, 1);
        self.deficits.change(to, -1);
        let list = if self.cluster.partitions[p].holds(to) {
            &mut self.held
        } else {
            &mut self.planned
        };
        list[to as usize].push(p as u32);
    }

    /// Whether the hand-over keeps partition `p`'s set valid as it is now.
    fn hop_is_valid(&self, p: usize, from: Ix, to: Ix) -> bool {
        let set = &self.layout.sets[p];
        if !set.contains(&from) || set.contains(&to) {
            return false;
        }
        let without: Vec<Ix> = set.iter().copied().filter(|&n| n != from).collect();
        self.rules
            .group_fits(&without, self.rules.span(&without), self.rules.group(to), 0)
    }

    /// Relieves each node of `over` along the cheapest chains whose hops each cost at most
    /// `limit`, while it is above its target and a chain exists.
    fn chains(&mut self, over: &[Ix], limit: u32) {
        // Nodes a failed search reached can reach no node below its target either: skip them
        // until a chain changes the sets.
        let mut stuck = vec![false; self.cluster.nodes.len()];
        for &a in over {
            while self.deficits.deficit(a) < 0 && !stuck[a as usize] {
                let path = match self.cheapest_chain(a, limit) {
                    Ok(path) => path,
                    Err(reached) => {
                        for n in reached {
                            stuck[n as usize] = true;
                        }
                        break;
                    }
                };
                // Hops were checked against the sets before the chain; a partition met twice
                // on one chain could make a later hop invalid: then the chain is undone.
                let mut done: Vec<Hop> = Vec::new();
                for &(p, from, to) in &path {
                    if !self.hop_is_valid(p, from, to) {
                        break;
                    }
                    self.hop(p, from, to);
                    done.push((p, from, to));
                }
                if done.len() < path.len() {
                    for &(p, from, to) in done.iter().rev() {
                        self.hop(p, to, from);
                    }
                    break;
                }
                stuck.fill(false);
            }
        }
    }

    /// Dijkstra over nodes from `a`: an edge x -> y for every movable partition planned on x
    /// that may move to y, weighted by [`Transfers::cost`] (edges above `limit` left out); the
    /// first node below its target reached ends the search. Nodes of one group are reached
    /// together, so each group is expanded once per distance. Without a chain, the nodes the
    /// search reached.
    fn cheapest_chain(&self, a: Ix, limit: u32) -> Result<Vec<Hop>, Vec<Ix>> {
        let mut search = Search::new(self.cluster.nodes.len(), self.members.len(), a);
        let mut without: Vec<Ix> = Vec::new();
        while let Some((dx, x)) = search.queue.pop_first() {
            if x != a && self.deficits.deficit(x) > 0 {
                return Ok(search.path_to(x));
            }
            let lists: &[&Vec<u32>] = if limit == 0 {
                &[&self.planned[x as usize]]
            } else {
                &[&self.planned[x as usize], &self.held[x as usize]]
            };
            for &p in lists.iter().copied().flatten() {
                let p = p as usize;
                let set = &self.layout.sets[p];
                if !set.contains(&x) {
                    continue;
                }
                let cost = self.cost(p, x);
                let back = cost.saturating_sub(MOVE);
                if back > limit {
                    continue;
                }
                without.clear();
                without.extend(set.iter().copied().filter(|&n| n != x));
                let span = self.rules.span(&without);
                // Back to a node that holds the partition now (a hand-over planned earlier,
                // undone): that saves the move a hand-over to any other node costs.
                for y in self.cluster.partitions[p].holders() {
                    if !set.contains(&y)
                        && self.cluster.eligible[y as usize]
                        && dx + back < search.dist[y as usize]
                        && self
                            .rules
                            .group_fits(&without, span, self.rules.group(y), 0)
                    {
                        search.reach(y, dx + back, (p, x));
                    }
                }
                if cost <= limit {
                    self.expand_groups(&mut search, (p, x), dx + cost, &without, span);
                }
            }
        }
        Err(search.reached())
    }

    /// Reaches, at distance `nd` through `edge` (partition `p` from node `x`), every node of
    /// each group that may take `x`'s place in `p`'s set (`without`: the set without `x`,
    /// spanning `span`), skipping groups already expanded at `nd` or less.
    fn expand_groups(
        &self,
        search: &mut Search,
        edge: (usize, Ix),
        nd: u32,
        without: &[Ix],
        span: Span,
    ) {
        let set = &self.layout.sets[edge.0];
        for (g, group) in self.members.iter().enumerate() {
            if search.expanded[g] <= nd || !self.rules.group_fits(without, span, g as u32, 0) {
                continue;
            }
            let mut complete = true;
            for &y in group {
                if set.contains(&y) {
                    complete &= search.dist[y as usize] <= nd;
                    continue;
                }
                if nd < search.dist[y as usize] {
                    search.reach(y, nd, edge);
                }
            }
            if complete {
                search.expanded[g] = nd;
            }
        }
    }
}

/// The state of one [`Transfers::cheapest_chain`] search.
struct Search {
    /// Per node: its distance from the start (`u32::MAX`: not reached).
    dist: Vec<u32>,
    /// Per node: the partition and the node it was reached from.
    parent: Vec<Option<(usize, Ix)>>,
    /// Per group: the distance it was last expanded at.
    expanded: Vec<u32>,
    /// The nodes to visit, nearest first.
    queue: BTreeSet<(u32, Ix)>,
}

impl Search {
    /// A search from node `start` over `nodes` nodes in `groups` groups.
    fn new(nodes: usize, groups: usize, start: Ix) -> Search {
        let mut dist = vec![u32::MAX; nodes];
        dist[start as usize] = 0;
        Search {
            dist,
            parent: vec![None; nodes],
            expanded: vec![u32::MAX; groups],
            queue: BTreeSet::from([(0, start)]),
        }
    }

    /// Node `y` is reached at distance `d` through `edge`.
    fn reach(&mut self, y: Ix, d: u32, edge: (usize, Ix)) {
        self.queue.remove(&(self.dist[y as usize], y));
        self.dist[y as usize] = d;
        self.parent[y as usize] = Some(edge);
        self.queue.insert((d, y));
    }

    /// The hops from the start to `end`, in the order to apply them.
    fn path_to(&self, end: Ix) -> Vec<Hop> {
        let mut path = Vec::new();
        let mut at = end;
        while let Some((p, from)) = self.parent[at as usize] {
            path.push((p, from, at));
            at = from;
        }
        path.reverse();
        path
    }

    /// The nodes the search reached.
    fn reached(&self) -> Vec<Ix> {
        (0..self.dist.len() as Ix)
            .filter(|&n| self.dist[n as usize] != u32::MAX)
            .collect()
    }
}
