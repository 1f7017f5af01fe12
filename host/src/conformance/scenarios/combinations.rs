//! The combinations contract 0.2.0 allows, for policies that speak it (issue 24): every control
//! (a placement freeze, a node leader affinity, a location leader affinity, a node weight)
//! crossed with every condition of the node it involves (draining, dead, provisioning, disabled,
//! without the worker role, and for a location affinity a location no node has: a node affinity
//! must name a known node) and every condition of the partition it sits on (unplaced, placed on
//! the node, led by it, led by it with a `next` set moving its replica off, with a `next` set
//! moving onto it); then location names that are prefixes of others, partition ids that
//! collide in their low 8 and 16 bits between placed and new partitions, and weights at their
//! bounds. The cross product is enumerated whole: each scenario is a small cluster, so the
//! suite stays quick.

use worker_policy_model::generate::ClusterShape;
use worker_policy_model::{
    LeaderAffinity, Node, NodeId, Partition, PartitionId, Roles, Snapshot, Weight, WorkerState,
};

use super::classes::{cluster, edit_node, shape};
use super::Scenario;

/// The property of the crossed scenarios.
const ZONE3: &str = "{zone: 3, node: 3}";

/// The node every crossed scenario puts in its condition: the second worker of the first zone.
const SUBJECT: NodeId = 2;

/// A location no node of the suite's clusters has.
const NOWHERE: &str = "r9.z9";

/// Every scenario of this module, by class.
pub(super) fn all() -> Vec<Scenario> {
    let mut out: Vec<Scenario> = Control::ALL
        .into_iter()
        .flat_map(crossed_with_conditions)
        .collect();
    out.extend(location_prefixes());
    out.extend(partition_id_collisions());
    out.extend(weight_bounds());
    out
}

/// A control of contract 0.2.0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Control {
    /// The partition's placement is frozen.
    Freeze,
    /// The partition's leader affinity names the node.
    NodeAffinity,
    /// The partition's leader affinity names the node's zone (or a location no node has).
    LocationAffinity,
    /// The node has the largest weight, its first zone mate the smallest.
    Weight,
}

impl Control {
    /// Every control, in the order the report lists their classes.
    const ALL: [Control; 4] = [
        Control::Freeze,
        Control::NodeAffinity,
        Control::LocationAffinity,
        Control::Weight,
    ];

    /// The class of the control's crossed scenarios, as the coverage section names it.
    fn class(self) -> &'static str {
        match self {
            Control::Freeze => "placement freeze x node x partition condition",
            Control::NodeAffinity => "node leader affinity x node x partition condition",
            Control::LocationAffinity => "location leader affinity x node x partition condition",
            Control::Weight => "weight at its bounds x node x partition condition",
        }
    }

    /// The control, as a scenario's name says it.
    fn name(self) -> &'static str {
        match self {
            Control::Freeze => "a placement freeze",
            Control::NodeAffinity => "a leader affinity to the node",
            Control::LocationAffinity => "a leader affinity to a location",
            Control::Weight => "weight 1000 on the node and 0.001 on a zone mate",
        }
    }

    /// Puts the control on partition `at` of `s` and on `SUBJECT`; a location affinity names
    /// the node's zone, or a location no node has when `node` says so.
    fn apply(self, s: &mut Snapshot, at: usize, node: NodeCondition) {
        let location = match node {
            NodeCondition::NoSuchLocation => NOWHERE.to_string(),
            _ => location_of(s, SUBJECT),
        };
        let p = &mut s.partitions[at];
        match self {
            Control::Freeze => p.freeze = Some("maintenance".into()),
            Control::NodeAffinity => p.leader_affinity = Some(LeaderAffinity::Node(SUBJECT)),
            Control::LocationAffinity => {
                p.leader_affinity = Some(LeaderAffinity::Location(location));
            }
            Control::Weight => {
                let mate = zone_mates(s, SUBJECT)[0];
                edit_node(s, SUBJECT, |n| n.weight = weight(Weight::MAX));
                edit_node(s, mate, |n| n.weight = weight(Weight::MIN));
            }
        }
    }
}

/// The condition `SUBJECT` is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NodeCondition {
    /// Draining.
    Draining,
    /// Active but not alive.
    Dead,
    /// Provisioning.
    Provisioning,
    /// Disabled.
    Disabled,
    /// Active and alive, without the worker role.
    NonWorker,
    /// Active and alive; the location affinity names a location no node has.
    NoSuchLocation,
}

impl NodeCondition {
    /// Every condition.
    const ALL: [NodeCondition; 6] = [
        NodeCondition::Draining,
        NodeCondition::Dead,
        NodeCondition::Provisioning,
        NodeCondition::Disabled,
        NodeCondition::NonWorker,
        NodeCondition::NoSuchLocation,
    ];

