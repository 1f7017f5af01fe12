//! The safety invariants every plan must keep, checked step by step while the plan is applied.
//!
//! The host runs this checker on everything a policy returns before printing or applying it, so
//! a broken or hostile policy cannot make it do something unsafe; the violation names the
//! invariant, the step and what is wrong.

use std::fmt;

use crate::plan::{Step, StepOp, Transition};
use crate::removal::RemovalHazard;
use crate::snapshot::{NodeLabel, NodeUsage, Snapshot, WorkerState};

mod answer_log;
mod freezes;
mod placements;

use crate::positions::Positions;
use answer_log::AnswerLog;
use freezes::Freezes;
use placements::Placements;

/// A rule a plan must not break.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Invariant {
    /// Transitions and steps name nodes the snapshot has.
    KnownNode,
    /// Steps name partitions the snapshot has.
    KnownPartition,
    /// A transition starts from the node's current state, and a node changes state once per plan.
    TransitionFromCurrent,
    /// A node is disabled only when no partition holds it (replicas or `next`) or is led by it.
    DisableOnlyWhenEmpty,
    /// A policy's own transitions (`reconcile`) never take an alive active or provisioning node
    /// out of service (to draining or disabled): that is the operator's decision.
    ReconcileKeepsCapacity,
    /// New replicas go only to alive, active worker nodes that do not hold the partition yet.
    EligibleTarget,
    /// A replica is removed only from a node that holds it.
    RemoveOnlyHeld,
    /// Removing a replica never leaves fewer serving replicas than the replication factor.
    ReplicaFloor,
    /// Removing a replica never leaves the set spanning fewer domains than the property asks.
    DomainSpread,
    /// A leader is always a replica on an alive, active node; it moves before its replica goes.
    LeaderOnReplica,
    /// One answer does not add and remove the same replica, nor repeat a step, nor set a
    /// partition's leader twice.
    NoContradictorySteps,
    /// A rebalance capped with `--max-moves` adds at most that many replicas.
    MoveBudget,
    /// A placed partition with a placement freeze gets no `add-replica` or `remove-replica`
    /// step: its replica set and pending `next` stay as they are (its leader may still move to
    /// one of its replicas, and an unplaced frozen partition may be placed).
    FrozenReplicaSet,
    /// A partition an answer places (unplaced when the answer began) ends the answer with the
    /// factor's count of replicas spanning the property's domains, frozen or not.
    PlacedInFull,
}

impl Invariant {
    /// Every invariant, in the order they are documented.
    pub const ALL: [Invariant; 14] = [
        Invariant::KnownNode,
        Invariant::KnownPartition,
        Invariant::TransitionFromCurrent,
        Invariant::DisableOnlyWhenEmpty,
        Invariant::ReconcileKeepsCapacity,
        Invariant::EligibleTarget,
        Invariant::RemoveOnlyHeld,
        Invariant::ReplicaFloor,
        Invariant::DomainSpread,
        Invariant::LeaderOnReplica,
        Invariant::NoContradictorySteps,
        Invariant::MoveBudget,
        Invariant::FrozenReplicaSet,
        Invariant::PlacedInFull,
    ];

