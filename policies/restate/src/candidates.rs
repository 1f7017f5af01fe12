//! The nodes Restate's selector may pick (its `worker_candidate_filter`), with their failure
//! domains: an alive worker whose state is active and that carries a location label at every
//! scope the replication property names (`region.zone`; a single label is a region).

use worker_policy_model::replication::Shortfall;
use worker_policy_model::{Node, NodeId, Replication, Scope, Snapshot};

use crate::hash::{region_hash, zone_hash};

/// A node's location labels: the region before the first dot, the zone after it; an empty
/// part is no label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Labels<'a> {
    /// The region label.
    pub region: Option<&'a str>,
    /// The zone label.
    pub zone: Option<&'a str>,
}

impl<'a> Labels<'a> {
    /// The labels of `location`.
    pub fn of(location: &'a str) -> Labels<'a> {
        let (region, zone) = location.split_once('.').unwrap_or((location, ""));
        let label = |s: &'a str| (!s.is_empty()).then_some(s);
        Labels {
            region: label(region),
            zone: label(zone),
        }
    }
}

/// The candidates of a snapshot, sorted by id, each with its domains numbered densely.
#[derive(Debug)]
pub struct Candidates<'a> {
    /// The replication property.
    pub replication: Replication,
    /// The candidate nodes, sorted by id.
    pub nodes: Vec<&'a Node>,
    /// Per candidate: its region, numbered among the candidates' regions.
    pub region: Vec<u32>,
    /// Per candidate: its zone, numbered among the candidates' zones.
    pub zone: Vec<u32>,
    /// Per candidate: the hash of its region.
    pub region_hash: Vec<u64>,
    /// Per candidate: the hash of its zone.
    pub zone_hash: Vec<u64>,
}

impl<'a> Candidates<'a> {
    /// The candidates of `snapshot`.
    pub fn new(snapshot: &'a Snapshot) -> Candidates<'a> {
        let replication = snapshot.replication;
        let mut nodes: Vec<&Node> = snapshot
            .nodes
            .iter()
            .filter(|n| is_candidate(n, &replication))
            .collect();
        nodes.sort_by_key(|n| n.id);
        let labels: Vec<Labels<'_>> = nodes.iter().map(|n| Labels::of(&n.location)).collect();
        let region_hash = labels
            .iter()
            .map(|l| region_hash(l.region.unwrap_or("")))
            .collect();
        let zone_hash = labels
            .iter()
            .map(|l| zone_hash(l.region.unwrap_or(""), l.zone.unwrap_or("")))
            .collect();
        Candidates {
            replication,
            region: number(nodes.iter().map(|n| n.region())),
            zone: number(nodes.iter().map(|n| n.zone())),
            nodes,
            region_hash,
            zone_hash,
        }
    }

    /// The node id of candidate `c`.
    pub fn id(&self, c: usize) -> NodeId {
        self.nodes[c].id
    }

    /// The domain of candidate `c` at `scope` (region or zone), numbered.
    pub fn domain(&self, c: usize, scope: Scope) -> u32 {
        match scope {
            Scope::Region => self.region[c],
            Scope::Zone => self.zone[c],
            Scope::Node => c as u32,
        }
    }

    /// The hash of the domain of candidate `c` at `scope`; 0 for the node scope, whose one
    /// global bucket needs no priority.
    pub fn domain_hash(&self, c: usize, scope: Scope) -> u64 {
        match scope {
            Scope::Region => self.region_hash[c],
            Scope::Zone => self.zone_hash[c],
            Scope::Node => 0,
        }
    }

    /// Where the candidates fall short of the replication property, if they do: Restate's
    /// `InsufficientNodes`.
    pub fn shortfall(&self) -> Option<Shortfall> {
        self.replication.shortfall(self.nodes.iter().copied())
    }
}

/// Whether Restate's selector may pick `node` under `replication`.
pub fn is_candidate(node: &Node, replication: &Replication) -> bool {
    let labels = Labels::of(&node.location);
    node.is_placement_candidate()
        && (replication.required(Scope::Region) == 0 || labels.region.is_some())
        && (replication.required(Scope::Zone) == 0 || labels.zone.is_some())
}

/// Numbers the distinct names of `names` in the order of the names: each item's number.
fn number<'n>(names: impl Iterator<Item = &'n str> + Clone) -> Vec<u32> {
    let mut distinct: Vec<&str> = names.clone().collect();
    distinct.sort_unstable();
    distinct.dedup();
    names
        .map(|name| distinct.binary_search(&name).unwrap_or(0) as u32)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{node, snapshot};
    use worker_policy_model::{Roles, WorkerState};

    #[test]
    fn labels_split_at_the_first_dot_and_a_single_label_is_a_region() {
        let labels = |l| {
            let l = Labels::of(l);
            (l.region, l.zone)
        };
        assert_eq!(labels("eu.z0"), (Some("eu"), Some("z0")));
        assert_eq!(labels("eu"), (Some("eu"), None));
        assert_eq!(labels(""), (None, None));
        assert_eq!(labels("eu.a.b"), (Some("eu"), Some("a.b")));
    }

    #[test]
    fn candidates_are_alive_active_workers_labelled_at_every_scope_named() {
        let mut nodes = vec![
            node(5, "eu.z1", WorkerState::Active),
            node(1, "eu.z0", WorkerState::Active),
            node(2, "eu", WorkerState::Active),
            node(3, "eu.z0", WorkerState::Draining),
            node(4, "eu.z1", WorkerState::Active),
            node(6, "eu.z2", WorkerState::Active),
        ];
        nodes[4].alive = false;
        nodes[5].roles = Roles::ADMIN;
        let ids = |property| {
            let s = snapshot(property, nodes.clone(), vec![]);
            let c = Candidates::new(&s);
            (0..c.nodes.len()).map(|i| c.id(i)).collect::<Vec<_>>()
        };
        assert_eq!(ids("{zone: 2, node: 2}"), [1, 5]);
        assert_eq!(ids("{region: 1, node: 2}"), [1, 2, 5]);
        assert_eq!(ids("2"), [1, 2, 5]);
    }

    #[test]
    fn domains_are_numbered_and_hashed_from_the_labels() {
        let s = snapshot(
            "{zone: 2, node: 2}",
            vec![
                node(1, "eu.b", WorkerState::Active),
                node(2, "eu.a", WorkerState::Active),
                node(3, "us.a", WorkerState::Active),
            ],
            vec![],
        );
        let c = Candidates::new(&s);
        assert_eq!(c.zone, [1, 0, 2]);
        assert_eq!(c.region, [0, 0, 1]);
        assert_eq!(c.domain_hash(2, Scope::Zone), zone_hash("us", "a"));
        assert_eq!(c.domain_hash(2, Scope::Region), region_hash("us"));
        assert_eq!(c.shortfall(), None);
    }
}
