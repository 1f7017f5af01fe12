//! The classes of situation the controls of contract 0.2.0 bring, for policies that speak it:
//! a frozen partition on a draining node (the drain is blocked, never finished by force), leader
//! affinities to a node, a zone and a region (some that no eligible replica matches), and mixed
//! weights (1.0, 2.0 and 0.5 in one zone).

use worker_policy_model::generate::ClusterShape;
use worker_policy_model::{LeaderAffinity, Snapshot, Weight, WorkerState};

use super::classes::{cluster, edit_node, first_in_state, shape};
use super::{in_class, Scenario};

/// The property of every scenario here.
const ZONE3: &str = "{zone: 3, node: 3}";

/// Every class's scenarios, each in its class.
pub(super) fn all() -> Vec<Scenario> {
    [
        in_class("frozen partitions on a draining node", frozen_on_draining()),
        in_class("leader affinities", leader_affinities()),
        in_class("mixed weights", mixed_weights()),
    ]
    .concat()
}

/// 3 zones of 3 workers with `partitions`, one of them draining (picked by `seed`).
fn draining(partitions: u32, seed: u64) -> ClusterShape {
    ClusterShape {
        draining: 1,
        seed,
        ..shape(&[3, 3, 3], partitions, ZONE3)
    }
}

/// The positions of the partitions of `s` that `node` holds.
fn held_by(s: &Snapshot, node: u32) -> Vec<usize> {
    (0..s.partitions.len())
        .filter(|&i| s.partitions[i].is_held_by(node))
        .collect()
}

/// A draining node holding a frozen partition (one it leads, one it does not), a frozen
/// partition elsewhere, and an unplaced frozen partition that may still be placed.
fn frozen_on_draining() -> Vec<Scenario> {
    let mut s = cluster(draining(18, 17), true);
    let drainer = first_in_state(&s, WorkerState::Draining);
    let held = held_by(&s, drainer);
    let led = held
        .iter()
        .copied()
        .find(|&i| s.partitions[i].leader == Some(drainer));
    let other = held.iter().copied().find(|&i| Some(i) != led);
    for i in led.into_iter().chain(other) {
        s.partitions[i].freeze = Some("maintenance".into());
    }
    if let Some(elsewhere) = (0..s.partitions.len()).find(|i| !held.contains(i)) {
        s.partitions[elsewhere].freeze = Some("upgrade".into());
    }
    let last = s.partitions.len() - 1;
    s.partitions[last].replicas.clear();
    s.partitions[last].leader = None;
    s.partitions[last].freeze = Some("initialised while frozen".into());
    vec![Scenario::new(
        "frozen partitions on a draining node (a blocked drain), elsewhere, and unplaced",
        s,
    )]
}

/// Leader affinities to a node, a zone and a region, on a placed cluster with a draining node
/// (one affinity points at it: no eligible replica matches) and on a new cluster.
fn leader_affinities() -> Vec<Scenario> {
    let with_affinities = |mut s: Snapshot| {
        let drainer = s
            .nodes
            .iter()
            .find(|n| n.worker_state == WorkerState::Draining)
            .map_or(1, |n| n.id);
        let affinities = [
            LeaderAffinity::Node(5),
            LeaderAffinity::Location("r2.z2".into()),
            LeaderAffinity::Location("r2".into()),
            LeaderAffinity::Node(drainer),
            LeaderAffinity::Location("r1.z3".into()),
        ];
        for (p, affinity) in s.partitions.iter_mut().step_by(2).zip(affinities) {
            p.leader_affinity = Some(affinity);
        }
        s
    };
    let placed = cluster(
        ClusterShape {
            regions: 2,
            ..draining(16, 18)
        },
        true,
    );
    let new = cluster(shape(&[3, 3, 3], 12, ZONE3), false);
    vec![
        Scenario::new(
            "leader affinities to a node, a zone, a region and a draining node",
            with_affinities(placed),
        ),
        Scenario::new("a new cluster with leader affinities", with_affinities(new)),
    ]
}

/// Weights 1.0, 2.0 and 0.5 in one zone (and 2.0 in another): a new cluster, and a placed one
/// with a node draining.
fn mixed_weights() -> Vec<Scenario> {
    let weigh = |mut s: Snapshot| {
        for (id, weight) in [(1, 1.0), (2, 2.0), (3, 0.5), (5, 2.0)] {
            edit_node(&mut s, id, |n| {
                n.weight = Weight::new(weight).unwrap_or_default()
            });
        }
        s
    };
    let new = cluster(shape(&[3, 3, 3], 24, ZONE3), false);
    let mut placed = cluster(shape(&[3, 3, 3], 24, ZONE3), true);
    edit_node(&mut placed, 9, |n| n.worker_state = WorkerState::Draining);
    vec![
        Scenario::new(
            "mixed weights 1.0, 2.0 and 0.5 in one zone, a new cluster",
            weigh(new),
        ),
        Scenario::new(
            "mixed weights 1.0, 2.0 and 0.5 in one zone, a node draining",
            weigh(placed),
        ),
    ]
}
