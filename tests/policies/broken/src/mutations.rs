//! The bugs, one per cargo feature, each named after what it does and commented with the
//! property it breaks. A mutation overrides only the hooks it breaks; the others are the
//! default policy's.

use std::collections::BTreeSet;

use worker_policy_default as default;
use worker_policy_model::invariants::{Invariant, PlanChecker};
use worker_policy_model::replication::Shortfall;
use worker_policy_model::{
    LeaderAffinity, NodeId, Partition, PartitionId, PolicyError, Replication, Roles, Scope,
    Snapshot, Step, StepOp, Transition, Verdict, WorkerState,
};

/// How a bug changes the default policy's answers; every method leaves them as they are unless
/// a mutation overrides it.
pub trait Mutation: Sync {
    /// The verdict of `validate-transition`, given the default's.
    fn verdict(
        &self,
        _snapshot: &Snapshot,
        _node: NodeId,
        _to: WorkerState,
        verdict: Verdict,
    ) -> Verdict {
        verdict
    }

    /// The transitions of `reconcile`, given the default's.
    fn transitions(&self, _snapshot: &Snapshot, transitions: Vec<Transition>) -> Vec<Transition> {
        transitions
    }

    /// The answer to `place`.
    fn place(&self, snapshot: &Snapshot) -> Result<Vec<Step>, PolicyError> {
        self.steps(snapshot, default::place(snapshot)?)
    }

    /// The answer to `rebalance`.
    fn rebalance(
        &self,
        snapshot: &Snapshot,
        max_moves: Option<u32>,
    ) -> Result<Vec<Step>, PolicyError> {
        let steps = self.rebalanced(snapshot, default::rebalance(snapshot, max_moves)?);
        self.steps(snapshot, steps)
    }

    /// The steps of `rebalance`, given the default's.
    fn rebalanced(&self, _snapshot: &Snapshot, steps: Vec<Step>) -> Vec<Step> {
        steps
    }

    /// Any answer of `place` or `rebalance`, given the default's.
    fn steps(&self, _snapshot: &Snapshot, steps: Vec<Step>) -> Result<Vec<Step>, PolicyError> {
        Ok(steps)
    }

    /// The check of settings that parsed (the policy takes only `{}`).
    fn check_settings(&self) -> Result<(), String> {
        Ok(())
    }
}

/// A mutation, with its feature's name and whether this build enabled it.
macro_rules! mutation {
    ($feature:literal, $mutation:expr) => {
        (
            $feature,
            cfg!(feature = $feature),
            &$mutation as &dyn Mutation,
        )
    };
}

/// Every mutation, by feature (each a feature in `Cargo.toml`: an undeclared one is an
/// unexpected cfg, which `lib.rs` denies).
pub const MUTATIONS: [(&str, bool, &dyn Mutation); 26] = [
    mutation!("places-on-draining", PlacesOnDraining),
    mutation!("disables-holding-node", DisablesHoldingNode),
    mutation!("allows-forbidden-transition", AllowsForbiddenTransition),
    mutation!("skips-safety-check", SkipsSafetyCheck),
    mutation!("removes-before-adding", RemovesBeforeAdding),
    mutation!("ignores-draining", IgnoresDraining),
    mutation!("keeps-next-sets", KeepsNextSets),
    mutation!("refuses-satisfiable", RefusesSatisfiable),
    mutation!("leader-off-replica", LeaderOffReplica),
    mutation!("order-dependent", OrderDependent),
    mutation!("flaps", Flaps),
    mutation!("duplicate-steps", DuplicateSteps),
    mutation!("unknown-partition", UnknownPartition),
    mutation!("counts-non-workers", CountsNonWorkers),
    mutation!("disables-idle-workers", DisablesIdleWorkers),
    mutation!("allows-disabled-to-draining", AllowsDisabledToDraining),
    mutation!("caps-replicas-at-three", CapsReplicasAtThree),
    mutation!("truncates-node-ids", TruncatesNodeIds),
    mutation!("places-on-non-workers", PlacesOnNonWorkers),
    mutation!("never-activates", NeverActivates),
    mutation!("ignores-freezes", IgnoresFreezes),
    mutation!("ignores-leader-affinity", IgnoresLeaderAffinity),
    mutation!("faults-on-settings", FaultsOnSettings),
    mutation!("places-frozen-short", PlacesFrozenShort),
    mutation!("matches-location-by-prefix", MatchesLocationByPrefix),
    mutation!("tracks-placed-ids-in-8-bits", TracksPlacedIdsIn8Bits),
];

