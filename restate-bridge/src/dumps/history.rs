//! The numbers a real cluster accumulates and a snapshot does not carry (record versions, leader
//! epochs, key ranges, timestamps), made up deterministically so that the metadata and the SQL
//! dumps of one cluster agree on them.

use std::collections::BTreeMap;

use worker_policy_model::{NodeId, Partition, Replication, Scope, Snapshot};

/// The `nodes_config` `modified_at`: a `UniqueTimestamp` above 2^53 (2026-03-11T08:30:00.250Z).
pub(crate) const NODES_CONFIG_MODIFIED_AT: u64 = 554_581_781_118_976_004;
/// The `modified_at` of every replica-set configuration, in plain unix milliseconds.
pub(crate) const CONFIGURATION_MODIFIED_AT: u64 = 1_773_217_800_250;
/// The version of the partition table.
pub(crate) const PARTITION_TABLE_VERSION: u32 = 3;

/// The versions and epoch of one partition's epoch record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PartitionHistory {
    /// `current.version`: 0 when the partition has no replicas (unassigned).
    pub current_version: u32,
    /// `next.version`, one above the current one.
    pub next_version: u32,
    /// The leader epoch: 0 without a leader.
    pub epoch: u64,
    /// The version of the epoch record itself.
    pub record_version: u32,
}

impl PartitionHistory {
    /// The made-up history of `partition`.
    pub fn of(partition: &Partition) -> PartitionHistory {
        let current_version = if partition.replicas.is_empty() {
            0
        } else {
            1 + partition.id % 3
        };
        let epoch = match partition.leader {
            Some(_) => 2 + u64::from(partition.id % 7),
            None => 0,
        };
        PartitionHistory {
            current_version,
            next_version: current_version + 1,
            epoch,
            record_version: current_version + 1 + (epoch as u32),
        }
    }
}

/// The `nodes_config` version of a cluster with `entries` nodes and tombstones: one write per
/// join and one per worker-state change, roughly.
pub(crate) fn nodes_config_version(entries: usize) -> u32 {
    u32::try_from(entries).map_or(u32::MAX, |n| n.saturating_mul(2).saturating_add(1))
}

/// Partition `index`'s inclusive key range out of `count` equal ones over the whole u64 space:
/// `start = ceil(i * 2^64 / n)`, `end = ceil((i + 1) * 2^64 / n) - 1` (notes §7).
pub(crate) fn key_range(index: u32, count: u32) -> (u64, u64) {
    let boundary = |i: u32| -> u128 {
        let numerator = u128::from(i) << 64;
        numerator.div_ceil(u128::from(count))
    };
    let start = boundary(index) as u64;
    // The last boundary is 2^64, so the end is at most u64::MAX.
    let end = (boundary(index + 1) - 1) as u64;
    (start, end)
}

/// The replication property as Restate displays it: only the scopes it defines, in the order
/// node, zone, region (`{node: 3, zone: 3}`).
pub(crate) fn replication_display(replication: &Replication) -> String {
    let counts = replication.scope_counts();
    let parts: Vec<String> = [Scope::Node, Scope::Zone, Scope::Region]
        .into_iter()
        .filter_map(|scope| {
            counts
                .iter()
                .find(|(s, _)| *s == scope)
                .map(|(s, c)| format!("{s}: {c}"))
        })
        .collect();
    format!("{{{}}}", parts.join(", "))
}

/// A position for `id` in a scrambled but fixed order, as a hash map would print it.
pub(crate) fn scrambled(id: u32) -> u64 {
    let mut x = u64::from(id).wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// The whole `next` replica set Restate holds: the replicas, then the pending members.
pub(crate) fn next_set(partition: &Partition) -> Option<Vec<NodeId>> {
    partition.next.as_ref().map(|_| {
        let mut set = partition.replicas.clone();
        set.extend(partition.pending_next());
        set
    })
}

/// Every node's generation, by id.
pub(crate) fn generations(snapshot: &Snapshot) -> BTreeMap<NodeId, u32> {
    snapshot
        .nodes
        .iter()
        .map(|n| (n.id, n.generation))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_ranges_are_the_equal_ranges_of_the_notes() {
        assert_eq!(key_range(0, 12), (0, 1_537_228_672_809_129_301));
        assert_eq!(key_range(11, 12).1, u64::MAX);
        assert_eq!(key_range(0, 1), (0, u64::MAX));
        for n in [1, 3, 7, 12, 1000] {
            for i in 1..n {
                assert_eq!(
                    key_range(i, n).0,
                    key_range(i - 1, n).1 + 1,
                    "n = {n}, i = {i}"
                );
            }
        }
    }

    #[test]
    fn replication_displays_node_first_then_zone_then_region() {
        let shown = |text| replication_display(&Replication::parse(text).unwrap());
        assert_eq!(shown("3"), "{node: 3}");
        assert_eq!(shown("{zone: 3, node: 3}"), "{node: 3, zone: 3}");
        assert_eq!(
            shown("{region: 2, zone: 3, node: 5}"),
            "{node: 5, zone: 3, region: 2}"
        );
    }

    #[test]
    fn a_partition_without_replicas_is_unassigned_and_one_without_leader_has_epoch_zero() {
        let unassigned = PartitionHistory::of(&Partition::placed(4, &[], None));
        assert_eq!((unassigned.current_version, unassigned.epoch), (0, 0));
        let led = PartitionHistory::of(&Partition::placed(4, &[1, 2], Some(1)));
        assert!(led.current_version >= 1 && led.epoch >= 1);
        assert_eq!(led.next_version, led.current_version + 1);
    }
}