    /// Whether the contract lets `control` meet this condition: only a location affinity can
    /// name what no node is (a node affinity to an unknown node is an inconsistent snapshot).
    fn goes_with(self, control: Control) -> bool {
        self != NodeCondition::NoSuchLocation || control == Control::LocationAffinity
    }

    /// The condition, as a scenario's name says it.
    fn name(self) -> &'static str {
        match self {
            NodeCondition::Draining => "a draining node",
            NodeCondition::Dead => "a dead node",
            NodeCondition::Provisioning => "a provisioning node",
            NodeCondition::Disabled => "a disabled node",
            NodeCondition::NonWorker => "a node without the worker role",
            NodeCondition::NoSuchLocation => {
                "an active node, the affinity naming no node's location"
            }
        }
    }

    /// Puts `node` in this condition.
    fn apply(self, node: &mut Node) {
        match self {
            NodeCondition::Draining => node.worker_state = WorkerState::Draining,
            NodeCondition::Dead => node.alive = false,
            NodeCondition::Provisioning => node.worker_state = WorkerState::Provisioning,
            NodeCondition::Disabled => node.worker_state = WorkerState::Disabled,
            NodeCondition::NonWorker => node.roles = Roles::ADMIN.union(Roles::LOG_SERVER),
            NodeCondition::NoSuchLocation => {}
        }
    }
}

/// The condition of the partition the control sits on, relative to `SUBJECT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PartitionCondition {
    /// A new partition, no replica yet.
    Unplaced,
    /// Placed with a replica on the node, led elsewhere.
    Placed,
    /// Placed with a replica on the node, led by it.
    Leading,
    /// Led by the node, with a `next` set moving its replica to a zone mate.
    NextOff,
    /// Led elsewhere, with a `next` set moving a replica onto the node.
    NextOnto,
}

impl PartitionCondition {
    /// Every condition.
    const ALL: [PartitionCondition; 5] = [
        PartitionCondition::Unplaced,
        PartitionCondition::Placed,
        PartitionCondition::Leading,
        PartitionCondition::NextOff,
        PartitionCondition::NextOnto,
    ];

    /// The condition, as a scenario's name says it.
    fn name(self) -> &'static str {
        match self {
            PartitionCondition::Unplaced => "on an unplaced partition",
            PartitionCondition::Placed => "on a partition it holds, led elsewhere",
            PartitionCondition::Leading => "on a partition it leads",
            PartitionCondition::NextOff => {
                "on a partition it leads, a pending next set moving its replica off"
            }
            PartitionCondition::NextOnto => {
                "on a partition led elsewhere, a pending next set moving a replica onto it"
            }
        }
    }

    /// Makes a partition of `s` (every node still active) be in this condition relative to
    /// `SUBJECT`, and returns its position.
    fn apply(self, s: &mut Snapshot) -> usize {
        let holding = |s: &Snapshot| {
            (0..s.partitions.len())
                .find(|&i| s.partitions[i].replicas.contains(&SUBJECT))
                .expect("the crossed cluster has a partition on the subject node")
        };
        match self {
            PartitionCondition::Unplaced => {
                let id = s.partitions.iter().map(|p| p.id + 1).max().unwrap_or(0);
                s.partitions.push(Partition {
                    id,
                    ..Partition::default()
                });
                s.partitions.len() - 1
            }
            PartitionCondition::Placed => {
                let at = holding(s);
                let p = &mut s.partitions[at];
                p.leader = p.replicas.iter().copied().find(|&n| n != SUBJECT);
                at
            }
            PartitionCondition::Leading => {
                let at = holding(s);
                s.partitions[at].leader = Some(SUBJECT);
                at
            }
            PartitionCondition::NextOff => {
                let at = holding(s);
                let mate = zone_mates(s, SUBJECT)[0];
                let p = &mut s.partitions[at];
                p.leader = Some(SUBJECT);
                p.next = Some(replaced(&p.replicas, SUBJECT, mate));
                at
            }
            PartitionCondition::NextOnto => {
                let mates = zone_mates(s, SUBJECT);
                let (at, mate) = (0..s.partitions.len())
                    .find_map(|i| {
                        let p = &s.partitions[i];
                        let mate = p.replicas.iter().copied().find(|n| mates.contains(n))?;
                        (!p.is_held_by(SUBJECT)).then_some((i, mate))
                    })
                    .expect("the crossed cluster has a partition on a zone mate of the subject");
                let p = &mut s.partitions[at];
                p.next = Some(replaced(&p.replicas, mate, SUBJECT));
                at
            }
        }
    }
}

