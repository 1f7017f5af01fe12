//! How unevenly a snapshot loads its eligible workers: the most replicas (and leaders) on one
//! of them over the mean, the figure CRUSH and Restate's balance are quoted in.

use std::collections::BTreeMap;

use worker_policy_model::{NodeId, Snapshot};

/// Most replicas and leaders on one eligible worker over the mean of the eligible workers
/// (0 when there is nothing to spread).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spread {
    /// Partitions held (replicas or `next` sets): max over mean.
    pub replicas: f64,
    /// Partitions led: max over mean.
    pub leaders: f64,
}

impl Spread {
    /// The spread of `snapshot` over its eligible workers (alive, active workers).
    pub fn of(snapshot: &Snapshot) -> Spread {
        let mut held: BTreeMap<NodeId, (u32, u32)> = snapshot
            .nodes
            .iter()
            .filter(|n| n.is_placement_candidate())
            .map(|n| (n.id, (0, 0)))
            .collect();
        for p in &snapshot.partitions {
            for n in p.holders() {
                if let Some(counts) = held.get_mut(&n) {
                    counts.0 += 1;
                }
            }
            if let Some(counts) = p.leader.and_then(|l| held.get_mut(&l)) {
                counts.1 += 1;
            }
        }
        Spread {
            replicas: max_over_mean(held.values().map(|c| c.0)),
            leaders: max_over_mean(held.values().map(|c| c.1)),
        }
    }
}

/// The largest of `counts` over their mean; 0 when there are none or all are 0.
pub fn max_over_mean(counts: impl IntoIterator<Item = u32>) -> f64 {
    let (mut sum, mut len, mut max) = (0u64, 0u64, 0u32);
    for c in counts {
        sum += u64::from(c);
        len += 1;
        max = max.max(c);
    }
    if sum == 0 {
        0.0
    } else {
        f64::from(max) * len as f64 / sum as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use worker_policy_model::generate::{generate, ClusterShape};
    use worker_policy_model::Replication;

    #[test]
    fn max_over_mean_is_one_when_even_and_zero_when_empty() {
        assert_eq!(max_over_mean([3, 3, 3]), 1.0);
        assert_eq!(max_over_mean([1, 2, 3]), 1.5);
        assert_eq!(max_over_mean([]), 0.0);
        assert_eq!(max_over_mean([0, 0]), 0.0);
    }

    #[test]
    fn a_striped_cluster_is_even() {
        let s = generate(&ClusterShape {
            placed: true,
            ..ClusterShape::new(vec![2, 2, 2], 6, Replication::parse("3").unwrap())
        });
        assert_eq!(
            Spread::of(&s),
            Spread {
                replicas: 1.0,
                leaders: 1.0
            }
        );
    }
}
