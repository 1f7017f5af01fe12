//! Whole-number targets: how many replicas each eligible node should end with.
//!
//! The replica fair share t(n) (the most even split the property allows, from the model) is
//! rounded to floor(t(n)) or ceil(t(n)) so that the targets add up to exactly what must be
//! placed. Where the property spreads replicas over regions or zones, the rounding goes down the
//! hierarchy (regions, then zones, then nodes) so every domain's total is a rounding of its own
//! share: a zone that must hold exactly one replica of every partition gets exactly that. At
//! each level the domains of one fill step of the model are rounded together to their step's
//! whole total, so zones that are full between them are not rounded above it. The rounding
//! gives the "ceil" first to the domains and nodes that already hold at least that much, which
//! makes reaching the targets cost the fewest moves. Which of the others get a ceil is a guess
//! the balancing may revise ([`Targets::shift`]) when the replicas cannot follow it.

use worker_policy_model::fair_share::{self, Band};
use worker_policy_model::{Node, Scope};

use crate::cluster::{Cluster, Ix};

/// A level of the rounding hierarchy.
#[derive(Clone, Copy)]
enum Level {
    Region,
    Zone,
}

/// The replica targets of the nodes, and the bands they and their domains must stay in.
pub(crate) struct Targets {
    /// Per node: its replica target (0 for nodes that are not eligible).
    pub quota: Vec<i64>,
    /// Per node: floor and ceil of its fair share.
    band: Vec<(i64, i64)>,
    /// Per constrained level: the level, and per domain its band and current total target.
    domains: Vec<(Level, Vec<DomainTarget>)>,
}

/// A region's or zone's band and the sum of its nodes' targets.
#[derive(Clone, Copy, Default)]
struct DomainTarget {
    floor: i64,
    ceil: i64,
    total: i64,
}

impl Targets {
    /// Whether one unit of target may pass from node `from` to node `to` with both nodes and
    /// every domain still inside its band.
    pub fn can_shift(&self, cluster: &Cluster<'_>, from: Ix, to: Ix) -> bool {
        let (f, t) = (from as usize, to as usize);
        self.quota[f] > self.band[f].0
            && self.quota[t] < self.band[t].1
            && self.domains.iter().all(|(level, domains)| {
                let (a, b) = (key(cluster, *level, from), key(cluster, *level, to));
                a == b
                    || (domains[a].total > domains[a].floor && domains[b].total < domains[b].ceil)
            })
    }

    /// Passes one unit of target from node `from` to node `to`.
    pub fn shift(&mut self, cluster: &Cluster<'_>, from: Ix, to: Ix) {
        self.quota[from as usize] -= 1;
        self.quota[to as usize] += 1;
        for (level, domains) in &mut self.domains {
            domains[key(cluster, *level, from)].total -= 1;
            domains[key(cluster, *level, to)].total += 1;
        }
    }
}

/// The domain of node `n` at `level`.
fn key(cluster: &Cluster<'_>, level: Level, n: Ix) -> usize {
    match level {
        Level::Region => cluster.region(n) as usize,
        Level::Zone => cluster.zone[n as usize] as usize,
    }
}

/// The replica targets for `partitions` partitions, given what each node holds now (`load`,
/// indexed by node).
pub(crate) fn replica_targets(
    cluster: &Cluster<'_>,
    eligible: &[Ix],
    load: &[i64],
    partitions: u32,
) -> Targets {
    let nodes: Vec<&Node> = eligible
        .iter()
        .map(|&n| cluster.nodes[n as usize])
        .collect();
    let shares = fair_share::replica_fill(&cluster.replication, &nodes, partitions);
    let mut share = vec![0.0; cluster.nodes.len()];
    let mut step = vec![0; cluster.nodes.len()];
    let mut alone = vec![false; cluster.nodes.len()];
    for &n in eligible {
        if let Some(s) = shares.get(&cluster.id(n)) {
            share[n as usize] = s.replicas;
            step[n as usize] = s.step;
            alone[n as usize] = s.alone;
        }
    }
    let replication = cluster.replication;
    let constrained = |scope: Scope| replication.per_domain_cap(scope) < replication.factor();
    let mut levels = Vec::new();
    if constrained(Scope::Region) {
        levels.push(Level::Region);
    }
    if constrained(Scope::Zone) {
        levels.push(Level::Zone);
    }
    let total = i64::from(partitions) * i64::from(replication.factor());
    let zones = cluster.zone_region.len();
    let regions = cluster
        .zone_region
        .iter()
        .max()
        .map_or(0, |&r| r as usize + 1);
    let mut targets = Targets {
        quota: vec![0; cluster.nodes.len()],
        band: share
            .iter()
            .map(|&t| {
                let b = Band::of(t);
                (i64::from(b.floor), i64::from(b.ceil))
            })
            .collect(),
        domains: levels
            .iter()
            .map(|&level| {
                let count = match level {
                    Level::Region => regions,
                    Level::Zone => zones,
                };
                (level, vec![DomainTarget::default(); count])
            })
            .collect(),
    };
    let ctx = Hierarchy {
        cluster,
        share: &share,
        step: &step,
        alone: &alone,
        load,
    };
    ctx.distribute(eligible, total, 0, &mut targets);
    targets
}

/// What the hierarchical rounding reads.
struct Hierarchy<'a, 'c> {
    cluster: &'a Cluster<'c>,
    share: &'a [f64],
    /// Per node: the fill step that set its share.
    step: &'a [usize],
    /// Per node: whether that step set it alone (to a whole share, before the rest of its zone).
    alone: &'a [bool],
    load: &'a [i64],
}

