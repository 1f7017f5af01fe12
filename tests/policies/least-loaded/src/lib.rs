//! A second policy, genuinely different from the default, that the conformance suite certifies:
//! it takes the default's worker-state rules (`validate-transition`, `reconcile`) but places on
//! its own, greedily. Each missing replica goes to the eligible node holding the fewest
//! partitions that keeps the replication property satisfiable; replacements are
//! make-before-break (adds, then the leader move, then removals); a new leader is the replica
//! leading the fewest partitions. Replicas that may stay, stay: it balances nothing beyond that.
//!
//! Written over the model's types with `worker-policy-sdk`, loaded with `--policy` like any
//! user's module. It stays on contract 0.1.0 (`export_policy_v0_1!`, `wit/0.1.0/`): the
//! cargo-tested proof that a component built for 0.1.0 still loads, through the host's adapter,
//! and passes conformance on a 0.2.0 host. It takes no settings.

use std::collections::{BTreeMap, BTreeSet};

use worker_policy_model::snapshot::node_label;
use worker_policy_model::{
    Node, NodeId, Partition, PolicyError, Scope, Snapshot, Step, StepOp, Transition, Verdict,
    WorkerState,
};
use worker_policy_sdk::serde::Deserialize;
use worker_policy_sdk::{export_policy_v0_1, Info, Policy};

/// The least-loaded policy. It takes no settings (and contract 0.1.0 passes none).
#[derive(Debug, Default, Deserialize)]
#[serde(crate = "worker_policy_sdk::serde", deny_unknown_fields)]
pub struct LeastLoaded {}

export_policy_v0_1!(LeastLoaded);

impl Policy for LeastLoaded {
    fn info() -> Info {
        Info {
            name: "worker-policy-least-loaded".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "The default's worker-state rules; each missing replica on the least-loaded eligible node that keeps the replication property, make-before-break, leaders on the least-leading replica; no further balancing.".into(),
            settings: String::new(),
        }
    }

    fn validate_transition(
        &self,
        snapshot: &Snapshot,
        node: NodeId,
        to: WorkerState,
    ) -> Result<Verdict, PolicyError> {
        worker_policy_default::validate_transition(snapshot, node, to)
    }

    fn reconcile(&self, snapshot: &Snapshot) -> Result<Vec<Transition>, PolicyError> {
        worker_policy_default::reconcile(snapshot)
    }

    fn place(&self, snapshot: &Snapshot) -> Result<Vec<Step>, PolicyError> {
        Planner::new(snapshot).plan(true, None)
    }

    fn rebalance(
        &self,
        snapshot: &Snapshot,
        max_moves: Option<u32>,
    ) -> Result<Vec<Step>, PolicyError> {
        Planner::new(snapshot).plan(false, max_moves)
    }
}

/// The snapshot sorted by id, with the running counts the greedy choices use.
struct Planner<'a> {
    snapshot: &'a Snapshot,
    /// Eligible nodes (worker, active, alive) by id.
    eligible: BTreeMap<NodeId, &'a Node>,
    /// Partitions, sorted by id.
    partitions: Vec<&'a Partition>,
    /// Per eligible node: partitions planned on it.
    load: BTreeMap<NodeId, u32>,
    /// Per eligible node: partitions it is planned to lead.
    leads: BTreeMap<NodeId, u32>,
}

