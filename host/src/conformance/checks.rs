//! The checks the suite runs on one cluster, each a function of the policy and the snapshot so
//! it can be rerun on smaller snapshots while shrinking: repeated evaluate-and-apply until the
//! plan is empty (properties 1, 2, 3, 4, 5, 7, 8 and 9 through the host's invariant checks and
//! the settled state, 10 on the settled state's leaders), determinism (6) and the transition rules (2: safety; a verdict that only
//! differs from the reference rules is a [`Departure`], not a failure).

use std::collections::HashMap;

use worker_policy_model::generate::permute;
use worker_policy_model::settled::UnsettledKind;
use worker_policy_model::snapshot::node_label;
use worker_policy_model::{NodeId, Plan, PolicyError, Snapshot, StepOp, Transition, WorkerState};

use super::property::{attribute, Property};
use super::rules::{Departure, ReferenceRules};
use super::Counterexample;
use crate::error::{Error, PolicyFault};
use crate::evaluate::evaluate;
use crate::hooks::PolicyHooks;

/// Rounds of evaluate-and-apply before a run without a move budget counts as not converging.
pub(crate) const MAX_ROUNDS: u32 = 30;

/// Rounds of evaluate-and-apply before a run on `snapshot` counts as not converging: with a
/// move budget, enough more for every replica of every partition to move twice.
fn round_limit(snapshot: &Snapshot, max_moves: Option<u32>) -> u32 {
    let replicas = snapshot.partitions.len() as u32 * snapshot.replication.factor();
    MAX_ROUNDS + max_moves.map_or(0, |m| (2 * replicas).div_ceil(m.max(1)))
}

/// How to see a finding again with the CLI, on its counterexample file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Replay {
    /// `evaluate` on the file shows it.
    Evaluate {
        /// The move budget the suite used.
        max_moves: Option<u32>,
    },
    /// `simulate` from the file shows it.
    Simulate {
        /// The move budget the suite used.
        max_moves: Option<u32>,
        /// The rounds the suite allowed.
        max_rounds: u32,
    },
    /// `transition` on the file shows the verdict.
    Transition {
        /// The node asked about.
        node: NodeId,
        /// The state asked for.
        to: WorkerState,
    },
    /// Only the library shows it: `evaluate` the shuffled snapshot in its own order. The CLI
    /// sorts every snapshot it reads by id, so an order dependence never shows there.
    Shuffled {
        /// The move budget the suite used.
        max_moves: Option<u32>,
    },
    /// `evaluate` with these settings shows it: the policy's check of them fails.
    Settings {
        /// The settings the suite handed the policy.
        json: String,
    },
}

impl Replay {
    /// The CLI verb and options that replay it (add `--snapshot FILE` and the policy); `None`
    /// when only the library can.
    pub fn args(&self) -> Option<Vec<String>> {
        let budget = |max_moves: Option<u32>| {
            max_moves.map_or(Vec::new(), |m| vec!["--max-moves".into(), m.to_string()])
        };
        Some(match *self {
            Replay::Evaluate { max_moves } => [vec!["evaluate".into()], budget(max_moves)].concat(),
            Replay::Simulate {
                max_moves,
                max_rounds,
            } => [
                vec!["simulate".into()],
                budget(max_moves),
                vec!["--max-rounds".into(), max_rounds.to_string()],
            ]
            .concat(),
            Replay::Transition { node, to } => vec![
                "transition".into(),
                "--node".into(),
                node_label(node),
                "--to".into(),
                to.name().into(),
            ],
            Replay::Settings { ref json } => {
                vec!["evaluate".into(), "--settings-json".into(), json.clone()]
            }
            Replay::Shuffled { .. } => return None,
        })
    }
}

/// A check that failed: the property it broke and the counterexample (its `scenario` and
/// `files` are filled in by the suite).
#[derive(Debug, Clone)]
pub(crate) struct Finding {
    /// The property broken.
    pub property: Property,
    /// The request, the answer, why, and the cluster it was made on.
    pub example: Counterexample,
}

impl Finding {
    pub(crate) fn new(
        property: Property,
        request: String,
        answer: String,
        why: String,
        snapshot: &Snapshot,
        replay: Replay,
    ) -> Finding {
        Finding {
            property,
            example: Counterexample {
                scenario: String::new(),
                request,
                answer,
                why,
                snapshot: snapshot.clone(),
                shuffled: None,
                replay,
                files: Vec::new(),
            },
        }
    }
}