impl Hierarchy<'_, '_> {
    /// Per group of nodes: the first fill step among its nodes, not counting the nodes a step
    /// set alone (unless all are). Such a node is held to a whole share before the rest of its
    /// zone comes in a later step: the group belongs with that later step, whose total the
    /// node's whole share leaves whole.
    fn steps(&self, groups: impl Iterator<Item = Vec<Ix>>) -> Vec<usize> {
        groups
            .map(|g| {
                let step = |n: &Ix| self.step[*n as usize];
                let shared = g
                    .iter()
                    .filter(|&&n| !self.alone[n as usize])
                    .map(step)
                    .min();
                shared.or_else(|| g.iter().map(step).min()).unwrap_or(0)
            })
            .collect()
    }

    /// Splits `total` over `group` (sorted node indices), level by level from `depth`.
    fn distribute(&self, group: &[Ix], total: i64, depth: usize, targets: &mut Targets) {
        let Some(&(level, _)) = targets.domains.get(depth) else {
            let items: Vec<(f64, i64)> = group
                .iter()
                .map(|&n| (self.share[n as usize], self.load[n as usize]))
                .collect();
            for (&n, q) in group.iter().zip(round_by_step(
                &items,
                &self.steps(group.iter().map(|&n| vec![n])),
                total,
            )) {
                targets.quota[n as usize] = q;
            }
            return;
        };
        let mut keys: Vec<usize> = group.iter().map(|&n| key(self.cluster, level, n)).collect();
        keys.sort_unstable();
        keys.dedup();
        let subgroups: Vec<Vec<Ix>> = keys
            .iter()
            .map(|&k| {
                group
                    .iter()
                    .copied()
                    .filter(|&n| key(self.cluster, level, n) == k)
                    .collect()
            })
            .collect();
        let items: Vec<(f64, i64)> = subgroups
            .iter()
            .map(|g| {
                let share = g.iter().map(|&n| self.share[n as usize]).sum();
                let load = g.iter().map(|&n| self.load[n as usize]).sum();
                (share, load)
            })
            .collect();
        let steps = self.steps(subgroups.iter().cloned());
        for ((g, t), (&k, &(share, _))) in subgroups
            .iter()
            .zip(round_by_step(&items, &steps, total))
            .zip(keys.iter().zip(&items))
        {
            let band = Band::of(share);
            targets.domains[depth].1[k] = DomainTarget {
                floor: i64::from(band.floor),
                ceil: i64::from(band.ceil),
                total: t,
            };
            self.distribute(g, t, depth + 1, targets);
        }
    }
}

/// Rounds like [`round`], first over the classes of items of one fill step (`steps`, one per
/// item), then within each class. The model fills the nodes step by step, each step's nodes
/// to exactly what the property lets them hold, so a step's total is a whole number and no
/// rounding may put it above that (two zones that may hold three replicas of a partition
/// between them must not both round up).
fn round_by_step(items: &[(f64, i64)], steps: &[usize], total: i64) -> Vec<i64> {
    let mut keys: Vec<usize> = steps.to_vec();
    keys.sort_unstable();
    keys.dedup();
    let classes: Vec<Vec<usize>> = keys
        .iter()
        .map(|&k| (0..items.len()).filter(|&i| steps[i] == k).collect())
        .collect();
    let sums: Vec<(f64, i64)> = classes
        .iter()
        .map(|c| {
            c.iter()
                .fold((0.0, 0), |(s, l), &i| (s + items[i].0, l + items[i].1))
        })
        .collect();
    let mut out = vec![0; items.len()];
    for (class, class_total) in classes.iter().zip(round(&sums, total)) {
        let members: Vec<(f64, i64)> = class.iter().map(|&i| items[i]).collect();
        for (&i, q) in class.iter().zip(round(&members, class_total)) {
            out[i] = q;
        }
    }
    out
}

/// Rounds each `(share, load)` item to floor or ceil of its share so the results add up to
/// `total`. The ceils go first to the items that already hold at least their ceil (for them the
/// ceil saves a move), then to the earlier items. The order deliberately ignores how much the
/// other items hold: as a budgeted rebalance fills nodes round by round, every round then picks
/// the same ceils, and no round undoes what an earlier one did.
///
/// The shares add up to `total` (the model's fill places every replica, and each level hands a
/// domain's rounded total to shares that add up to the domain's own share), so the floors add up
/// to at most `total` and the ceils to at least it: the ceils handed out always reach it.
fn round(items: &[(f64, i64)], total: i64) -> Vec<i64> {
    let bands: Vec<Band> = items.iter().map(|&(s, _)| Band::of(s)).collect();
    let mut out: Vec<i64> = bands.iter().map(|b| i64::from(b.floor)).collect();
    let mut order: Vec<usize> = (0..items.len())
        .filter(|&i| bands[i].ceil > bands[i].floor)
        .collect();
    order.sort_by_key(|&i| (items[i].1 < i64::from(bands[i].ceil), i));
    let extra = usize::try_from(total - out.iter().sum::<i64>()).unwrap_or(0);
    for &i in order.iter().take(extra) {
        out[i] += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_hits_the_total_and_prefers_the_fuller_items() {
        let items = [(2.5, 2), (2.5, 3), (2.5, 3), (2.5, 2)];
        assert_eq!(round(&items, 10), vec![2, 3, 3, 2]);
        let items = [(2.5, 2), (2.5, 1), (2.5, 3), (2.5, 2)];
        assert_eq!(round(&items, 10), vec![3, 2, 3, 2]);
        let items = [(1.5, 0), (1.5, 0)];
        assert_eq!(round(&items, 3), vec![2, 1]);
        assert_eq!(round(&[(1.0, 0), (2.0, 5)], 3), vec![1, 2]);
    }
}
