//! One snapshot's comparison of two policies, side by side: each side's `evaluate` and
//! `simulate` figures (or its refusal or failure), then what differs.

use serde::Serialize;
use worker_policy::compare::{Comparison, Evaluated, Outcome, Sides, Simulated, Spread};

use super::plan::PlanView;
use super::plan_difference::{PlanDifferenceView, VerdictsView};
use super::quality::QualityView;

/// One snapshot compared.
#[derive(Debug, Serialize)]
pub struct ComparisonView {
    /// Each side's `evaluate`.
    pub evaluate: SidesView<EvaluatedView>,
    /// The snapshot file.
    pub file: String,
    /// `identical`, `differ` or `misbehaves`.
    pub finding: &'static str,
    /// How the plans differ; absent unless both sides answered with a plan.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plans: Option<PlanDifferenceView>,
    /// Each side's `simulate`.
    pub simulate: SidesView<SimulatedView>,
    /// Whether the simulations refuse differently, take different rounds or end apart.
    pub simulations_differ: bool,
    /// The comparison in one line.
    pub summary: String,
    /// The verdicts compared and those that differ.
    pub verdicts: VerdictsView,
    /// The snapshot in one line (table only).
    #[serde(skip)]
    pub snapshot_line: String,
}

/// The current and the candidate policy's result.
#[derive(Debug, Serialize)]
pub struct SidesView<T> {
    /// The candidate's.
    pub candidate: SideView<T>,
    /// The current policy's.
    pub current: SideView<T>,
}

/// One side's result: its answer, or the error it refused or failed with.
#[derive(Debug, Serialize)]
pub struct SideView<T> {
    /// The figures of the answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answer: Option<T>,
    /// The refusal or failure, in words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// `answered`, `refused` or `failed`.
    pub outcome: &'static str,
}

/// Most replicas and leaders on one eligible worker over the mean.
#[derive(Debug, Serialize)]
pub struct SpreadView {
    /// Leaders.
    pub leaders: f64,
    /// Replicas.
    pub replicas: f64,
}

/// One side's `evaluate`, in figures.
#[derive(Debug, Serialize)]
pub struct EvaluatedView {
    /// Max over mean after the plan.
    pub max_over_mean: SpreadView,
    /// The quality of the plan's result.
    pub quality: QualityView,
    /// The plan counted in one line.
    pub summary: String,
}

/// One side's `simulate`, in figures.
#[derive(Debug, Serialize)]
pub struct SimulatedView {
    /// Max over mean at the end.
    pub max_over_mean: SpreadView,
    /// The quality of the whole change.
    pub quality: QualityView,
    /// Rounds to converge.
    pub rounds: u32,
}

impl From<&Spread> for SpreadView {
    fn from(s: &Spread) -> SpreadView {
        SpreadView {
            leaders: s.leaders,
            replicas: s.replicas,
        }
    }
}

impl From<&Evaluated> for EvaluatedView {
    fn from(e: &Evaluated) -> EvaluatedView {
        EvaluatedView {
            max_over_mean: SpreadView::from(&e.spread),
            quality: QualityView::from(&e.quality),
            summary: PlanView::from(&e.plan).summary(),
        }
    }
}

impl From<&Simulated> for SimulatedView {
    fn from(s: &Simulated) -> SimulatedView {
        SimulatedView {
            max_over_mean: SpreadView::from(&s.spread),
            quality: QualityView::from(&s.quality),
            rounds: s.rounds,
        }
    }
}

impl<T> SideView<T> {
    /// `outcome`, its answer through `view`.
    fn of<A>(outcome: &Outcome<A>, view: impl Fn(&A) -> T) -> SideView<T> {
        match outcome {
            Outcome::Answered(a) => SideView {
                answer: Some(view(a)),
                error: None,
                outcome: "answered",
            },
            Outcome::Refused(e) => SideView {
                answer: None,
                error: Some(e.to_string()),
                outcome: "refused",
            },
            Outcome::Failed(f) => SideView {
                answer: None,
                error: Some(f.message.clone()),
                outcome: "failed",
            },
        }
    }

    /// The answer's cell through `cell`, or what took its place.
    fn cell(&self, cell: impl Fn(&T) -> String) -> String {
        self.answer
            .as_ref()
            .map_or_else(|| self.outcome.into(), cell)
    }
}

impl<T> SidesView<T> {
    fn of<A>(sides: &Sides<Outcome<A>>, view: impl Fn(&A) -> T) -> SidesView<T> {
        SidesView {
            candidate: SideView::of(&sides.candidate, &view),
            current: SideView::of(&sides.current, &view),
        }
    }

    /// One row of the side-by-side grid.
    fn row(&self, label: &str, cell: impl Fn(&T) -> String) -> String {
        format!(
            "  {label:<22} {:<32} {}\n",
            self.current.cell(&cell),
            self.candidate.cell(&cell)
        )
    }

    /// The errors each side refused or failed with, one line each.
    fn errors(&self, what: &str) -> String {
        let mut out = String::new();
        for (side, view) in [("current", &self.current), ("candidate", &self.candidate)] {
            if let Some(error) = &view.error {
                out.push_str(&format!("  {what} {side} {}: {error}\n", view.outcome));
            }
        }
        out
    }
}

impl ComparisonView {
    /// `comparison` of the snapshot read from `file`, described by `snapshot_line`.
    pub fn new(file: String, snapshot_line: String, comparison: &Comparison) -> ComparisonView {
        let plans = comparison.plans.as_ref().map(PlanDifferenceView::from);
        let verdicts = VerdictsView::from(&comparison.verdicts);
        let finding = comparison.finding().name();
        let summary = summary(finding, plans.as_ref(), &verdicts, comparison);
        ComparisonView {
            evaluate: SidesView::of(&comparison.evaluations, |e| EvaluatedView::from(e)),
            file,
            finding,
            plans,
            simulate: SidesView::of(&comparison.simulations, |s| SimulatedView::from(s)),
            simulations_differ: comparison.simulations_differ,
            summary,
            verdicts,
            snapshot_line,
        }
    }