/// One check of one cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Check {
    /// Evaluate and apply until the plan is empty, then look at the settled cluster.
    Converge { max_moves: Option<u32> },
    /// Evaluate twice, and once on a shuffled copy (permutation `seed`).
    Determinism { seed: u64, max_moves: Option<u32> },
    /// Ask `validate-transition` to move `node` (known or not) to `to`.
    Transition { node: NodeId, to: WorkerState },
}

/// What one check found: a safety failure, and how a verdict differs from the reference rules.
#[derive(Debug, Clone, Default)]
pub(crate) struct Outcome {
    /// The property the check found broken, if any.
    pub finding: Option<Finding>,
    /// For a transition request: the verdict's difference from the reference rules, if any.
    pub departure: Option<Departure>,
}

impl From<Option<Finding>> for Outcome {
    fn from(finding: Option<Finding>) -> Outcome {
        Outcome {
            finding,
            departure: None,
        }
    }
}

impl Check {
    /// Runs the check on `snapshot`; `None` when it passes.
    pub fn run(&self, policy: &dyn PolicyHooks, snapshot: &Snapshot) -> Option<Finding> {
        self.run_against(policy, snapshot, ReferenceRules::default())
            .finding
    }

    /// Runs the check on `snapshot`, comparing a verdict with `rules`.
    pub fn run_against(
        &self,
        policy: &dyn PolicyHooks,
        snapshot: &Snapshot,
        rules: ReferenceRules,
    ) -> Outcome {
        match *self {
            Check::Converge { max_moves } => converge(policy, snapshot, max_moves).into(),
            Check::Determinism { seed, max_moves } => {
                determinism(policy, snapshot, seed, max_moves).into()
            }
            Check::Transition { node, to } => transition(policy, snapshot, node, to, rules),
        }
    }

    /// The node the check is about, which shrinking must keep.
    pub fn node(&self) -> Option<NodeId> {
        match *self {
            Check::Transition { node, .. } => Some(node),
            _ => None,
        }
    }
}

/// Whether the eligible workers of `snapshot` can satisfy its replication property.
fn capacity_allows(snapshot: &Snapshot) -> bool {
    snapshot.shortfall_without(None).is_none()
}

fn budget(max_moves: Option<u32>) -> String {
    max_moves.map_or(String::new(), |m| format!(" --max-moves {m}"))
}

/// Evaluate-and-apply until the plan is empty (or a typed insufficient-nodes error where the
/// capacity does not allow placing), checking every round and the settled cluster. Each round
/// starts from the sorted form of the cluster, as the CLI reads it from a file, so the
/// snapshot of a failing round replays exactly.
fn converge(policy: &dyn PolicyHooks, start: &Snapshot, max_moves: Option<u32>) -> Option<Finding> {
    let mut current = start.clone().canonical();
    let mut seen = HashMap::from([(current.clone(), 0u32)]);
    let evaluate_replay = Replay::Evaluate { max_moves };
    let max_rounds = round_limit(start, max_moves);
    let simulate_replay = Replay::Simulate {
        max_moves,
        max_rounds,
    };
    for round in 1..=max_rounds {
        let finding = |property, answer: String, why: String, snapshot: &Snapshot| {
            let request = format!(
                "evaluate{} (round {round} of evaluate-and-apply)",
                budget(max_moves)
            );
            Finding::new(
                property,
                request,
                answer,
                why,
                snapshot,
                evaluate_replay.clone(),
            )
        };
        let evaluation = match evaluate(policy, &current, max_moves) {
            Ok(evaluation) => evaluation,
            Err(Error::Refused(PolicyError::InsufficientNodes(_)))
                if !capacity_allows(&current) =>
            {
                return None;
            }
            Err(error) => {
                let (property, why) = attribute(&error, Property::Convergence);
                return Some(finding(property, error.to_string(), why, &current));
            }
        };
        if let Some((answer, why)) = breaks_rules(&current, &evaluation.plan.transitions) {
            return Some(finding(Property::TransitionRules, answer, why, &current));
        }
        if let Some(answer) = unexplained(&evaluation.plan) {
            return Some(finding(
                Property::ContractHygiene,
                answer,
                WHY_A_REASON.into(),
                &current,
            ));
        }
        if evaluation.plan.is_empty() {
            return unsettled(&current)
                .map(|(property, why)| finding(property, "an empty plan".into(), why, &current));
        }
        current = evaluation.after.canonical();
        if let Some(&earlier) = seen.get(&current) {
            let error = Error::Fault(PolicyFault::Loops { round });
            let (property, why) = attribute(&error, Property::Stability);
            return Some(Finding::new(
                property,
                format!("evaluate-and-apply{}, {round} round(s)", budget(max_moves)),
                format!("{error} (the cluster of round {earlier})"),
                why,
                &current,
                simulate_replay,
            ));
        }
        seen.insert(current.clone(), round);
    }
    let error = Error::Fault(PolicyFault::NoConvergence { rounds: max_rounds });
    let (property, why) = attribute(&error, Property::Convergence);
    Some(Finding::new(
        property,
        format!(
            "evaluate-and-apply{}, {max_rounds} rounds",
            budget(max_moves)
        ),
        error.to_string(),
        why,
        start,
        simulate_replay,
    ))
}

