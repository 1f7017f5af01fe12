//! Restate 1.7's `BalancedSpreadSelector`: one partition's replica set, as an ordered list.
//!
//! 1. The property's distinct factors, widest scope first, dropping a scope whose factor equals
//!    the wider one's; the copies are the node factor.
//! 2. One bucket per domain of the widest scope of that list (one global bucket for the node
//!    scope); inside a bucket the candidates rank by descending node score.
//! 3. Buckets are popped by picks taken so far (fewest first), then by bucket priority
//!    (highest first).
//! 4. Coverage, for regions then zones while too few are covered: a candidate that adds an
//!    uncovered domain is kept; one that does not stays on top of its bucket, whose pick count
//!    still goes up.
//! 5. Fill up to the copies from the best bucket's best candidate. (Restate also checks that
//!    the open slots can still meet the region and zone minimums; after coverage they always
//!    can, so that check never drops anyone.)
//!
//! Preferred nodes are not modelled: Restate's scheduler always passes none. Two candidates
//! with the same score (an xxh3 collision) rank by id, two buckets with the same priority by
//! their domain's name.
//!
//! Where Restate loops forever (zone coverage from region buckets when every region's best
//! remaining candidate is in a zone already covered), [`SelectError::NeverTerminates`].

use std::cmp::Reverse;
use std::collections::BTreeMap;
use std::fmt;

use worker_policy_model::replication::Shortfall;
use worker_policy_model::{NodeId, PartitionId, Scope};

use crate::candidates::Candidates;
use crate::hash::{bucket_priority, node_score};

/// Why no replica set was selected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SelectError {
    /// Too few candidates or domains: Restate's `InsufficientNodes`.
    Insufficient(Shortfall),
    /// Restate's selector would never return: every bucket's best remaining candidate is in a
    /// domain of `scope` already covered, and it goes back on top of its bucket forever.
    NeverTerminates {
        /// The partition.
        partition: PartitionId,
        /// The scope being covered.
        scope: Scope,
        /// Domains covered when it got stuck.
        covered: u32,
        /// Domains the property asks for.
        required: u32,
    },
}

impl fmt::Display for SelectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            SelectError::Insufficient(shortfall) => write!(f, "insufficient nodes: {shortfall}"),
            SelectError::NeverTerminates {
                partition,
                scope,
                covered,
                required,
            } => write!(
                f,
                "Restate 1.7's replica selector never terminates for partition {partition}: it has covered {covered} of the {required} {scope}s the property asks for, and the best remaining candidate of every region is in a {scope} already covered, so Restate puts it back on top of its region and pops it again forever; this policy refuses instead"
            ),
        }
    }
}

impl std::error::Error for SelectError {}

/// The selector of one cluster: its candidates in buckets, for any partition.
#[derive(Debug)]
pub struct Selector<'a> {
    candidates: &'a Candidates<'a>,
    /// Per bucket: its candidates (indices), and the hash of its domain.
    buckets: Vec<(Vec<usize>, u64)>,
    /// The scopes coverage runs for (region, zone), with their factors.
    coverage: Vec<(Scope, u32)>,
    /// Replicas per partition.
    copies: usize,
    /// Where the candidates fall short of the property, if they do.
    shortfall: Option<Shortfall>,
}

impl<'a> Selector<'a> {
    /// The selector over `candidates`.
    pub fn new(candidates: &'a Candidates<'a>) -> Selector<'a> {
        let replication = candidates.replication;
        let mut factors: Vec<(Scope, u32)> = Vec::new();
        for (scope, factor) in replication.scope_counts() {
            if factors.last().is_none_or(|&(_, wider)| wider != factor) {
                factors.push((scope, factor));
            }
        }
        let bucket_scope = factors.first().map_or(Scope::Node, |&(scope, _)| scope);
        // Keyed by the domain's number, so in the order of the domains' names (for ties of
        // priority); the node scope has one global bucket.
        let mut buckets: BTreeMap<u32, (Vec<usize>, u64)> = BTreeMap::new();
        for c in 0..candidates.nodes.len() {
            let key = match bucket_scope {
                Scope::Node => 0,
                scope => candidates.domain(c, scope),
            };
            buckets
                .entry(key)
                .or_insert_with(|| (Vec::new(), candidates.domain_hash(c, bucket_scope)))
                .0
                .push(c);
        }
        Selector {
            candidates,
            buckets: buckets.into_values().collect(),
            coverage: factors
                .into_iter()
                .filter(|&(scope, _)| scope != Scope::Node)
                .collect(),
            copies: replication.factor() as usize,
            shortfall: candidates.shortfall(),
        }
    }

    /// The replica set of `partition`, in the order the nodes were kept.
    pub fn select(&self, partition: PartitionId) -> Result<Vec<NodeId>, SelectError> {
        if let Some(shortfall) = self.shortfall {
            return Err(SelectError::Insufficient(shortfall));
        }
        let mut run = Run::new(self, partition);
        for &(scope, required) in &self.coverage {
            run.cover(scope, required)?;
        }
        run.fill(self.copies);
        Ok(run.kept.iter().map(|&c| self.candidates.id(c)).collect())
    }
}

