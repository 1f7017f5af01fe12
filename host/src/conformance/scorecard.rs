//! The quality scorecard: scored, not pass/fail. The policy converges on the shapes of the
//! placement-quality issue, kept small enough to run in a moment (3 zones of 4 hosts and 256
//! partitions: placed from nothing, then one host drained, one added, one lost; uneven zones;
//! more zones than replicas; zones of 70 hosts, placed and then one drained; for a policy that speaks contract 0.2.0, mixed node weights), and
//! each run is measured with [`quality::measure`], whose fair shares follow the weights.
//!
//! [`Change`] and [`score`] are public so other quality reports can measure the same way.

use worker_policy_model::generate::{generate, ClusterShape};
use worker_policy_model::quality::{self, Quality};
use worker_policy_model::{Node, Replication, Scope, Snapshot, Weight, WorkerState};

use super::checks::MAX_ROUNDS;
use crate::error::Error;
use crate::evaluate::simulate;
use crate::hooks::PolicyHooks;

/// Partitions of every shape.
const PARTITIONS: u32 = 256;

/// Hosts per zone of the wide shape: more than 64, so a policy that indexes a zone's hosts in
/// machine words meets a second word.
const WIDE_ZONE: u32 = 70;

/// One shape of the scorecard and how the policy did on it.
#[derive(Debug, Clone)]
pub struct QualityRow {
    /// The shape and the change.
    pub shape: String,
    /// The rounds to converge and the quality of the whole change, or why the run failed.
    pub result: Result<Scored, String>,
}

/// How a converged run scores.
#[derive(Debug, Clone)]
pub struct Scored {
    /// Rounds of evaluate-and-apply until the plan was empty.
    pub rounds: u32,
    /// Balance against fair share and moves against the lower bound, start to end.
    pub quality: Quality,
}

/// A change made to a cluster the policy has settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// One node starts draining.
    DrainOne,
    /// One new node joins, provisioning, in the zone of another.
    AddOne,
    /// One node dies.
    LoseOne,
}

impl Change {
    /// Every change, in the order reports list them.
    pub const ALL: [Change; 3] = [Change::DrainOne, Change::AddOne, Change::LoseOne];

    /// What the change does, in words.
    pub fn name(self) -> &'static str {
        match self {
            Change::DrainOne => "drain one host",
            Change::AddOne => "add one host",
            Change::LoseOne => "lose one host",
        }
    }

    /// `settled` with the change made to the node at position `index` (drained or lost), or
    /// with a new provisioning node like that one (same location and roles, the next free id).
    pub fn apply(self, settled: &Snapshot, index: usize) -> Snapshot {
        let mut s = settled.clone();
        let Some(node) = s.nodes.get_mut(index) else {
            return s;
        };
        match self {
            Change::DrainOne => node.worker_state = WorkerState::Draining,
            Change::LoseOne => node.alive = false,
            Change::AddOne => {
                let like = node.clone();
                let id = s.nodes.iter().map(|n| n.id).max().unwrap_or(0) + 1;
                s.nodes.push(Node {
                    id,
                    name: format!("n{id}"),
                    address: format!("http://n{id}:5122/"),
                    worker_state: WorkerState::Provisioning,
                    ..like
                });
            }
        }
        s
    }
}

/// Evaluates and applies from `start` until the plan is empty (30 rounds at most); scores the
/// whole change and returns the settled cluster.
pub fn score(policy: &dyn PolicyHooks, start: &Snapshot) -> Result<(Scored, Snapshot), Error> {
    let simulation = simulate(policy, start, None, MAX_ROUNDS)?;
    let scored = Scored {
        rounds: simulation.rounds.len() as u32,
        quality: quality::measure(start, &simulation.last),
    };
    Ok((scored, simulation.last))
}