/// The scenarios of `control` with every node and partition condition the contract allows:
/// 3 zones of 3 workers, 6 partitions placed, `SUBJECT` in its condition.
fn crossed_with_conditions(control: Control) -> Vec<Scenario> {
    let mut out = Vec::new();
    for node in NodeCondition::ALL
        .into_iter()
        .filter(|n| n.goes_with(control))
    {
        for partition in PartitionCondition::ALL {
            let mut s = cluster(shape(&[3, 3, 3], 6, ZONE3), true);
            let at = partition.apply(&mut s);
            control.apply(&mut s, at, node);
            edit_node(&mut s, SUBJECT, |n| node.apply(n));
            let name = format!(
                "{} with {}, {}",
                control.name(),
                node.name(),
                partition.name()
            );
            out.push(Scenario::new(name, s).in_class(control.class()));
        }
    }
    out
}

/// The zone of `node` in `s`.
fn location_of(s: &Snapshot, node: NodeId) -> String {
    s.node(node).map(|n| n.location.clone()).unwrap_or_default()
}

/// The other nodes in the zone of `node`, by id.
fn zone_mates(s: &Snapshot, node: NodeId) -> Vec<NodeId> {
    let location = location_of(s, node);
    let mut mates: Vec<NodeId> = s
        .nodes
        .iter()
        .filter(|n| n.id != node && n.location == location)
        .map(|n| n.id)
        .collect();
    mates.sort_unstable();
    mates
}

/// `set` with `from` replaced by `to`.
fn replaced(set: &[NodeId], from: NodeId, to: NodeId) -> Vec<NodeId> {
    set.iter()
        .map(|&n| if n == from { to } else { n })
        .collect()
}

/// A weight the model accepts: the bounds are its own.
fn weight(value: f64) -> Weight {
    Weight::new(value).unwrap_or_else(|| panic!("the suite's weight {value} is out of bounds"))
}

/// The class of the location-prefix scenarios.
const PREFIXES: &str = "location names that prefix others";

/// `s` with every node at location `from` moved to `to`, for each pair.
fn relocated(mut s: Snapshot, renames: &[(&str, &str)]) -> Snapshot {
    for n in &mut s.nodes {
        if let Some((_, to)) = renames.iter().find(|(from, _)| n.location == *from) {
            n.location = (*to).to_string();
        }
    }
    s
}

/// Gives every partition of `s` led from location `led_from` a leader affinity to `affinity`.
fn affine_where_led_from(s: &mut Snapshot, led_from: &str, affinity: &str) {
    let leaders: Vec<(NodeId, String)> =
        s.nodes.iter().map(|n| (n.id, n.location.clone())).collect();
    for p in &mut s.partitions {
        let from = p
            .leader
            .and_then(|l| leaders.iter().find(|(id, _)| *id == l))
            .is_some_and(|(_, location)| location == led_from);
        if from {
            p.leader_affinity = Some(LeaderAffinity::Location(affinity.into()));
        }
    }
}

/// Zones `eu.z1`, `eu.z10` and `eu.z2` (a zone whose name another starts with), and regions
/// `eu` and `eu2`: affinities to the shorter name on partitions led from the longer, and the
/// other way round, placed and new, once with a node of the affine zone draining. A policy that
/// matches locations by prefix takes `eu.z10` for `eu.z1`.
fn location_prefixes() -> Vec<Scenario> {
    let zones = || {
        let mut s = cluster(shape(&[3, 3, 3], 12, ZONE3), true);
        s.partitions.extend((12..15).map(|id| Partition {
            id,
            leader_affinity: Some(LeaderAffinity::Location("eu.z1".into())),
            ..Partition::default()
        }));
        let mut s = relocated(
            s,
            &[("r1.z1", "eu.z1"), ("r1.z2", "eu.z10"), ("r1.z3", "eu.z2")],
        );
        affine_where_led_from(&mut s, "eu.z10", "eu.z1");
        affine_where_led_from(&mut s, "eu.z2", "eu.z10");
        s
    };
    let mut draining = zones();
    edit_node(&mut draining, 1, |n| n.worker_state = WorkerState::Draining);
    let regions = {
        let placed = cluster(
            ClusterShape {
                regions: 2,
                ..shape(&[2, 2, 2, 2], 12, "{region: 2, zone: 3, node: 3}")
            },
            true,
        );
        let mut s = relocated(
            placed,
            &[
                ("r1.z1", "eu.a"),
                ("r2.z2", "eu2.a"),
                ("r1.z3", "eu.b"),
                ("r2.z4", "eu2.b"),
            ],
        );
        for (led_from, affinity) in [("eu2.a", "eu"), ("eu2.b", "eu"), ("eu.a", "eu2")] {
            affine_where_led_from(&mut s, led_from, affinity);
        }
        s
    };
    [
        (
            "location prefixes: zones eu.z1, eu.z10 and eu.z2, affinities to eu.z1 led from eu.z10 and to eu.z10 led from eu.z2, new partitions affine to eu.z1",
            zones(),
        ),
        (
            "location prefixes: zones eu.z1, eu.z10 and eu.z2, affinities to eu.z1 led from eu.z10, a node of eu.z1 draining",
            draining,
        ),
        (
            "location prefixes: regions eu and eu2, affinities to region eu led from eu2 and to eu2 led from eu",
            regions,
        ),
    ]
    .into_iter()
    .map(|(name, s)| Scenario::new(name, s).in_class(PREFIXES))
    .collect()
}