/// No bug: the default policy.
pub struct Unchanged;
impl Mutation for Unchanged {}

/// Property 1: `place` treats draining nodes as active, so new replicas land on them.
struct PlacesOnDraining;
impl Mutation for PlacesOnDraining {
    fn place(&self, snapshot: &Snapshot) -> Result<Vec<Step>, PolicyError> {
        let mut blind = snapshot.clone();
        for n in &mut blind.nodes {
            if n.worker_state == WorkerState::Draining {
                n.worker_state = WorkerState::Active;
            }
        }
        default::place(&blind)
    }
}

/// Property 2: `reconcile` disables draining nodes that still hold replicas.
struct DisablesHoldingNode;
impl Mutation for DisablesHoldingNode {
    fn transitions(
        &self,
        snapshot: &Snapshot,
        mut transitions: Vec<Transition>,
    ) -> Vec<Transition> {
        let mut draining: Vec<NodeId> = snapshot
            .nodes
            .iter()
            .filter(|n| n.worker_state == WorkerState::Draining && snapshot.usage(n.id).holds > 0)
            .map(|n| n.id)
            .collect();
        draining.sort_unstable();
        transitions.extend(draining.into_iter().map(|node| Transition {
            node,
            from: WorkerState::Draining,
            to: WorkerState::Disabled,
            reason: "drained enough".into(),
        }));
        transitions
    }
}

/// Property 2: `validate-transition` allows active -> provisioning.
struct AllowsForbiddenTransition;
impl Mutation for AllowsForbiddenTransition {
    fn verdict(
        &self,
        snapshot: &Snapshot,
        node: NodeId,
        to: WorkerState,
        verdict: Verdict,
    ) -> Verdict {
        if is_active(snapshot, node) && to == WorkerState::Provisioning {
            return Verdict {
                allowed: true,
                reason: "why not".into(),
            };
        }
        verdict
    }
}

/// Whether `node` is active in `snapshot`.
fn is_active(snapshot: &Snapshot, node: NodeId) -> bool {
    snapshot
        .node(node)
        .is_some_and(|n| n.worker_state == WorkerState::Active)
}

/// Property 2: `validate-transition` lets an active node drain even when the property can no
/// longer be satisfied without it.
struct SkipsSafetyCheck;
impl Mutation for SkipsSafetyCheck {
    fn verdict(
        &self,
        snapshot: &Snapshot,
        node: NodeId,
        to: WorkerState,
        verdict: Verdict,
    ) -> Verdict {
        Verdict {
            allowed: verdict.allowed || (is_active(snapshot, node) && to == WorkerState::Draining),
            ..verdict
        }
    }
}

/// Property 3: `rebalance` removes a replaced replica (unless it leads) before adding its
/// replacement.
struct RemovesBeforeAdding;
impl Mutation for RemovesBeforeAdding {
    fn rebalanced(&self, snapshot: &Snapshot, steps: Vec<Step>) -> Vec<Step> {
        let adding: BTreeSet<u32> = steps
            .iter()
            .filter(|s| s.op == StepOp::AddReplica)
            .map(|s| s.partition)
            .collect();
        let early = |s: &Step| {
            s.op == StepOp::RemoveReplica
                && adding.contains(&s.partition)
                && snapshot.partition(s.partition).and_then(|p| p.leader) != Some(s.node)
        };
        let mut hoisted = BTreeSet::new();
        let mut out = Vec::with_capacity(steps.len());
        for s in &steps {
            if s.op == StepOp::AddReplica && hoisted.insert(s.partition) {
                out.extend(
                    steps
                        .iter()
                        .filter(|r| early(r) && r.partition == s.partition)
                        .cloned(),
                );
            }
            if !early(s) {
                out.push(s.clone());
            }
        }
        out
    }
}