    /// The invariant's short name, as error messages print it.
    pub fn name(self) -> &'static str {
        match self {
            Invariant::KnownNode => "known-node",
            Invariant::KnownPartition => "known-partition",
            Invariant::TransitionFromCurrent => "transition-from-current",
            Invariant::DisableOnlyWhenEmpty => "disable-only-when-empty",
            Invariant::ReconcileKeepsCapacity => "reconcile-keeps-capacity",
            Invariant::EligibleTarget => "eligible-target",
            Invariant::RemoveOnlyHeld => "remove-only-held",
            Invariant::ReplicaFloor => "replica-floor",
            Invariant::DomainSpread => "domain-spread",
            Invariant::LeaderOnReplica => "leader-on-replica",
            Invariant::NoContradictorySteps => "no-contradictory-steps",
            Invariant::MoveBudget => "move-budget",
            Invariant::FrozenReplicaSet => "frozen-replica-set",
            Invariant::PlacedInFull => "placed-in-full",
        }
    }

    /// The rule in one sentence.
    pub fn rule(self) -> &'static str {
        match self {
            Invariant::KnownNode => "transitions and steps name nodes the snapshot has",
            Invariant::KnownPartition => "steps name partitions the snapshot has",
            Invariant::TransitionFromCurrent => {
                "a transition starts from the node's current state, once per node and plan"
            }
            Invariant::DisableOnlyWhenEmpty => {
                "a node is disabled only when no replica set or next set holds it and it leads nothing"
            }
            Invariant::ReconcileKeepsCapacity => {
                "reconcile reacts to lifecycle events and never takes an alive active or provisioning node out of service (to draining or disabled); that is the operator's decision"
            }
            Invariant::EligibleTarget => {
                "new replicas go only to alive, active workers that do not hold the partition yet"
            }
            Invariant::RemoveOnlyHeld => "a replica is removed only from a node that holds it",
            Invariant::ReplicaFloor => {
                "a removal never leaves fewer serving replicas than the replication factor (add before remove)"
            }
            Invariant::DomainSpread => {
                "a removal never leaves a replica set spanning fewer domains than the property asks"
            }
            Invariant::LeaderOnReplica => {
                "a leader is a replica on an alive, active worker, and moves before its replica is removed"
            }
            Invariant::NoContradictorySteps => {
                "one answer neither repeats a step nor adds and removes the same replica, and sets a leader once"
            }
            Invariant::MoveBudget => "a capped plan adds at most --max-moves replicas",
            Invariant::FrozenReplicaSet => {
                "a frozen partition's replica set does not change: no replica is added to or removed from a placed partition with a placement freeze"
            }
            Invariant::PlacedInFull => {
                "a partition an answer places ends it with the factor's count of replicas spanning the property's domains, frozen or not (a freeze holds what a cluster has, not what a policy just did); where the workers cannot, the answer is insufficient nodes"
            }
        }
    }
}

impl fmt::Display for Invariant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Where in a plan a violation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    /// The transition with this index (from 0).
    Transition(usize),
    /// The step with this index (from 0).
    Step(usize),
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Transition(i) => write!(f, "transition {}", i + 1),
            Location::Step(i) => write!(f, "step {}", i + 1),
        }
    }
}

/// A broken invariant: which, where, and what happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The invariant broken.
    pub invariant: Invariant,
    /// The transition or step that broke it.
    pub at: Location,
    /// What happened.
    pub detail: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} breaks invariant `{}` ({}): {}",
            self.at,
            self.invariant,
            self.invariant.rule(),
            self.detail
        )
    }
}

impl std::error::Error for Violation {}

/// Applies a plan to a snapshot one transition or step at a time, checking every invariant
/// before each one is applied.
///
/// Linear in the snapshot and the plan: it indexes nodes and partitions by position once, a
/// step costs what its partition's sets hold, without hashing, and a violation's message is
/// written only when an invariant breaks.
pub struct PlanChecker {
    snapshot: Snapshot,
    node_index: Positions,
    partition_index: Positions,
    /// By node position: whether the node changed state in this plan.
    transitioned: Vec<bool>,
    /// The steps of the answer being checked.
    answer: AnswerLog,
    /// The partitions a placement freeze holds in the answer being checked.
    freezes: Freezes,
    /// The partitions the answer being checked places.
    placements: Placements,
    /// By node position: what each node holds and leads, counted when a transition to
    /// disabled first asks and forgotten when a step changes it.
    usage: Option<Vec<NodeUsage>>,
    transitions: usize,
    steps: usize,
}

/// Why `node` is not an alive, active worker (`draining and dead`, `active and not a worker`),
/// or `None` when it is one.
pub(crate) fn not_a_candidate(node: &crate::Node) -> Option<String> {
    if node.is_placement_candidate() {
        return None;
    }
    let dead = if node.alive { "" } else { " and dead" };
    let role = if node.roles.contains(crate::Roles::WORKER) {
        ""
    } else {
        " and not a worker"
    };
    Some(format!("{}{dead}{role}", node.worker_state))
}

