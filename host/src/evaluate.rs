//! One evaluation (reconcile, then place, then rebalance, each answer checked against the
//! invariants on the snapshot it was given) and the simulation that repeats it until the plan
//! is empty and the cluster is settled.

use std::collections::hash_map::DefaultHasher;
use std::collections::HashSet;
use std::fmt;
use std::hash::{Hash, Hasher};

use worker_policy_model::invariants::PlanChecker;
use worker_policy_model::settled::{count_by_kind, Unsettled};
use worker_policy_model::{Plan, PolicyError, Snapshot};

use crate::error::{Error, PolicyFault};
use crate::hooks::{Hook, PolicyHooks};

/// The plan a policy decided for a snapshot, and the snapshot with the plan applied.
#[derive(Debug, Clone)]
pub struct Evaluation {
    /// Transitions and steps, in the order to apply them; every one checked.
    pub plan: Plan,
    /// The snapshot after the plan.
    pub after: Snapshot,
}

/// Asks the policy for its plan: reconcile, place and rebalance (at most `max_moves` added
/// replicas in the rebalance), each on the snapshot the previous answer leads to. Every
/// answer is checked against the invariants before the next hook is called.
pub fn evaluate(
    policy: &dyn PolicyHooks,
    snapshot: &Snapshot,
    max_moves: Option<u32>,
) -> Result<Evaluation, Error> {
    let mut checker = PlanChecker::new(snapshot.clone());

    let transitions = policy
        .reconcile(checker.snapshot())
        .map_err(|e| claim_checked(Hook::Reconcile, checker.snapshot(), e))?;
    for t in &transitions {
        checker
            .transition(t)
            .map_err(|v| Error::violation(Hook::Reconcile, v))?;
    }
    checker.begin_answer();
    let mut steps = policy
        .place(checker.snapshot())
        .map_err(|e| claim_checked(Hook::Place, checker.snapshot(), e))?;
    checker
        .steps(&steps)
        .map_err(|v| Error::violation(Hook::Place, v))?;
    checker
        .end_answer()
        .map_err(|v| Error::violation(Hook::Place, v))?;
    let rebalanced = policy
        .rebalance(checker.snapshot(), max_moves)
        .map_err(|e| claim_checked(Hook::Rebalance, checker.snapshot(), e))?;
    if let Some(max) = max_moves {
        checker
            .check_budget(&rebalanced, max)
            .map_err(|v| Error::violation(Hook::Rebalance, v))?;
    }
    checker.begin_answer();
    checker
        .steps(&rebalanced)
        .map_err(|v| Error::violation(Hook::Rebalance, v))?;
    checker
        .end_answer()
        .map_err(|v| Error::violation(Hook::Rebalance, v))?;
    steps.extend(rebalanced);
    Ok(Evaluation {
        plan: Plan { transitions, steps },
        after: checker.into_snapshot(),
    })
}

/// `error` as the host judges it: a policy's insufficient-nodes answer on a snapshot (`given`,
/// the one the hook saw) whose eligible workers satisfy the replication property is not a
/// refusal to pass on but the policy's fault ([`PolicyFault::FalseInsufficient`]).
fn claim_checked(hook: Hook, given: &Snapshot, error: Error) -> Error {
    match error {
        Error::Refused(PolicyError::InsufficientNodes(claimed))
            if given.shortfall_without(None).is_none() =>
        {
            let available = given
                .nodes
                .iter()
                .filter(|n| n.is_placement_candidate())
                .map(|n| n.domain(claimed.scope))
                .collect::<HashSet<_>>()
                .len() as u32;
            PolicyFault::FalseInsufficient {
                hook,
                claimed,
                replication: given.replication.to_string(),
                available,
            }
            .into()
        }
        other => other,
    }
}

/// Every round of a simulation and where it ended.
#[derive(Debug, Clone)]
pub struct Simulation {
    /// The plan of each round that changed something.
    pub rounds: Vec<Plan>,
    /// The snapshot after the last round.
    pub last: Snapshot,
}