/// Keeps only the steps of the partitions `stuck` does not pick.
fn leave(
    snapshot: &Snapshot,
    steps: Vec<Step>,
    stuck: impl Fn(&Snapshot, &Partition) -> bool,
) -> Vec<Step> {
    steps
        .into_iter()
        .filter(|s| {
            !snapshot
                .partition(s.partition)
                .is_some_and(|p| stuck(snapshot, p))
        })
        .collect()
}

/// Property 4: `rebalance` never moves anything off a draining node, so draining never ends.
struct IgnoresDraining;
impl Mutation for IgnoresDraining {
    fn rebalanced(&self, snapshot: &Snapshot, steps: Vec<Step>) -> Vec<Step> {
        leave(snapshot, steps, |s, p| {
            p.holders().iter().any(|&n| {
                s.node(n)
                    .is_some_and(|n| n.worker_state == WorkerState::Draining)
            })
        })
    }
}

/// Property 4: `rebalance` never settles a `next` set in flight: it leaves out every replica
/// step of such a partition (a leader still moves to one of its current replicas, so the bug is
/// in the replica sets alone, even where the leader sits on a dead node).
struct KeepsNextSets;
impl Mutation for KeepsNextSets {
    fn rebalanced(&self, snapshot: &Snapshot, steps: Vec<Step>) -> Vec<Step> {
        let in_flight = |s: &Step| {
            snapshot
                .partition(s.partition)
                .is_some_and(|p| p.next.is_some())
        };
        steps
            .into_iter()
            .filter(|s| {
                !in_flight(s) || (s.op == StepOp::SetLeader && to_a_current_replica(snapshot, s))
            })
            .collect()
    }
}

/// Whether step `s` names a node that holds a replica of its partition in `snapshot`.
fn to_a_current_replica(snapshot: &Snapshot, s: &Step) -> bool {
    snapshot
        .partition(s.partition)
        .is_some_and(|p| p.replicas.contains(&s.node))
}

/// Property 4: `place` and `rebalance` claim insufficient nodes whenever a node drains.
struct RefusesSatisfiable;
impl Mutation for RefusesSatisfiable {
    fn steps(&self, snapshot: &Snapshot, steps: Vec<Step>) -> Result<Vec<Step>, PolicyError> {
        if !snapshot
            .nodes
            .iter()
            .any(|n| n.worker_state == WorkerState::Draining)
        {
            return Ok(steps);
        }
        Err(PolicyError::InsufficientNodes(Shortfall {
            scope: Scope::Node,
            available: snapshot
                .nodes
                .iter()
                .filter(|n| n.is_placement_candidate())
                .count() as u32,
            required: snapshot.replication.factor(),
        }))
    }
}

/// Property 5: `place` makes a node that gets no replica of the partition its leader.
struct LeaderOffReplica;
impl Mutation for LeaderOffReplica {
    fn place(&self, snapshot: &Snapshot) -> Result<Vec<Step>, PolicyError> {
        let mut steps = default::place(snapshot)?;
        let mut ids: Vec<NodeId> = snapshot.nodes.iter().map(|n| n.id).collect();
        ids.sort_unstable();
        let added: BTreeSet<(u32, NodeId)> = steps
            .iter()
            .filter(|s| s.op == StepOp::AddReplica)
            .map(|s| (s.partition, s.node))
            .collect();
        for s in steps.iter_mut().filter(|s| s.op == StepOp::SetLeader) {
            if let Some(&other) = ids.iter().find(|&&n| !added.contains(&(s.partition, n))) {
                s.node = other;
            }
        }
        Ok(steps)
    }
}