/// The class of the partition-id collision scenarios.
const COLLISIONS: &str = "partition ids colliding mod 256 and 65,536";

/// 3 zones of 3 workers with placed partitions `placed` (in order) and new, unplaced ones
/// `new`, a node draining.
fn placed_and_new(placed: &[PartitionId], new: &[PartitionId]) -> Snapshot {
    let mut s = cluster(
        ClusterShape {
            draining: 1,
            seed: 31,
            ..shape(&[3, 3, 3], placed.len() as u32, ZONE3)
        },
        true,
    );
    for (p, &id) in s.partitions.iter_mut().zip(placed) {
        p.id = id;
    }
    s.partitions.extend(new.iter().map(|&id| Partition {
        id,
        ..Partition::default()
    }));
    s
}

/// New partitions whose ids equal placed ones modulo 256 and modulo 65,536 (both ways round,
/// and up to `u32::MAX`), and colliding ids where only the placed partition has a freeze or an
/// affinity. A policy that keeps partition ids in 8 or 16 bits mistakes one for the other.
fn partition_id_collisions() -> Vec<Scenario> {
    let mut controlled = placed_and_new(&[0, 1, 2, 3, 4, 5], &[257, 65_538]);
    for p in &mut controlled.partitions {
        match p.id {
            1 => p.freeze = Some("maintenance".into()),
            2 => p.leader_affinity = Some(LeaderAffinity::Location("r1.z2".into())),
            257 => p.leader_affinity = Some(LeaderAffinity::Location("r1.z3".into())),
            _ => {}
        }
    }
    [
        (
            "partition ids colliding mod 256: new 256, 257, 514 and 4,099 beside placed 0 to 5, a node draining",
            placed_and_new(&[0, 1, 2, 3, 4, 5], &[256, 257, 514, 4_099]),
        ),
        (
            "partition ids colliding mod 256: new 0, 1 and 2 beside placed 256 to 261, a node draining",
            placed_and_new(&[256, 257, 258, 259, 260, 261], &[0, 1, 2]),
        ),
        (
            "partition ids colliding mod 65,536: new 65,536, 65,537, 131,074 and u32::MAX beside placed 0 to 4 and 65,535, a node draining",
            placed_and_new(&[0, 1, 2, 3, 4, 65_535], &[65_536, 65_537, 131_074, u32::MAX]),
        ),
        (
            "partition ids colliding mod 65,536: new 0, 1 and 2 beside placed 65,536 to 65,541, a node draining",
            placed_and_new(&[65_536, 65_537, 65_538, 65_539, 65_540, 65_541], &[0, 1, 2]),
        ),
        (
            "partition ids colliding: placed 1 frozen and 2 affine to r1.z2, new 257 affine to r1.z3 and 65,538 free, a node draining",
            controlled,
        ),
    ]
    .into_iter()
    .map(|(name, s)| Scenario::new(name, s).in_class(COLLISIONS))
    .collect()
}

/// The class of the weight-bound scenarios.
const WEIGHT_BOUNDS: &str = "weights at their bounds";

/// `s` with the nodes of `ids` at weight `value`.
fn weighed(mut s: Snapshot, ids: &[NodeId], value: f64) -> Snapshot {
    for &id in ids {
        edit_node(&mut s, id, |n| n.weight = weight(value));
    }
    s
}