impl PlanChecker {
    /// A checker that starts from `snapshot`.
    pub fn new(snapshot: Snapshot) -> PlanChecker {
        let node_index = Positions::new(snapshot.nodes.iter().map(|n| n.id));
        let partition_index = Positions::new(snapshot.partitions.iter().map(|p| p.id));
        PlanChecker {
            transitioned: vec![false; snapshot.nodes.len()],
            answer: AnswerLog::new(snapshot.partitions.len()),
            freezes: Freezes::new(&snapshot),
            placements: Placements::new(&snapshot),
            usage: None,
            snapshot,
            node_index,
            partition_index,
            transitions: 0,
            steps: 0,
        }
    }

    /// The snapshot with everything checked so far applied.
    pub fn snapshot(&self) -> &Snapshot {
        &self.snapshot
    }

    /// Ends the check and returns the snapshot with the whole plan applied.
    pub fn into_snapshot(self) -> Snapshot {
        self.snapshot
    }

    /// `snapshot` with `steps` (one answer) applied, each checked first; the first broken
    /// invariant stops it.
    pub fn apply_steps(snapshot: Snapshot, steps: &[Step]) -> Result<Snapshot, Violation> {
        let mut checker = PlanChecker::new(snapshot);
        checker.steps(steps)?;
        checker.end_answer()?;
        Ok(checker.into_snapshot())
    }

    /// `snapshot` with `transitions` applied, each checked first; the first broken invariant
    /// stops it.
    pub fn apply_transitions(
        snapshot: Snapshot,
        transitions: &[Transition],
    ) -> Result<Snapshot, Violation> {
        let mut checker = PlanChecker::new(snapshot);
        for t in transitions {
            checker.transition(t)?;
        }
        Ok(checker.into_snapshot())
    }

    /// Starts checking another answer of the same plan (the next hook's): repeated or
    /// contradictory steps are judged within one answer, since a hook sees only the snapshot
    /// the previous answers led to, not the answers themselves.
    pub fn begin_answer(&mut self) {
        self.answer.begin_answer();
        self.freezes = Freezes::new(&self.snapshot);
        self.placements = Placements::new(&self.snapshot);
    }

    /// Checks what only a whole answer shows, once its last step is applied: every partition it
    /// placed is placed in full ([`Invariant::PlacedInFull`]).
    pub fn end_answer(&self) -> Result<(), Violation> {
        match self.placements.first_short(&self.snapshot, &self.node_index) {
            None => Ok(()),
            Some((partition, step, why)) => Err(Violation {
                invariant: Invariant::PlacedInFull,
                at: Location::Step(step),
                detail: format!(
                    "partition {partition} is placed short: {why}; place it in full or answer insufficient nodes"
                ),
            }),
        }
    }

    /// Checks and applies a transition the policy makes by itself (`reconcile`'s): every
    /// transition invariant, [`Invariant::ReconcileKeepsCapacity`] included.
    pub fn transition(&mut self, t: &Transition) -> Result<(), Violation> {
        self.check_transition(t, true)
    }

    /// Checks and applies a transition an operator asked for: every transition invariant but
    /// [`Invariant::ReconcileKeepsCapacity`], since taking capacity away is the operator's to
    /// decide.
    pub fn requested_transition(&mut self, t: &Transition) -> Result<(), Violation> {
        self.check_transition(t, false)
    }