/// Property 6: `place` and `rebalance` break ties by input position: they run the default
/// policy on the snapshot with every node and partition renumbered in the order given
/// (node references too: replicas, `next`, leaders and node affinities).
struct OrderDependent;
impl OrderDependent {
    fn by_position(
        snapshot: &Snapshot,
        hook: impl Fn(&Snapshot) -> Result<Vec<Step>, PolicyError>,
    ) -> Result<Vec<Step>, PolicyError> {
        let nodes: Vec<NodeId> = snapshot.nodes.iter().map(|n| n.id).collect();
        let partitions: Vec<u32> = snapshot.partitions.iter().map(|p| p.id).collect();
        let position = |id: NodeId| {
            nodes
                .iter()
                .position(|&n| n == id)
                .map_or(0, |i| i as NodeId + 1)
        };
        let mut renumbered = snapshot.clone();
        for (i, n) in renumbered.nodes.iter_mut().enumerate() {
            n.id = i as NodeId + 1;
        }
        for (i, p) in renumbered.partitions.iter_mut().enumerate() {
            p.id = i as u32;
            p.replicas = p.replicas.iter().map(|&n| position(n)).collect();
            p.next = p
                .next
                .as_ref()
                .map(|next| next.iter().map(|&n| position(n)).collect());
            p.leader = p.leader.map(position);
            if let Some(LeaderAffinity::Node(n)) = &mut p.leader_affinity {
                *n = position(*n);
            }
        }
        let steps = hook(&renumbered)?;
        Ok(steps
            .into_iter()
            .map(|s| Step {
                partition: partitions[s.partition as usize],
                node: nodes[s.node as usize - 1],
                ..s
            })
            .collect())
    }
}
impl Mutation for OrderDependent {
    fn place(&self, snapshot: &Snapshot) -> Result<Vec<Step>, PolicyError> {
        OrderDependent::by_position(snapshot, default::place)
    }

    fn rebalance(
        &self,
        snapshot: &Snapshot,
        max_moves: Option<u32>,
    ) -> Result<Vec<Step>, PolicyError> {
        OrderDependent::by_position(snapshot, |s| default::rebalance(s, max_moves))
    }
}

/// Property 7: when the default has nothing to do, `rebalance` swaps the leaders of two
/// partitions, and swaps them back the next time: a balanced cluster never gets an empty plan.
struct Flaps;
impl Mutation for Flaps {
    fn rebalanced(&self, snapshot: &Snapshot, steps: Vec<Step>) -> Vec<Step> {
        if !steps.is_empty() {
            return steps;
        }
        let mut placed: Vec<&Partition> = snapshot
            .partitions
            .iter()
            .filter(|p| p.leader.is_some())
            .collect();
        placed.sort_by_key(|p| p.id);
        let swap = placed.iter().enumerate().find_map(|(i, first)| {
            let a = first.leader?;
            placed[i + 1..].iter().find_map(|second| {
                let b = second.leader?;
                (a != b && first.replicas.contains(&b) && second.replicas.contains(&a))
                    .then_some((first.id, b, second.id, a))
            })
        });
        swap.map_or(Vec::new(), |(first, b, second, a)| {
            vec![
                Step::new(StepOp::SetLeader, first, b, "swap"),
                Step::new(StepOp::SetLeader, second, a, "swap back"),
            ]
        })
    }
}

/// Property 8: every non-empty answer of `place` and `rebalance` repeats its first step.
struct DuplicateSteps;
impl Mutation for DuplicateSteps {
    fn steps(&self, _snapshot: &Snapshot, mut steps: Vec<Step>) -> Result<Vec<Step>, PolicyError> {
        if let Some(first) = steps.first().cloned() {
            steps.push(first);
        }
        Ok(steps)
    }
}

/// Property 8: every non-empty answer of `place` and `rebalance` ends with a step on a
/// partition the snapshot does not have.
struct UnknownPartition;
impl Mutation for UnknownPartition {
    fn steps(&self, snapshot: &Snapshot, mut steps: Vec<Step>) -> Result<Vec<Step>, PolicyError> {
        let unknown = unknown_partition(snapshot);
        if let Some(node) = steps.first().map(|s| s.node) {
            steps.push(Step::new(StepOp::SetLeader, unknown, node, "one more"));
        }
        Ok(steps)
    }
}

