//! Decommissioning a set of workers in a safe order: first whether the set can leave at all
//! (the eligible workers left without it must still satisfy the replication property), then
//! waves of at most `max_draining` nodes, each drained through the policy's own verdict (checked
//! by the host's [`check_verdict`]), simulated to convergence with every answer checked by the
//! invariant checker ([`simulate`]), and ended with the drained nodes disabled, by the policy's
//! `reconcile` or, when it leaves them draining, by an operator's request the policy allows.
//! Each wave is planned on a [`crate::planning_view`] where the nodes of later waves receive
//! nothing: a replica moves once, to a node that stays.

use std::collections::BTreeSet;
use std::fmt;

use worker_policy_model::invariants::PlanChecker;
use worker_policy_model::quality::{self, Quality};
use worker_policy_model::replication::Shortfall;
use worker_policy_model::snapshot::NodeLabel;
use worker_policy_model::{NodeId, Plan, Roles, Scope, Snapshot, StepOp, Transition, WorkerState};

use crate::eligibility::{diagnose, Eligibility, Shortage};
use crate::error::{Error, ErrorClass, PolicyFault};
use crate::evaluate::simulate;
use crate::hooks::PolicyHooks;
use crate::planning_view::{bring_back, without_candidates};
use crate::verdict_check::{apply_request, check_verdict};

/// What to decommission and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecommissionRequest {
    /// The nodes to remove, in the order to drain them.
    pub nodes: Vec<NodeId>,
    /// At most this many nodes drain at once (one wave); at least 1.
    pub max_draining: u32,
    /// At most this many replicas added by each round's rebalance.
    pub max_moves: Option<u32>,
    /// Each wave's simulation gives up after this many rounds.
    pub max_rounds: u32,
}

/// Why the set cannot leave: the first node (in the given order) without which the eligible
/// workers left could not satisfy the replication property, and the largest subset that can
/// leave, chosen greedily in the given order (each node is kept in the subset when the workers
/// left without it and the nodes already kept still satisfy the property).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CannotLeave {
    /// The first node that makes it impossible.
    pub node: NodeId,
    /// Where the eligible workers left would fall short.
    pub shortfall: Shortfall,
    /// The domains of the short scope the node leaves without an eligible worker (empty for the
    /// node scope, where the node itself is the domain).
    pub emptied: Vec<String>,
    /// Every node that cannot leave with the subset, in the given order.
    pub blocked: Vec<NodeId>,
    /// The largest subset that can leave (greedy in the given order).
    pub can_leave: Vec<NodeId>,
}

impl fmt::Display for CannotLeave {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let emptied = match self.emptied.as_slice() {
            [] => String::new(),
            names => format!(
                "; {} {} would have no eligible worker left",
                self.shortfall.scope,
                names.join(", ")
            ),
        };
        write!(
            f,
            "{} cannot leave: without it and the nodes before it, {} (scope {}{emptied}); the largest subset that can leave (greedy in the given order) is {}",
            NodeLabel(self.node),
            self.shortfall,
            self.shortfall.scope,
            labels(&self.can_leave)
        )
    }
}

/// Why a decommission does not go ahead.
#[derive(Debug, thiserror::Error)]
pub enum DecommissionError {
    /// No node was named.
    #[error("no node to decommission: name at least one")]
    NoNodes,
    /// Waves of no node.
    #[error("at most 0 nodes draining at once: allow at least 1")]
    NoWaveSize,
    /// A node the snapshot does not have.
    #[error("{} is not in the snapshot", NodeLabel(*.0))]
    UnknownNode(NodeId),
    /// A node named twice.
    #[error("{} is named twice", NodeLabel(*.0))]
    Repeated(NodeId),
    /// A node without the worker role: it holds no replicas to move.
    #[error("{} is not a worker: only workers hold replicas and have a worker state to change", NodeLabel(*.0))]
    NotAWorker(NodeId),
    /// The eligible workers cannot satisfy the replication property before any node leaves:
    /// no node of the set is the cause.
    #[error("{0}")]
    AlreadyShort(Box<Shortage>),
    /// The set cannot leave.
    #[error("{0}")]
    CannotLeave(Box<CannotLeave>),
    /// The policy failed or misbehaved, or refused to place (see [`Error::class`]).
    #[error(transparent)]
    Policy(#[from] Error),
}

impl DecommissionError {
    /// The exit class: bad input for the request's own mistakes, refused when the set cannot
    /// leave, and the policy's error's own class otherwise.
    pub fn class(&self) -> ErrorClass {
        match self {
            DecommissionError::NoNodes
            | DecommissionError::NoWaveSize
            | DecommissionError::UnknownNode(_)
            | DecommissionError::Repeated(_)
            | DecommissionError::NotAWorker(_) => ErrorClass::BadInput,
            DecommissionError::AlreadyShort(_) | DecommissionError::CannotLeave(_) => {
                ErrorClass::Refused
            }
            DecommissionError::Policy(error) => error.class(),
        }
    }
}

/// The policy refused to drain a node: the waves stop there, the ones before it done.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the policy refused to drain {} in wave {wave}: {reason}", NodeLabel(*.node))]
pub struct DrainRefused {
    /// The wave, from 1.
    pub wave: usize,
    /// The node.
    pub node: NodeId,
    /// The policy's reason.
    pub reason: String,
}

/// A drained node the wave could not disable, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotDisabled {
    /// The node.
    pub node: NodeId,
    /// Why it is not disabled.
    pub why: String,
}

