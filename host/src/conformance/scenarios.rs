//! The clusters the suite checks a policy on: fixed scenarios (the examples, drains, scale-out,
//! a dead node, `next` sets in flight, tight and unsatisfiable properties, a move budget, and
//! one or more per class of situation in [`classes`], and in [`controls`] for policies that
//! speak contract 0.2.0) and clusters generated from the suite's seed, each reproducible from
//! its name.

mod classes;
mod combinations;
mod controls;

use std::path::Path;

use worker_policy_model::generate::{
    add_next_sets, add_unplaced, generate, ClusterShape, DeadPosition, NodeIds, Oddities,
    PartitionIds, RandomCluster, SplitMix64,
};
use worker_policy_model::{Replication, Snapshot};

use super::Coverage;
use crate::snapshot_file::SnapshotFile;

/// A cluster to check, and the move budget to evaluate it with.
#[derive(Debug, Clone)]
pub(crate) struct Scenario {
    /// What it is, as the report names it.
    pub name: String,
    /// The class of situation it belongs to, as the report's coverage counts it.
    pub class: &'static str,
    /// The cluster, sorted by id as the CLI reads it.
    pub snapshot: Snapshot,
    /// `--max-moves` for its evaluations.
    pub max_moves: Option<u32>,
}

impl Scenario {
    /// A scenario with no move budget; the cluster in the sorted form the CLI reads.
    fn new(name: impl Into<String>, snapshot: Snapshot) -> Scenario {
        Scenario {
            name: name.into(),
            class: "",
            snapshot: snapshot.canonical(),
            max_moves: None,
        }
    }

    /// The same scenario, counted in `class`.
    fn in_class(self, class: &'static str) -> Scenario {
        Scenario { class, ..self }
    }
}

/// Every scenario of `scenarios`, counted in `class`.
fn in_class(class: &'static str, scenarios: Vec<Scenario>) -> Vec<Scenario> {
    scenarios.into_iter().map(|s| s.in_class(class)).collect()
}

/// The class of the generated clusters.
const GENERATED: &str = "generated from the seed";

/// The examples shipped in `examples/`, by file name.
const EXAMPLES: [(&str, &str); 4] = [
    (
        "three-zones-draining.json",
        include_str!("../../../examples/three-zones-draining.json"),
    ),
    (
        "scale-out-provisioning.json",
        include_str!("../../../examples/scale-out-provisioning.json"),
    ),
    (
        "new-cluster.json",
        include_str!("../../../examples/new-cluster.json"),
    ),
    (
        "unsatisfiable-zones.json",
        include_str!("../../../examples/unsatisfiable-zones.json"),
    ),
];

/// The fixed scenarios, in the order the suite runs them, each in its class; `controls` adds
/// the classes with the controls of contract 0.2.0 (weights, freezes, leader affinities) and
/// their combinations with every node and partition condition.
pub(crate) fn fixed(controls: bool) -> Vec<Scenario> {
    let mut out = in_class("examples", examples());
    out.extend(in_class("lifecycle shapes", shaped()));
    out.extend(in_class("new partitions and next sets", edited()));
    out.extend(classes::all());
    if controls {
        out.extend(controls::all());
        out.extend(combinations::all());
    }
    out
}

/// How many of `scenarios` each class has, in the order the classes first appear.
pub(crate) fn coverage(scenarios: &[Scenario]) -> Vec<Coverage> {
    let mut out: Vec<Coverage> = Vec::new();
    for scenario in scenarios {
        match out.iter_mut().find(|c| c.class == scenario.class) {
            Some(seen) => seen.scenarios += 1,
            None => out.push(Coverage {
                class: scenario.class,
                scenarios: 1,
            }),
        }
    }
    out
}

/// The example snapshots, and the first one again under a move budget.
fn examples() -> Vec<Scenario> {
    let mut out: Vec<Scenario> = EXAMPLES
        .iter()
        .map(|(name, text)| {
            let file = SnapshotFile::parse(text, &Path::new("examples").join(name))
                .unwrap_or_else(|e| panic!("the embedded example is broken: {e}"));
            Scenario::new(format!("example {name}"), file.snapshot)
        })
        .collect();
    if let Some(draining) = out.first() {
        out.push(Scenario {
            name: format!("{} with --max-moves 2", draining.name),
            max_moves: Some(2),
            ..draining.clone()
        });
    }
    out
}