/// A partition id `snapshot` does not have: the one after the largest, or where that would
/// overflow (a partition numbered `u32::MAX`), the smallest free one.
fn unknown_partition(snapshot: &Snapshot) -> PartitionId {
    let largest = snapshot.partitions.iter().map(|p| p.id).max();
    largest
        .map_or(Some(0), |m| m.checked_add(1))
        .unwrap_or_else(|| {
            (0..=PartitionId::MAX)
                .find(|&id| snapshot.partition(id).is_none())
                .unwrap_or(0)
        })
}

/// `snapshot` as a policy sees it that takes every node for a worker, whatever its roles.
fn all_workers(snapshot: &Snapshot) -> Snapshot {
    let mut blind = snapshot.clone();
    for n in &mut blind.nodes {
        n.roles = n.roles.union(Roles::WORKER);
    }
    blind
}

/// Property 2: `validate-transition`'s safety check counts every node as a worker, admin-only
/// and log-server-only nodes included, so it lets the last worker of a zone drain.
struct CountsNonWorkers;
impl Mutation for CountsNonWorkers {
    fn verdict(
        &self,
        snapshot: &Snapshot,
        node: NodeId,
        to: WorkerState,
        verdict: Verdict,
    ) -> Verdict {
        default::validate_transition(&all_workers(snapshot), node, to).unwrap_or(verdict)
    }
}

/// Property 2: `reconcile` takes an alive active worker that holds and leads nothing for
/// drained, and disables it by itself.
struct DisablesIdleWorkers;
impl Mutation for DisablesIdleWorkers {
    fn transitions(
        &self,
        snapshot: &Snapshot,
        mut transitions: Vec<Transition>,
    ) -> Vec<Transition> {
        let mut idle: Vec<NodeId> = snapshot
            .nodes
            .iter()
            .filter(|n| n.is_placement_candidate() && snapshot.usage(n.id).is_idle())
            .map(|n| n.id)
            .collect();
        idle.sort_unstable();
        transitions.extend(idle.into_iter().map(|node| Transition {
            node,
            from: WorkerState::Active,
            to: WorkerState::Disabled,
            reason: "holds nothing: disabled".into(),
        }));
        transitions
    }
}

/// Property 4: `reconcile` handles drained workers only and never makes a provisioning worker
/// active, so a worker that is up never takes a replica.
struct NeverActivates;
impl Mutation for NeverActivates {
    fn transitions(
        &self,
        _snapshot: &Snapshot,
        mut transitions: Vec<Transition>,
    ) -> Vec<Transition> {
        transitions.retain(|t| t.from != WorkerState::Provisioning);
        transitions
    }
}

/// Property 2: `validate-transition` allows disabled -> draining.
struct AllowsDisabledToDraining;
impl Mutation for AllowsDisabledToDraining {
    fn verdict(
        &self,
        snapshot: &Snapshot,
        node: NodeId,
        to: WorkerState,
        verdict: Verdict,
    ) -> Verdict {
        let disabled = snapshot
            .node(node)
            .is_some_and(|n| n.worker_state == WorkerState::Disabled);
        if disabled && to == WorkerState::Draining {
            return Verdict {
                allowed: true,
                reason: "it holds nothing, so draining is a no-op".into(),
            };
        }
        verdict
    }
}

/// Property 4: `place` and `rebalance` aim for a replication property whose counts are capped
/// at 3, so replica sets silently stop at 3 under `{zone: 3, node: 5}`; the policy's
/// make-before-break guard still judges removals by the real property (a removal it refuses is
/// left out), as the default's does, so the bug shows as sets short of replicas, not as an
/// unsafe removal.
struct CapsReplicasAtThree;
impl CapsReplicasAtThree {
    fn capped(snapshot: &Snapshot) -> Snapshot {
        let counts: Vec<(Scope, u32)> = snapshot
            .replication
            .scope_counts()
            .into_iter()
            .map(|(scope, count)| (scope, count.min(3)))
            .collect();
        let mut capped = snapshot.clone();
        if let Ok(replication) = Replication::from_counts(&counts) {
            capped.replication = replication;
        }
        capped
    }

