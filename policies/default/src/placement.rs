//! Placement and rebalancing: where every partition's replicas and leader should be, and the
//! safe steps that get them there.
//!
//! Both hooks plan the same way, on the indexed [`Cluster`]:
//! 1. the replicas each partition keeps: those on eligible nodes, as many as the property allows
//!    (`place` keeps every placed partition as it is and plans only the unplaced ones; `rebalance`
//!    keeps a frozen partition's replicas and `next` set as they are, wherever they are);
//! 2. whole-number targets per node from the fair share ([`targets`]);
//! 3. the missing replicas, each on the eligible node furthest below its target that the
//!    property allows ([`assign`]);
//! 4. transfers from nodes above their target to nodes below it, cheapest first ([`balance`]);
//! 5. leaders, kept where they may stay, where their affinity points when it can, the others
//!    balanced to floor..ceil of each node's weighted share ([`leaders`]);
//! 6. the difference between the snapshot and the plan as ordered, budgeted steps ([`steps`]).

mod assign;
mod balance;
#[cfg(test)]
mod controls_tests;
mod domains;
mod leaders;
mod steps;
mod targets;
#[cfg(test)]
mod tests;

use worker_policy_model::{PolicyError, Step};

use crate::cluster::{Cluster, Ix, PartitionView};
use crate::settings::Settings;
use assign::{fill_one, Deficits};
use domains::Rules;

/// How a plan treats a partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// Not part of this hook's work and not counted (unplaced partitions in `rebalance`).
    Ignored,
    /// Counted in the loads and targets but left as it is (placed partitions in `place`).
    Fixed,
    /// Counted in the loads and targets, its replicas and `next` set left as they are, its
    /// leader moved among its current replicas only where it may not stay or its affinity
    /// points elsewhere (frozen placed partitions in `rebalance`).
    Frozen,
    /// Planned by this hook.
    Movable,
}

/// The planned end state: every counted partition's replica set and leader, and every node's
/// replica target.
pub(crate) struct Layout {
    /// Per partition (in [`Cluster::partitions`] order): how the plan treats it.
    pub role: Vec<Role>,
    /// Per partition: its planned replica set (empty for ignored partitions).
    pub sets: Vec<Vec<Ix>>,
    /// Per partition: its planned leader.
    pub leader: Vec<Option<Ix>>,
    /// The replica targets.
    pub targets: targets::Targets,
}

/// Replica sets and leaders for the partitions that have neither replicas nor a `next` set.
pub(crate) fn place(cluster: &Cluster<'_>, settings: &Settings) -> Result<Vec<Step>, PolicyError> {
    if !cluster.partitions.iter().any(PartitionView::is_unplaced) {
        return Ok(Vec::new());
    }
    cluster.check_satisfiable()?;
    let layout = plan(cluster, true, settings)?;
    Ok(steps::placement(cluster, &layout))
}

/// The steps that take every placed partition to its planned replica set and leader, at most
/// `max_moves` `add-replica` steps when given.
pub(crate) fn rebalance(
    cluster: &Cluster<'_>,
    settings: &Settings,
    max_moves: Option<u32>,
) -> Result<Vec<Step>, PolicyError> {
    if cluster.partitions.iter().all(PartitionView::is_unplaced) {
        return Ok(Vec::new());
    }
    cluster.check_satisfiable()?;
    let layout = plan(cluster, false, settings)?;
    Ok(steps::rebalancing(
        cluster,
        &Rules::new(cluster),
        &layout,
        max_moves,
    ))
}

/// Plans the end state: for `place` (`placing`) the unplaced partitions, else the placed ones.
fn plan(cluster: &Cluster<'_>, placing: bool, settings: &Settings) -> Result<Layout, PolicyError> {
    let rules = Rules::new(cluster);
    let eligible = cluster.eligible_nodes();
    let nodes = cluster.nodes.len();
    let mut role = Vec::with_capacity(cluster.partitions.len());
    let mut sets = Vec::with_capacity(cluster.partitions.len());
    let mut load = vec![0; nodes];
    for p in &cluster.partitions {
        let (r, set) = match (placing, p.is_unplaced()) {
            (true, true) => (Role::Movable, Vec::with_capacity(rules.factor())),
            (true, false) => (
                Role::Fixed,
                p.holders()
                    .filter(|&n| cluster.eligible[n as usize])
                    .collect(),
            ),
            (false, true) => (Role::Ignored, Vec::new()),
            (false, false) if p.frozen => (
                Role::Frozen,
                p.holders()
                    .filter(|&n| cluster.eligible[n as usize])
                    .collect(),
            ),
            (false, false) => (Role::Movable, keep(cluster, &rules, p)),
        };
        for &n in &set {
            load[n as usize] += 1;
        }
        role.push(r);
        sets.push(set);
    }
    let counted = role.iter().filter(|&&r| r != Role::Ignored).count() as u32;
    let targets = targets::replica_targets(cluster, &eligible, &load, counted);
    let deficit = (0..nodes).map(|n| targets.quota[n] - load[n]).collect();
    let mut layout = Layout {
        leader: vec![None; role.len()],
        role,
        sets,
        targets,
    };
    let mut deficits = Deficits::new(&rules, &eligible, deficit);
    for (i, p) in cluster.partitions.iter().enumerate() {
        if layout.role[i] != Role::Movable {
            continue;
        }
        while layout.sets[i].len() < rules.factor() {
            let n = fill_one(&rules, &deficits, &layout.sets[i], p.id).ok_or_else(|| {
                PolicyError::InvalidSnapshot(format!(
                    "no eligible node can complete the replica set of partition {}",
                    p.id
                ))
            })?;
            layout.sets[i].push(n);
            deficits.change(n, -1);
        }
    }
    balance::transfer(cluster, &rules, &mut layout, &mut deficits);
    for set in &mut layout.sets {
        set.sort_unstable();
    }
    leaders::assign(cluster, &eligible, &mut layout, settings.balance_leaders);
    Ok(layout)
}

/// The holders of placed partition `p` that may stay: eligible nodes, current replicas before
/// `next`-only nodes, lower ids first, as many as the property allows.
fn keep(cluster: &Cluster<'_>, rules: &Rules<'_>, p: &PartitionView) -> Vec<Ix> {
    let factor = rules.factor();
    let mut kept = Vec::with_capacity(factor);
    for n in p.holders() {
        if kept.len() == factor {
            break;
        }
        if cluster.eligible[n as usize] && rules.fits(&kept, n, factor - kept.len() - 1) {
            kept.push(n);
        }
    }
    kept
}
