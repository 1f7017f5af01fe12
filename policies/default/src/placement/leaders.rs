//! Leaders: every planned partition led by one of its planned replicas, where its affinity
//! points when it can, and the others balanced to each eligible node's weighted share, with no
//! leader moved without a cause.
//!
//! A partition with a leader affinity is led by an eligible replica of its planned set that
//! matches it, when it has one: the one that leads it already, else the matching replica that
//! leads the fewest affine partitions so far. Without a matching replica, its leader stays
//! where it may, else goes to the replica that leads the fewest affine partitions. Either way it
//! is outside the balance, as in the quality figures ([`Partition::leads_by_balance`]).
//!
//! The other partitions are balanced: each node's range is floor..=ceil of its leader share
//! ([`fair_share::leader_shares`], P/N with equal weights), cut to the replicas it holds. A
//! leader stays where it is while its node keeps the replica. Partitions without a leader that
//! may stay get the replica whose node is furthest below its range. Then nodes above their
//! range hand leaderships to nodes with room, and nodes below it take some from nodes above
//! their floor: directly when a partition has replicas on both, else along the shortest chain
//! of such hand-overs (each partition's leader still changes at most once per plan, as only the
//! end state is written). With `balance_leaders` off, only the leaders placed anew take part in
//! the hand-overs. A frozen partition's leader is chosen among its eligible current replicas
//! and never handed over for balance; a fixed partition's is left as it is.
//!
//! [`Partition::leads_by_balance`]: worker_policy_model::Partition::leads_by_balance

use std::borrow::Cow;
use std::collections::VecDeque;

use worker_policy_model::fair_share::{self, Band};
use worker_policy_model::Node;

use super::{Layout, Role};
use crate::cluster::{Cluster, Ix};

/// Sets `layout.leader` for every counted partition; `balance`: whether leaders that may stay
/// are handed over for balance too.
pub(crate) fn assign(cluster: &Cluster<'_>, eligible: &[Ix], layout: &mut Layout, balance: bool) {
    let nodes = cluster.nodes.len();
    let mut tally = Tally {
        led: vec![0; nodes],
        affine: vec![0; nodes],
        balanced: 0,
    };
    let mut needs = Vec::new();
    let mut affine_needs = Vec::new();
    for (p, view) in cluster.partitions.iter().enumerate() {
        if layout.role[p] == Role::Ignored {
            continue;
        }
        let by_balance = view.affinity.is_none();
        tally.balanced += u32::from(by_balance);
        if layout.role[p] == Role::Fixed {
            let stays = view
                .leader
                .filter(|&l| cluster.eligible[l as usize] && layout.sets[p].contains(&l));
            if let Some(l) = stays {
                tally.count(l, by_balance);
            }
            layout.leader[p] = view.leader;
            continue;
        }
        let choices = choices(cluster, layout, p);
        match view.leader.filter(|l| choices.contains(l)) {
            Some(l) => {
                tally.count(l, by_balance);
                layout.leader[p] = Some(l);
            }
            None if choices.is_empty() => layout.leader[p] = view.leader,
            None if by_balance => needs.push(p),
            None => affine_needs.push((p, choices.into_owned())),
        }
    }
    for (p, choices) in affine_needs {
        let view = &cluster.partitions[p];
        let best = choices.iter().copied().min_by_key(|&n| {
            let current = view.replicas.binary_search(&n).is_ok();
            (tally.affine[n as usize], !current, n)
        });
        if let Some(n) = best {
            tally.count(n, false);
            layout.leader[p] = Some(n);
        }
    }
    let range = ranges(cluster, eligible, layout, tally.balanced);
    let mut movable = vec![balance; layout.role.len()];
    for p in needs {
        let view = &cluster.partitions[p];
        let best = choices(cluster, layout, p)
            .iter()
            .copied()
            .max_by_key(|&n| {
                let (lo, hi) = range[n as usize];
                let have = tally.led[n as usize];
                (
                    lo - have,
                    hi - have,
                    view.replicas.binary_search(&n).is_ok(),
                    std::cmp::Reverse(n),
                )
            });
        if let Some(n) = best {
            tally.count(n, true);
            layout.leader[p] = Some(n);
        }
        movable[p] = true;
    }
    Balancer::new(cluster, layout, tally.led, range, &movable).run(eligible);
}

/// Leaderships counted so far.
struct Tally {
    /// Per node: the balanced partitions it leads.
    led: Vec<i64>,
    /// Per node: the partitions with an affinity it leads.
    affine: Vec<i64>,
    /// The counted partitions without an affinity.
    balanced: u32,
}