/// One wave: its nodes drained, the simulation that emptied them, and how they ended.
#[derive(Debug, Clone)]
pub struct Wave {
    /// The nodes of the wave, in the given order.
    pub nodes: Vec<NodeId>,
    /// The nodes of later waves, which the wave's plan gave nothing and emptied.
    pub queued: Vec<NodeId>,
    /// The snapshot before the wave.
    pub start: Snapshot,
    /// The operator's transitions to draining, each allowed by the policy and the host.
    pub drains: Vec<Transition>,
    /// The plan of each round of the simulation, every answer checked by the invariant checker.
    pub rounds: Vec<Plan>,
    /// Transitions to disabled asked of the policy after the simulation, for drained nodes its
    /// `reconcile` left draining.
    pub disables: Vec<Transition>,
    /// Drained nodes left draining, and why.
    pub not_disabled: Vec<NotDisabled>,
    /// The snapshot after the wave.
    pub after: Snapshot,
}

impl Wave {
    /// Replicas placed on new nodes over every round.
    pub fn moves(&self) -> usize {
        self.rounds.iter().map(Plan::moves).sum()
    }

    /// Steps of one kind over every round.
    pub fn count(&self, op: StepOp) -> usize {
        self.rounds
            .iter()
            .flat_map(|plan| &plan.steps)
            .filter(|s| s.op == op)
            .count()
    }

    /// The quality of the wave's change, its start to its end, with the nodes of later waves
    /// counted as leaving (they are empty, and no placement candidates in the wave's plan).
    pub fn quality(&self) -> Quality {
        quality::measure(&self.start, &without_candidates(&self.after, &self.queued))
    }
}

/// Every wave of a decommission and where it ended: every wave done, and the policy's refusal
/// to drain a node when it stopped the waves there.
#[derive(Debug, Clone)]
pub struct Decommission {
    /// The waves done, in order.
    pub waves: Vec<Wave>,
    /// The snapshot after the last wave done.
    pub last: Snapshot,
    /// The refusal that stopped the waves, if any.
    pub refused: Option<DrainRefused>,
}

impl Decommission {
    /// Whether every node of the set ended disabled: no refusal stopped the waves and every
    /// wave disabled its nodes.
    pub fn is_complete(&self) -> bool {
        self.refused.is_none() && self.waves.iter().all(|w| w.not_disabled.is_empty())
    }

    /// Replicas placed on new nodes over every wave: the data the whole change copies.
    pub fn moves(&self) -> usize {
        self.waves.iter().map(Wave::moves).sum()
    }
}

/// Plans and simulates the decommission of `request.nodes` from `snapshot` with `policy`:
/// refused before any wave when the set cannot leave ([`CannotLeave`]); a drain the policy
/// refuses stops the waves there, and the result keeps the waves done ([`Decommission::refused`]).
pub fn decommission(
    policy: &dyn PolicyHooks,
    snapshot: &Snapshot,
    request: &DecommissionRequest,
) -> Result<Decommission, DecommissionError> {
    check_request(snapshot, request)?;
    check_can_leave(snapshot, &request.nodes)?;
    let mut waves = Vec::new();
    let mut current = snapshot.clone();
    let order = wave_order(snapshot, &request.nodes, request.max_draining as usize);
    for (i, nodes) in order.iter().enumerate() {
        let queued: Vec<NodeId> = order[i + 1..].concat();
        // A node the simulations before its wave already disabled is done.
        let nodes: Vec<NodeId> = nodes
            .iter()
            .copied()
            .filter(|&id| state_of(&current, id) != Some(WorkerState::Disabled))
            .collect();
        if nodes.is_empty() {
            continue;
        }
        let number = waves.len() + 1;
        let wave = match run_wave(policy, current.clone(), &nodes, &queued, number, request)? {
            Ok(wave) => wave,
            Err(refused) => {
                return Ok(Decommission {
                    waves,
                    last: current,
                    refused: Some(refused),
                })
            }
        };
        current = wave.after.clone();
        waves.push(wave);
    }
    Ok(Decommission {
        waves,
        last: current,
        refused: None,
    })
}

