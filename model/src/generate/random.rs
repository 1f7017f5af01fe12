//! Random clusters from a seed: many small, strange but valid clusters for the tests that look
//! for what no fixed scenario thought of (the conformance suite's generated cases, the boundary
//! fuzz test, the default policy's property tests). One generator, so a feature added here
//! reaches every one of them.

use super::controls::{add_freezes, add_leader_affinities, add_weights};
use super::features::Features;
use super::{generate, ClusterShape, SplitMix64};
use crate::replication::{Replication, Scope};
use crate::snapshot::{NodeId, Partition, Roles, Snapshot, WorkerState};

/// What a random cluster may hold beyond what a [`ClusterShape`] describes. All off (the
/// default) is what the conformance suite generates; the draws for them come after every other
/// draw, so switching them on changes nothing else of a seed's cluster.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Oddities {
    /// Each node, with probability 1/4, is put in a random state (disabled included, which a
    /// shape never has).
    pub any_state: bool,
    /// Each node, with probability 1/10, runs a random set of other roles but not `worker`.
    pub non_workers: bool,
    /// Each partition, with probability 1/3, gets 0 to factor + 1 replicas on random nodes
    /// (partial and over-full sets, on nodes in any state) and a random leader among them or
    /// none; independently, with probability 1/5, a `next` set of 1 to 3 random nodes.
    pub ragged_sets: bool,
    /// Each partition, with probability 1/4, is led by a random node, replica or not. No
    /// snapshot file can say that (the host refuses it); a policy must still not be thrown.
    pub stray_leaders: bool,
    /// Contract 0.2.0: each node, with probability 1/4, weighs 0.5, 2.0 or 3.0 (1/3 each).
    pub weights: bool,
    /// Contract 0.2.0: each placed partition, with probability 1/20, is frozen (`maintenance`,
    /// `upgrade` or `investigation`), and in 1/2 of the clusters where a draining node holds a
    /// placed partition, one such partition is frozen.
    pub freezes: bool,
    /// Contract 0.2.0: each partition, with probability 1/8, gets a leader affinity: to a
    /// random node in 1/2, to its zone in 1/4, to its region in 1/4.
    pub leader_affinities: bool,
}

impl Oddities {
    /// Every oddity of contract 0.1.0 a snapshot file can hold (all but stray leaders and the
    /// controls of 0.2.0).
    pub const VALID: Oddities = Oddities {
        any_state: true,
        non_workers: true,
        ragged_sets: true,
        stray_leaders: false,
        weights: false,
        freezes: false,
        leader_affinities: false,
    };

    /// Every oddity of contract 0.1.0 (the controls of 0.2.0 are asked for with
    /// [`Oddities::with_controls`]).
    pub const ALL: Oddities = Oddities {
        stray_leaders: true,
        ..Oddities::VALID
    };

    /// These oddities with the controls of contract 0.2.0 on too: weights, freezes and leader
    /// affinities.
    pub const fn with_controls(self) -> Oddities {
        Oddities {
            weights: true,
            freezes: true,
            leader_affinities: true,
            ..self
        }
    }
}

/// A random cluster, how it was made, and the move budget to evaluate it with.
///
/// Of the clusters (uniform draws unless said), the shape: 1 to 5 zones of 1 to 4 nodes; 2
/// regions in 1/2 (else 1); replication factor 1 to 3 in 3/4, 4 or 5 in 1/4, with a zone count
/// (1 to the factor) in 2/3 and, when there are 2 regions and a zone count, a region count in
/// 1/2 (a factor above 3 that the workers can satisfy: about 1/8 of all clusters); 1 to 24
/// partitions in 9/10, 100 to 400 in 1/10, placed (striped) in 2/3; nodes asked to drain:
/// none, one or two, 1/3 each; one provisioning node in 1/2, one dead node in 1/2, one idle
/// disabled node in 1/4. Then: `next` sets in flight (on about 1 partition in 3) in 1/2 of
/// the placed clusters (1/3 of all); 1 to 4 more unplaced partitions in 1/3 of the placed
/// clusters (2/9 of all); a move budget of 1 to 4 in 1/4. Then the [`Features`], in this
/// order: a worker holding replicas disabled in 1/4 of the placed clusters (1/6 of all); a new
/// draining worker that only a `next` set holds in 1/4 of the placed clusters (1/6); for each
/// dead position (draining, provisioning, in a `next` set, leading) in 1/4, one live node
/// there dies when the cluster has one (about 0.18, 0.11, 0.08 and 0.15 of all clusters); 1 to
/// 3 nodes without the worker role in 1/3; node ids consecutive in 1/2, with holes in 1/4,
/// spread over the `u32` range in 1/4, and shuffled across zones in 1/3; partition ids from 0
/// in 1/2, sparse, across 255 or across 65,535 in 1/6 each. Then the [`Oddities`] asked for.
#[derive(Debug, Clone, PartialEq)]
pub struct RandomCluster {
    /// The shape the cluster was generated from.
    pub shape: ClusterShape,
    /// Whether some placed partitions have a `next` set in flight.
    pub next_sets: bool,
    /// Unplaced partitions appended after the shape's.
    pub added: u32,
    /// The move budget to evaluate the cluster with.
    pub max_moves: Option<u32>,
    /// What the cluster got beyond its shape.
    pub features: Features,
    /// The cluster (nodes and partitions in the order they were made, which is not always the
    /// order of their ids).
    pub snapshot: Snapshot,
}