/// Clusters the generator makes from a shape: lifecycle events on 3 zones of 3 nodes, and the
/// shapes where the property is tight (one node per zone, two regions, uneven zones, RF 1).
fn shaped() -> Vec<Scenario> {
    let zone3 = property("{zone: 3, node: 3}");
    let nine = || vec![3, 3, 3];
    let scenario = |name: &str, shape: ClusterShape| Scenario::new(name, generate(&shape));
    vec![
        scenario(
            "new cluster with a draining and a provisioning node",
            ClusterShape {
                draining: 1,
                provisioning: 1,
                seed: 1,
                ..ClusterShape::new(nine(), 12, zone3)
            },
        ),
        scenario(
            "two nodes drained at once",
            ClusterShape {
                placed: true,
                draining: 2,
                seed: 2,
                ..ClusterShape::new(nine(), 18, zone3)
            },
        ),
        scenario(
            "a dead node",
            ClusterShape {
                placed: true,
                dead: 1,
                seed: 3,
                ..ClusterShape::new(nine(), 18, zone3)
            },
        ),
        scenario(
            "scale-out: three provisioning nodes join",
            ClusterShape {
                placed: true,
                provisioning: 3,
                seed: 4,
                ..ClusterShape::new(nine(), 18, zone3)
            },
        ),
        scenario(
            "one node per zone: no drain is safe",
            ClusterShape {
                placed: true,
                ..ClusterShape::new(vec![1, 1, 1], 6, zone3)
            },
        ),
        scenario(
            "unsatisfiable once a node drains",
            ClusterShape {
                placed: true,
                draining: 1,
                seed: 5,
                ..ClusterShape::new(vec![1, 1, 1], 6, zone3)
            },
        ),
        scenario(
            "two regions, one node draining",
            ClusterShape {
                placed: true,
                regions: 2,
                draining: 1,
                seed: 6,
                ..ClusterShape::new(
                    vec![2, 2, 2, 2],
                    16,
                    property("{region: 2, zone: 3, node: 3}"),
                )
            },
        ),
        scenario(
            "uneven zones 4, 2, 1",
            ClusterShape::new(vec![4, 2, 1], 12, zone3),
        ),
        scenario(
            "one replica per partition, a node draining",
            ClusterShape {
                placed: true,
                draining: 1,
                seed: 7,
                ..ClusterShape::new(vec![4], 8, property("1"))
            },
        ),
    ]
}

/// Generated clusters edited after the fact: new partitions, and `next` sets in flight, each
/// while a node drains.
fn edited() -> Vec<Scenario> {
    let zone3 = property("{zone: 3, node: 3}");
    let draining = |partitions: u32, seed: u64| {
        generate(&ClusterShape {
            placed: true,
            draining: 1,
            seed,
            ..ClusterShape::new(vec![3, 3, 3], partitions, zone3)
        })
    };
    let mut growing = draining(12, 9);
    add_unplaced(&mut growing, 6);
    let mut in_flight = draining(18, 8);
    add_next_sets(&mut in_flight, &mut SplitMix64::new(8), 2);
    vec![
        Scenario::new("new partitions while a node drains", growing),
        Scenario::new("next sets in flight, a node draining", in_flight),
    ]
}

/// Generated case `case` of the suite's `seed`: the model's random cluster of a seed drawn
/// from both (a random shape, `next` sets, new partitions, a move budget and the features
/// beyond the shape; no oddities but, with `controls`, the controls of contract 0.2.0, so every
/// case is a cluster a snapshot file can hold and the CLI replays it), named after what it
/// has. Without `controls`, a seed's case is the one it always was.
pub(crate) fn generated(seed: u64, case: u32, controls: bool) -> Scenario {
    let oddities = if controls {
        Oddities::default().with_controls()
    } else {
        Oddities::default()
    };
    let cluster = RandomCluster::new(
        seed ^ (u64::from(case) + 1).wrapping_mul(0xA24B_AED4_963E_E407),
        oddities,
    );
    Scenario {
        name: format!(
            "generated case {case} (seed {seed}): {}",
            describe(&cluster)
        ),
        class: GENERATED,
        snapshot: cluster.snapshot.canonical(),
        max_moves: cluster.max_moves,
    }
}

/// What a generated cluster has: its shape, then each feature it got.
fn describe(cluster: &RandomCluster) -> String {
    let RandomCluster {
        shape,
        next_sets,
        added,
        max_moves,
        features,
        ..
    } = cluster;
    let states = [
        (shape.draining, "draining"),
        (shape.provisioning, "provisioning"),
        (shape.dead, "dead"),
        (shape.disabled, "disabled"),
    ]
    .iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, what)| format!(", {n} {what}"))
    .collect::<String>();
    let mut extras: Vec<String> = Vec::new();
    let mut note = |yes: bool, what: String| {
        if yes {
            extras.push(what);
        }
    };
    note(*next_sets, "next sets in flight".into());
    note(*added > 0, format!("{added} new unplaced partition(s)"));
    note(
        features.disabled_holding,
        "a disabled worker holding replicas".into(),
    );
    note(
        features.draining_next_only,
        "a draining worker only a next set holds".into(),
    );
    for position in &features.dead {
        note(true, format!("a dead node {}", dead_position(*position)));
    }
    note(
        features.non_workers > 0,
        format!("{} node(s) without the worker role", features.non_workers),
    );
    note(
        features.node_ids != NodeIds::Consecutive,
        format!("node ids {:?}", features.node_ids).to_lowercase(),
    );
    note(features.ids_across_zones, "node ids across zones".into());
    note(
        features.partition_ids != PartitionIds::FromZero,
        format!("partition ids {:?}", features.partition_ids).to_lowercase(),
    );
    note(
        max_moves.is_some(),
        format!("--max-moves {}", max_moves.unwrap_or(0)),
    );
    extras.extend(controls(&cluster.snapshot));
    format!(
        "zones {:?} over {} region(s), replication {}, {} {} partition(s){states}{}",
        shape.zones,
        shape.regions,
        shape.replication,
        shape.partitions,
        if shape.placed { "placed" } else { "unplaced" },
        extras.iter().map(|e| format!(", {e}")).collect::<String>(),
    )
}