/// The waves of `nodes`, at most `max_draining` each, in the given order, except that the
/// nodes already draining go first, all in the first wave (they are draining already, and the
/// first wave's simulation empties them whatever their place in the order); nodes already
/// disabled are done and in no wave.
fn wave_order(snapshot: &Snapshot, nodes: &[NodeId], max_draining: usize) -> Vec<Vec<NodeId>> {
    let of_state = |state| {
        nodes
            .iter()
            .copied()
            .filter(move |&id| state_of(snapshot, id) == Some(state))
    };
    let mut first: Vec<NodeId> = of_state(WorkerState::Draining).collect();
    let mut rest = nodes
        .iter()
        .copied()
        .filter(|&id| {
            !matches!(
                state_of(snapshot, id),
                Some(WorkerState::Draining | WorkerState::Disabled)
            )
        })
        .peekable();
    while first.len() < max_draining && rest.peek().is_some() {
        first.extend(rest.next());
    }
    let rest: Vec<NodeId> = rest.collect();
    std::iter::once(first)
        .filter(|wave| !wave.is_empty())
        .chain(rest.chunks(max_draining).map(<[NodeId]>::to_vec))
        .collect()
}

/// Refuses a request that names no node, an unknown or repeated node, or a non-worker.
fn check_request(
    snapshot: &Snapshot,
    request: &DecommissionRequest,
) -> Result<(), DecommissionError> {
    if request.nodes.is_empty() {
        return Err(DecommissionError::NoNodes);
    }
    if request.max_draining == 0 {
        return Err(DecommissionError::NoWaveSize);
    }
    let mut seen = BTreeSet::new();
    for &id in &request.nodes {
        let node = snapshot
            .node(id)
            .ok_or(DecommissionError::UnknownNode(id))?;
        if !node.roles.contains(Roles::WORKER) {
            return Err(DecommissionError::NotAWorker(id));
        }
        if !seen.insert(id) {
            return Err(DecommissionError::Repeated(id));
        }
    }
    Ok(())
}

/// Refuses a set without which the eligible workers could not satisfy the replication
/// property, naming the first node that makes it impossible, the domains it would leave without
/// an eligible worker and the largest subset that can leave (greedy in the given order); a
/// cluster whose eligible workers fall short already is refused as such, blaming no node.
pub fn check_can_leave(snapshot: &Snapshot, nodes: &[NodeId]) -> Result<(), DecommissionError> {
    if let Some(already) = diagnose(snapshot, snapshot) {
        return Err(DecommissionError::AlreadyShort(Box::new(already)));
    }
    let mut leaving = BTreeSet::new();
    let mut blocked = Vec::new();
    let mut first = None;
    for &id in nodes {
        leaving.insert(id);
        // A node that is no eligible worker takes no capacity away.
        if !snapshot
            .node(id)
            .is_some_and(|n| n.is_placement_candidate())
        {
            continue;
        }
        let eligible = snapshot
            .nodes
            .iter()
            .filter(|n| n.is_placement_candidate() && !leaving.contains(&n.id));
        if let Some(shortfall) = snapshot.replication.shortfall(eligible) {
            leaving.remove(&id);
            blocked.push(id);
            first.get_or_insert((id, shortfall));
        }
    }
    let Some((node, shortfall)) = first else {
        return Ok(());
    };
    // The domains the node empties, next to the nodes before it that may leave.
    let before_it: Vec<NodeId> = nodes
        .iter()
        .take_while(|&&id| id != node)
        .copied()
        .filter(|id| leaving.contains(id))
        .collect();
    let emptied = match shortfall.scope {
        Scope::Node => Vec::new(),
        scope => {
            let served = |gone: &[NodeId]| {
                let view = without_candidates(snapshot, gone);
                Eligibility::of(&view)
                    .scopes
                    .into_iter()
                    .find(|s| s.scope == scope)
                    .map(|s| s.served)
                    .unwrap_or_default()
            };
            let mut with_it = before_it.clone();
            with_it.push(node);
            let after = served(&with_it);
            served(&before_it)
                .into_iter()
                .filter(|d| !after.contains(d))
                .collect()
        }
    };
    Err(DecommissionError::CannotLeave(Box::new(CannotLeave {
        node,
        shortfall,
        emptied,
        can_leave: nodes
            .iter()
            .copied()
            .filter(|id| leaving.contains(id))
            .collect(),
        blocked,
    })))
}

