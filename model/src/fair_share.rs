//! The fair share of replicas each eligible node should hold: the water-filling ideal under the
//! domain constraint, and the floor..ceil band that counts as balanced.
//!
//! Replicas are poured evenly over the eligible nodes; a domain (region, zone, node) cannot hold
//! more than `per_domain_cap` replicas of one partition, so it fills up at that many times the
//! partition count and the rest flows to the other domains. With equal zones this is P*RF/N.

use std::collections::BTreeMap;

use crate::replication::{Replication, Scope};
use crate::snapshot::{Node, NodeId};

/// Slack for floating-point error when rounding a share to its band.
const EPSILON: f64 = 1e-9;

/// The band of whole replica counts that counts as balanced for a share.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Band {
    /// floor(share).
    pub floor: u32,
    /// ceil(share).
    pub ceil: u32,
}

impl Band {
    /// The band around a real-valued share.
    pub fn of(share: f64) -> Band {
        Band {
            floor: (share + EPSILON).floor() as u32,
            ceil: (share - EPSILON).ceil().max(0.0) as u32,
        }
    }

    /// Whether `count` is inside the band.
    pub fn contains(self, count: u32) -> bool {
        (self.floor..=self.ceil).contains(&count)
    }
}

/// The fair share of replicas of every node in `eligible`, for `partitions` partitions placed
/// under `replication`. Sorted by node id.
pub fn replica_shares(
    replication: &Replication,
    eligible: &[&Node],
    partitions: u32,
) -> BTreeMap<NodeId, f64> {
    let total = f64::from(partitions) * f64::from(replication.factor());
    let mut shares = BTreeMap::new();
    let group: Vec<&Node> = eligible.to_vec();
    pour(
        replication,
        &group,
        Scope::Region,
        total,
        f64::from(partitions),
        &mut shares,
    );
    shares
}

/// The fair share of leaderships: every placed partition's leader spread evenly over `eligible`.
pub fn leader_share(eligible: usize, partitions: u32) -> f64 {
    if eligible == 0 {
        0.0
    } else {
        f64::from(partitions) / eligible as f64
    }
}

/// Pours `amount` replicas over `nodes`, splitting them into domains of `scope` first.
fn pour(
    replication: &Replication,
    nodes: &[&Node],
    scope: Scope,
    amount: f64,
    partitions: f64,
    shares: &mut BTreeMap<NodeId, f64>,
) {
    if scope == Scope::Node {
        for n in nodes {
            shares.insert(n.id, amount / nodes.len() as f64);
        }
        return;
    }
    let mut domains: BTreeMap<_, Vec<&Node>> = BTreeMap::new();
    for n in nodes {
        domains.entry(n.domain(scope)).or_default().push(n);
    }
    let narrower = if scope == Scope::Region {
        Scope::Zone
    } else {
        Scope::Node
    };
    let groups: Vec<(f64, Vec<&Node>)> = domains
        .into_values()
        .map(|group| (capacity(replication, &group, scope, partitions), group))
        .collect();
    let weights: Vec<(f64, f64)> = groups
        .iter()
        .map(|(cap, g)| (*cap, g.len() as f64))
        .collect();
    let level = water_level(&weights, amount);
    for ((cap, group), _) in groups.iter().zip(&weights) {
        let part = cap.min(level * group.len() as f64);
        pour(replication, group, narrower, part, partitions, shares);
    }
}

/// The most replicas a domain of `scope` made of `nodes` can hold.
fn capacity(replication: &Replication, nodes: &[&Node], scope: Scope, partitions: f64) -> f64 {
    let own = f64::from(replication.per_domain_cap(scope)) * partitions;
    let inner = match scope {
        Scope::Region => {
            let mut zones: BTreeMap<_, Vec<&Node>> = BTreeMap::new();
            for n in nodes {
                zones.entry(n.domain(Scope::Zone)).or_default().push(n);
            }
            zones
                .values()
                .map(|z| capacity(replication, z, Scope::Zone, partitions))
                .sum()
        }
        _ => nodes.len() as f64 * partitions,
    };
    own.min(inner)
}

/// The level L with sum(min(cap, weight * L)) == amount, or the level that fills every cap.
fn water_level(groups: &[(f64, f64)], amount: f64) -> f64 {
    let mut by_saturation: Vec<(f64, f64)> = groups.iter().map(|&(cap, w)| (cap / w, w)).collect();
    by_saturation.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut remaining = amount;
    let mut open_weight: f64 = groups.iter().map(|g| g.1).sum();
    for (saturation, weight) in by_saturation {
        if remaining <= saturation * open_weight {
            return remaining / open_weight;
        }
        remaining -= saturation * weight;
        open_weight -= weight;
    }
    f64::INFINITY
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::{Roles, WorkerState};

    fn node(id: NodeId, location: &str) -> Node {
        Node {
            id,
            generation: 1,
            name: format!("n{id}"),
            address: String::new(),
            location: location.into(),
            roles: Roles::WORKER,
            worker_state: WorkerState::Active,
            alive: true,
        }
    }

    fn shares(property: &str, zones: &[usize], partitions: u32) -> Vec<f64> {
        let mut nodes = Vec::new();
        for (z, &count) in zones.iter().enumerate() {
            for _ in 0..count {
                nodes.push(node(nodes.len() as u32 + 1, &format!("r.z{z}")));
            }
        }
        let refs: Vec<&Node> = nodes.iter().collect();
        replica_shares(&Replication::parse(property).unwrap(), &refs, partitions)
            .into_values()
            .collect()
    }

    #[test]
    fn equal_zones_share_evenly() {
        let s = shares("{zone: 3, node: 3}", &[4, 4, 4], 10_000);
        assert!(s.iter().all(|&x| (x - 2500.0).abs() < 1e-6), "{s:?}");
    }

    #[test]
    fn a_small_zone_fills_up_to_one_replica_per_partition() {
        // 5, 3 and 2 nodes, every partition in all three zones: each zone holds exactly P.
        let s = shares("{zone: 3, node: 3}", &[5, 3, 2], 300);
        assert!(
            (s[0] - 60.0).abs() < 1e-6
                && (s[5] - 100.0).abs() < 1e-6
                && (s[8] - 150.0).abs() < 1e-6,
            "{s:?}"
        );
    }

    #[test]
    fn more_zones_than_replicas_caps_the_small_zones_only() {
        // 5 zones, RF 3: zone of 4 nodes capped at P, the rest even.
        let s = shares("{zone: 3, node: 3}", &[4, 1, 1, 1, 1], 100);
        let total: f64 = s.iter().sum();
        assert!((total - 300.0).abs() < 1e-6);
        assert!((s[0] - 25.0).abs() < 1e-6, "{s:?}");
        assert!((s[4] - 50.0).abs() < 1e-6, "{s:?}");
    }

    #[test]
    fn band_tolerates_rounding() {
        assert_eq!(
            Band::of(2_500.000_000_000_1),
            Band {
                floor: 2500,
                ceil: 2500
            }
        );
        assert_eq!(
            Band::of(303.03),
            Band {
                floor: 303,
                ceil: 304
            }
        );
    }
}