impl Tally {
    /// Node `n` leads one more partition, balanced (`by_balance`) or with an affinity.
    fn count(&mut self, n: Ix, by_balance: bool) {
        let counts = if by_balance {
            &mut self.led
        } else {
            &mut self.affine
        };
        counts[n as usize] += 1;
    }
}

/// The replicas that may lead movable or frozen partition `p`: its eligible planned replicas
/// (a frozen partition's current ones only), narrowed to those its affinity points to when any
/// does. Borrowed, with no allocation, for the common partition: neither frozen nor affine.
fn choices<'a>(cluster: &Cluster<'_>, layout: &'a Layout, p: usize) -> Cow<'a, [Ix]> {
    let view = &cluster.partitions[p];
    let set = &layout.sets[p];
    let frozen = layout.role[p] == Role::Frozen;
    if !frozen && view.affinity.is_none() {
        return Cow::Borrowed(set);
    }
    let may_lead: Vec<Ix> = if frozen {
        (set.iter().copied())
            .filter(|n| view.replicas.binary_search(n).is_ok())
            .collect()
    } else {
        set.clone()
    };
    if view.affinity.is_none() {
        return Cow::Owned(may_lead);
    }
    let affine: Vec<Ix> = (may_lead.iter().copied())
        .filter(|&n| cluster.is_affine(view, n))
        .collect();
    Cow::Owned(if affine.is_empty() { may_lead } else { affine })
}

/// Per node: the fewest and most balanced partitions it should lead, floor..=ceil of its share
/// of `balanced` partitions, cut to the replicas planned on it (0..0 for other nodes).
fn ranges(
    cluster: &Cluster<'_>,
    eligible: &[Ix],
    layout: &Layout,
    balanced: u32,
) -> Vec<(i64, i64)> {
    let nodes: Vec<&Node> = eligible
        .iter()
        .map(|&n| cluster.nodes[n as usize])
        .collect();
    let shares = fair_share::leader_shares(&nodes, balanced);
    let mut planned = vec![0; cluster.nodes.len()];
    for &n in layout.sets.iter().flatten() {
        planned[n as usize] += 1;
    }
    let mut range = vec![(0, 0); cluster.nodes.len()];
    for &n in eligible {
        let band = Band::of(shares.get(&cluster.id(n)).copied().unwrap_or(0.0));
        let held = planned[n as usize];
        range[n as usize] = (
            i64::from(band.floor).min(held),
            i64::from(band.ceil).min(held),
        );
    }
    range
}

/// One hand-over of leadership: partition `p` from node `from` to node `to`.
type Hop = (usize, Ix, Ix);

/// Moves leaderships until every node is inside its range (where the replicas allow it).
struct Balancer<'a> {
    layout: &'a mut Layout,
    led: Vec<i64>,
    /// Per node: the fewest and most partitions it should lead.
    range: Vec<(i64, i64)>,
    /// Per node: the movable partitions it is planned to lead (entries go stale).
    led_by: Vec<Vec<u32>>,
    /// Per node: the movable partitions with a planned replica on it.
    member_of: Vec<Vec<u32>>,
}