    /// The comparison as aligned text: the grid, the errors, then the differences.
    pub fn table(&self) -> String {
        let (e, s) = (&self.evaluate, &self.simulate);
        let mut out = format!("\n{}", self.snapshot_line);
        out.push_str(&format!("  {:<22} {:<32} candidate\n", "", "current"));
        out.push_str(&e.row("evaluate: steps", |a| step_counts(&a.summary)));
        out.push_str(&e.row("  moves (lower bound)", |a| {
            format!("{} ({})", a.quality.moves, a.quality.lower_bound.value)
        }));
        out.push_str(&e.row("  outside band", outside_band));
        out.push_str(&e.row("  max/mean", |a| max_over_mean(&a.max_over_mean)));
        out.push_str(&s.row("simulate: rounds", |a| a.rounds.to_string()));
        out.push_str(&s.row("  moves (lower bound)", |a| {
            format!("{} ({})", a.quality.moves, a.quality.lower_bound.value)
        }));
        out.push_str(&s.row("  outside band", |a| outside_band_of(&a.quality)));
        out.push_str(&s.row("  max/mean", |a| max_over_mean(&a.max_over_mean)));
        out.push_str(&e.errors("evaluate"));
        out.push_str(&s.errors("simulate"));
        if let Some(plans) = &self.plans {
            out.push_str(&plans.table());
        }
        out.push_str(&self.verdicts.table());
        out.push_str(&format!("  result     {}\n", self.summary));
        out
    }
}

/// `N transition(s), M step(s)` from a plan's summary line.
fn step_counts(summary: &str) -> String {
    summary.split(':').next().unwrap_or(summary).to_string()
}

fn outside_band(a: &EvaluatedView) -> String {
    outside_band_of(&a.quality)
}

/// `replicas R, leaders L` nodes outside their band.
fn outside_band_of(q: &QualityView) -> String {
    format!(
        "replicas {}, leaders {}",
        q.replicas.outside_band, q.leaders.outside_band
    )
}

/// `replicas 1.000, leaders 1.000`.
fn max_over_mean(s: &SpreadView) -> String {
    format!("replicas {:.3}, leaders {:.3}", s.replicas, s.leaders)
}

/// The finding and what differs, in one line.
fn summary(
    finding: &str,
    plans: Option<&PlanDifferenceView>,
    verdicts: &VerdictsView,
    comparison: &Comparison,
) -> String {
    let mut parts = failures(comparison);
    if let Some(p) = plans {
        if !p.transitions.is_empty() {
            parts.push(format!("{} transition(s)", p.transitions.len()));
        }
        if !p.only_current.is_empty() || !p.only_candidate.is_empty() {
            parts.push(format!(
                "{} + {} step(s) only in one plan",
                p.only_current.len(),
                p.only_candidate.len()
            ));
        }
    } else if comparison.evaluations.current.refusal() != comparison.evaluations.candidate.refusal()
    {
        parts.push("evaluate refuses differently".into());
    }
    if !verdicts.differences.is_empty() {
        parts.push(format!("{} verdict(s)", verdicts.differences.len()));
    }
    if comparison.simulations_differ {
        parts.push("simulate ends differently".into());
    }
    if parts.is_empty() {
        finding.to_string()
    } else {
        format!("{finding}: {}", parts.join(", "))
    }
}

/// Which side failed where: `current fails evaluate`, ...
fn failures(comparison: &Comparison) -> Vec<String> {
    let (e, s) = (&comparison.evaluations, &comparison.simulations);
    let mut parts = Vec::new();
    for (side, evaluate, simulate) in [
        ("current", e.current.is_failure(), s.current.is_failure()),
        (
            "candidate",
            e.candidate.is_failure(),
            s.candidate.is_failure(),
        ),
    ] {
        for (failed, hook) in [(evaluate, "evaluate"), (simulate, "simulate")] {
            if failed {
                parts.push(format!("{side} fails {hook}"));
            }
        }
    }
    if comparison.verdicts.failures() > 0 {
        parts.push(format!(
            "{} verdict(s) fail",
            comparison.verdicts.failures()
        ));
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::tests::assert_keys_sorted;
    use worker_policy::compare::{Failure, Verdicts};
    use worker_policy::ErrorClass;
    use worker_policy_model::PolicyError;

    #[test]
    fn a_failure_is_shown_on_its_side_and_keys_are_sorted() {
        let failure = Failure {
            class: ErrorClass::PolicyFault,
            message: "place: trap".into(),
        };
        let refused = PolicyError::UnknownNode(3);
        let comparison = Comparison {
            evaluations: Sides {
                current: Outcome::Refused(refused.clone()),
                candidate: Outcome::Failed(failure.clone()),
            },
            plans: None,
            verdicts: Verdicts::default(),
            simulations: Sides {
                current: Outcome::Refused(refused),
                candidate: Outcome::Failed(failure),
            },
            simulations_differ: false,
        };
        let view = ComparisonView::new("s.json".into(), "snapshot  s.json\n".into(), &comparison);
        assert_keys_sorted(&view);
        assert_eq!(view.finding, "misbehaves");
        assert_eq!(
            view.summary,
            "misbehaves: candidate fails evaluate, candidate fails simulate, evaluate refuses differently"
        );
        let table = view.table();
        assert!(
            table.contains("evaluate candidate failed: place: trap"),
            "{table}"
        );
        assert!(
            table.contains("  simulate: rounds       refused"),
            "{table}"
        );
    }
}