/// Runs every shape of the scorecard; `controls` (a policy that speaks contract 0.2.0) adds
/// the shapes with node weights.
pub(crate) fn scorecard(policy: &dyn PolicyHooks, controls: bool) -> Vec<QualityRow> {
    let zone3 = property(&[(Scope::Zone, 3), (Scope::Node, 3)]);
    let from_nothing = |zones: Vec<u32>| generate(&ClusterShape::new(zones, PARTITIONS, zone3));
    let row = |shape: String, start: &Snapshot| {
        let scored = score(policy, start);
        let settled = scored.as_ref().ok().map(|(_, s)| s.clone());
        let result = scored.map(|(scored, _)| scored).map_err(|e| e.to_string());
        (QualityRow { shape, result }, settled)
    };
    let (placed, settled) = row(
        "3x4 hosts, 256 partitions, {zone: 3}: place from nothing".into(),
        &from_nothing(vec![4, 4, 4]),
    );
    let mut rows = vec![placed];
    if let Some(settled) = settled {
        for change in Change::ALL {
            let shape = format!("3x4 hosts, placed: {}", change.name());
            rows.push(row(shape, &change.apply(&settled, 0)).0);
        }
    }
    for (name, zones) in [
        ("uneven zones 5, 3, 2", vec![5, 3, 2]),
        ("5 zones of 2 hosts", vec![2; 5]),
    ] {
        let shape = format!("{name}, 256 partitions, {{zone: 3}}: place from nothing");
        rows.push(row(shape, &from_nothing(zones)).0);
    }
    // Zones of more hosts than a machine word has bits, as a large cluster has.
    let (placed, settled) = row(
        format!("3x{WIDE_ZONE} hosts, 256 partitions, {{zone: 3}}: place from nothing"),
        &from_nothing(vec![WIDE_ZONE; 3]),
    );
    rows.push(placed);
    if let Some(settled) = settled {
        let shape = format!("3x{WIDE_ZONE} hosts, placed: drain one host");
        rows.push(row(shape, &Change::DrainOne.apply(&settled, 0)).0);
    }
    // A factor above the zone count, where two zones together hold at most 3 of 4 replicas.
    let wide = generate(&ClusterShape::new(
        vec![4, 1, 4, 1],
        PARTITIONS,
        property(&[(Scope::Zone, 3), (Scope::Node, 4)]),
    ));
    let (placed, settled) = row(
        "uneven zones 4, 1, 4, 1, 256 partitions, {zone: 3, node: 4}: place from nothing".into(),
        &wide,
    );
    rows.push(placed);
    if let Some(settled) = settled {
        let shape = "uneven zones 4, 1, 4, 1, {zone: 3, node: 4}, placed: drain one host".into();
        rows.push(row(shape, &Change::DrainOne.apply(&settled, 0)).0);
    }
    // Regions with the zones constrained too, and regions alone (a zone may hold two replicas).
    for counts in [
        &[(Scope::Region, 2), (Scope::Zone, 3), (Scope::Node, 3)][..],
        &[(Scope::Region, 2), (Scope::Node, 3)],
    ] {
        let regions = generate(&ClusterShape {
            regions: 2,
            ..ClusterShape::new(vec![3; 4], PARTITIONS, property(counts))
        });
        let shape = format!(
            "2 regions of 2 zones of 3 hosts, 256 partitions, {}: place from nothing",
            property(counts)
        );
        rows.push(row(shape, &regions).0);
    }
    if controls {
        rows.extend(weighted(policy));
    }
    for shape in TRANSFERS.iter().filter(|t| controls || !t.weighted) {
        rows.extend(shape.rows(policy));
    }
    rows
}

/// A small shape where reaching the fair share with the fewest moves takes more than handing
/// replicas straight from a node above its target to one below it: the replicas can only
/// follow along chains of hand-overs, or the rounding of the shares must move to the nodes
/// that can keep them. Found by sweeping every small shape for the ones that tell such
/// strategies apart.
struct Transfer {
    /// The replication property's counts.
    property: &'static [(Scope, u32)],
    /// Hosts per zone.
    zones: &'static [u32],
    partitions: u32,
    /// Whether the hosts weigh 1.0, 2.0, 0.5, 1.0, 2.0, 0.5, ... in order (contract 0.2.0).
    weighted: bool,
    /// The change made once the placement settled, and the position of the host it is about.
    change: (Change, usize),
}

/// The transfer shapes.
const TRANSFERS: [Transfer; 8] = [
    Transfer {
        property: &[(Scope::Zone, 2), (Scope::Node, 2)],
        zones: &[1, 4, 3, 2],
        partitions: 24,
        weighted: false,
        change: (Change::DrainOne, 0),
    },
    Transfer {
        property: &[(Scope::Zone, 3), (Scope::Node, 4)],
        zones: &[2, 4, 4, 1],
        partitions: 24,
        weighted: false,
        change: (Change::AddOne, 2),
    },
    Transfer {
        property: &[(Scope::Zone, 2), (Scope::Node, 2)],
        zones: &[2, 3, 3, 3],
        partitions: 24,
        weighted: true,
        change: (Change::LoseOne, 1),
    },
    Transfer {
        property: &[(Scope::Zone, 2), (Scope::Node, 2)],
        zones: &[1, 1, 1, 3],
        partitions: 13,
        weighted: true,
        change: (Change::AddOne, 1),
    },
    Transfer {
        property: &[(Scope::Zone, 3), (Scope::Node, 3)],
        zones: &[3, 3, 2, 3],
        partitions: 5,
        weighted: true,
        change: (Change::AddOne, 1),
    },
    // Where the rounding's ceil must pass to the node the replicas can reach, once per node.
    Transfer {
        property: &[(Scope::Zone, 2), (Scope::Node, 3)],
        zones: &[3, 5],
        partitions: 5,
        weighted: false,
        change: (Change::DrainOne, 7),
    },
    Transfer {
        property: &[(Scope::Zone, 2), (Scope::Node, 2)],
        zones: &[2, 2, 1, 1],
        partitions: 24,
        weighted: false,
        change: (Change::DrainOne, 3),
    },
    // Where it may not pass between zones whose totals are already at their floor and ceil.
    Transfer {
        property: &[(Scope::Zone, 2), (Scope::Node, 2)],
        zones: &[1, 6, 2],
        partitions: 5,
        weighted: false,
        change: (Change::LoseOne, 2),
    },
];

