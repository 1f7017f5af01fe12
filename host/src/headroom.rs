//! Headroom after a change: the failure domains where one more node loss would leave the
//! replication property unsatisfiable (a zone or region down to the workers it cannot spare, or
//! a cluster down to the node count the property needs), and the nodes that hold more than
//! twice the mean replica count of the eligible workers (weighted: twice their share, where
//! nodes have weights). A pure function of a snapshot, for the
//! operator tools to print after the change they plan.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use worker_policy_model::replication::Shortfall;
use worker_policy_model::snapshot::NodeLabel;
use worker_policy_model::{NodeId, Scope, Snapshot};

/// How far above the mean replica count a node may hold before it is named.
pub const OVERLOAD_FACTOR: f64 = 2.0;

/// One place where the cluster has no headroom left.
#[derive(Debug, Clone, PartialEq)]
pub enum Headroom {
    /// Losing any one eligible worker of a domain would leave the property unsatisfiable.
    LastFailure {
        /// The scope that would fall short: a region or zone, or the node count (the cluster).
        scope: Scope,
        /// The region or zone; empty for the node count.
        domain: String,
        /// Its eligible workers, by id.
        workers: Vec<NodeId>,
        /// Replicas those workers hold.
        replicas: u32,
        /// Placed partitions in the cluster.
        partitions: u32,
        /// What one more loss there would leave.
        shortfall: Shortfall,
    },
    /// A node holds more than [`OVERLOAD_FACTOR`] times the mean replica count of the eligible
    /// workers, scaled by its weight (the mean itself at the standard weight).
    Overloaded {
        /// The node.
        node: NodeId,
        /// Replicas it holds.
        replicas: u32,
        /// The mean replica count of the eligible workers, times the node's weight over their
        /// mean weight.
        mean: f64,
    },
}

impl fmt::Display for Headroom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Headroom::LastFailure {
                scope,
                domain,
                workers,
                replicas,
                partitions,
                shortfall,
            } => {
                let place = match scope {
                    Scope::Node => "the cluster".to_string(),
                    _ => format!("{scope} {domain}"),
                };
                let names: Vec<String> = workers.iter().map(|&n| NodeLabel(n).to_string()).collect();
                write!(
                    f,
                    "{place} keeps {} eligible worker(s) ({}) holding {replicas} replica(s) of {partitions} placed partition(s): one more node lost there leaves {shortfall}",
                    workers.len(),
                    names.join(", ")
                )
            }
            Headroom::Overloaded {
                node,
                replicas,
                mean,
            } => write!(
                f,
                "{} holds {replicas} replica(s), {:.2} times the mean of {mean:.2} per eligible worker (more than {OVERLOAD_FACTOR})",
                NodeLabel(*node),
                f64::from(*replicas) / mean
            ),
        }
    }
}

