//! Every hash Restate's replica selector uses: xxh3-64 with one fixed seed, over label bytes
//! (domains) or over two little-endian `u64`s (node scores and bucket priorities). Restate
//! feeds its streaming hasher two `write_u64` calls; that equals one-shot xxh3 over the 16
//! bytes, which is what this module computes.

use worker_policy_model::{NodeId, PartitionId};
use xxhash_rust::xxh3::xxh3_64_with_seed;

/// The seed of every hash of the selector (Restate's `SALT`).
pub const SALT: u64 = 14712721395741015273;

/// The hash of a region: its label's bytes.
pub fn region_hash(region: &str) -> u64 {
    xxh3_64_with_seed(region.as_bytes(), SALT)
}

/// The hash of a zone: its region label's bytes followed by its zone label's bytes.
pub fn zone_hash(region: &str, zone: &str) -> u64 {
    let mut bytes = Vec::with_capacity(region.len() + zone.len());
    bytes.extend_from_slice(region.as_bytes());
    bytes.extend_from_slice(zone.as_bytes());
    xxh3_64_with_seed(&bytes, SALT)
}

/// The rank of `node` for `partition`: higher is picked first.
pub fn node_score(partition: PartitionId, node: NodeId) -> u64 {
    pair(u64::from(partition), u64::from(node))
}

/// The priority of the bucket of the domain hashed `domain` for `partition`: higher is popped
/// first among buckets with as many picks.
pub fn bucket_priority(partition: PartitionId, domain: u64) -> u64 {
    pair(u64::from(partition), domain)
}

/// xxh3 over `first` and `second`, little-endian, one after the other.
fn pair(first: u64, second: u64) -> u64 {
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&first.to_le_bytes());
    bytes[8..].copy_from_slice(&second.to_le_bytes());
    xxh3_64_with_seed(&bytes, SALT)
}

#[cfg(test)]
mod tests {
    use super::*;
    use xxhash_rust::xxh3::Xxh3;

    /// Restate's streaming form (`write_u64` twice on a seeded hasher) gives the same hashes.
    #[test]
    fn two_u64_writes_equal_one_shot_over_sixteen_little_endian_bytes() {
        for (p, n) in [(0u32, 1u32), (7, 12), (u32::MAX, u32::MAX)] {
            let mut streaming = Xxh3::with_seed(SALT);
            streaming.update(&u64::from(p).to_le_bytes());
            streaming.update(&u64::from(n).to_le_bytes());
            assert_eq!(streaming.digest(), node_score(p, n));
        }
    }

    #[test]
    fn the_layout_is_the_partition_then_the_second_value_little_endian() {
        let mut bytes = [0u8; 16];
        bytes[0] = 3;
        bytes[8] = 9;
        assert_eq!(node_score(3, 9), xxh3_64_with_seed(&bytes, SALT));
        assert_ne!(node_score(3, 9), node_score(9, 3));
        let domain = region_hash("eu");
        let mut bytes = [0u8; 16];
        bytes[8..].copy_from_slice(&domain.to_le_bytes());
        assert_eq!(bucket_priority(0, domain), xxh3_64_with_seed(&bytes, SALT));
    }

    #[test]
    fn a_zone_hashes_its_region_and_zone_labels_back_to_back() {
        assert_eq!(zone_hash("eu", "z0"), xxh3_64_with_seed(b"euz0", SALT));
        assert_eq!(region_hash("eu"), xxh3_64_with_seed(b"eu", SALT));
        assert_ne!(zone_hash("eu", "z0"), zone_hash("eu", "z1"));
    }
}