    /// Checks and applies a transition; `by_policy` when the policy made it by itself.
    fn check_transition(&mut self, t: &Transition, by_policy: bool) -> Result<(), Violation> {
        let at = Location::Transition(self.transitions);
        self.transitions += 1;
        let fail = |(invariant, detail)| Violation {
            invariant,
            at,
            detail,
        };
        let label = NodeLabel(t.node);
        let Some(ni) = self.node_index.get(t.node) else {
            return Err(fail((
                Invariant::KnownNode,
                format!("{label} is not in the snapshot"),
            )));
        };
        let current = self.snapshot.nodes[ni].worker_state;
        if current != t.from {
            return Err(fail((
                Invariant::TransitionFromCurrent,
                format!(
                    "{label} is {current}, the transition starts from {}",
                    t.from
                ),
            )));
        }
        if std::mem::replace(&mut self.transitioned[ni], true) {
            return Err(fail((
                Invariant::TransitionFromCurrent,
                format!("{label} already changed state in this plan"),
            )));
        }
        if by_policy {
            self.check_keeps_capacity(t, ni).map_err(fail)?;
        }
        self.check_disable(t, ni).map_err(fail)?;
        self.snapshot.nodes[ni].worker_state = t.to;
        Ok(())
    }

    /// A policy's own transition never takes an alive active or provisioning node out of
    /// service.
    fn check_keeps_capacity(&self, t: &Transition, ni: usize) -> Result<(), (Invariant, String)> {
        use WorkerState::{Active, Disabled, Draining, Provisioning};
        let in_service = matches!(t.from, Active | Provisioning);
        let out_of_service = matches!(t.to, Draining | Disabled);
        if in_service && out_of_service && self.snapshot.nodes[ni].alive {
            return Err((
                Invariant::ReconcileKeepsCapacity,
                format!(
                    "{} is {} and alive; the policy moves it to {} by itself",
                    NodeLabel(t.node),
                    t.from,
                    t.to
                ),
            ));
        }
        Ok(())
    }

    /// A node is disabled only when nothing holds it or is led by it.
    fn check_disable(&mut self, t: &Transition, ni: usize) -> Result<(), (Invariant, String)> {
        if t.to != WorkerState::Disabled || t.from == WorkerState::Disabled {
            return Ok(());
        }
        let snapshot = &self.snapshot;
        let usage = self.usage.get_or_insert_with(|| snapshot.usage_by_node())[ni];
        if usage.is_idle() {
            return Ok(());
        }
        Err((
            Invariant::DisableOnlyWhenEmpty,
            format!(
                "{} still holds {} partition(s) and leads {}",
                NodeLabel(t.node),
                usage.holds,
                usage.leads
            ),
        ))
    }

    /// Checks and applies the steps of one answer in order, as [`PlanChecker::step`] does each,
    /// sizing what the answer's steps record once, from its length; the first broken invariant
    /// stops it.
    pub fn steps(&mut self, answer: &[Step]) -> Result<(), Violation> {
        self.answer.reserve(answer.len());
        answer.iter().try_for_each(|s| self.step(s))
    }

    /// Checks and applies a step.
    pub fn step(&mut self, s: &Step) -> Result<(), Violation> {
        let at = Location::Step(self.steps);
        self.steps += 1;
        self.check_step(s).map_err(|(invariant, detail)| Violation {
            invariant,
            at,
            detail,
        })
    }

    /// Checks a step and applies it when it keeps every invariant.
    fn check_step(&mut self, s: &Step) -> Result<(), (Invariant, String)> {
        let label = NodeLabel(s.node);
        let Some(ni) = self.node_index.get(s.node) else {
            return Err((
                Invariant::KnownNode,
                format!("{label} is not in the snapshot"),
            ));
        };
        let Some(pi) = self.partition_index.get(s.partition) else {
            return Err((
                Invariant::KnownPartition,
                format!("partition {} is not in the snapshot", s.partition),
            ));
        };
        self.check_repeats(s, pi)?;
        self.check_freeze(s, pi)?;
        self.placements.record(pi, self.steps - 1);
        match s.op {
            StepOp::AddReplica => self.check_add(s, ni, pi)?,
            StepOp::RemoveReplica => self.check_remove(s, pi)?,
            StepOp::SetLeader => self.check_set_leader(s, ni, pi)?,
        }
        self.snapshot.partitions[pi].apply(s.op, s.node);
        self.usage = None;
        Ok(())
    }

