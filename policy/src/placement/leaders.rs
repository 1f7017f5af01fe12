//! Leaders: every planned partition led by one of its planned replicas, each eligible node
//! leading floor..ceil of P/N, and no leader moved without a cause.
//!
//! Each node's range is floor..=ceil of P/N, cut to the replicas it holds. A leader stays where
//! it is while its node keeps the replica. Partitions without a leader that may stay get the
//! replica whose node is furthest below its range. Then nodes above their range hand leaderships
//! to nodes with room, and nodes below it take some from nodes above their floor: directly when
//! a partition has replicas on both, else along the shortest chain of such hand-overs (each
//! partition's leader still changes at most once per plan, as only the end state is written).

use std::collections::VecDeque;

use super::{Layout, Role};
use crate::cluster::{Cluster, Ix};

/// Sets `layout.leader` for every movable partition (and records the leader of fixed ones).
pub(crate) fn assign(cluster: &Cluster<'_>, eligible: &[Ix], layout: &mut Layout) {
    let nodes = cluster.nodes.len();
    let mut led = vec![0i64; nodes];
    let mut needs = Vec::new();
    for (p, view) in cluster.partitions.iter().enumerate() {
        let stays = view
            .leader
            .filter(|&l| cluster.eligible[l as usize] && layout.sets[p].contains(&l));
        match layout.role[p] {
            Role::Ignored => {}
            Role::Fixed => {
                if let Some(l) = stays {
                    led[l as usize] += 1;
                }
                layout.leader[p] = view.leader;
            }
            Role::Movable => match stays {
                Some(l) => {
                    led[l as usize] += 1;
                    layout.leader[p] = Some(l);
                }
                None => needs.push(p),
            },
        }
    }
    let count = i64::from(layout.counted);
    let floor = count / eligible.len().max(1) as i64;
    let ceil = floor + i64::from(count % eligible.len().max(1) as i64 != 0);
    let mut range = vec![(0, 0); nodes];
    for &n in eligible {
        let load = layout.load[n as usize];
        range[n as usize] = (floor.min(load), ceil.min(load));
    }
    for p in needs {
        let view = &cluster.partitions[p];
        let best = layout.sets[p].iter().copied().max_by_key(|&n| {
            let (lo, hi) = range[n as usize];
            let have = led[n as usize];
            (
                lo - have,
                hi - have,
                view.replicas.binary_search(&n).is_ok(),
                std::cmp::Reverse(n),
            )
        });
        if let Some(n) = best {
            led[n as usize] += 1;
            layout.leader[p] = Some(n);
        }
    }
    let mut led_by: Vec<Vec<u32>> = vec![Vec::new(); nodes];
    let mut member_of: Vec<Vec<u32>> = vec![Vec::new(); nodes];
    for (p, set) in layout.sets.iter().enumerate() {
        if layout.role[p] != Role::Movable {
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
    .run(eligible);
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

impl Balancer<'_> {
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

/// The hops of a breadth-first path ending at `end`, in the order to apply them. `came_from`
/// holds, per node, the partition and the node it was reached from; `backwards` when the
/// search ran against the direction of the hand-overs.
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
    if !backwards {
        path.reverse();
    }
    path
}
