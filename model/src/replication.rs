//! The replication property (Restate's `{region: 2, zone: 3, node: 5}` or plain `3`) and how a
//! replica set is checked against it.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::snapshot::{Domain, Node};

/// A failure-domain scope, from the widest to the narrowest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    /// The part of a location before the first dot.
    Region,
    /// The whole location.
    Zone,
    /// A single node.
    Node,
}

impl Scope {
    /// Every scope, widest first.
    pub const ALL: [Scope; 3] = [Scope::Region, Scope::Zone, Scope::Node];

    /// The scope's name, as the replication property writes it.
    pub fn name(self) -> &'static str {
        match self {
            Scope::Region => "region",
            Scope::Zone => "zone",
            Scope::Node => "node",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How many distinct domains of each scope a replica set must span. The node count is the
/// replication factor: the number of replicas of every partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Replication {
    /// Required distinct domains per scope, indexed by [`Scope`]; 0 where the property is silent.
    counts: [u32; 3],
}

/// Why a replication property is not valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplicationError {
    /// The text is not `N` or `{scope: N, ...}`.
    Syntax(String),
    /// A count is zero.
    Zero(Scope),
    /// A scope appears twice.
    Repeated(Scope),
    /// A narrower scope asks for fewer domains than a wider one.
    NotMonotone {
        /// The wider scope.
        wider: Scope,
        /// Its count.
        wider_count: u32,
        /// The narrower scope.
        narrower: Scope,
        /// Its smaller count.
        narrower_count: u32,
    },
}

impl fmt::Display for ReplicationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReplicationError::Syntax(why) => write!(
                f,
                "{why}; write a replica count such as 3, or counts per scope such as \"{{zone: 3, node: 3}}\" (scopes: region, zone, node)"
            ),
            ReplicationError::Zero(scope) => {
                write!(f, "the {scope} count is 0; every count must be at least 1")
            }
            ReplicationError::Repeated(scope) => write!(f, "the {scope} scope is given twice"),
            ReplicationError::NotMonotone {
                wider,
                wider_count,
                narrower,
                narrower_count,
            } => write!(
                f,
                "{narrower}: {narrower_count} is lower than {wider}: {wider_count}; a narrower scope needs at least as many domains as a wider one"
            ),
        }
    }
}

impl std::error::Error for ReplicationError {}

/// A replica set that does not span enough domains of a scope, or a cluster that cannot build one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shortfall {
    /// The scope that falls short.
    pub scope: Scope,
    /// Distinct domains available (or spanned).
    pub available: u32,
    /// Distinct domains required.
    pub required: u32,
}

impl fmt::Display for Shortfall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}(s) available, the replication property requires {}",
            self.available, self.scope, self.required
        )
    }
}

impl Replication {
    /// `factor` replicas on distinct nodes, with no other domain requirement.
    pub fn nodes(factor: u32) -> Result<Replication, ReplicationError> {
        Replication::from_counts(&[(Scope::Node, factor)])
    }

    /// A property from explicit counts per scope. When the node count is missing it is the
    /// largest count given, as in Restate.
    pub fn from_counts(counts: &[(Scope, u32)]) -> Result<Replication, ReplicationError> {
        if counts.is_empty() {
            return Err(ReplicationError::Syntax("no scope is given".into()));
        }
        let mut out = [0u32; 3];
        for &(scope, count) in counts {
            if count == 0 {
                return Err(ReplicationError::Zero(scope));
            }
            if out[scope.index()] != 0 {
                return Err(ReplicationError::Repeated(scope));
            }
            out[scope.index()] = count;
        }
        if out[Scope::Node.index()] == 0 {
            out[Scope::Node.index()] = out.iter().copied().max().unwrap_or(1);
        }
        let given: Vec<Scope> = Scope::ALL
            .into_iter()
            .filter(|s| out[s.index()] != 0)
            .collect();
        for pair in given.windows(2) {
            let (wider, narrower) = (pair[0], pair[1]);
            if out[narrower.index()] < out[wider.index()] {
                return Err(ReplicationError::NotMonotone {
                    wider,
                    wider_count: out[wider.index()],
                    narrower,
                    narrower_count: out[narrower.index()],
                });
            }
        }
        Ok(Replication { counts: out })
    }