/// Where `snapshot` has no headroom left: first each domain (by scope, then name) where one
/// more eligible worker lost would leave the replication property unsatisfiable, then each
/// eligible worker (by id) above twice the mean replica count. Empty when the property is
/// unsatisfiable already (there is no headroom to measure) or everything has room.
pub fn headroom(snapshot: &Snapshot) -> Vec<Headroom> {
    let eligible: Vec<_> = snapshot
        .nodes
        .iter()
        .filter(|n| n.is_placement_candidate())
        .collect();
    if snapshot
        .replication
        .shortfall(eligible.iter().copied())
        .is_some()
    {
        return Vec::new();
    }
    // Counted once for every node: a large cluster has thousands of eligible workers.
    let holds: HashMap<NodeId, u32> = snapshot
        .nodes
        .iter()
        .zip(snapshot.usage_by_node())
        .map(|(node, usage)| (node.id, usage.holds))
        .collect();
    let held = |id: NodeId| holds.get(&id).copied().unwrap_or(0);
    let partitions = snapshot
        .partitions
        .iter()
        .filter(|p| !p.is_unplaced())
        .count() as u32;
    let mut edges: BTreeMap<(Scope, String), (Vec<NodeId>, Shortfall)> = BTreeMap::new();
    let shortfalls = snapshot.replication.shortfall_without_each(&eligible);
    for (lost, shortfall) in eligible.iter().zip(shortfalls) {
        let Some(shortfall) = shortfall else {
            continue;
        };
        let domain = match shortfall.scope {
            Scope::Region => lost.region().to_string(),
            Scope::Zone => lost.zone().to_string(),
            Scope::Node => String::new(),
        };
        let entry = edges
            .entry((shortfall.scope, domain))
            .or_insert_with(|| (Vec::new(), shortfall));
        entry.0.push(lost.id);
    }
    let mut out: Vec<Headroom> = edges
        .into_iter()
        .map(|((scope, domain), (mut workers, shortfall))| {
            workers.sort_unstable();
            Headroom::LastFailure {
                scope,
                domain,
                replicas: workers.iter().map(|&w| held(w)).sum(),
                workers,
                partitions,
                shortfall,
            }
        })
        .collect();
    let total: u32 = eligible.iter().map(|n| held(n.id)).sum();
    if total > 0 {
        let weights: f64 = eligible.iter().map(|n| n.weight.value()).sum();
        let mut by_id = eligible.clone();
        by_id.sort_unstable_by_key(|n| n.id);
        out.extend(by_id.into_iter().filter_map(|node| {
            let replicas = held(node.id);
            let mean = f64::from(total) * node.weight.value() / weights;
            (f64::from(replicas) > OVERLOAD_FACTOR * mean).then_some(Headroom::Overloaded {
                node: node.id,
                replicas,
                mean,
            })
        }));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use worker_policy_model::{Node, Partition, Replication, WorkerState};

    /// `{zone: 3, node: 3}` over zones a (1, 2), b (3, 4), c (5, 6); 6 partitions on 1, 3, 5.
    fn cluster() -> Snapshot {
        Snapshot {
            replication: Replication::parse("{zone: 3, node: 3}").unwrap(),
            nodes: [(1, "a"), (2, "a"), (3, "b"), (4, "b"), (5, "c"), (6, "c")]
                .into_iter()
                .map(|(id, zone)| Node::worker(id, zone))
                .collect(),
            partitions: (0..6)
                .map(|id| Partition::placed(id, &[1, 3, 5], Some(1)))
                .collect(),
        }
    }

    #[test]
    fn a_zone_down_to_one_worker_is_named_with_its_replicas() {
        let mut s = cluster();
        s.nodes[3].worker_state = WorkerState::Draining;
        let found = headroom(&s);
        assert_eq!(
            found[0],
            Headroom::LastFailure {
                scope: Scope::Zone,
                domain: "b".into(),
                workers: vec![3],
                replicas: 6,
                partitions: 6,
                shortfall: Shortfall {
                    scope: Scope::Zone,
                    available: 2,
                    required: 3
                },
            }
        );
        assert_eq!(
            found[0].to_string(),
            "zone b keeps 1 eligible worker(s) (N3) holding 6 replica(s) of 6 placed partition(s): one more node lost there leaves 2 zone(s) available, the replication property requires 3"
        );
        assert_eq!(found.len(), 1, "{found:?}");
    }

    #[test]
    fn a_node_above_twice_the_mean_is_named() {
        let mut s = cluster();
        for p in &mut s.partitions[..3] {
            p.replicas = vec![2, 4, 6];
        }
        // Every node holds 3 of 18: no headroom missing.
        assert_eq!(headroom(&s), []);
        s.partitions.push(Partition::placed(6, &[1, 3, 5], Some(1)));
        s.nodes.extend((7..=12).map(|id| Node::worker(id, "c")));
        let found = headroom(&s);
        let named: Vec<String> = found.iter().map(ToString::to_string).collect();
        assert_eq!(named.len(), 3, "{named:?}");
        assert!(
            named[0].starts_with("N1 holds 4 replica(s), 2.29 times the mean of 1.75"),
            "{named:?}"
        );
        // A node weighted to hold more is measured against its weighted share.
        s.nodes[0].weight = crate::model::Weight::new(2.0).unwrap();
        let found = headroom(&s);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(!found
            .iter()
            .any(|h| matches!(h, Headroom::Overloaded { node: 1, .. })));
    }

    #[test]
    fn a_cluster_at_its_node_count_and_an_unsatisfiable_one() {
        let mut s = cluster();
        s.replication = Replication::nodes(5).unwrap();
        s.nodes[5].worker_state = WorkerState::Disabled;
        let found = headroom(&s);
        assert!(
            found[0]
                .to_string()
                .starts_with("the cluster keeps 5 eligible worker(s) (N1, N2, N3, N4, N5)"),
            "{found:?}"
        );
        s.nodes[4].worker_state = WorkerState::Disabled;
        assert_eq!(headroom(&s), []);
    }
}