/// One wave: drain `nodes`, simulate to convergence on a view where the `queued` nodes (of
/// later waves) are no placement candidates, bring the rounds back to the real snapshot,
/// disable what drained; the policy's refusal to drain one of `nodes` is the inner error.
fn run_wave(
    policy: &dyn PolicyHooks,
    start: Snapshot,
    nodes: &[NodeId],
    queued: &[NodeId],
    number: usize,
    request: &DecommissionRequest,
) -> Result<Result<Wave, DrainRefused>, DecommissionError> {
    let (drained, drains) = match drain(policy, &start, nodes, number)? {
        Ok(drained) => drained,
        Err(refused) => return Ok(Err(refused)),
    };
    let view = without_candidates(&drained, queued);
    let simulation = simulate(policy, &view, request.max_moves, request.max_rounds)?;
    let (rounds, converged) = bring_back(&drained, &simulation.rounds, queued)?;
    let (after, disables, not_disabled) = disable_drained(policy, converged, nodes)?;
    Ok(Ok(Wave {
        nodes: nodes.to_vec(),
        queued: queued.to_vec(),
        start,
        drains,
        rounds,
        disables,
        not_disabled,
        after,
    }))
}

/// Moves each node that is not draining yet to draining, one after the other, each allowed by
/// the policy's verdict on the snapshot so far and the host's check of it; the policy's
/// refusal is the inner error.
fn drain(
    policy: &dyn PolicyHooks,
    start: &Snapshot,
    nodes: &[NodeId],
    wave: usize,
) -> Result<Result<(Snapshot, Vec<Transition>), DrainRefused>, DecommissionError> {
    let mut checker = PlanChecker::new(start.clone());
    let mut drains = Vec::new();
    for &node in nodes {
        let Some(from) = state_of(checker.snapshot(), node) else {
            return Err(DecommissionError::UnknownNode(node));
        };
        if from == WorkerState::Draining {
            continue;
        }
        let transition = match request(policy, &mut checker, node, from, WorkerState::Draining)? {
            Ok(transition) => transition,
            Err(reason) => return Ok(Err(DrainRefused { wave, node, reason })),
        };
        drains.push(transition);
    }
    Ok(Ok((checker.into_snapshot(), drains)))
}

/// Disables the wave's nodes that the simulation left draining: each is asked of the policy
/// and checked by the host; a refusal leaves the node draining, with the policy's reason.
fn disable_drained(
    policy: &dyn PolicyHooks,
    converged: Snapshot,
    nodes: &[NodeId],
) -> Result<(Snapshot, Vec<Transition>, Vec<NotDisabled>), DecommissionError> {
    let mut checker = PlanChecker::new(converged);
    let (mut disables, mut not_disabled) = (Vec::new(), Vec::new());
    for &node in nodes {
        let Some(from) = state_of(checker.snapshot(), node) else {
            return Err(DecommissionError::UnknownNode(node));
        };
        if from == WorkerState::Disabled {
            continue;
        }
        match request(policy, &mut checker, node, from, WorkerState::Disabled)? {
            Ok(transition) => disables.push(transition),
            Err(reason) => {
                let why = format!("the policy left it {from} and refuses to disable it: {reason}");
                not_disabled.push(NotDisabled { node, why });
            }
        }
    }
    Ok((checker.into_snapshot(), disables, not_disabled))
}