impl RandomCluster {
    /// The cluster of `seed`, with `oddities`; the same seed and oddities give the same cluster
    /// on every platform.
    pub fn new(seed: u64, oddities: Oddities) -> RandomCluster {
        let mut rng = SplitMix64::new(seed);
        let shape = random_shape(&mut rng);
        let mut below = |n: u32| rng.below(n as usize) as u32;
        let next_sets = shape.placed && below(2) == 0;
        let added = if shape.placed && below(3) == 0 {
            1 + below(4)
        } else {
            0
        };
        let max_moves = (below(4) == 0).then(|| 1 + below(4));
        let mut snapshot = generate(&shape);
        if next_sets {
            add_next_sets(&mut snapshot, &mut SplitMix64::new(shape.seed), 3);
        }
        add_unplaced(&mut snapshot, added);
        let features = Features::apply(&mut snapshot, shape.placed, &mut rng);
        add_oddities(&mut snapshot, &mut rng, oddities);
        RandomCluster {
            shape,
            next_sets,
            added,
            max_moves,
            features,
            snapshot,
        }
    }
}

/// A random shape: zones, regions, property, partitions, placed or not, special nodes.
fn random_shape(rng: &mut SplitMix64) -> ClusterShape {
    let mut below = |n: u32| rng.below(n as usize) as u32;
    let zones: Vec<u32> = (0..1 + below(5)).map(|_| 1 + below(4)).collect();
    let regions = 1 + below(2);
    let factor = if below(4) == 0 {
        4 + below(2)
    } else {
        1 + below(3)
    };
    let zone = match below(3) {
        0 => 0,
        _ => 1 + below(factor),
    };
    let region = if regions > 1 && zone > 0 && below(2) == 0 {
        1 + below(zone.min(regions))
    } else {
        0
    };
    let counts: Vec<(Scope, u32)> = [
        (Scope::Region, region),
        (Scope::Zone, zone),
        (Scope::Node, factor),
    ]
    .into_iter()
    .filter(|&(_, c)| c > 0)
    .collect();
    let replication = Replication::from_counts(&counts)
        .expect("region <= zone <= node counts, each at least 1, make a valid property");
    let nodes: u32 = zones.iter().sum();
    let placed = below(3) != 0;
    let draining = below(3).min(nodes);
    let provisioning = below(2);
    let dead = below(2);
    let disabled = u32::from(below(4) == 0);
    let seed = u64::from(below(1 << 16));
    let partitions = if below(10) == 0 {
        100 + below(301)
    } else {
        1 + below(24)
    };
    ClusterShape {
        regions,
        placed,
        draining,
        provisioning,
        dead,
        disabled,
        seed,
        ..ClusterShape::new(zones, partitions, replication)
    }
}