    /// `steps` without the removals the real property refuses at their point in the answer.
    fn guarded(snapshot: &Snapshot, steps: Vec<Step>) -> Vec<Step> {
        let mut checker = PlanChecker::new(snapshot.clone());
        steps
            .into_iter()
            .filter(|s| match checker.step(s) {
                Err(v) if s.op == StepOp::RemoveReplica => !matches!(
                    v.invariant,
                    Invariant::ReplicaFloor | Invariant::DomainSpread
                ),
                _ => true,
            })
            .collect()
    }
}
impl Mutation for CapsReplicasAtThree {
    fn place(&self, snapshot: &Snapshot) -> Result<Vec<Step>, PolicyError> {
        let steps = default::place(&CapsReplicasAtThree::capped(snapshot))?;
        Ok(CapsReplicasAtThree::guarded(snapshot, steps))
    }

    fn rebalance(
        &self,
        snapshot: &Snapshot,
        max_moves: Option<u32>,
    ) -> Result<Vec<Step>, PolicyError> {
        let steps = default::rebalance(&CapsReplicasAtThree::capped(snapshot), max_moves)?;
        Ok(CapsReplicasAtThree::guarded(snapshot, steps))
    }
}

/// Property 8: `place` and `rebalance` keep node ids in 16 bits, so a step on node 70000 names
/// node 4464.
struct TruncatesNodeIds;
impl Mutation for TruncatesNodeIds {
    fn steps(&self, _snapshot: &Snapshot, steps: Vec<Step>) -> Result<Vec<Step>, PolicyError> {
        Ok(steps
            .into_iter()
            .map(|s| Step {
                node: NodeId::from(s.node as u16),
                ..s
            })
            .collect())
    }
}

/// Property 1: `place` takes every node for a worker, so admin-only and log-server-only nodes
/// receive replicas.
struct PlacesOnNonWorkers;
impl Mutation for PlacesOnNonWorkers {
    fn place(&self, snapshot: &Snapshot) -> Result<Vec<Step>, PolicyError> {
        default::place(&all_workers(snapshot))
    }
}

/// `snapshot` with `forget` applied to each of its partitions: what a policy sees that overlooks
/// a partition field.
fn overlooking(snapshot: &Snapshot, forget: fn(&mut Partition)) -> Snapshot {
    let mut blind = snapshot.clone();
    blind.partitions.iter_mut().for_each(forget);
    blind
}

/// The freeze invariant: `place` and `rebalance` plan as if no partition were frozen, so a
/// frozen partition's replica set changes (and a draining node holding one gets emptied).
struct IgnoresFreezes;
impl IgnoresFreezes {
    fn unfrozen(snapshot: &Snapshot) -> Snapshot {
        overlooking(snapshot, |p| p.freeze = None)
    }
}
impl Mutation for IgnoresFreezes {
    fn place(&self, snapshot: &Snapshot) -> Result<Vec<Step>, PolicyError> {
        default::place(&IgnoresFreezes::unfrozen(snapshot))
    }

    fn rebalance(
        &self,
        snapshot: &Snapshot,
        max_moves: Option<u32>,
    ) -> Result<Vec<Step>, PolicyError> {
        default::rebalance(&IgnoresFreezes::unfrozen(snapshot), max_moves)
    }
}

/// Leader affinity: `place` and `rebalance` plan as if no partition had a leader affinity, so
/// leaders go where the balance puts them even when an eligible affine replica could lead.
struct IgnoresLeaderAffinity;
impl IgnoresLeaderAffinity {
    fn unaffine(snapshot: &Snapshot) -> Snapshot {
        overlooking(snapshot, |p| p.leader_affinity = None)
    }
}
impl Mutation for IgnoresLeaderAffinity {
    fn place(&self, snapshot: &Snapshot) -> Result<Vec<Step>, PolicyError> {
        default::place(&IgnoresLeaderAffinity::unaffine(snapshot))
    }

