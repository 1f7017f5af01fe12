//! `worker-policy conformance`: certifies a policy component against the safety properties,
//! shows one line per property with the smallest counterexample of each failure (written to
//! files the user can replay), then how many clusters of each class of situation it checked,
//! then the reference rules the verdicts were compared with and
//! where they differ (a comparison, not a failure), then the quality scorecard. Exit 0 only
//! when every safety property passes; 3 (the policy-fault class) when one fails.

use std::path::PathBuf;

use clap::Args;
use serde::Serialize;
use worker_policy::conformance::{
    self, Counterexample, Options, QualityRow, ReferenceRules, Report,
};
use worker_policy::ErrorClass;
use worker_policy_restate_bridge::script::quote;

use crate::output::{OutputOptions, Progress, Render};
use crate::policy_options::PolicyOptions;
use crate::values;
use crate::view::differences::{self, DifferenceView};
use crate::view::policy::PolicyView;
use crate::view::quality::QualityView;

/// Options of `conformance`.
#[derive(Debug, Args)]
pub struct ConformanceArgs {
    #[command(flatten)]
    pub policy: PolicyOptions,
    /// Seed of the generated clusters and shuffles: the same seed checks the same clusters.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub seed: u64,
    /// Generated clusters to check besides the fixed scenarios.
    #[arg(long, value_name = "N", default_value_t = Options::default().cases)]
    pub cases: u32,
    /// Where to write the counterexamples (snapshot files) when a property fails.
    #[arg(
        long,
        value_name = "DIR",
        default_value = "worker-policy-counterexamples"
    )]
    pub counterexamples: PathBuf,
    /// The reference rules verdicts are compared with: the default policy's table, or what
    /// `restatectl nodes set-worker-state` allows without --force. Differences are listed,
    /// never a failure.
    #[arg(long, value_name = "RULES", default_value = "default", value_parser = values::reference_rules())]
    pub rules: ReferenceRules,
    #[command(flatten)]
    pub render: OutputOptions,
}

/// The suite's verdict on the policy, property by property, and its scorecard.
#[derive(Debug, Serialize)]
pub struct Certified {
    /// Generated clusters checked.
    pub cases: u32,
    /// Checks run.
    pub checks: usize,
    /// The clusters checked, counted by class of situation, in the order the suite ran them.
    pub coverage: Vec<ClassCount>,
    /// Where the verdicts differ from the reference rules: a comparison, not a failure.
    pub differences: Vec<DifferenceView>,
    /// Fuel per call and fuel used.
    pub fuel: Fuel,
    /// Whether every safety property passes.
    pub passed: bool,
    /// The policy.
    pub policy: PolicyView,
    /// Every property, by id.
    pub properties: Vec<PropertyVerdict>,
    /// The quality scorecard.
    pub quality: Vec<ScoreRow>,
    /// The reference rules the verdicts were compared with, by name.
    #[serde(serialize_with = "differences::rules_name")]
    pub rules: ReferenceRules,
    /// Clusters checked, fixed and generated.
    pub scenarios: usize,
    /// The seed of the generated clusters.
    pub seed: u64,
}

/// How many clusters of one class the suite checked.
#[derive(Debug, Serialize)]
pub struct ClassCount {
    /// The class of situation.
    pub class: &'static str,
    /// Its clusters checked.
    pub scenarios: usize,
}

/// The fuel the suite ran with.
#[derive(Debug, Serialize)]
pub struct Fuel {
    /// Fuel per hook call (`null`: not metered).
    pub per_call: Option<u64>,
    /// Fuel the whole suite used.
    pub used: u64,
}

/// One property's verdict.
#[derive(Debug, Serialize)]
pub struct PropertyVerdict {
    /// The smallest counterexample of a failure.
    pub counterexample: Option<CounterexampleView>,
    /// Failing checks.
    pub failures: u32,
    /// The property's number.
    pub id: u8,
    /// The property's name.
    pub name: &'static str,
    /// Whether it holds.
    pub passed: bool,
    /// What it asks, in one sentence.
    pub rule: &'static str,
    /// `{id} {name}` (table only).
    #[serde(skip)]
    pub label: String,
}