/// The first transition `reconcile` made that is a hazard of the model: what it did and the
/// rule it breaks.
fn breaks_rules(snapshot: &Snapshot, transitions: &[Transition]) -> Option<(String, String)> {
    let mut state = snapshot.clone();
    for t in transitions {
        let i = state.nodes.iter().position(|n| n.id == t.node)?;
        if let Some(hazard) = state.transition_hazard(t.node, t.to) {
            return Some((
                format!(
                    "reconcile moves {} {} -> {}: {}",
                    node_label(t.node),
                    t.from,
                    t.to,
                    t.reason
                ),
                hazard.to_string(),
            ));
        }
        state.nodes[i].worker_state = t.to;
    }
    None
}

/// Why a blank reason fails contract hygiene.
const WHY_A_REASON: &str =
    "the contract asks every verdict, transition and step for its reason, in words an operator understands; a blank one says nothing";

/// The first transition or step of `plan` whose reason is blank, described.
fn unexplained(plan: &Plan) -> Option<String> {
    let transition = plan.transitions.iter().find(|t| t.reason.trim().is_empty());
    if let Some(t) = transition {
        return Some(format!(
            "reconcile moves {} {} -> {} with a blank reason",
            node_label(t.node),
            t.from,
            t.to
        ));
    }
    let step = plan.steps.iter().find(|s| s.reason.trim().is_empty())?;
    Some(format!("{step} with a blank reason"))
}

/// What is wrong with a cluster the policy has nothing more to do for, if anything: the first
/// of the model's [`Snapshot::unsettled`] problems, a failure of leader placement (property 5)
/// when it is about a leader and of convergence (property 4) otherwise; then the first leader
/// affinity it could honour and does not (property 10). A draining node only frozen
/// partitions hold is blocked, not unsettled.
fn unsettled(s: &Snapshot) -> Option<(Property, String)> {
    let Some(first) = s.unsettled().into_iter().next() else {
        let miss = s.affinity_misses().into_iter().next()?;
        return Some((
            Property::LeaderAffinity,
            format!("the plan is empty, yet {miss}"),
        ));
    };
    if first.kind() == UnsettledKind::LeaderOffEligibleReplica {
        return Some((
            Property::LeaderPlacement,
            format!("the plan is empty, yet {first}"),
        ));
    }
    let short = if capacity_allows(s) {
        ""
    } else {
        "; the eligible workers cannot satisfy the replication property, so the policy must answer insufficient nodes instead"
    };
    Some((
        Property::Convergence,
        format!("the plan is empty, yet {first}{short}"),
    ))
}

/// What a plan decides, without the reasons: transitions and steps in order.
type Decisions = (
    Vec<(NodeId, WorkerState, WorkerState)>,
    Vec<(StepOp, u32, NodeId)>,
);

/// The answer to `evaluate`, as a comparable value: the plan, or the error's text.
fn outcome(
    policy: &dyn PolicyHooks,
    snapshot: &Snapshot,
    max_moves: Option<u32>,
) -> Result<Plan, String> {
    evaluate(policy, snapshot, max_moves)
        .map(|e| e.plan)
        .map_err(|e| e.to_string())
}