/// Puts a reconfiguration in flight on about one placed partition in `every`: its `next` set is
/// its replica set with one replica swapped for another node that is neither provisioning nor
/// disabled.
pub fn add_next_sets(snapshot: &mut Snapshot, rng: &mut SplitMix64, every: usize) {
    let candidates: Vec<NodeId> = snapshot
        .nodes
        .iter()
        .filter(|n| {
            !matches!(
                n.worker_state,
                WorkerState::Provisioning | WorkerState::Disabled
            )
        })
        .map(|n| n.id)
        .collect();
    for p in &mut snapshot.partitions {
        if p.replicas.is_empty() || rng.below(every) != 0 {
            continue;
        }
        let others: Vec<NodeId> = candidates
            .iter()
            .copied()
            .filter(|n| !p.replicas.contains(n))
            .collect();
        if others.is_empty() {
            continue;
        }
        let mut next = p.replicas.clone();
        let (slot, node) = (rng.below(next.len()), rng.below(others.len()));
        next[slot] = others[node];
        p.next = Some(next);
    }
}

/// Appends `count` unplaced partitions, numbered after the last one.
pub fn add_unplaced(snapshot: &mut Snapshot, count: u32) {
    let first = snapshot
        .partitions
        .iter()
        .map(|p| p.id + 1)
        .max()
        .unwrap_or(0);
    snapshot
        .partitions
        .extend((first..first + count).map(|id| Partition {
            id,
            ..Partition::default()
        }));
}

/// Applies the `oddities` asked for, in the order [`Oddities`] lists them; the controls of
/// contract 0.2.0 come after every other draw.
fn add_oddities(snapshot: &mut Snapshot, rng: &mut SplitMix64, oddities: Oddities) {
    if oddities.any_state {
        for n in &mut snapshot.nodes {
            if rng.below(4) == 0 {
                n.worker_state = WorkerState::ALL[rng.below(WorkerState::ALL.len())];
            }
        }
    }
    if oddities.non_workers {
        for n in &mut snapshot.nodes {
            if rng.below(10) == 0 {
                let others = rng.below(1 << Roles::NAMED.len()) as u8 & !Roles::WORKER.bits();
                n.roles = Roles::from_bits(others);
            }
        }
    }
    if oddities.ragged_sets {
        add_ragged_sets(snapshot, rng);
    }
    if oddities.stray_leaders {
        let ids: Vec<NodeId> = snapshot.nodes.iter().map(|n| n.id).collect();
        for p in &mut snapshot.partitions {
            if rng.below(4) == 0 {
                p.leader = Some(ids[rng.below(ids.len())]);
            }
        }
    }
    if oddities.weights {
        add_weights(snapshot, rng);
    }
    if oddities.freezes {
        add_freezes(snapshot, rng);
    }
    if oddities.leader_affinities {
        add_leader_affinities(snapshot, rng);
    }
}

