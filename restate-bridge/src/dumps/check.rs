//! What a snapshot must be for Restate to have printed it: partitions numbered `0..n` in u16,
//! node ids from 1, locations of at most two labels, replicas on nodes of the cluster, unique
//! names, and freezes and leader affinities only in versions that have them.

use std::collections::BTreeSet;

use worker_policy_model::{NodeId, Partition, PartitionId};

use super::{Cluster, DumpError};

/// The most partitions a Restate partition table holds (`num_partitions` is a u16).
pub const MAX_PARTITIONS: usize = u16::MAX as usize;

/// Checks that `cluster` can be written as Restate's dumps.
pub(crate) fn check(cluster: &Cluster) -> Result<(), DumpError> {
    check_partition_ids(cluster)?;
    let nodes = check_nodes(cluster)?;
    for partition in &cluster.snapshot.partitions {
        check_members(partition, &nodes, cluster.tombstones)?;
        check_policies(partition, cluster)?;
    }
    Ok(())
}

fn check_partition_ids(cluster: &Cluster) -> Result<(), DumpError> {
    let partitions = &cluster.snapshot.partitions;
    if partitions.len() > cluster.partition_cap {
        return Err(DumpError::TooManyPartitions(partitions.len()));
    }
    let ids: BTreeSet<PartitionId> = partitions.iter().map(|p| p.id).collect();
    let expected = (0..partitions.len() as PartitionId).collect::<BTreeSet<_>>();
    if ids != expected {
        let first_gap = expected.difference(&ids).next().copied();
        return Err(DumpError::PartitionIds {
            count: partitions.len(),
            missing: first_gap,
        });
    }
    Ok(())
}

/// The snapshot's node ids, after checking them, their names and locations, and the tombstones.
fn check_nodes(cluster: &Cluster) -> Result<BTreeSet<NodeId>, DumpError> {
    let mut ids = BTreeSet::new();
    let mut names = BTreeSet::new();
    for node in &cluster.snapshot.nodes {
        if node.id == 0 || !ids.insert(node.id) {
            return Err(DumpError::NodeId(node.id));
        }
        if !node.name.is_empty() && !names.insert(node.name.as_str()) {
            return Err(DumpError::DuplicateName(node.name.clone()));
        }
        if !is_restate_location(&node.location) {
            return Err(DumpError::Location {
                node: node.id,
                location: node.location.clone(),
            });
        }
    }
    let mut tombstones = BTreeSet::new();
    for &id in cluster.tombstones {
        if id == 0 || ids.contains(&id) || !tombstones.insert(id) {
            return Err(DumpError::Tombstone(id));
        }
    }
    Ok(ids)
}

/// Whether Restate accepts `location`: empty, `region` or `region.zone`, labels without spaces
/// or colons.
fn is_restate_location(location: &str) -> bool {
    if location.is_empty() {
        return true;
    }
    let labels: Vec<&str> = location.split('.').collect();
    labels.len() <= 2
        && labels
            .iter()
            .all(|l| !l.is_empty() && !l.contains(|c: char| c == ':' || c.is_whitespace()))
}

fn check_members(
    partition: &Partition,
    nodes: &BTreeSet<NodeId>,
    tombstones: &[NodeId],
) -> Result<(), DumpError> {
    let members = partition
        .replicas
        .iter()
        .chain(partition.next.iter().flatten())
        .chain(partition.leader.iter());
    for &node in members {
        if !nodes.contains(&node) {
            return Err(DumpError::UnknownNode {
                partition: partition.id,
                node,
                tombstoned: tombstones.contains(&node),
            });
        }
    }
    Ok(())
}

fn check_policies(partition: &Partition, cluster: &Cluster) -> Result<(), DumpError> {
    let unsupported = |what| DumpError::NotInVersion {
        partition: partition.id,
        what,
        version: cluster.version,
    };
    if partition.freeze.is_some() && !cluster.version.has_placement_policy() {
        return Err(unsupported("a placement freeze"));
    }
    if partition.leader_affinity.is_some() && !cluster.version.has_leadership_policy() {
        return Err(unsupported("a leader affinity"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_are_empty_a_region_or_a_region_and_zone() {
        for good in ["", "eu", "eu.a", "ap-south-1.aps1-az2"] {
            assert!(is_restate_location(good), "{good}");
        }
        for bad in ["a.b.c", "a..b", ".a", "a.", "eu a", "eu:a"] {
            assert!(!is_restate_location(bad), "{bad}");
        }
    }
}