/// A simulation whose plan became empty while the cluster is not settled: the policy stopped
/// with work left.
#[derive(Debug, Clone)]
pub struct StoppedUnsettled {
    /// The rounds run and where they ended.
    pub simulation: Simulation,
    /// What is left, in the order of [`Snapshot::unsettled`].
    pub left: Vec<Unsettled>,
    /// Whether the eligible workers can satisfy the replication property; when they cannot,
    /// the policy should have answered insufficient nodes.
    pub satisfiable: bool,
}

/// How many of what is left a summary names.
pub const NAMED_LEFT: usize = 5;

impl fmt::Display for StoppedUnsettled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let counts: Vec<String> = count_by_kind(&self.left)
            .into_iter()
            .map(|(kind, count)| kind.describe(count))
            .collect();
        let first: Vec<String> = self
            .left
            .iter()
            .take(NAMED_LEFT)
            .map(ToString::to_string)
            .collect();
        write!(
            f,
            "the policy stopped after {} round(s) with an empty plan, yet the cluster is not settled: {}; first: {}",
            self.simulation.rounds.len(),
            counts.join(", "),
            first.join("; ")
        )?;
        if !self.satisfiable {
            f.write_str("; the eligible workers cannot satisfy the replication property, so the policy should have answered insufficient nodes")?;
        }
        Ok(())
    }
}

/// Evaluates and applies until the plan is empty. Fails when `max_rounds` rounds do not get
/// there, at once when a round leads back to a snapshot seen before (the policy loops), and
/// when the plan is empty while the cluster is not settled ([`PolicyFault::StoppedUnsettled`]):
/// a simulation that returns converged, with the replication property satisfied.
pub fn simulate(
    policy: &dyn PolicyHooks,
    snapshot: &Snapshot,
    max_moves: Option<u32>,
    max_rounds: u32,
) -> Result<Simulation, Error> {
    simulate_each(policy, snapshot, max_moves, max_rounds, &mut |_, _| {})
}

/// [`simulate`], handing each round to `on_round` (its number, from 1, and its plan) as soon as
/// it is computed and checked, before the next one starts: for output that shows the rounds as
/// they come. A round that leads back to a snapshot seen before, or the last one allowed, is
/// handed over before the simulation fails.
pub fn simulate_each(
    policy: &dyn PolicyHooks,
    snapshot: &Snapshot,
    max_moves: Option<u32>,
    max_rounds: u32,
    on_round: &mut dyn FnMut(u32, &Plan),
) -> Result<Simulation, Error> {
    let mut seen = HashSet::from([fingerprint(snapshot)]);
    let mut current = snapshot.clone();
    let mut rounds = Vec::new();
    loop {
        let evaluation = evaluate(policy, &current, max_moves)?;
        if evaluation.plan.is_empty() {
            return settled(Simulation {
                rounds,
                last: current,
            });
        }
        let round = rounds.len() as u32 + 1;
        on_round(round, &evaluation.plan);
        rounds.push(evaluation.plan);
        current = evaluation.after;
        if !seen.insert(fingerprint(&current)) {
            return Err(PolicyFault::Loops { round }.into());
        }
        if round >= max_rounds {
            return Err(PolicyFault::NoConvergence { rounds: round }.into());
        }
    }
}

/// The simulation when its last cluster is settled; what is left otherwise.
fn settled(simulation: Simulation) -> Result<Simulation, Error> {
    let left = simulation.last.unsettled();
    if left.is_empty() {
        return Ok(simulation);
    }
    let satisfiable = simulation.last.shortfall_without(None).is_none();
    Err(PolicyFault::StoppedUnsettled(Box::new(StoppedUnsettled {
        simulation,
        left,
        satisfiable,
    }))
    .into())
}

fn fingerprint(snapshot: &Snapshot) -> u64 {
    let mut hasher = DefaultHasher::new();
    snapshot.hash(&mut hasher);
    hasher.finish()
}