impl<'a> Balancer<'a> {
    /// The balancer of the movable balanced partitions that `movable` lets hand over.
    fn new(
        cluster: &Cluster<'_>,
        layout: &'a mut Layout,
        led: Vec<i64>,
        range: Vec<(i64, i64)>,
        movable: &[bool],
    ) -> Balancer<'a> {
        let nodes = cluster.nodes.len();
        let mut led_by: Vec<Vec<u32>> = vec![Vec::new(); nodes];
        let mut member_of: Vec<Vec<u32>> = vec![Vec::new(); nodes];
        for (p, set) in layout.sets.iter().enumerate() {
            let balanced = cluster.partitions[p].affinity.is_none();
            if layout.role[p] != Role::Movable || !balanced || !movable[p] {
                continue;
            }
            if let Some(l) = layout.leader[p] {
                led_by[l as usize].push(p as u32);
            }
            for &n in set {
                member_of[n as usize].push(p as u32);
            }
        }
        Balancer {
            layout,
            led,
            range,
            led_by,
            member_of,
        }
    }

    fn run(mut self, eligible: &[Ix]) {
        // A node a failed search reached has no chain either: skip it until a chain is applied.
        let mut stuck = vec![false; self.led.len()];
        // Nodes above their range give, to a node below its range if one is in reach, else to
        // any node with room.
        for &a in eligible {
            while self.led[a as usize] > self.range[a as usize].1 && !stuck[a as usize] {
                let under = |b: &Self, n: Ix| b.led[n as usize] < b.range[n as usize].0;
                let room = |b: &Self, n: Ix| b.led[n as usize] < b.range[n as usize].1;
                match self.give(a, under).or_else(|_| self.give(a, room)) {
                    Ok(path) => {
                        self.apply(&path);
                        stuck.fill(false);
                    }
                    Err(reached) => reached.iter().for_each(|&n| stuck[n as usize] = true),
                }
            }
        }
        // Nodes below their range take from a node above its floor.
        stuck.fill(false);
        for &u in eligible {
            while self.led[u as usize] < self.range[u as usize].0 && !stuck[u as usize] {
                match self.take(u) {
                    Ok(path) => {
                        self.apply(&path);
                        stuck.fill(false);
                    }
                    Err(reached) => reached.iter().for_each(|&n| stuck[n as usize] = true),
                }
            }
        }
    }

    /// Applies the hand-overs of `path`.
    fn apply(&mut self, path: &[Hop]) {
        for &(p, from, to) in path {
            self.layout.leader[p] = Some(to);
            self.led[from as usize] -= 1;
            self.led[to as usize] += 1;
            self.led_by[to as usize].push(p as u32);
        }
    }

    /// The shortest chain of hand-overs from `a` to a node `wanted` accepts: breadth-first,
    /// an edge x -> y for every partition x leads that has a replica on y. Without a chain,
    /// the nodes the search reached.
    fn give(&self, a: Ix, wanted: impl Fn(&Self, Ix) -> bool) -> Result<Vec<Hop>, Vec<Ix>> {
        let nodes = self.led.len();
        let mut came_from: Vec<Option<(usize, Ix)>> = vec![None; nodes];
        let mut seen = vec![false; nodes];
        seen[a as usize] = true;
        let mut queue = VecDeque::from([a]);
        while let Some(x) = queue.pop_front() {
            for &p in &self.led_by[x as usize] {
                let p = p as usize;
                if self.layout.leader[p] != Some(x) {
                    continue;
                }
                for &y in &self.layout.sets[p] {
                    if seen[y as usize] {
                        continue;
                    }
                    seen[y as usize] = true;
                    came_from[y as usize] = Some((p, x));
                    if wanted(self, y) {
                        return Ok(path_to(y, &came_from, false));
                    }
                    queue.push_back(y);
                }
            }
        }
        Err(reached(&seen))
    }

    /// The shortest chain of hand-overs to `u` from a node leading more than its floor:
    /// breadth-first backwards, an edge y <- x for every partition x leads with a replica on y.
    /// Without a chain, the nodes the search reached.
    fn take(&self, u: Ix) -> Result<Vec<Hop>, Vec<Ix>> {
        let nodes = self.led.len();
        let mut came_from: Vec<Option<(usize, Ix)>> = vec![None; nodes];
        let mut seen = vec![false; nodes];
        seen[u as usize] = true;
        let mut queue = VecDeque::from([u]);
        while let Some(y) = queue.pop_front() {
            for &p in &self.member_of[y as usize] {
                let p = p as usize;
                let Some(x) = self.layout.leader[p] else {
                    continue;
                };
                if seen[x as usize] {
                    continue;
                }
                seen[x as usize] = true;
                came_from[x as usize] = Some((p, y));
                if self.led[x as usize] > self.range[x as usize].0 {
                    return Ok(path_to(x, &came_from, true));
                }
                queue.push_back(x);
            }
        }
        Err(reached(&seen))
    }
}

/// The nodes a search marked as seen.
fn reached(seen: &[bool]) -> Vec<Ix> {
    (0..seen.len() as Ix)
        .filter(|&n| seen[n as usize])
        .collect()
}

/// The hops of a breadth-first path ending at `end`, from its end. `came_from` holds, per node,
/// the partition and the node it was reached from; `backwards` when the search ran against the
/// direction of the hand-overs. The order does not matter: each hop hands over a different
/// partition (a partition has one leader, and each node of the path leads the partition of the
/// hop that leaves it), and [`Balancer::apply`] only counts.
fn path_to(end: Ix, came_from: &[Option<(usize, Ix)>], backwards: bool) -> Vec<Hop> {
    let mut path = Vec::new();
    let mut at = end;
    while let Some((p, prev)) = came_from[at as usize] {
        path.push(if backwards {
            (p, at, prev)
        } else {
            (p, prev, at)
        });
        at = prev;
    }
    path
}