impl<'a> Planner<'a> {
    fn new(snapshot: &'a Snapshot) -> Planner<'a> {
        let eligible: BTreeMap<NodeId, &Node> = snapshot
            .nodes
            .iter()
            .filter(|n| n.is_placement_candidate())
            .map(|n| (n.id, n))
            .collect();
        let mut partitions: Vec<&Partition> = snapshot.partitions.iter().collect();
        partitions.sort_by_key(|p| p.id);
        let zero: BTreeMap<NodeId, u32> = eligible.keys().map(|&n| (n, 0)).collect();
        Planner {
            snapshot,
            eligible,
            partitions,
            load: zero.clone(),
            leads: zero,
        }
    }

    /// The steps for the unplaced partitions (`placing`) or the placed ones, at most
    /// `max_moves` added replicas; a partition the budget cuts short only gets its adds (the
    /// replicas it keeps carry them into the next round).
    fn plan(mut self, placing: bool, max_moves: Option<u32>) -> Result<Vec<Step>, PolicyError> {
        let work: Vec<&Partition> = self
            .partitions
            .iter()
            .copied()
            .filter(|p| p.is_unplaced() == placing)
            .collect();
        if work.is_empty() {
            return Ok(Vec::new());
        }
        if let Some(shortfall) = self.snapshot.shortfall_without(None) {
            return Err(PolicyError::InsufficientNodes(shortfall));
        }
        let kept: BTreeMap<u32, Vec<NodeId>> = self
            .partitions
            .iter()
            .map(|p| (p.id, self.keep(p)))
            .collect();
        for p in &self.partitions {
            let set = &kept[&p.id];
            for n in set {
                *self.load.entry(*n).or_default() += 1;
            }
            if let Some(l) = p.leader.filter(|l| set.contains(l)) {
                *self.leads.entry(l).or_default() += 1;
            }
        }
        let mut budget = max_moves;
        let mut steps = Vec::new();
        for p in work {
            let mut set = kept[&p.id].clone();
            let before = set.len();
            while set.len() < self.factor() {
                let n = self.pick(&set).ok_or_else(|| {
                    PolicyError::InvalidSnapshot(format!(
                        "no eligible node can complete the replica set of partition {}",
                        p.id
                    ))
                })?;
                set.push(n);
                *self.load.entry(n).or_default() += 1;
            }
            let adds = set.len() - before;
            let allowed = budget.map_or(adds, |left| adds.min(left as usize));
            if let Some(left) = &mut budget {
                *left -= allowed as u32;
            }
            for n in set.drain(before + allowed..) {
                *self.load.entry(n).or_default() -= 1;
            }
            self.steps_for(p, &set, before, &mut steps);
        }
        Ok(steps)
    }

    fn factor(&self) -> usize {
        self.snapshot.replication.factor() as usize
    }

    /// The replicas of `p` that stay: on eligible nodes, lowest ids first, as many as the
    /// property lets the rest of the set still be completed.
    fn keep(&self, p: &Partition) -> Vec<NodeId> {
        let mut replicas = p.replicas.clone();
        replicas.sort_unstable();
        let mut kept = Vec::new();
        for n in replicas {
            if kept.len() < self.factor() && self.eligible.contains_key(&n) && self.fits(&kept, n) {
                kept.push(n);
            }
        }
        kept
    }

    /// Whether `set` plus `n` can still reach the domains the property asks for with the
    /// replicas left to choose.
    fn fits(&self, set: &[NodeId], n: NodeId) -> bool {
        let left = self.factor() - set.len() - 1;
        [Scope::Region, Scope::Zone].into_iter().all(|scope| {
            let domains: BTreeSet<_> = set
                .iter()
                .chain([&n])
                .map(|id| self.eligible[id].domain(scope))
                .collect();
            domains.len() + left >= self.snapshot.replication.required(scope) as usize
        })
    }

    /// The least-loaded eligible node (lowest id on a tie) not in `set` that fits it.
    fn pick(&self, set: &[NodeId]) -> Option<NodeId> {
        self.eligible
            .keys()
            .copied()
            .filter(|n| !set.contains(n) && self.fits(set, *n))
            .min_by_key(|n| (self.load.get(n).copied().unwrap_or(0), *n))
    }

    /// The steps taking `p` to `set` (whose first `kept` nodes already are replicas): adds,
    /// then, once the set is complete, the leader when it must move and the removals.
    fn steps_for(&mut self, p: &Partition, set: &[NodeId], kept: usize, steps: &mut Vec<Step>) {
        for &n in &set[kept..] {
            steps.push(Step::new(
                StepOp::AddReplica,
                p.id,
                n,
                format!(
                    "{} is the least-loaded eligible node that keeps partition {}'s replication property.",
                    node_label(n),
                    p.id
                ),
            ));
        }
        if set.len() < self.factor() {
            return;
        }
        if !p.leader.is_some_and(|l| set[..kept].contains(&l)) {
            if let Some(&leader) = set
                .iter()
                .min_by_key(|n| (self.leads.get(n).copied().unwrap_or(0), **n))
            {
                *self.leads.entry(leader).or_default() += 1;
                steps.push(Step::new(
                    StepOp::SetLeader,
                    p.id,
                    leader,
                    format!(
                        "{} leads the fewest partitions among partition {}'s replicas.",
                        node_label(leader),
                        p.id
                    ),
                ));
            }
        }
        for n in p.holders().into_iter().filter(|n| !set.contains(n)) {
            steps.push(Step::new(
                StepOp::RemoveReplica,
                p.id,
                n,
                format!(
                    "{} may not keep partition {} or is not needed: its replacement is in place.",
                    node_label(n),
                    p.id
                ),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use worker_policy_model::generate::{generate, ClusterShape};
    use worker_policy_model::invariants::PlanChecker;
    use worker_policy_model::Replication;

    use super::*;

    /// Applies `steps` through the host's invariant checker.
    fn apply(snapshot: &Snapshot, steps: &[Step]) -> Snapshot {
        PlanChecker::apply_steps(snapshot.clone(), steps).unwrap_or_else(|v| panic!("{v}"))
    }

    fn cluster(placed: bool, draining: u32) -> Snapshot {
        generate(&ClusterShape {
            placed,
            draining,
            ..ClusterShape::new(
                vec![2, 2, 2],
                12,
                Replication::parse("{zone: 3, node: 3}").unwrap(),
            )
        })
    }

    #[test]
    fn places_evenly_over_zones_and_then_has_nothing_to_do() {
        let start = cluster(false, 0);
        let placed = apply(&start, &LeastLoaded::default().place(&start).unwrap());
        for n in &placed.nodes {
            assert_eq!(placed.usage(n.id).holds, 6, "{placed:?}");
            assert_eq!(placed.usage(n.id).leads, 2, "{placed:?}");
        }
        assert!(LeastLoaded::default()
            .rebalance(&placed, None)
            .unwrap()
            .is_empty());
    }

    #[test]
    fn empties_a_draining_node_adding_before_removing() {
        let start = cluster(true, 1);
        let drained = start
            .nodes
            .iter()
            .find(|n| n.worker_state == WorkerState::Draining)
            .unwrap()
            .id;
        let after = apply(
            &start,
            &LeastLoaded::default().rebalance(&start, None).unwrap(),
        );
        assert_eq!(after.usage(drained).holds, 0);
        assert_eq!(after.usage(drained).leads, 0);
        assert!(LeastLoaded::default()
            .rebalance(&after, None)
            .unwrap()
            .is_empty());
    }

    #[test]
    fn a_move_budget_spreads_a_drain_over_rounds_until_it_is_done() {
        let mut s = cluster(true, 1);
        for _ in 0..20 {
            let steps = LeastLoaded::default().rebalance(&s, Some(1)).unwrap();
            if steps.is_empty() {
                break;
            }
            assert!(steps.iter().filter(|s| s.op == StepOp::AddReplica).count() <= 1);
            s = apply(&s, &steps);
        }
        let drained = s
            .nodes
            .iter()
            .find(|n| n.worker_state == WorkerState::Draining);
        assert_eq!(s.usage(drained.unwrap().id).holds, 0);
    }
}