    /// Records the step in this answer; refuses it when the answer already has it or its
    /// opposite.
    fn check_repeats(&mut self, s: &Step, pi: usize) -> Result<(), (Invariant, String)> {
        let contradicting = match s.op {
            StepOp::AddReplica => Some(StepOp::RemoveReplica),
            StepOp::RemoveReplica => Some(StepOp::AddReplica),
            StepOp::SetLeader => None,
        };
        if !self.answer.record(pi, s.op, s.node, contradicting) {
            return Err((
                Invariant::NoContradictorySteps,
                format!("{s} repeats or undoes an earlier step of the plan"),
            ));
        }
        Ok(())
    }

    /// An `add-replica` or `remove-replica` never touches a partition a freeze holds.
    fn check_freeze(&self, s: &Step, pi: usize) -> Result<(), (Invariant, String)> {
        if s.op == StepOp::SetLeader || !self.freezes.holds(pi) {
            return Ok(());
        }
        let reason = self.snapshot.partitions[pi].freeze.as_deref().unwrap_or("");
        Err((
            Invariant::FrozenReplicaSet,
            format!(
                "{s}: partition {} is frozen ({reason}); its replica set may not change",
                s.partition
            ),
        ))
    }

    /// An `add-replica` goes to an alive, active worker without a replica of the partition.
    fn check_add(&self, s: &Step, ni: usize, pi: usize) -> Result<(), (Invariant, String)> {
        let label = NodeLabel(s.node);
        if let Some(why) = not_a_candidate(&self.snapshot.nodes[ni]) {
            return Err((Invariant::EligibleTarget, format!("{s}: {label} is {why}")));
        }
        if self.snapshot.partitions[pi].replicas.contains(&s.node) {
            return Err((
                Invariant::EligibleTarget,
                format!("{s}: {label} already holds a replica"),
            ));
        }
        Ok(())
    }

    /// A `remove-replica` takes a held replica that no longer leads, safely.
    fn check_remove(&self, s: &Step, pi: usize) -> Result<(), (Invariant, String)> {
        let partition = &self.snapshot.partitions[pi];
        let label = NodeLabel(s.node);
        if !partition.is_held_by(s.node) {
            return Err((
                Invariant::RemoveOnlyHeld,
                format!("{s}: {label} does not hold the partition"),
            ));
        }
        if partition.leader == Some(s.node) {
            return Err((
                Invariant::LeaderOnReplica,
                format!("{s}: {label} still leads the partition; set another leader first"),
            ));
        }
        if partition.replicas.contains(&s.node) {
            self.check_removal(s, pi)?;
        }
        Ok(())
    }

    /// A `set-leader` comes once per answer and partition, on a replica on an eligible node.
    fn check_set_leader(
        &mut self,
        s: &Step,
        ni: usize,
        pi: usize,
    ) -> Result<(), (Invariant, String)> {
        let label = NodeLabel(s.node);
        if self.answer.sets_leader_to_another(pi, s.node) {
            return Err((
                Invariant::NoContradictorySteps,
                format!("{s}: the plan already set this partition's leader"),
            ));
        }
        if !self.snapshot.partitions[pi].replicas.contains(&s.node) {
            return Err((
                Invariant::LeaderOnReplica,
                format!("{s}: {label} holds no replica of the partition"),
            ));
        }
        if let Some(why) = not_a_candidate(&self.snapshot.nodes[ni]) {
            return Err((Invariant::LeaderOnReplica, format!("{s}: {label} is {why}")));
        }
        Ok(())
    }

    /// Checks that removing the replica on `s.node` keeps the factor and the domain spread.
    fn check_removal(&self, s: &Step, pi: usize) -> Result<(), (Invariant, String)> {
        let replicas: Vec<&crate::Node> = self.snapshot.partitions[pi]
            .replicas
            .iter()
            .filter_map(|&n| self.node_index.get(n))
            .map(|i| &self.snapshot.nodes[i])
            .collect();
        match self.snapshot.replication.removal_hazard(&replicas, s.node) {
            None => Ok(()),
            Some(hazard @ RemovalHazard::BelowFloor { .. }) => {
                Err((Invariant::ReplicaFloor, format!("{s}: {hazard}")))
            }
            Some(hazard @ RemovalHazard::NarrowerSpread { .. }) => {
                Err((Invariant::DomainSpread, format!("{s}: {hazard}")))
            }
        }
    }