    /// Parses `3` or `{region: 2, zone: 3, node: 5}` (braces optional, `=` accepted for `:`).
    pub fn parse(text: &str) -> Result<Replication, ReplicationError> {
        let text = text.trim();
        if let Ok(factor) = text.parse::<u32>() {
            return Replication::nodes(factor);
        }
        let inner = text
            .strip_prefix('{')
            .and_then(|t| t.strip_suffix('}'))
            .unwrap_or(text);
        let mut counts = Vec::new();
        for part in inner.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (scope, count) = part
                .split_once([':', '='])
                .ok_or_else(|| ReplicationError::Syntax(format!("`{part}` has no count")))?;
            let scope = Scope::ALL
                .into_iter()
                .find(|s| s.name() == scope.trim())
                .ok_or_else(|| {
                    ReplicationError::Syntax(format!("`{}` is not a scope", scope.trim()))
                })?;
            let count = count.trim().parse::<u32>().map_err(|_| {
                ReplicationError::Syntax(format!("`{}` is not a count", count.trim()))
            })?;
            counts.push((scope, count));
        }
        Replication::from_counts(&counts)
    }

    /// The number of replicas of every partition.
    pub fn factor(&self) -> u32 {
        self.counts[Scope::Node.index()]
    }

    /// The distinct domains of `scope` a replica set must span; 0 where the property is silent.
    pub fn required(&self, scope: Scope) -> u32 {
        self.counts[scope.index()]
    }

    /// The scopes the property names, widest first, with their counts.
    pub fn scope_counts(&self) -> Vec<(Scope, u32)> {
        Scope::ALL
            .into_iter()
            .filter(|s| self.counts[s.index()] != 0)
            .map(|s| (s, self.counts[s.index()]))
            .collect()
    }

    /// The most replicas of one partition that a single domain of `scope` may hold while the
    /// other required domains still get one each: `factor - required + 1`.
    pub fn per_domain_cap(&self, scope: Scope) -> u32 {
        match self.required(scope) {
            0 => self.factor(),
            k => self.factor() - k + 1,
        }
    }

    /// The first scope at which `nodes` span fewer domains than required, if any. Use it both for
    /// a replica set and for the set of all eligible workers (is the property satisfiable?).
    pub fn shortfall<'a>(
        &self,
        nodes: impl IntoIterator<Item = &'a Node> + Clone,
    ) -> Option<Shortfall> {
        Scope::ALL.into_iter().find_map(|scope| {
            let required = self.required(scope);
            let available = nodes
                .clone()
                .into_iter()
                .map(|n| n.domain(scope))
                .collect::<BTreeSet<_>>()
                .len() as u32;
            (available < required).then_some(Shortfall {
                scope,
                available,
                required,
            })
        })
    }

    /// For each of `nodes`, [`Replication::shortfall`] of the others: what losing that node
    /// alone would leave. Counted from how many of `nodes` each domain has, in time linear in
    /// `nodes` rather than a recount of the others for each.
    pub fn shortfall_without_each(&self, nodes: &[&Node]) -> Vec<Option<Shortfall>> {
        let per_domain: Vec<BTreeMap<Domain<'_>, u32>> = Scope::ALL
            .iter()
            .map(|&scope| {
                let mut counts = BTreeMap::new();
                for node in nodes {
                    *counts.entry(node.domain(scope)).or_insert(0) += 1;
                }
                counts
            })
            .collect();
        nodes
            .iter()
            .map(|lost| {
                Scope::ALL
                    .iter()
                    .zip(&per_domain)
                    .find_map(|(&scope, counts)| {
                        let alone = counts.get(&lost.domain(scope)) == Some(&1);
                        let available = counts.len() as u32 - u32::from(alone);
                        let required = self.required(scope);
                        (available < required).then_some(Shortfall {
                            scope,
                            available,
                            required,
                        })
                    })
            })
            .collect()
    }
}

impl fmt::Display for Replication {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let counts = self.scope_counts();
        if let [(Scope::Node, factor)] = counts.as_slice() {
            return write!(f, "{factor}");
        }
        let parts: Vec<String> = counts.iter().map(|(s, c)| format!("{s}: {c}")).collect();
        write!(f, "{{{}}}", parts.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shortfall_without_each_node_is_the_shortfall_of_the_others() {
        let locations = ["r1.a", "r1.a", "r1.b", "r2.c", "r2.c", "r2.d", "r3.e"];
        let nodes: Vec<Node> = (1..)
            .zip(locations)
            .map(|(id, location)| Node::worker(id, location))
            .collect();
        for property in [
            "3",
            "7",
            "8",
            "{zone: 5}",
            "{zone: 3, node: 3}",
            "{region: 3}",
            "{region: 2, zone: 4, node: 6}",
        ] {
            let replication = Replication::parse(property).unwrap();
            for count in 0..=nodes.len() {
                let given: Vec<&Node> = nodes[..count].iter().collect();
                let each = replication.shortfall_without_each(&given);
                for (at, lost) in given.iter().enumerate() {
                    let others = given.iter().copied().filter(|n| n.id != lost.id);
                    assert_eq!(
                        each[at],
                        replication.shortfall(others),
                        "{property}, {count} nodes, without N{}",
                        lost.id
                    );
                }
            }
        }
    }

    #[test]
    fn parses_plain_and_scoped_forms() {
        assert_eq!(Replication::parse("3").unwrap().factor(), 3);
        let r = Replication::parse("{zone: 3, node: 3}").unwrap();
        assert_eq!((r.required(Scope::Zone), r.factor()), (3, 3));
        let r = Replication::parse("{region: 2, zone: 3, node: 5}").unwrap();
        assert_eq!(r.to_string(), "{region: 2, zone: 3, node: 5}");
        assert_eq!(Replication::parse("{zone: 2}").unwrap().factor(), 2);
        assert_eq!(Replication::parse("3").unwrap().to_string(), "3");
    }

    #[test]
    fn rejects_bad_properties() {
        assert!(matches!(
            Replication::parse("{zone: 3, node: 2}"),
            Err(ReplicationError::NotMonotone { .. })
        ));
        assert!(matches!(
            Replication::parse("0"),
            Err(ReplicationError::Zero(Scope::Node))
        ));
        assert!(matches!(
            Replication::parse("{rack: 2}"),
            Err(ReplicationError::Syntax(_))
        ));
        assert!(matches!(
            Replication::parse("{zone: 2, zone: 3}"),
            Err(ReplicationError::Repeated(_))
        ));
        assert!(matches!(
            Replication::parse(""),
            Err(ReplicationError::Syntax(_))
        ));
    }

    #[test]
    fn per_domain_cap_leaves_room_for_the_other_domains() {
        let r = Replication::parse("{zone: 2, node: 3}").unwrap();
        assert_eq!(r.per_domain_cap(Scope::Zone), 2);
        assert_eq!(r.per_domain_cap(Scope::Node), 1);
        assert_eq!(r.per_domain_cap(Scope::Region), 3);
    }
}