    fn rebalance(
        &self,
        snapshot: &Snapshot,
        max_moves: Option<u32>,
    ) -> Result<Vec<Step>, PolicyError> {
        default::rebalance(&IgnoresLeaderAffinity::unaffine(snapshot), max_moves)
    }
}

/// Contract hygiene: checking settings that parsed panics (a trap in `validate-settings`)
/// instead of accepting or refusing them with a message.
struct FaultsOnSettings;
impl Mutation for FaultsOnSettings {
    fn check_settings(&self) -> Result<(), String> {
        panic!("the settings check was never written")
    }
}

/// Property 4 (the host's `placed-in-full`): `place` gives an unplaced partition with a
/// placement freeze one replica, its leader, as if the freeze excused the rest.
struct PlacesFrozenShort;
impl Mutation for PlacesFrozenShort {
    fn place(&self, snapshot: &Snapshot) -> Result<Vec<Step>, PolicyError> {
        let frozen_unplaced = |id| {
            snapshot
                .partitions
                .iter()
                .any(|p| p.id == id && p.freeze.is_some() && p.is_unplaced())
        };
        let mut first: Vec<(PartitionId, NodeId)> = Vec::new();
        let mut steps = Vec::new();
        for mut step in default::place(snapshot)? {
            if !frozen_unplaced(step.partition) {
                steps.push(step);
                continue;
            }
            let kept = first
                .iter()
                .find(|(p, _)| *p == step.partition)
                .map(|&(_, n)| n);
            match (step.op, kept) {
                (StepOp::AddReplica, None) => first.push((step.partition, step.node)),
                (StepOp::AddReplica, Some(_)) => continue,
                (StepOp::SetLeader, Some(node)) => step.node = node,
                _ => {}
            }
            steps.push(step);
        }
        Ok(steps)
    }
}

/// Leader affinity: `rebalance` matches a location affinity by string prefix, so a leader whose
/// location merely starts with the affinity's (`eu.z10` for `eu.z1`, `eu2.a` for `eu`) passes
/// for one where the affinity points, and stays where it is.
struct MatchesLocationByPrefix;
impl MatchesLocationByPrefix {
    /// `snapshot` as the policy sees it: each such partition's affinity names its leader.
    fn misread(snapshot: &Snapshot) -> Snapshot {
        let mut blind = snapshot.clone();
        for p in &mut blind.partitions {
            let Some(affinity @ LeaderAffinity::Location(location)) = &p.leader_affinity else {
                continue;
            };
            let by_prefix = p
                .leader
                .filter(|l| p.replicas.contains(l))
                .and_then(|l| snapshot.node(l))
                .filter(|n| {
                    n.is_placement_candidate()
                        && !affinity.matches(n)
                        && n.location.starts_with(location.as_str())
                })
                .map(|n| n.id);
            if let Some(leader) = by_prefix {
                p.leader_affinity = Some(LeaderAffinity::Node(leader));
            }
        }
        blind
    }
}
impl Mutation for MatchesLocationByPrefix {
    fn rebalance(
        &self,
        snapshot: &Snapshot,
        max_moves: Option<u32>,
    ) -> Result<Vec<Step>, PolicyError> {
        default::rebalance(&MatchesLocationByPrefix::misread(snapshot), max_moves)
    }
}

/// Property 4: `place` remembers which partitions are placed by the low 8 bits of their ids
/// (`id as u8`), so a new partition whose id equals a placed one's modulo 256 passes for placed
/// and never gets a replica.
struct TracksPlacedIdsIn8Bits;
impl Mutation for TracksPlacedIdsIn8Bits {
    fn place(&self, snapshot: &Snapshot) -> Result<Vec<Step>, PolicyError> {
        let placed: BTreeSet<u8> = snapshot
            .partitions
            .iter()
            .filter(|p| !p.is_unplaced())
            .map(|p| p.id as u8)
            .collect();
        let mut blind = snapshot.clone();
        blind
            .partitions
            .retain(|p| !(p.is_unplaced() && placed.contains(&(p.id as u8))));
        default::place(&blind)
    }
}
