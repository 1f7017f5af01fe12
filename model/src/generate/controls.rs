//! The controls of contract 0.2.0 a random cluster may get when asked for (see
//! [`Oddities`](super::Oddities)): node weights, placement freezes (one of them, often, on a
//! partition a draining node holds) and leader affinities to a node or a location. Each is
//! valid in a snapshot file.

use super::SplitMix64;
use crate::snapshot::{LeaderAffinity, Snapshot, Weight, WorkerState};

/// The weights a weighted node gets, one drawn uniformly.
pub const WEIGHTS: [f64; 3] = [0.5, 2.0, 3.0];

/// The reasons a freeze gives, one drawn uniformly.
pub const FREEZE_REASONS: [&str; 3] = ["maintenance", "upgrade", "investigation"];

/// Gives each node, with probability 1/4, a weight from [`WEIGHTS`].
pub(super) fn add_weights(snapshot: &mut Snapshot, rng: &mut SplitMix64) {
    for n in &mut snapshot.nodes {
        if rng.below(4) == 0 {
            let weight = WEIGHTS[rng.below(WEIGHTS.len())];
            n.weight = Weight::new(weight).unwrap_or_default();
        }
    }
}

/// Freezes each placed partition with probability 1/20, then, in 1/2 of the clusters with a
/// draining node that holds a placed partition, one random such partition; each freeze with a
/// reason from [`FREEZE_REASONS`].
pub(super) fn add_freezes(snapshot: &mut Snapshot, rng: &mut SplitMix64) {
    let reason = |rng: &mut SplitMix64| Some(FREEZE_REASONS[rng.below(3)].to_string());
    for p in &mut snapshot.partitions {
        if !p.is_unplaced() && rng.below(20) == 0 {
            p.freeze = reason(rng);
        }
    }
    let draining: Vec<u32> = snapshot
        .nodes
        .iter()
        .filter(|n| n.worker_state == WorkerState::Draining)
        .map(|n| n.id)
        .collect();
    let on_draining: Vec<usize> = (0..snapshot.partitions.len())
        .filter(|&i| {
            let p = &snapshot.partitions[i];
            !p.is_unplaced() && draining.iter().any(|&n| p.is_held_by(n))
        })
        .collect();
    if !on_draining.is_empty() && rng.below(2) == 0 {
        let p = on_draining[rng.below(on_draining.len())];
        snapshot.partitions[p].freeze = reason(rng);
    }
}

/// Gives each partition, with probability 1/8, a leader affinity: to a random node in 1/2,
/// else to a random node's zone (1/4) or region (1/4).
pub(super) fn add_leader_affinities(snapshot: &mut Snapshot, rng: &mut SplitMix64) {
    if snapshot.nodes.is_empty() {
        return;
    }
    for i in 0..snapshot.partitions.len() {
        if rng.below(8) != 0 {
            continue;
        }
        let node = &snapshot.nodes[rng.below(snapshot.nodes.len())];
        let affinity = match rng.below(4) {
            0 | 1 => LeaderAffinity::Node(node.id),
            2 => LeaderAffinity::Location(node.zone().to_string()),
            _ => LeaderAffinity::Location(node.region().to_string()),
        };
        let names_a_place = !matches!(&affinity, LeaderAffinity::Location(l) if l.is_empty());
        if names_a_place {
            snapshot.partitions[i].leader_affinity = Some(affinity);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::generate::{Oddities, RandomCluster};
    use crate::snapshot::{LeaderAffinity, Snapshot, WorkerState};

    const CASES: u64 = 3000;

    /// Over `CASES` seeds with the controls on: the hits and the total of `count`.
    fn share(count: impl Fn(&Snapshot) -> (usize, usize)) -> f64 {
        let (hits, total) = (0..CASES)
            .map(|seed| {
                count(&RandomCluster::new(seed, Oddities::default().with_controls()).snapshot)
            })
            .fold((0, 0), |(h, t), (hits, total)| (h + hits, t + total));
        hits as f64 / total as f64
    }

    fn assert_near(what: &str, measured: f64, documented: f64) {
        assert!(
            (measured - documented).abs() < 0.02,
            "{what}: {measured:.3}, the doc says {documented:.3}"
        );
    }

    #[test]
    fn each_control_comes_as_often_as_documented() {
        let weighted = share(|s| {
            let heavy = s.nodes.iter().filter(|n| !n.weight.is_standard()).count();
            (heavy, s.nodes.len())
        });
        assert_near("weighted nodes", weighted, 1.0 / 4.0);
        let affine = share(|s| {
            let affine = s.partitions.iter().filter(|p| p.leader_affinity.is_some());
            (affine.count(), s.partitions.len())
        });
        assert_near("affine partitions", affine, 1.0 / 8.0);
        let to_nodes = share(|s| {
            let affine = s
                .partitions
                .iter()
                .filter_map(|p| p.leader_affinity.as_ref());
            let nodes = affine
                .clone()
                .filter(|a| matches!(a, LeaderAffinity::Node(_)));
            (nodes.count(), affine.count())
        });
        assert_near("affinities to a node", to_nodes, 1.0 / 2.0);
        let frozen_on_draining = share(|s| {
            let held = |n: u32| {
                s.partitions
                    .iter()
                    .any(|p| p.is_frozen() && p.is_held_by(n))
            };
            let draining = s
                .nodes
                .iter()
                .filter(|n| n.worker_state == WorkerState::Draining);
            (usize::from(draining.clone().any(|n| held(n.id))), 1)
        });
        assert!(frozen_on_draining > 0.25, "{frozen_on_draining:.3}");
    }

    #[test]
    fn the_controls_keep_the_cluster_valid_and_change_nothing_else_of_a_seed() {
        for seed in 0..500 {
            let plain = RandomCluster::new(seed, Oddities::VALID).snapshot;
            let mut controlled = RandomCluster::new(seed, Oddities::VALID.with_controls()).snapshot;
            assert_eq!(controlled.check_consistency(), Ok(()), "seed {seed}");
            for n in &mut controlled.nodes {
                n.weight = Default::default();
            }
            for p in &mut controlled.partitions {
                (p.freeze, p.leader_affinity) = (None, None);
            }
            assert_eq!(controlled, plain, "seed {seed}");
        }
    }
}