    /// Refuses one hook's answer, before its steps are checked, when it adds more than
    /// `max_moves` replicas: the move budget (`--max-moves`) caps the `add-replica` steps of a
    /// rebalance. The violation is at the first addition too many.
    pub fn check_budget(&self, answer: &[Step], max_moves: u32) -> Result<(), Violation> {
        let adds = answer
            .iter()
            .enumerate()
            .filter(|(_, s)| s.op == StepOp::AddReplica);
        match adds.clone().nth(max_moves as usize) {
            None => Ok(()),
            Some((index, _)) => Err(Violation {
                invariant: Invariant::MoveBudget,
                at: Location::Step(self.steps + index),
                detail: format!(
                    "the rebalance adds {} replicas, --max-moves allows {max_moves}",
                    adds.count()
                ),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::{Node, NodeId, Partition, Roles};
    use crate::Replication;

    /// Nodes 1..=4 in zones a, a, b, b; partition 0 on 1 and 3, led by 1.
    fn two_zones() -> Snapshot {
        let node = |id: NodeId, zone: &str| Node {
            id,
            generation: 1,
            name: String::new(),
            address: String::new(),
            location: format!("r.{zone}"),
            roles: Roles::WORKER,
            worker_state: WorkerState::Active,
            alive: true,
            weight: crate::Weight::STANDARD,
        };
        Snapshot {
            replication: Replication::parse("{zone: 2, node: 2}").unwrap(),
            nodes: vec![node(1, "a"), node(2, "a"), node(3, "b"), node(4, "b")],
            partitions: vec![Partition {
                id: 0,
                replicas: vec![1, 3],
                next: None,
                leader: Some(1),
                freeze: None,
                leader_affinity: None,
            }],
        }
    }

    fn step(op: StepOp, node: NodeId) -> Step {
        Step::new(op, 0, node, "")
    }

    #[test]
    fn removals_name_the_floor_or_the_spread_they_break() {
        let broken = |steps: &[Step]| {
            PlanChecker::apply_steps(two_zones(), steps)
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            broken(&[step(StepOp::RemoveReplica, 3)]),
            "step 1 breaks invariant `replica-floor` (a removal never leaves fewer serving replicas than the replication factor (add before remove)): remove-replica partition 0 on N3: 1 serving replica(s) would remain, the replication factor is 2"
        );
        assert!(broken(&[
            step(StepOp::AddReplica, 2),
            step(StepOp::RemoveReplica, 3)
        ])
        .ends_with("remove-replica partition 0 on N3: the replicas would span 1 zone(s), the property asks for 2"));
        let moved = [step(StepOp::AddReplica, 4), step(StepOp::RemoveReplica, 3)];
        assert!(PlanChecker::apply_steps(two_zones(), &moved).is_ok());
    }

    #[test]
    fn one_answer_neither_repeats_nor_undoes_a_step_nor_sets_a_leader_twice() {
        use StepOp::{AddReplica, RemoveReplica, SetLeader};
        let broken_at = |steps: &[Step]| {
            let v = PlanChecker::apply_steps(two_zones(), steps).unwrap_err();
            assert_eq!(v.invariant, Invariant::NoContradictorySteps, "{v}");
            (v.at, v.detail)
        };
        let at = |i| Location::Step(i);
        assert_eq!(
            broken_at(&[step(AddReplica, 2), step(AddReplica, 2)]),
            (
                at(1),
                "add-replica partition 0 on N2 repeats or undoes an earlier step of the plan"
                    .into()
            )
        );
        assert_eq!(
            broken_at(&[step(AddReplica, 2), step(RemoveReplica, 2)]).0,
            at(1)
        );
        let moved = [step(AddReplica, 4), step(RemoveReplica, 3)];
        assert_eq!(
            broken_at(&[&moved[..], &[step(AddReplica, 3)]].concat()).0,
            at(2)
        );
        assert_eq!(
            broken_at(&[step(SetLeader, 3), step(SetLeader, 3)]).1,
            "set-leader partition 0 on N3 repeats or undoes an earlier step of the plan"
        );
        assert_eq!(
            broken_at(&[step(SetLeader, 3), step(SetLeader, 1)]),
            (
                at(1),
                "set-leader partition 0 on N1: the plan already set this partition's leader".into()
            )
        );
        let mut checker = PlanChecker::new(two_zones());
        for s in [step(SetLeader, 3), step(AddReplica, 2)] {
            checker.step(&s).unwrap();
        }
        checker.begin_answer();
        assert_eq!(
            checker.steps(&[step(SetLeader, 1), step(RemoveReplica, 2)]),
            Ok(())
        );
    }

    #[test]
    fn a_node_changes_state_once_per_plan_and_is_disabled_by_what_it_holds_now() {
        use WorkerState::{Active, Disabled, Draining};
        let mut s = two_zones();
        s.nodes[2].worker_state = Draining;
        let t = |node, from, to| Transition {
            node,
            from,
            to,
            reason: String::new(),
        };
        let mut checker = PlanChecker::new(s);
        assert_eq!(
            checker.requested_transition(&t(2, Active, Disabled)),
            Ok(())
        );
        checker
            .steps(&[step(StepOp::AddReplica, 4), step(StepOp::RemoveReplica, 3)])
            .unwrap();
        assert_eq!(
            checker.requested_transition(&t(3, Draining, Disabled)),
            Ok(())
        );
        let v = checker
            .requested_transition(&t(4, Active, Disabled))
            .unwrap_err();
        assert_eq!(v.detail, "N4 still holds 1 partition(s) and leads 0");
        let v = checker
            .requested_transition(&t(3, Disabled, Active))
            .unwrap_err();
        assert_eq!(
            (v.at, v.detail.as_str()),
            (
                Location::Transition(3),
                "N3 already changed state in this plan"
            )
        );
    }

    #[test]
    fn the_budget_counts_one_answer_and_names_its_first_add_too_many() {
        let mut checker = PlanChecker::new(two_zones());
        checker.step(&step(StepOp::AddReplica, 2)).unwrap();
        checker.begin_answer();
        let answer = [
            step(StepOp::AddReplica, 4),
            step(StepOp::SetLeader, 4),
            Step::new(StepOp::AddReplica, 0, 9, ""),
        ];
        assert_eq!(checker.check_budget(&answer, 2), Ok(()));
        let v = checker.check_budget(&answer, 1).unwrap_err();
        assert_eq!(
            (v.invariant, v.at),
            (Invariant::MoveBudget, Location::Step(3))
        );
        assert_eq!(
            v.detail,
            "the rebalance adds 2 replicas, --max-moves allows 1"
        );
    }

    #[test]
    fn a_node_is_disabled_only_when_idle() {
        let mut s = two_zones();
        s.nodes[1].worker_state = WorkerState::Draining;
        s.partitions[0].next = Some(vec![2]);
        let disable = |from| Transition {
            node: 2,
            from,
            to: WorkerState::Disabled,
            reason: String::new(),
        };
        let v = PlanChecker::new(s.clone())
            .transition(&disable(WorkerState::Draining))
            .unwrap_err();
        assert_eq!(v.invariant, Invariant::DisableOnlyWhenEmpty);
        assert_eq!(v.detail, "N2 still holds 1 partition(s) and leads 0");
        s.partitions[0].next = None;
        assert!(PlanChecker::new(s)
            .transition(&disable(WorkerState::Draining))
            .is_ok());
    }

    #[test]
    fn a_frozen_partition_keeps_its_replica_set_and_may_change_its_leader() {
        use StepOp::{AddReplica, RemoveReplica, SetLeader};
        let mut s = two_zones();
        s.partitions[0].freeze = Some("maintenance".into());
        let broken =
            |s: &Snapshot, steps: &[Step]| PlanChecker::apply_steps(s.clone(), steps).unwrap_err();
        let v = broken(&s, &[step(SetLeader, 3), step(AddReplica, 4)]);
        assert_eq!(
            (v.invariant, v.at),
            (Invariant::FrozenReplicaSet, Location::Step(1))
        );
        assert_eq!(
            v.to_string(),
            "step 2 breaks invariant `frozen-replica-set` (a frozen partition's replica set does not change: no replica is added to or removed from a placed partition with a placement freeze): add-replica partition 0 on N4: partition 0 is frozen (maintenance); its replica set may not change"
        );
        assert_eq!(
            broken(&s, &[step(RemoveReplica, 3)]).invariant,
            Invariant::FrozenReplicaSet
        );
        assert!(PlanChecker::apply_steps(s.clone(), &[step(SetLeader, 3)]).is_ok());
        s.partitions[0].next = Some(vec![2]);
        assert_eq!(
            broken(&s, &[step(RemoveReplica, 2)]).invariant,
            Invariant::FrozenReplicaSet,
            "the pending next stays too"
        );
    }

    #[test]
    fn an_unplaced_frozen_partition_is_placed_in_one_answer_then_held() {
        use StepOp::{AddReplica, RemoveReplica, SetLeader};
        let mut s = two_zones();
        s.partitions[0] = Partition {
            freeze: Some("maintenance".into()),
            ..Partition::placed(0, &[], None)
        };
        let mut checker = PlanChecker::new(s);
        checker
            .steps(&[step(AddReplica, 1), step(AddReplica, 3), step(SetLeader, 1)])
            .unwrap();
        checker.begin_answer();
        let v = checker
            .steps(&[step(AddReplica, 4), step(RemoveReplica, 3)])
            .unwrap_err();
        assert_eq!(
            (v.invariant, v.at),
            (Invariant::FrozenReplicaSet, Location::Step(3))
        );
    }

    #[test]
    fn reconcile_never_takes_an_alive_worker_out_of_service() {
        use WorkerState::{Active, Disabled, Draining, Provisioning};
        let mut s = two_zones();
        s.nodes[3].worker_state = Provisioning;
        let t = |node, from, to| Transition {
            node,
            from,
            to,
            reason: String::new(),
        };
        let refused = |s: &Snapshot, t: Transition| {
            PlanChecker::new(s.clone())
                .transition(&t)
                .err()
                .map(|v| v.invariant)
        };
        let keeps = Some(Invariant::ReconcileKeepsCapacity);
        assert_eq!(refused(&s, t(2, Active, Disabled)), keeps);
        assert_eq!(refused(&s, t(2, Active, Draining)), keeps);
        assert_eq!(refused(&s, t(4, Provisioning, Disabled)), keeps);
        assert_eq!(refused(&s, t(4, Provisioning, Active)), None);
        // A dead worker may be drained by the policy; an operator may drain a live one.
        s.nodes[1].alive = false;
        assert_eq!(refused(&s, t(2, Active, Draining)), None);
        assert_eq!(refused(&s, t(2, Active, Disabled)), None);
        s.nodes[1].alive = true;
        let v = PlanChecker::new(s.clone())
            .transition(&t(2, Active, Disabled))
            .unwrap_err();
        assert_eq!(
            v.to_string(),
            "transition 1 breaks invariant `reconcile-keeps-capacity` (reconcile reacts to lifecycle events and never takes an alive active or provisioning node out of service (to draining or disabled); that is the operator's decision): N2 is active and alive; the policy moves it to disabled by itself"
        );
        assert!(PlanChecker::new(s)
            .requested_transition(&t(2, Active, Disabled))
            .is_ok());
    }
}

#[cfg(test)]
mod speed;
