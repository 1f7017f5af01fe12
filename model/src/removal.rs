//! Whether one replica may be removed now: the replica floor and the domain spread, judged on
//! the replicas that serve. The host's invariant checker and the default policy (when a move
//! budget cuts a replacement short) both ask this one function.

use std::collections::BTreeSet;
use std::fmt;

use crate::replication::{Replication, Scope};
use crate::snapshot::{Node, NodeId};

/// What removing a replica would break.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemovalHazard {
    /// Fewer serving replicas than the replication factor would remain.
    BelowFloor {
        /// Serving replicas that would remain.
        remaining: usize,
        /// The replication factor.
        factor: u32,
    },
    /// The serving replicas would span fewer domains of `scope` than the property asks.
    NarrowerSpread {
        /// The scope.
        scope: Scope,
        /// Domains the serving replicas would span.
        keeps: u32,
        /// Domains the property asks for.
        required: u32,
    },
}

impl fmt::Display for RemovalHazard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            RemovalHazard::BelowFloor { remaining, factor } => write!(
                f,
                "{remaining} serving replica(s) would remain, the replication factor is {factor}"
            ),
            RemovalHazard::NarrowerSpread {
                scope,
                keeps,
                required,
            } => write!(
                f,
                "the replicas would span {keeps} {scope}(s), the property asks for {required}"
            ),
        }
    }
}

impl Replication {
    /// What removing `node`'s replica from a set whose replicas are `replicas` would break, if
    /// anything. Counting only replicas on nodes that serve them, a removal may not take the
    /// count below the factor nor the region or zone spread below the property, unless it does
    /// not lower them at all (a replica on a dead node may always go).
    pub fn removal_hazard(&self, replicas: &[&Node], node: NodeId) -> Option<RemovalHazard> {
        let serving = |n: &Node| n.serves_replicas();
        let remaining = |n: &Node| n.serves_replicas() && n.id != node;
        let before = replicas.iter().filter(|n| serving(n)).count();
        let after = replicas.iter().filter(|n| remaining(n)).count();
        let factor = self.factor();
        if after < before && after < factor as usize {
            return Some(RemovalHazard::BelowFloor {
                remaining: after,
                factor,
            });
        }
        [Scope::Region, Scope::Zone].into_iter().find_map(|scope| {
            let required = self.required(scope);
            if required == 0 {
                return None;
            }
            let had = distinct_domains(replicas, scope, serving);
            let keeps = distinct_domains(replicas, scope, remaining);
            (keeps < had && keeps < required).then_some(RemovalHazard::NarrowerSpread {
                scope,
                keeps,
                required,
            })
        })
    }
}

/// Sets at most this large count their domains by comparing pairs, without allocating.
const PAIRWISE_UP_TO: usize = 16;

/// How many distinct domains of `scope` the nodes of `nodes` that `counts` accepts span.
fn distinct_domains(nodes: &[&Node], scope: Scope, counts: impl Fn(&Node) -> bool) -> u32 {
    if nodes.len() > PAIRWISE_UP_TO {
        let domains: BTreeSet<_> = nodes
            .iter()
            .filter(|n| counts(n))
            .map(|n| n.domain(scope))
            .collect();
        return domains.len() as u32;
    }
    let first_of_its_domain = |(i, n): &(usize, &&Node)| {
        let domain = n.domain(scope);
        !nodes[..*i]
            .iter()
            .any(|earlier| counts(earlier) && earlier.domain(scope) == domain)
    };
    nodes
        .iter()
        .enumerate()
        .filter(|(_, n)| counts(n))
        .filter(first_of_its_domain)
        .count() as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(id: NodeId, location: &str, alive: bool) -> Node {
        Node {
            alive,
            ..Node::worker(id, location)
        }
    }

    #[test]
    fn the_floor_counts_serving_replicas_only() {
        let r = Replication::parse("3").unwrap();
        let (a, b, c, d) = (
            node(1, "", true),
            node(2, "", true),
            node(3, "", true),
            node(4, "", false),
        );
        assert_eq!(
            r.removal_hazard(&[&a, &b, &c, &d], 4),
            None,
            "a dead replica may go"
        );
        assert_eq!(
            r.removal_hazard(&[&a, &b, &c, &d], 1),
            Some(RemovalHazard::BelowFloor {
                remaining: 2,
                factor: 3
            })
        );
        let under = [&a, &b, &d];
        assert!(r.removal_hazard(&under, 2).is_some());
        assert_eq!(
            r.removal_hazard(&under, 9),
            None,
            "a non-member lowers nothing"
        );
    }

    #[test]
    fn the_spread_may_not_drop_below_the_property() {
        let r = Replication::parse("{zone: 2, node: 2}").unwrap();
        let (a, b, c) = (
            node(1, "r.a", true),
            node(2, "r.a", true),
            node(3, "r.b", true),
        );
        assert_eq!(r.removal_hazard(&[&a, &b, &c], 1), None);
        let hazard = r.removal_hazard(&[&a, &b, &c], 3).unwrap();
        assert_eq!(
            hazard.to_string(),
            "the replicas would span 1 zone(s), the property asks for 2"
        );
    }

    #[test]
    fn large_and_small_sets_count_domains_alike() {
        let nodes: Vec<Node> = (0..40)
            .map(|id| node(id, &format!("r{}.z{}", id % 3, id % 7), id % 5 != 0))
            .collect();
        let all: Vec<&Node> = nodes.iter().collect();
        for len in [3, 9, 16, 17, 40] {
            let set = &all[..len];
            for scope in [Scope::Region, Scope::Zone] {
                let alive = |n: &Node| n.alive;
                let expected = set
                    .iter()
                    .filter(|n| n.alive)
                    .map(|n| n.domain(scope))
                    .collect::<BTreeSet<_>>()
                    .len() as u32;
                assert_eq!(
                    distinct_domains(set, scope, alive),
                    expected,
                    "{len} {scope}"
                );
            }
        }
    }
}
