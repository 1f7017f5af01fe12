//! The replication property as a test on sets of node indices: may a node join a replica set
//! that is being built, may one replica be swapped for another, may a replica be removed now.
//!
//! A replica set is valid when its nodes are distinct and span at least the required number of
//! regions and zones. While a set is being built, a node may join only if the nodes still to be
//! chosen can make up the domains that are missing; with that rule a greedy builder never paints
//! itself into a corner (the eligible nodes span enough domains, which is checked up front).

use crate::cluster::{Cluster, Ix};
use worker_policy_model::{Node, Scope};

/// The replication property, ready to test sets of node indices of one cluster.
pub(crate) struct Rules<'c> {
    cluster: &'c Cluster<'c>,
    factor: usize,
    regions: u32,
    zones: u32,
    grouping: Grouping,
}

/// The narrowest scope whose domains the property constrains (asks for two or more of them):
/// whether a node may join a set depends only on which of its domains it is in, its group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Grouping {
    Zone,
    Region,
    Whole,
}

/// How many distinct regions and zones a set of nodes spans.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Span {
    regions: u32,
    zones: u32,
}

impl<'c> Rules<'c> {
    /// The rules of `cluster`'s replication property.
    pub fn new(cluster: &'c Cluster<'c>) -> Rules<'c> {
        let r = cluster.replication;
        let (regions, zones) = (r.required(Scope::Region), r.required(Scope::Zone));
        let grouping = if zones >= 2 {
            Grouping::Zone
        } else if regions >= 2 {
            Grouping::Region
        } else {
            Grouping::Whole
        };
        Rules {
            cluster,
            factor: r.factor() as usize,
            regions,
            zones,
            grouping,
        }
    }

    /// The replication factor.
    pub fn factor(&self) -> usize {
        self.factor
    }

    /// The zone of node `n`.
    fn zone(&self, n: Ix) -> u32 {
        self.cluster.zone[n as usize]
    }

    /// How many groups there are (see [`Rules::group`]).
    pub fn groups(&self) -> usize {
        match self.grouping {
            Grouping::Zone => self.cluster.zone_region.len(),
            Grouping::Region => self
                .cluster
                .zone_region
                .iter()
                .max()
                .map_or(0, |&r| r as usize + 1),
            Grouping::Whole => 1,
        }
    }

    /// Node `n`'s group: its zone or region when the property constrains that scope, else 0.
    /// Nodes of one group are interchangeable for the property.
    pub fn group(&self, n: Ix) -> u32 {
        match self.grouping {
            Grouping::Zone => self.zone(n),
            Grouping::Region => self.cluster.region(n),
            Grouping::Whole => 0,
        }
    }

    /// The domains `set` spans.
    pub fn span(&self, set: &[Ix]) -> Span {
        let mut span = Span {
            regions: 0,
            zones: 0,
        };
        for (i, &n) in set.iter().enumerate() {
            let earlier = &set[..i];
            if !earlier.iter().any(|&m| self.zone(m) == self.zone(n)) {
                span.zones += 1;
            }
            let region = self.cluster.region(n);
            if !earlier.iter().any(|&m| self.cluster.region(m) == region) {
                span.regions += 1;
            }
        }
        span
    }

    /// Whether a node of `group` that is not in `set` may join it, when `extra` more nodes will
    /// be added after it: the missing domains must still fit in those.
    pub fn group_fits(&self, set: &[Ix], span: Span, group: u32, extra: usize) -> bool {
        let (new_zone, region) = match self.grouping {
            Grouping::Zone => (
                !set.iter().any(|&m| self.zone(m) == group),
                self.cluster.zone_region[group as usize],
            ),
            Grouping::Region => (true, group),
            Grouping::Whole => return true,
        };
        let new_region = !set.iter().any(|&m| self.cluster.region(m) == region);
        let zones = span.zones + u32::from(new_zone);
        let regions = span.regions + u32::from(new_region);
        let missing = self
            .zones
            .saturating_sub(zones)
            .max(self.regions.saturating_sub(regions));
        missing as usize <= extra
    }

    /// Whether node `n` may join `set` with `extra` more nodes to follow.
    pub fn fits(&self, set: &[Ix], n: Ix, extra: usize) -> bool {
        !set.contains(&n) && self.group_fits(set, self.span(set), self.group(n), extra)
    }

    /// Whether removing `node` from `replicas` keeps the factor and the domain spread: the
    /// model's rule ([`worker_policy_model::Replication::removal_hazard`]), the one the host's
    /// checker applies to every removal.
    pub fn removal_is_safe(&self, replicas: &[Ix], node: Ix) -> bool {
        let nodes: Vec<&Node> = replicas
            .iter()
            .map(|&n| self.cluster.nodes[n as usize])
            .collect();
        self.cluster
            .replication
            .removal_hazard(&nodes, self.cluster.id(node))
            .is_none()
    }
}
