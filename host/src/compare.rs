//! What changes if an operator swaps one policy for another: both policies' answers on the same
//! snapshot, side by side. [`compare`] runs `evaluate`, every `validate-transition` verdict and
//! `simulate` to convergence for both, and keeps what differs: transitions, steps only in one
//! plan (as sets of operation, partition and node, reasons aside), verdicts, the quality
//! figures and how each simulation ended. A policy that faults is a result here, not an abort.
//! [`compare_all`] does the same over a corpus, in parallel.

mod corpus;
mod outcome;
mod plans;
mod spread;
mod verdicts;

use worker_policy_model::quality::{self, Quality};
use worker_policy_model::{Plan, Snapshot};

pub use corpus::compare_all;
pub use outcome::{Failure, Outcome};
pub use plans::{PlanDifference, StepKey, TransitionDifference};
pub use spread::{max_over_mean, Spread};
pub use verdicts::{compare_verdicts, VerdictDifference, Verdicts};

use crate::evaluate::{evaluate, simulate};
use crate::hooks::PolicyHooks;

/// How both policies are run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// At most this many replicas added by each rebalance (`None`: no budget).
    pub max_moves: Option<u32>,
    /// A simulation that has not converged after this many rounds is a fault.
    pub max_rounds: u32,
}

/// The same thing for the current policy and for the candidate.
#[derive(Debug, Clone, PartialEq)]
pub struct Sides<T> {
    /// The policy in use.
    pub current: T,
    /// The policy that would replace it.
    pub candidate: T,
}

impl<T> Sides<T> {
    /// Both sides, each through `f`.
    pub fn map<U>(&self, mut f: impl FnMut(&T) -> U) -> Sides<U> {
        Sides {
            current: f(&self.current),
            candidate: f(&self.candidate),
        }
    }
}

/// One policy's `evaluate`: its plan and the quality it leads to.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluated {
    /// The checked plan.
    pub plan: Plan,
    /// The quality of the change from the snapshot to the plan's result.
    pub quality: Quality,
    /// Most replicas and leaders on one eligible node over the mean, after the plan.
    pub spread: Spread,
}

/// One policy's `simulate`, run to convergence.
#[derive(Debug, Clone, PartialEq)]
pub struct Simulated {
    /// Rounds that changed something.
    pub rounds: u32,
    /// The quality of the whole change, first snapshot to last.
    pub quality: Quality,
    /// Most replicas and leaders on one eligible node over the mean, at the end.
    pub spread: Spread,
}

/// What a snapshot shows when the candidate replaces the current policy.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// Each side's `evaluate`.
    pub evaluations: Sides<Outcome<Evaluated>>,
    /// How the two plans differ, when both answered with a plan.
    pub plans: Option<PlanDifference>,
    /// Each side's verdict on every node and target state, where they differ.
    pub verdicts: Verdicts,
    /// Each side's `simulate`.
    pub simulations: Sides<Outcome<Simulated>>,
    /// Whether the simulations decide differently: one refuses and the other does not (or
    /// they refuse differently), or they converge after different numbers of rounds or to
    /// different clusters.
    pub simulations_differ: bool,
}

/// What a comparison comes to, from the best news to the worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Finding {
    /// Both policies decide the same: the same transitions, step sets, verdicts and ends.
    Identical,
    /// The decisions differ.
    Differ,
    /// Either policy misbehaved: a fault, a broken invariant, no convergence.
    Misbehaves,
}

impl Finding {
    /// `identical`, `differ` or `misbehaves`.
    pub fn name(self) -> &'static str {
        match self {
            Finding::Identical => "identical",
            Finding::Differ => "differ",
            Finding::Misbehaves => "misbehaves",
        }
    }
}

/// Runs `current` and `candidate` on `snapshot` and keeps what differs.
pub fn compare(
    current: &dyn PolicyHooks,
    candidate: &dyn PolicyHooks,
    snapshot: &Snapshot,
    options: &Options,
) -> Comparison {
    let evaluations = Sides {
        current: evaluated(current, snapshot, options),
        candidate: evaluated(candidate, snapshot, options),
    };
    let plans = match (&evaluations.current, &evaluations.candidate) {
        (Outcome::Answered(a), Outcome::Answered(b)) => {
            Some(PlanDifference::between(&a.plan, &b.plan))
        }
        _ => None,
    };
    let runs = Sides {
        current: simulated(current, snapshot, options),
        candidate: simulated(candidate, snapshot, options),
    };
    let simulations_differ = match (&runs.current, &runs.candidate) {
        (Outcome::Answered((a, a_end)), Outcome::Answered((b, b_end))) => {
            a.rounds != b.rounds || a_end != b_end
        }
        (a, b) => a.refusal() != b.refusal(),
    };
    Comparison {
        evaluations,
        plans,
        verdicts: compare_verdicts(current, candidate, snapshot),
        simulations: runs.map(|run| run.as_ref().map(|(figures, _)| figures.clone())),
        simulations_differ,
    }
}

impl Comparison {
    /// Misbehaves when either side failed anywhere; differ when any decision differs;
    /// identical otherwise.
    pub fn finding(&self) -> Finding {
        if self.failed() {
            Finding::Misbehaves
        } else if self.differs() {
            Finding::Differ
        } else {
            Finding::Identical
        }
    }

    /// Whether either policy failed on any call.
    fn failed(&self) -> bool {
        let (e, s) = (&self.evaluations, &self.simulations);
        e.current.is_failure()
            || e.candidate.is_failure()
            || s.current.is_failure()
            || s.candidate.is_failure()
            || self.verdicts.failures() > 0
    }

    /// Whether any decision differs.
    fn differs(&self) -> bool {
        let plans_differ = match &self.plans {
            Some(plans) => !plans.is_empty(),
            None => self.evaluations.current.refusal() != self.evaluations.candidate.refusal(),
        };
        plans_differ || !self.verdicts.differences.is_empty() || self.simulations_differ
    }
}

/// `evaluate`, with the quality of its result.
fn evaluated(
    policy: &dyn PolicyHooks,
    snapshot: &Snapshot,
    options: &Options,
) -> Outcome<Evaluated> {
    Outcome::from(
        evaluate(policy, snapshot, options.max_moves).map(|evaluation| Evaluated {
            quality: quality::measure(snapshot, &evaluation.after),
            spread: Spread::of(&evaluation.after),
            plan: evaluation.plan,
        }),
    )
}

/// `simulate`, with its figures and the cluster it ended with.
fn simulated(
    policy: &dyn PolicyHooks,
    snapshot: &Snapshot,
    options: &Options,
) -> Outcome<(Simulated, Snapshot)> {
    let run = simulate(policy, snapshot, options.max_moves, options.max_rounds);
    Outcome::from(run.map(|simulation| {
        let figures = Simulated {
            rounds: simulation.rounds.len() as u32,
            quality: quality::measure(snapshot, &simulation.last),
            spread: Spread::of(&simulation.last),
        };
        (figures, simulation.last)
    }))
}
