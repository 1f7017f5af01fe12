//! One evaluation (reconcile, then place, then rebalance, each answer checked against the
//! invariants on the snapshot it was given) and the simulation that repeats it until the plan
//! is empty.

use std::collections::hash_map::DefaultHasher;
use std::collections::HashSet;
use std::hash::{Hash, Hasher};

use worker_policy_model::invariants::PlanChecker;
use worker_policy_model::{Plan, Snapshot};

use crate::error::{Error, PolicyFault};
use crate::hooks::PolicyHooks;

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
    let broken = |hook, violation| Error::Fault(PolicyFault::Violation { hook, violation });

    let transitions = policy.reconcile(checker.snapshot())?;
    for t in &transitions {
        checker.transition(t).map_err(|v| broken("reconcile", v))?;
    }
    checker.begin_answer();
    let mut steps = policy.place(checker.snapshot())?;
    for s in &steps {
        checker.step(s).map_err(|v| broken("place", v))?;
    }
    let rebalanced = policy.rebalance(checker.snapshot(), max_moves)?;
    if let Some(max) = max_moves {
        checker
            .check_budget(&rebalanced, max)
            .map_err(|v| broken("rebalance", v))?;
    }
    checker.begin_answer();
    for s in &rebalanced {
        checker.step(s).map_err(|v| broken("rebalance", v))?;
    }
    steps.extend(rebalanced);
    Ok(Evaluation {
        plan: Plan { transitions, steps },
        after: checker.into_snapshot(),
    })
}

/// Every round of a simulation and where it ended.
#[derive(Debug, Clone)]
pub struct Simulation {
    /// The plan of each round that changed something.
    pub rounds: Vec<Plan>,
    /// The snapshot after the last round.
    pub last: Snapshot,
}

/// Evaluates and applies until the plan is empty. Fails when `max_rounds` rounds do not get
/// there, or at once when a round leads back to a snapshot seen before (the policy loops).
pub fn simulate(
    policy: &dyn PolicyHooks,
    snapshot: &Snapshot,
    max_moves: Option<u32>,
    max_rounds: u32,
) -> Result<Simulation, Error> {
    let mut seen = HashSet::from([fingerprint(snapshot)]);
    let mut current = snapshot.clone();
    let mut rounds = Vec::new();
    loop {
        let evaluation = evaluate(policy, &current, max_moves)?;
        if evaluation.plan.is_empty() {
            return Ok(Simulation {
                rounds,
                last: current,
            });
        }
        rounds.push(evaluation.plan);
        current = evaluation.after;
        let round = rounds.len() as u32;
        if !seen.insert(fingerprint(&current)) {
            return Err(PolicyFault::Loops { round }.into());
        }
        if round >= max_rounds {
            return Err(PolicyFault::NoConvergence { rounds: round }.into());
        }
    }
}

fn fingerprint(snapshot: &Snapshot) -> u64 {
    let mut hasher = DefaultHasher::new();
    snapshot.hash(&mut hasher);
    hasher.finish()
}