impl Transfer {
    /// Its name: zones, partitions, property and weights.
    fn name(&self) -> String {
        let zones: Vec<String> = self.zones.iter().map(u32::to_string).collect();
        let weights = if self.weighted {
            ", weights 1.0, 2.0, 0.5 in turn"
        } else {
            ""
        };
        format!(
            "zones of {} hosts, {} partitions, {}{weights}",
            zones.join(", "),
            self.partitions,
            property(self.property)
        )
    }

    /// Placed from nothing, then changed once settled.
    fn rows(&self, policy: &dyn PolicyHooks) -> Vec<QualityRow> {
        let shape = ClusterShape::new(
            self.zones.to_vec(),
            self.partitions,
            property(self.property),
        );
        let mut start = generate(&shape);
        if self.weighted {
            let weights = [1.0, 2.0, 0.5].into_iter().cycle();
            for (node, weight) in start.nodes.iter_mut().zip(weights) {
                node.weight = Weight::new(weight).unwrap_or_default();
            }
        }
        let name = self.name();
        let mut rows = Vec::new();
        let placed = score(policy, &start);
        let settled = placed.as_ref().ok().map(|(_, s)| s.clone());
        rows.push(QualityRow {
            shape: format!("{name}: place from nothing"),
            result: placed.map(|(scored, _)| scored).map_err(|e| e.to_string()),
        });
        if let Some(settled) = settled {
            let (change, index) = self.change;
            let result = score(policy, &change.apply(&settled, index));
            rows.push(QualityRow {
                shape: format!("{name}, placed: {} (host {})", change.name(), index + 1),
                result: result.map(|(scored, _)| scored).map_err(|e| e.to_string()),
            });
        }
        rows
    }
}

/// The weights of the weighted shape's first zone, one per host; the other zones are
/// standard but for one host of 2.0.
const MIXED_WEIGHTS: [f64; 4] = [1.0, 2.0, 0.5, 1.0];

/// Mixed weights, placed from nothing and then with one host drained: the fair shares are
/// in proportion to the weights, so a policy that ignores them ends outside the bands.
fn weighted(policy: &dyn PolicyHooks) -> Vec<QualityRow> {
    let zone3 = property(&[(Scope::Zone, 3), (Scope::Node, 3)]);
    let mut start = generate(&ClusterShape::new(vec![4, 4, 4], PARTITIONS, zone3));
    let heavier = MIXED_WEIGHTS.into_iter().chain([1.0, 2.0]);
    for (node, weight) in start.nodes.iter_mut().zip(heavier) {
        node.weight = Weight::new(weight).unwrap_or_default();
    }
    let name = "3x4 hosts, weights 1.0, 2.0, 0.5, 1.0 in one zone and a 2.0 in another, 256 partitions, {zone: 3}";
    let row = |shape: String, start: &Snapshot| match score(policy, start) {
        Ok((scored, settled)) => (
            QualityRow {
                shape,
                result: Ok(scored),
            },
            Some(settled),
        ),
        Err(e) => (
            QualityRow {
                shape,
                result: Err(e.to_string()),
            },
            None,
        ),
    };
    let (placed, settled) = row(format!("{name}: place from nothing"), &start);
    let mut rows = vec![placed];
    if let Some(settled) = settled {
        let drained = Change::DrainOne.apply(&settled, 4);
        rows.push(row(format!("{name}, placed: drain one host"), &drained).0);
    }
    rows
}

/// A property of the scorecard, from its counts.
fn property(counts: &[(Scope, u32)]) -> Replication {
    Replication::from_counts(counts).unwrap_or_else(|e| panic!("the scorecard's property: {e}"))
}