/// A counterexample as the output shows it.
#[derive(Debug, Serialize)]
pub struct CounterexampleView {
    /// What the policy answered.
    pub answer: String,
    /// The snapshot files written.
    pub files: Vec<String>,
    /// The command line that shows it again.
    pub replay: String,
    /// What the policy was asked.
    pub request: String,
    /// The scenario and what shrinking left of it.
    pub scenario: String,
    /// Why the answer breaks the property.
    pub why: String,
}

/// One scorecard row: scored, or why the run failed.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum ScoreRow {
    /// A converged run.
    Scored {
        /// Its quality.
        quality: QualityView,
        /// Rounds to converge.
        rounds: u32,
        /// The shape and the change.
        shape: String,
    },
    /// A run that failed.
    Failed {
        /// Why.
        error: String,
        /// The shape and the change.
        shape: String,
    },
}

/// Runs `conformance`, the scenarios checked counted on stderr ([`Progress`]); the
/// counterexamples are written before anything is shown.
pub fn run(args: &ConformanceArgs, verbose: bool) -> anyhow::Result<Certified> {
    let options = Options {
        seed: args.seed,
        cases: args.cases,
        fuel: args
            .policy
            .sandbox
            .fuel
            .unwrap_or(conformance::DEFAULT_FUEL),
        rules: args.rules,
        ..Options::default()
    };
    let policy = args
        .policy
        .load_with(options.limits(args.policy.sandbox.limits()))?;
    // The contract version the policy speaks decides whether the controls of 0.2.0 are tried.
    let options = Options {
        contract: policy.metadata().contract_version,
        ..options
    };
    let progress = Progress::bar("conformance: scenarios", None);
    let mut report = conformance::run_observed(&policy, &options, &mut |done, total| {
        progress.at(done as u64, total as u64);
        if done == total {
            progress.say("then the settings probes and the quality scorecard");
        }
    });
    drop(progress);
    crate::logs::print_logs(&policy, verbose);
    if !report.passed() {
        report.write_counterexamples(&args.counterexamples)?;
    }
    let policy = PolicyView::new(&policy, args.policy.source_name());
    Ok(certified(&report, policy, args))
}

/// The report as the output shows it.
fn certified(report: &Report, policy: PolicyView, args: &ConformanceArgs) -> Certified {
    let properties = report
        .properties
        .iter()
        .map(|r| PropertyVerdict {
            counterexample: r
                .counterexample
                .as_ref()
                .map(|c| counterexample_view(c, report, args)),
            failures: r.failures,
            id: r.property.id(),
            name: r.property.name(),
            passed: r.passed(),
            rule: r.property.rule(),
            label: r.property.to_string(),
        })
        .collect();
    Certified {
        cases: report.options.cases,
        checks: report.checks,
        coverage: report
            .coverage
            .iter()
            .map(|c| ClassCount {
                class: c.class,
                scenarios: c.scenarios,
            })
            .collect(),
        differences: report
            .differences
            .iter()
            .map(DifferenceView::from)
            .collect(),
        fuel: Fuel {
            per_call: report.fuel_per_call,
            used: report.fuel_used,
        },
        passed: report.passed(),
        policy,
        properties,
        quality: report.quality.iter().map(score_row).collect(),
        rules: report.options.rules,
        scenarios: report.scenarios,
        seed: report.options.seed,
    }
}

fn counterexample_view(
    c: &Counterexample,
    report: &Report,
    args: &ConformanceArgs,
) -> CounterexampleView {
    CounterexampleView {
        answer: c.answer.clone(),
        files: c.files.iter().map(|f| f.display().to_string()).collect(),
        replay: replay_command(c, report, args),
        request: c.request.clone(),
        scenario: c.scenario.clone(),
        why: c.why.clone(),
    }
}

fn score_row(row: &QualityRow) -> ScoreRow {
    match &row.result {
        Ok(scored) => ScoreRow::Scored {
            quality: QualityView::from(&scored.quality),
            rounds: scored.rounds,
            shape: row.shape.clone(),
        },
        Err(error) => ScoreRow::Failed {
            error: error.clone(),
            shape: row.shape.clone(),
        },
    }
}