/// How a bucket ranks a candidate: highest node score first, then lowest id.
type Rank = (Reverse<u64>, NodeId);

/// One bucket during a selection.
#[derive(Debug)]
struct Bucket {
    /// Its candidates with their rank keys, scored when the bucket is first looked at; the
    /// first `ordered` are the best, in order, the rest in no order (most buckets give up one
    /// or two candidates, so the rest is never sorted).
    ranked: Option<Vec<(Rank, usize)>>,
    /// How many of `ranked` are known to be the best, in order.
    ordered: usize,
    /// How many of the ranked candidates were kept (they are the first ones).
    taken: usize,
    /// Picks taken from it, kept or not.
    picks: u32,
    /// Its priority for this partition.
    priority: u64,
}

/// The state of one selection.
struct Run<'s> {
    selector: &'s Selector<'s>,
    partition: PartitionId,
    buckets: Vec<Bucket>,
    kept: Vec<usize>,
}

impl<'s> Run<'s> {
    fn new(selector: &'s Selector<'s>, partition: PartitionId) -> Run<'s> {
        let buckets = selector
            .buckets
            .iter()
            .map(|(_, hash)| Bucket {
                ranked: None,
                ordered: 0,
                taken: 0,
                picks: 0,
                priority: bucket_priority(partition, *hash),
            })
            .collect();
        Run {
            selector,
            partition,
            buckets,
            kept: Vec::new(),
        }
    }

    /// The best candidate left in bucket `b`, scoring the bucket first if needed.
    fn top(&mut self, b: usize) -> Option<usize> {
        let (members, _) = &self.selector.buckets[b];
        let partition = self.partition;
        let candidates = self.selector.candidates;
        let bucket = &mut self.buckets[b];
        let ranked = bucket.ranked.get_or_insert_with(|| {
            members
                .iter()
                .map(|&c| {
                    let id = candidates.id(c);
                    ((Reverse(node_score(partition, id)), id), c)
                })
                .collect()
        });
        if bucket.ordered <= bucket.taken {
            let rest = ranked.get_mut(bucket.taken..)?;
            let best = (0..rest.len()).min_by_key(|&i| rest[i].0)?;
            rest.swap(0, best);
            bucket.ordered = bucket.taken + 1;
        }
        ranked.get(bucket.taken).map(|&(_, c)| c)
    }

    /// The bucket to pop (with candidates left, fewest picks, then highest priority) and its
    /// best candidate.
    fn best(&mut self) -> Option<(usize, usize)> {
        let mut best: Option<usize> = None;
        for b in 0..self.buckets.len() {
            let left = self.buckets[b].taken < self.selector.buckets[b].0.len();
            let better = best.is_none_or(|a| {
                let (x, y) = (&self.buckets[b], &self.buckets[a]);
                (x.picks, Reverse(x.priority)) < (y.picks, Reverse(y.priority))
            });
            if left && better {
                best = Some(b);
            }
        }
        let b = best?;
        self.top(b).map(|c| (b, c))
    }

    /// Keeps the best candidate of bucket `b`.
    fn keep_top(&mut self, b: usize, c: usize) {
        self.kept.push(c);
        self.buckets[b].taken += 1;
    }

    /// The distinct domains of `scope` the kept candidates span.
    fn covered(&self, scope: Scope) -> Vec<u32> {
        let mut domains: Vec<u32> = self
            .kept
            .iter()
            .map(|&c| self.selector.candidates.domain(c, scope))
            .collect();
        domains.sort_unstable();
        domains.dedup();
        domains
    }

    /// The coverage phase for `scope`: until the kept candidates span `required` domains.
    fn cover(&mut self, scope: Scope, required: u32) -> Result<(), SelectError> {
        let mut covered = self.covered(scope);
        while (covered.len() as u32) < required {
            let (b, c) = self.best().ok_or(SelectError::Insufficient(Shortfall {
                scope,
                available: covered.len() as u32,
                required,
            }))?;
            let domain = self.selector.candidates.domain(c, scope);
            self.buckets[b].picks += 1;
            if covered.binary_search(&domain).is_err() {
                self.keep_top(b, c);
                covered = self.covered(scope);
            } else if self.stuck(scope, &covered) {
                return Err(SelectError::NeverTerminates {
                    partition: self.partition,
                    scope,
                    covered: covered.len() as u32,
                    required,
                });
            }
        }
        Ok(())
    }

    /// Whether no bucket's best candidate adds a domain of `scope`: the coverage loop would
    /// put them back and pop them again forever.
    fn stuck(&mut self, scope: Scope, covered: &[u32]) -> bool {
        (0..self.buckets.len()).all(|b| {
            self.top(b).is_none_or(|c| {
                covered
                    .binary_search(&self.selector.candidates.domain(c, scope))
                    .is_ok()
            })
        })
    }

    /// The fill phase: the best bucket's best candidate, until `copies` are kept.
    fn fill(&mut self, copies: usize) {
        while self.kept.len() < copies {
            let Some((b, c)) = self.best() else { return };
            self.buckets[b].picks += 1;
            self.keep_top(b, c);
        }
    }
}

#[cfg(test)]
mod tests;