/// Asks the policy to move `node` from `from` to `to` on the checker's snapshot, as an operator
/// would: an allowed verdict is checked by the host and the transition applied through the
/// invariant checker; a refusal is the policy's reason.
fn request(
    policy: &dyn PolicyHooks,
    checker: &mut PlanChecker,
    node: NodeId,
    from: WorkerState,
    to: WorkerState,
) -> Result<Result<Transition, String>, Error> {
    let verdict = policy.validate_transition(checker.snapshot(), node, to)?;
    if !verdict.allowed {
        return Ok(Err(verdict.reason));
    }
    check_verdict(checker.snapshot(), node, to, &verdict)
        .map_err(PolicyFault::from)
        .map_err(Error::from)?;
    let transition = Transition {
        node,
        from,
        to,
        reason: verdict.reason,
    };
    apply_request(checker, &transition)?;
    Ok(Ok(transition))
}

fn state_of(snapshot: &Snapshot, node: NodeId) -> Option<WorkerState> {
    snapshot.node(node).map(|n| n.worker_state)
}

/// `N3, N4 and N7`, or `none`.
pub fn labels(nodes: &[NodeId]) -> String {
    if nodes.is_empty() {
        return "none".into();
    }
    nodes
        .iter()
        .map(|&n| NodeLabel(n).to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use worker_policy_model::{Node, Replication};

    /// `{zone: 3, node: 3}` over zones a (1, 2), b (3, 4), c (5); admin-only node 9.
    fn cluster() -> Snapshot {
        let mut admin = Node::worker(9, "c");
        admin.roles = Roles::ADMIN;
        Snapshot {
            replication: Replication::parse("{zone: 3, node: 3}").unwrap(),
            nodes: vec![
                Node::worker(1, "a"),
                Node::worker(2, "a"),
                Node::worker(3, "b"),
                Node::worker(4, "b"),
                Node::worker(5, "c"),
                admin,
            ],
            partitions: Vec::new(),
        }
    }

    fn request(nodes: &[NodeId]) -> DecommissionRequest {
        DecommissionRequest {
            nodes: nodes.to_vec(),
            max_draining: 1,
            max_moves: None,
            max_rounds: 10,
        }
    }

    #[test]
    fn the_last_worker_of_a_zone_blocks_and_the_greedy_subset_is_named() {
        let s = cluster();
        let Err(DecommissionError::CannotLeave(refusal)) = check_can_leave(&s, &[1, 5, 3, 4])
        else {
            panic!("N5 is zone c's only worker");
        };
        assert_eq!(refusal.node, 5);
        assert_eq!(refusal.blocked, [5, 4]);
        assert_eq!(refusal.can_leave, [1, 3]);
        assert_eq!(
            refusal.to_string(),
            "N5 cannot leave: without it and the nodes before it, 2 zone(s) available, the replication property requires 3 (scope zone; zone c would have no eligible worker left); the largest subset that can leave (greedy in the given order) is N1, N3"
        );
        assert!(check_can_leave(&s, &[1, 3]).is_ok());
    }

    #[test]
    fn a_cluster_already_short_blames_no_node_of_the_set() {
        let mut s = cluster();
        s.nodes[4].alive = false;
        let Err(DecommissionError::AlreadyShort(shortage)) = check_can_leave(&s, &[1]) else {
            panic!("zone c's only worker is dead");
        };
        let message = shortage.to_string();
        assert!(
            message.starts_with("the cluster is already short: ")
                && message.contains("c's workers: N5 dead")
                && !message.contains("N1"),
            "{message}"
        );
    }

    #[test]
    fn draining_nodes_go_in_the_first_wave_and_disabled_ones_in_none() {
        let mut s = cluster();
        s.nodes[2].worker_state = WorkerState::Draining;
        s.nodes[1].worker_state = WorkerState::Disabled;
        assert_eq!(wave_order(&s, &[1, 3], 1), [vec![3], vec![1]]);
        assert_eq!(wave_order(&s, &[4, 2, 1, 3], 2), [vec![3, 4], vec![1]]);
        assert_eq!(wave_order(&s, &[2], 1), Vec::<Vec<NodeId>>::new());
        assert_eq!(wave_order(&s, &[1, 4, 5], 2), [vec![1, 4], vec![5]]);
    }

    #[test]
    fn bad_requests_are_bad_input() {
        let s = cluster();
        let class = |nodes: &[NodeId]| check_request(&s, &request(nodes)).unwrap_err().class();
        for nodes in [&[][..], &[7], &[1, 1], &[9]] {
            assert_eq!(class(nodes), ErrorClass::BadInput, "{nodes:?}");
        }
        let mut zero = request(&[1]);
        zero.max_draining = 0;
        assert!(matches!(
            check_request(&s, &zero),
            Err(DecommissionError::NoWaveSize)
        ));
    }
}