/// Partial, over-full and random replica and `next` sets (see [`Oddities::ragged_sets`]).
fn add_ragged_sets(snapshot: &mut Snapshot, rng: &mut SplitMix64) {
    let ids: Vec<NodeId> = snapshot.nodes.iter().map(|n| n.id).collect();
    let most = snapshot.replication.factor() as usize + 1;
    let some_nodes = |rng: &mut SplitMix64, count: usize| {
        let mut picked = ids.clone();
        rng.shuffle(&mut picked);
        picked.truncate(count);
        picked
    };
    for p in &mut snapshot.partitions {
        if rng.below(3) == 0 {
            let count = rng.below(most + 1);
            p.replicas = some_nodes(rng, count);
            p.leader = (!p.replicas.is_empty() && rng.below(4) != 0)
                .then(|| p.replicas[rng.below(p.replicas.len())]);
        }
        if rng.below(5) == 0 {
            let count = 1 + rng.below(3);
            p.next = Some(some_nodes(rng, count));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::features::{DeadPosition, NodeIds, PartitionIds};

    const CASES: u64 = 4000;

    /// The fraction of `CASES` seeds whose cluster (with `oddities`) has `feature`.
    fn fraction(oddities: Oddities, feature: impl Fn(&RandomCluster) -> bool) -> f64 {
        let hits = (0..CASES)
            .filter(|&seed| feature(&RandomCluster::new(seed, oddities)))
            .count();
        hits as f64 / CASES as f64
    }

    fn assert_near(what: &str, measured: f64, documented: f64) {
        assert!(
            (measured - documented).abs() < 0.03,
            "{what}: {measured:.3} of the clusters, the doc says {documented:.3}"
        );
    }

    #[test]
    fn each_feature_comes_as_often_as_documented() {
        let plain = Oddities::default();
        let share = |f: &dyn Fn(&RandomCluster) -> bool| fraction(plain, f);
        assert_near("two regions", share(&|c| c.shape.regions == 2), 1.0 / 2.0);
        assert_near(
            "a zone count",
            share(&|c| c.shape.replication.scope_counts().len() > 1),
            2.0 / 3.0,
        );
        let wide = |c: &RandomCluster| c.shape.replication.factor() > 3;
        assert_near("a factor above 3", share(&wide), 1.0 / 4.0);
        assert_near(
            "a satisfiable factor above 3",
            share(&|c| wide(c) && c.snapshot.shortfall_without(None).is_none()),
            1.0 / 8.0,
        );
        assert_near(
            "many partitions",
            share(&|c| c.shape.partitions >= 100),
            1.0 / 10.0,
        );
        assert_near("placed", share(&|c| c.shape.placed), 2.0 / 3.0);
        assert_near("draining", share(&|c| c.shape.draining > 0), 2.0 / 3.0);
        assert_near("provisioning", share(&|c| c.shape.provisioning > 0), 0.5);
        assert_near("dead", share(&|c| c.shape.dead > 0), 0.5);
        assert_near("idle disabled", share(&|c| c.shape.disabled > 0), 0.25);
        assert_near("next sets", share(&|c| c.next_sets), 1.0 / 3.0);
        assert_near("new partitions", share(&|c| c.added > 0), 2.0 / 9.0);
        assert_near("a move budget", share(&|c| c.max_moves.is_some()), 0.25);
    }

    #[test]
    fn each_feature_beyond_the_shape_comes_as_often_as_documented() {
        let share =
            |f: &dyn Fn(&Features) -> bool| fraction(Oddities::default(), |c| f(&c.features));
        assert_near(
            "a disabled worker holding replicas",
            share(&|f| f.disabled_holding),
            1.0 / 6.0,
        );
        assert_near(
            "a draining worker only a next set holds",
            share(&|f| f.draining_next_only),
            1.0 / 6.0,
        );
        for (position, documented) in DeadPosition::ALL.into_iter().zip([0.18, 0.11, 0.08, 0.15]) {
            assert_near(
                &format!("a dead node {position:?}"),
                share(&|f| f.dead.contains(&position)),
                documented,
            );
        }
        assert_near("non-workers", share(&|f| f.non_workers > 0), 1.0 / 3.0);
        assert_near(
            "node ids with holes",
            share(&|f| f.node_ids == NodeIds::Holes),
            1.0 / 4.0,
        );
        assert_near(
            "node ids over the u32 range",
            share(&|f| f.node_ids == NodeIds::Wide),
            1.0 / 4.0,
        );
        assert_near(
            "node ids across zones",
            share(&|f| f.ids_across_zones),
            1.0 / 3.0,
        );
        for scheme in [
            PartitionIds::Sparse,
            PartitionIds::Across255,
            PartitionIds::Across65535,
        ] {
            assert_near(
                &format!("partition ids {scheme:?}"),
                share(&|f| f.partition_ids == scheme),
                1.0 / 6.0,
            );
        }
    }

    /// Whether `cluster` has what its features say.
    fn has_its_features(c: &RandomCluster) -> bool {
        let s = &c.snapshot;
        let f = &c.features;
        let node_ids: Vec<NodeId> = s.nodes.iter().map(|n| n.id).collect();
        let partition_ids: Vec<u32> = s.partitions.iter().map(|p| p.id).collect();
        let non_workers = s
            .nodes
            .iter()
            .filter(|n| !n.roles.contains(Roles::WORKER))
            .count() as u32;
        let dead_where = |state: WorkerState| {
            s.nodes
                .iter()
                .any(|n| !n.alive && n.worker_state == state && n.roles.contains(Roles::WORKER))
        };
        let draining_next_only = s.nodes.iter().any(|n| {
            n.worker_state == WorkerState::Draining
                && s.partitions.iter().all(|p| !p.replicas.contains(&n.id))
                && s.partitions
                    .iter()
                    .any(|p| p.pending_next().any(|m| m == n.id))
        });
        let ids_ok = match f.node_ids {
            NodeIds::Consecutive => node_ids.iter().all(|&id| id as usize <= node_ids.len()),
            NodeIds::Holes => node_ids
                .iter()
                .all(|&id| id as usize <= 3 * node_ids.len() + 3),
            NodeIds::Wide => node_ids.contains(&crate::generate::LARGEST_NODE_ID),
        };
        let straddles = |line: u32| {
            partition_ids.len() < 2
                || (partition_ids.iter().any(|&id| id < line)
                    && partition_ids.iter().any(|&id| id >= line))
        };
        let partition_ids_ok = match f.partition_ids {
            PartitionIds::FromZero => partition_ids
                .iter()
                .all(|&id| (id as usize) < partition_ids.len()),
            PartitionIds::Sparse => true,
            PartitionIds::Across255 => partition_ids.len() > 512 || straddles(256),
            PartitionIds::Across65535 => straddles(65_536),
        };
        non_workers == f.non_workers
            && (!f.dead.contains(&DeadPosition::Draining) || dead_where(WorkerState::Draining))
            && (!f.dead.contains(&DeadPosition::Provisioning)
                || dead_where(WorkerState::Provisioning))
            && (!f.draining_next_only || draining_next_only)
            && ids_ok
            && partition_ids_ok
    }

    #[test]
    fn every_cluster_has_the_features_it_records() {
        for seed in 0..2000 {
            let c = RandomCluster::new(seed, Oddities::default());
            assert!(has_its_features(&c), "seed {seed}: {c:?}");
        }
    }

    /// The fraction of the nodes that `odd` picks out of those `plain` does not, comparing
    /// each node of a plain cluster with the same node once every oddity is on.
    fn node_fraction(
        plain: impl Fn(&crate::snapshot::Node) -> bool,
        odd: impl Fn(&crate::snapshot::Node) -> bool,
    ) -> f64 {
        let (mut hits, mut total) = (0, 0);
        for seed in 0..CASES {
            let before = RandomCluster::new(seed, Oddities::default()).snapshot;
            let after = RandomCluster::new(seed, Oddities::ALL).snapshot;
            for (b, a) in before.nodes.iter().zip(&after.nodes) {
                if !plain(b) {
                    total += 1;
                    hits += usize::from(odd(a));
                }
            }
        }
        hits as f64 / total as f64
    }

    #[test]
    fn oddities_come_as_often_as_documented() {
        let non_worker = |n: &crate::snapshot::Node| !n.roles.contains(Roles::WORKER);
        assert_near(
            "non-workers",
            node_fraction(non_worker, non_worker),
            1.0 / 10.0,
        );
        // A random state is disabled with probability 1/4.
        let disabled = |n: &crate::snapshot::Node| n.worker_state == WorkerState::Disabled;
        assert_near("disabled", node_fraction(disabled, disabled), 1.0 / 16.0);
        let over_full = fraction(Oddities::ALL, |c| {
            let factor = c.snapshot.replication.factor() as usize;
            c.snapshot
                .partitions
                .iter()
                .any(|p| p.replicas.len() > factor)
        });
        assert!(
            over_full > 0.2,
            "over-full sets in {over_full:.3} of the clusters"
        );
    }

    #[test]
    fn valid_oddities_keep_the_cluster_valid_and_the_rest_of_the_seed_unchanged() {
        for seed in 0..500 {
            let plain = RandomCluster::new(seed, Oddities::default());
            let odd = RandomCluster::new(seed, Oddities::VALID);
            assert_eq!(plain.snapshot.check_consistency(), Ok(()), "seed {seed}");
            assert_eq!(odd.snapshot.check_consistency(), Ok(()), "seed {seed}");
            assert_eq!(
                (
                    &odd.shape,
                    odd.next_sets,
                    odd.added,
                    odd.max_moves,
                    &odd.features
                ),
                (
                    &plain.shape,
                    plain.next_sets,
                    plain.added,
                    plain.max_moves,
                    &plain.features
                ),
                "seed {seed}"
            );
            assert_eq!(plain, RandomCluster::new(seed, Oddities::default()));
        }
    }

    #[test]
    fn stray_leaders_lead_partitions_they_hold_no_replica_of() {
        let stray = fraction(Oddities::ALL, |c| {
            c.snapshot
                .partitions
                .iter()
                .any(|p| p.leader.is_some_and(|l| !p.replicas.contains(&l)))
        });
        assert!(stray > 0.3, "stray leaders in {stray:.3} of the clusters");
    }
}