/// The command line that shows a counterexample again, under the suite's fuel.
fn replay_command(example: &Counterexample, report: &Report, args: &ConformanceArgs) -> String {
    let Some(verb) = example.replay.args() else {
        return "not with the CLI, which sorts every snapshot by id before the policy sees it; \
            the library's evaluate() on the shuffled file's order shows it"
            .into();
    };
    let mut words = vec!["worker-policy".to_string()];
    words.extend(verb);
    if let Some(file) = example.files.first() {
        words.extend(["--snapshot".into(), file.display().to_string()]);
    }
    if let Some(policy) = &args.policy.policy {
        words.extend(["--policy".into(), policy.display().to_string()]);
    }
    if let Some(fuel) = report.fuel_per_call {
        words.extend(["--fuel".into(), fuel.to_string()]);
    }
    words.iter().map(|w| quote(w)).collect::<Vec<_>>().join(" ")
}

impl Certified {
    /// What the suite ran.
    fn suite_line(&self) -> String {
        let fuel = self.fuel.per_call.map_or("not metered".into(), |f| {
            format!("{f} per call, {} used", self.fuel.used)
        });
        format!(
            "suite     seed {}: {} cluster(s) ({} generated), {} check(s); fuel {fuel}\n",
            self.seed, self.scenarios, self.cases, self.checks
        )
    }

    /// The clusters checked, by class: a line each.
    fn coverage_table(&self) -> String {
        let mut out = "\ncoverage  clusters checked per class of situation\n".to_string();
        for c in &self.coverage {
            out.push_str(&format!("  {:>4}  {}\n", c.scenarios, c.class));
        }
        out
    }

    /// The verdict over every property.
    fn result_line(&self) -> String {
        let failed = self.properties.iter().filter(|p| !p.passed).count();
        if failed == 0 {
            "\nresult    PASS: every safety property holds\n".to_string()
        } else {
            format!(
                "\nresult    FAIL: {failed} of {} safety properties fail\n",
                self.properties.len()
            )
        }
    }
}

impl PropertyVerdict {
    /// PASS, or FAIL with the counterexample below it.
    fn table(&self) -> String {
        let name = &self.label;
        let Some(example) = &self.counterexample else {
            return format!("  {name:<26} PASS\n");
        };
        let mut out = format!(
            "  {name:<26} FAIL  ({} failing check(s); smallest counterexample below)\n",
            self.failures
        );
        for (label, text) in [
            ("scenario", &example.scenario),
            ("request", &example.request),
            ("answer", &example.answer),
            ("why", &example.why),
            ("file", &example.files.join(", ")),
            ("replay", &example.replay),
        ] {
            out.push_str(&format!("      {label:<9} {text}\n"));
        }
        out
    }
}

impl ScoreRow {
    /// The shape, and its figures on the next line.
    fn table(&self) -> String {
        let (shape, figures) = match self {
            ScoreRow::Failed { error, shape } => (shape, format!("failed: {error}")),
            ScoreRow::Scored {
                quality: q,
                rounds,
                shape,
            } => {
                let bound = q.lower_bound.value;
                let ratio = if bound == 0 {
                    String::new()
                } else {
                    format!(", {:.2}x", q.moves as f64 / bound as f64)
                };
                let figures = format!(
                    "rounds {rounds}; {}; {}; moves {} (lower bound {bound}{ratio})",
                    q.replicas.short("replicas"),
                    q.leaders.short("leaders"),
                    q.moves
                );
                (shape, figures)
            }
        };
        format!("  {shape}\n      {figures}\n")
    }
}

impl Render for Certified {
    fn table(&self) -> String {
        let mut out = format!(
            "{}{}\n  {:<26} result\n",
            self.policy.line(),
            self.suite_line(),
            "property"
        );
        out.extend(self.properties.iter().map(PropertyVerdict::table));
        out.push_str(&self.result_line());
        out.push_str(&self.coverage_table());
        out.push_str(&differences::table(self.rules, &self.differences));
        out.push_str("\nquality   scored, not pass/fail\n");
        out.extend(self.quality.iter().map(ScoreRow::table));
        out
    }

    fn failure(&self) -> Option<ErrorClass> {
        (!self.passed).then_some(ErrorClass::PolicyFault)
    }

    fn kept_when_failed(&self) -> bool {
        true
    }
}