fn decisions(outcome: &Result<Plan, String>) -> Result<Decisions, String> {
    let plan = outcome.as_ref().map_err(Clone::clone)?;
    Ok((
        plan.transitions
            .iter()
            .map(|t| (t.node, t.from, t.to))
            .collect(),
        plan.steps
            .iter()
            .map(|s| (s.op, s.partition, s.node))
            .collect(),
    ))
}

/// A short account of an answer to `evaluate`.
fn describe(outcome: &Result<Plan, String>) -> String {
    match outcome {
        Err(error) => format!("error: {error}"),
        Ok(plan) => {
            let mut parts: Vec<String> = plan
                .transitions
                .iter()
                .map(|t| format!("{} {} -> {}", node_label(t.node), t.from, t.to))
                .chain(plan.steps.iter().map(ToString::to_string))
                .collect();
            if parts.is_empty() {
                return "an empty plan".into();
            }
            if parts.len() > 6 {
                let more = parts.len() - 6;
                parts.truncate(6);
                parts.push(format!("and {more} more"));
            }
            parts.join("; ")
        }
    }
}

/// The same input twice, then the same cluster shuffled: the same answers and decisions.
fn determinism(
    policy: &dyn PolicyHooks,
    snapshot: &Snapshot,
    seed: u64,
    max_moves: Option<u32>,
) -> Option<Finding> {
    let first = outcome(policy, snapshot, max_moves);
    let again = outcome(policy, snapshot, max_moves);
    if first != again {
        return Some(Finding::new(
            Property::Determinism,
            format!("evaluate{}, twice on the same input", budget(max_moves)),
            format!("first: {}; then: {}", describe(&first), describe(&again)),
            "the same input must give the same answer, byte for byte".into(),
            snapshot,
            Replay::Evaluate { max_moves },
        ));
    }
    let shuffled = permute(snapshot, seed);
    let other = outcome(policy, &shuffled, max_moves);
    if decisions(&first) == decisions(&other) {
        return None;
    }
    let mut finding = Finding::new(
        Property::Determinism,
        format!(
            "evaluate{} on the same cluster with nodes, partitions and replicas shuffled (permutation seed {seed})",
            budget(max_moves)
        ),
        format!(
            "as given: {}; shuffled: {}",
            describe(&first),
            describe(&other)
        ),
        "the decisions depend on the order of the input, which the contract does not promise".into(),
        snapshot,
        Replay::Shuffled { max_moves },
    );
    finding.example.shuffled = Some(shuffled);
    Some(finding)
}

/// `validate-transition` against safety: a verdict that allows one of the model's hazards
/// fails property 2 (a node the snapshot does not have must be refused, or answered with
/// unknown-node); any other verdict passes, and one that differs from `rules` is a departure.
fn transition(
    policy: &dyn PolicyHooks,
    snapshot: &Snapshot,
    node: NodeId,
    to: WorkerState,
    rules: ReferenceRules,
) -> Outcome {
    let label = node_label(node);
    let request = match snapshot.node(node) {
        Some(n) => format!(
            "validate-transition {label} -> {to} ({label} is {})",
            n.worker_state
        ),
        None => format!("validate-transition {label} -> {to} ({label} is not in the snapshot)"),
    };
    let finding = |property, answer, why| {
        Some(Finding::new(
            property,
            request.clone(),
            answer,
            why,
            snapshot,
            Replay::Transition { node, to },
        ))
    };
    let verdict = match policy.validate_transition(snapshot, node, to) {
        Ok(verdict) => verdict,
        Err(Error::Refused(PolicyError::UnknownNode(id)))
            if id == node && snapshot.node(node).is_none() =>
        {
            return Outcome::default();
        }
        Err(error) => {
            let (property, why) = attribute(&error, Property::TransitionRules);
            return finding(property, error.to_string(), why).into();
        }
    };
    if verdict.reason.trim().is_empty() {
        let answer = format!("allowed: {}, with a blank reason", verdict.allowed);
        return finding(Property::ContractHygiene, answer, WHY_A_REASON.into()).into();
    }
    if verdict.allowed {
        if let Some(hazard) = snapshot.transition_hazard(node, to) {
            return finding(
                Property::TransitionRules,
                format!("allowed: {}", verdict.reason),
                format!("no policy may allow it: {hazard}"),
            )
            .into();
        }
    }
    Outcome {
        finding: None,
        departure: snapshot.node(node).and_then(|n| {
            Departure::of(rules, snapshot, n, to, (verdict.allowed, &verdict.reason))
        }),
    }
}