/// The controls of contract 0.2.0 a generated cluster has, counted: weighted nodes, frozen
/// partitions (and how many a draining node holds) and leader affinities.
fn controls(snapshot: &Snapshot) -> Vec<String> {
    let weighted = snapshot.nodes.iter().filter(|n| !n.weight.is_standard());
    let frozen: Vec<_> = snapshot
        .partitions
        .iter()
        .filter(|p| p.is_frozen())
        .collect();
    let draining = snapshot
        .nodes
        .iter()
        .filter(|n| n.worker_state == worker_policy_model::WorkerState::Draining);
    let on_draining = frozen
        .iter()
        .filter(|p| draining.clone().any(|n| p.is_held_by(n.id)))
        .count();
    let affine = snapshot
        .partitions
        .iter()
        .filter(|p| p.leader_affinity.is_some());
    let mut out = Vec::new();
    let mut note = |count: usize, what: String| {
        if count > 0 {
            out.push(format!("{count} {what}"));
        }
    };
    note(weighted.count(), "weighted node(s)".into());
    note(
        frozen.len(),
        format!("frozen partition(s) ({on_draining} on a draining node)"),
    );
    note(affine.count(), "partition(s) with a leader affinity".into());
    out
}

/// Where a generated dead node sits, as the scenario's name says it.
fn dead_position(position: DeadPosition) -> &'static str {
    match position {
        DeadPosition::Draining => "draining",
        DeadPosition::Provisioning => "provisioning",
        DeadPosition::Next => "in a next set",
        DeadPosition::Leader => "leading",
    }
}

/// A replication property written as the snapshot format writes it.
fn property(text: &str) -> Replication {
    Replication::parse(text).unwrap_or_else(|e| panic!("the suite's property `{text}`: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot_file::snapshot_to_json;

    #[test]
    fn every_fixed_scenario_has_a_class_and_is_a_snapshot_a_file_holds() {
        let scenarios = fixed(true);
        for scenario in &scenarios {
            assert!(!scenario.class.is_empty(), "{}", scenario.name);
            let text = snapshot_to_json(&scenario.snapshot);
            let read = SnapshotFile::parse(&text, Path::new("scenario.json"))
                .unwrap_or_else(|e| panic!("{}: {e}", scenario.name));
            assert_eq!(read.snapshot, scenario.snapshot, "{}", scenario.name);
        }
        let counted: usize = coverage(&scenarios).iter().map(|c| c.scenarios).sum();
        assert_eq!(counted, scenarios.len());
        let mut names: Vec<&str> = scenarios.iter().map(|s| s.name.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), scenarios.len(), "every name is its own");
    }

    #[test]
    fn coverage_counts_each_class_where_it_first_appears() {
        let scenarios: Vec<Scenario> = fixed(true)
            .into_iter()
            .chain((0..3).map(|case| generated(0, case, true)))
            .collect();
        let classes = coverage(&scenarios);
        assert_eq!(
            classes.first().map(|c| (c.class, c.scenarios)),
            Some(("examples", 5))
        );
        assert_eq!(
            classes.last().map(|c| (c.class, c.scenarios)),
            Some((GENERATED, 3))
        );
        let without = coverage(&fixed(false));
        assert!(without.len() < classes.len() - 1, "the controls' classes");
    }

    #[test]
    fn the_controls_come_only_for_0_2_0_and_include_a_freeze_on_a_draining_node() {
        assert!(fixed(true).len() > fixed(false).len());
        let plain = generated(0, 3, false);
        assert_eq!(plain.snapshot, generated(0, 3, false).snapshot);
        let controlled: Vec<Scenario> = (0..50).map(|case| generated(0, case, true)).collect();
        let has = |what: &str| controlled.iter().any(|s| s.name.contains(what));
        assert!(has("weighted node(s)") && has("with a leader affinity"));
        let blocked = controlled.iter().any(|s| !s.snapshot.blocked().is_empty());
        assert!(blocked, "a frozen partition on a draining node");
        let none = (0..50).map(|case| generated(0, case, false));
        assert!(none.into_iter().all(|s| !s.name.contains("frozen")));
    }
}