/// Weights at the model's bounds ([`Weight::MIN`] and [`Weight::MAX`]): one of each per zone
/// on a new cluster, the heaviest node draining, every node at the smallest weight, and one
/// node at the largest among nodes at the smallest.
fn weight_bounds() -> Vec<Scenario> {
    let new = || cluster(shape(&[3, 3, 3], 12, ZONE3), false);
    let placed = || cluster(shape(&[3, 3, 3], 12, ZONE3), true);
    let all: Vec<NodeId> = (1..=9).collect();
    let rest: Vec<NodeId> = (2..=9).collect();
    let mut heavy_draining = weighed(weighed(placed(), &[1, 4], Weight::MAX), &[2], Weight::MIN);
    edit_node(&mut heavy_draining, 1, |n| {
        n.worker_state = WorkerState::Draining
    });
    let mut light = weighed(placed(), &all, Weight::MIN);
    edit_node(&mut light, 5, |n| n.worker_state = WorkerState::Draining);
    [
        (
            "weights at their bounds: 1000 and 0.001 in every zone, a new cluster",
            weighed(
                weighed(new(), &[1, 4, 7], Weight::MAX),
                &[2, 5, 8],
                Weight::MIN,
            ),
        ),
        (
            "weights at their bounds: a node of weight 1000 draining beside one of 0.001",
            heavy_draining,
        ),
        (
            "weights at their bounds: every node at 0.001, a node draining",
            light,
        ),
        (
            "weights at their bounds: one node at 1000, every other at 0.001, placed",
            weighed(weighed(placed(), &rest, Weight::MIN), &[1], Weight::MAX),
        ),
    ]
    .into_iter()
    .map(|(name, s)| Scenario::new(name, s).in_class(WEIGHT_BOUNDS))
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_allowed_combination_has_one_scenario_of_its_own() {
        let crossed: Vec<Scenario> = Control::ALL
            .into_iter()
            .flat_map(crossed_with_conditions)
            .collect();
        assert_eq!(crossed.len(), 3 * 5 * 5 + 6 * 5);
        let mut names: Vec<&str> = crossed.iter().map(|s| s.name.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(
            names.len(),
            crossed.len(),
            "every name says which combination"
        );
    }

    #[test]
    fn each_partition_condition_holds_on_its_scenario() {
        for partition in PartitionCondition::ALL {
            let mut s = cluster(shape(&[3, 3, 3], 6, ZONE3), true);
            let at = partition.apply(&mut s);
            let p = s.partitions[at].clone();
            let s = s.canonical();
            s.check_consistency().unwrap();
            let pending: Vec<NodeId> = p.pending_next().collect();
            match partition {
                PartitionCondition::Unplaced => assert!(p.is_unplaced()),
                PartitionCondition::Placed => {
                    assert!(p.replicas.contains(&SUBJECT) && p.leader != Some(SUBJECT));
                }
                PartitionCondition::Leading => assert_eq!(p.leader, Some(SUBJECT)),
                PartitionCondition::NextOff => {
                    assert_eq!(p.leader, Some(SUBJECT));
                    assert_eq!(pending, zone_mates(&s, SUBJECT)[..1]);
                }
                PartitionCondition::NextOnto => {
                    assert_eq!(pending, [SUBJECT]);
                    assert!(!p.replicas.contains(&SUBJECT));
                }
            }
        }
    }

    #[test]
    fn prefixes_collisions_and_bounds_are_what_their_names_say() {
        let prefixes = location_prefixes();
        let locations: Vec<&str> = prefixes[0]
            .snapshot
            .nodes
            .iter()
            .map(|n| n.location.as_str())
            .collect();
        assert!(locations.contains(&"eu.z1") && locations.contains(&"eu.z10"));
        let misled = |s: &Snapshot, affinity: &str, from: &str| {
            s.partitions.iter().any(|p| {
                p.leader_affinity == Some(LeaderAffinity::Location(affinity.into()))
                    && p.leader.and_then(|l| s.node(l)).map(|n| n.region()) == Some(from)
            })
        };
        assert!(misled(&prefixes[2].snapshot, "eu", "eu2"));
        for collision in partition_id_collisions() {
            let s = &collision.snapshot;
            let low = |bits: u32| {
                let placed: Vec<u32> = s
                    .partitions
                    .iter()
                    .filter(|p| !p.is_unplaced())
                    .map(|p| p.id % bits)
                    .collect();
                s.partitions
                    .iter()
                    .filter(|p| p.is_unplaced())
                    .all(|p| placed.contains(&(p.id % bits)))
            };
            assert!(low(256), "{}", collision.name);
            if collision.name.contains("65,536") {
                assert!(low(65_536), "{}", collision.name);
            }
        }
        let bounds = weight_bounds();
        let weights: Vec<f64> = bounds
            .iter()
            .flat_map(|b| b.snapshot.nodes.iter().map(|n| n.weight.value()))
            .collect();
        assert!(weights.contains(&Weight::MIN) && weights.contains(&Weight::MAX));
    }
}
