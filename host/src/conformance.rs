//! The conformance suite: certifies any policy component against the ten safety properties
//! (see [`Property`]) on fixed scenarios and on clusters generated from a seed, shrinks every
//! failure to the smallest counterexample found, and scores placement quality.
//!
//! The surface of contract 0.2.0 (node weights, placement freezes, leader affinities) is
//! exercised only for a policy that speaks 0.2.0 ([`Options::contract`]): a 0.1.0 policy never
//! sees those controls, so its scenarios and generated clusters have none, and properties 9
//! and 10 hold for it trivially.
//!
//! Property 2 holds verdicts to safety alone (never allow one of the model's transition
//! hazards). Beside the properties, the suite compares every verdict with a reference rule set
//! ([`ReferenceRules`], the default policy's table unless the caller chooses Restate's) and
//! reports where they differ ([`Report::differences`]): a comparison, not a failure.
//!
//! It drives the policy only through the host's own calls ([`evaluate`](crate::evaluate()),
//! `validate_transition`), so every answer also passes the host's invariant checks, and a
//! broken invariant is reported as the property it breaks. The same suite backs the
//! `worker-policy conformance` command and the `tests/` crate, which runs it against every
//! policy in the repository, including deliberately broken ones.

mod checks;
mod property;
mod rules;
mod scenarios;
mod scorecard;
mod settings;
mod shrink;

use std::path::{Path, PathBuf};

use worker_policy_model::{NodeId, Snapshot, WorkerState};

use crate::atomic_file::write_atomically;
use crate::contract::ContractVersion;
use crate::error::Error;
use crate::hooks::PolicyHooks;
use crate::sandbox::Limits;
use crate::snapshot_file::snapshot_to_json;
use checks::Check;
use rules::Differences;

pub use checks::Replay;
pub use property::Property;
pub use rules::{Difference, DifferenceExample, ReferenceRules};
pub use scorecard::{score, Change, QualityRow, Scored};

/// Fuel per hook call when the caller does not choose: far more than a sane policy needs on the
/// suite's small clusters, little enough to stop a runaway one quickly and reproducibly.
pub const DEFAULT_FUEL: u64 = 2_000_000_000;

/// How to run the suite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// The seed of the generated clusters and of the shuffles.
    pub seed: u64,
    /// How many generated clusters to check besides the fixed scenarios.
    pub cases: u32,
    /// Fuel per hook call: the suite runs the policy metered, so runs are reproducible.
    pub fuel: u64,
    /// The rule set verdicts are compared with (differences are reported, not failures).
    pub rules: ReferenceRules,
    /// The contract version the policy speaks (its metadata's `contract_version`): from 0.2.0
    /// on, scenarios and generated clusters have weights, freezes and leader affinities.
    pub contract: ContractVersion,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            seed: 0,
            cases: 50,
            fuel: DEFAULT_FUEL,
            rules: ReferenceRules::default(),
            contract: ContractVersion::CURRENT,
        }
    }
}

impl Options {
    /// Whether the policy sees the controls of contract 0.2.0 (weights, freezes, affinities).
    pub fn has_controls(&self) -> bool {
        self.contract >= ContractVersion::V0_2
    }

    /// `limits` with this suite's fuel per call: load the policy under these.
    pub fn limits(&self, limits: Limits) -> Limits {
        Limits {
            fuel: Some(self.fuel),
            ..limits
        }
    }
}

/// The outcome of one property.
#[derive(Debug, Clone)]
pub struct PropertyResult {
    /// The property.
    pub property: Property,
    /// Checks that found it broken (0: it passes).
    pub failures: u32,
    /// The smallest counterexample found, when it is broken.
    pub counterexample: Option<Counterexample>,
}

impl PropertyResult {
    /// Whether the property holds on everything the suite tried.
    pub fn passed(&self) -> bool {
        self.failures == 0
    }

    /// The failure in a few lines (the property, how often it failed, the scenario, request,
    /// answer and why), for test assertions and logs; `None` when the property holds.
    pub fn describe(&self) -> Option<String> {
        let c = self.counterexample.as_ref()?;
        Some(format!(
            "{} ({} failure(s)): {}\n  request {}\n  answer  {}\n  why     {}",
            self.property, self.failures, c.scenario, c.request, c.answer, c.why
        ))
    }
}

/// A failure, shrunk: the cluster, the request, the answer and why it breaks the property.
#[derive(Debug, Clone)]
pub struct Counterexample {
    /// The scenario it was found in, and what shrinking left of it.
    pub scenario: String,
    /// What the suite asked.
    pub request: String,
    /// What the policy (or the host, on its behalf) answered.
    pub answer: String,
    /// Why that breaks the property.
    pub why: String,
    /// The cluster the failing request was made on.
    pub snapshot: Snapshot,
    /// For determinism: the same cluster shuffled, answered differently.
    pub shuffled: Option<Snapshot>,
    /// How to see it again with the CLI on the written file.
    pub replay: Replay,
    /// The files written by [`Report::write_counterexamples`]: the snapshot, then the shuffled one.
    pub files: Vec<PathBuf>,
}

/// How many scenarios of one class of situation the suite checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coverage {
    /// The class, as the report names it.
    pub class: &'static str,
    /// The scenarios of the class the suite checked.
    pub scenarios: usize,
}

/// Everything the suite found.
#[derive(Debug, Clone)]
pub struct Report {
    /// The options it ran with.
    pub options: Options,
    /// Clusters checked: the fixed scenarios and the generated ones.
    pub scenarios: usize,
    /// The clusters checked, counted by class, in the order the suite ran them.
    pub coverage: Vec<Coverage>,
    /// Checks run (each a convergence run, a determinism check or one transition request).
    pub checks: usize,
    /// Every property, by id.
    pub properties: Vec<PropertyResult>,
    /// The quality scorecard.
    pub quality: Vec<QualityRow>,
    /// Where the policy's verdicts differ from [`Options::rules`], by kind: a comparison, not a
    /// safety failure.
    pub differences: Vec<Difference>,
    /// Fuel per call the policy ran with (`None`: not metered).
    pub fuel_per_call: Option<u64>,
    /// Fuel the whole suite used.
    pub fuel_used: u64,
}

impl Report {
    /// Whether every safety property passes.
    pub fn passed(&self) -> bool {
        self.properties.iter().all(PropertyResult::passed)
    }

    /// The properties that fail.
    pub fn failed(&self) -> Vec<Property> {
        self.properties
            .iter()
            .filter(|r| !r.passed())
            .map(|r| r.property)
            .collect()
    }

    /// Writes every counterexample into `dir` (created when missing) as snapshot files named
    /// after the property (`3-make-before-break.json`, and `6-determinism.shuffled.json` for
    /// the shuffled input), each whole or not at all, and records the paths.
    pub fn write_counterexamples(&mut self, dir: &Path) -> Result<(), Error> {
        for result in &mut self.properties {
            let Some(example) = &mut result.counterexample else {
                continue;
            };
            std::fs::create_dir_all(dir).map_err(|source| Error::Io {
                context: format!("cannot create {}", dir.display()),
                source,
            })?;
            let name = format!("{}-{}", result.property.id(), result.property.name());
            example.files.clear();
            for (snapshot, suffix) in std::iter::once((&example.snapshot, ""))
                .chain(example.shuffled.iter().map(|s| (s, ".shuffled")))
            {
                let path = dir.join(format!("{name}{suffix}.json"));
                write_atomically(&path, snapshot_to_json(snapshot).as_bytes())?;
                example.files.push(path);
            }
        }
        Ok(())
    }
}

/// Runs the suite on `policy`: a loaded component (load it with [`Options::limits`] to meter
/// fuel), or native logic through [`NativePolicy`](crate::NativePolicy).
pub fn run(policy: &dyn PolicyHooks, options: &Options) -> Report {
    run_observed(policy, options, &mut |_, _| {})
}

/// [`run`], telling `on_scenario` after each scenario's checks how many scenarios are done and
/// how many there are (fixed and generated): for a progress line. The settings probes and the
/// quality scorecard follow the last one.
pub fn run_observed(
    policy: &dyn PolicyHooks,
    options: &Options,
    on_scenario: &mut dyn FnMut(usize, usize),
) -> Report {
    let fuel_before = policy.fuel_used();
    let controls = options.has_controls();
    let mut scenarios = scenarios::fixed(controls);
    scenarios
        .extend((0..options.cases).map(|case| scenarios::generated(options.seed, case, controls)));
    let mut properties: Vec<PropertyResult> = Property::ALL
        .into_iter()
        .map(|property| PropertyResult {
            property,
            failures: 0,
            counterexample: None,
        })
        .collect();
    let mut checks = 0;
    let mut differences = Differences::default();
    for (i, scenario) in scenarios.iter().enumerate() {
        for check in checks_of(scenario, options.seed.wrapping_add(i as u64)) {
            checks += 1;
            let outcome = check.run_against(policy, &scenario.snapshot, options.rules);
            if let Some(departure) = outcome.departure {
                differences.record(&scenario.name, departure);
            }
            let Some(finding) = outcome.finding else {
                continue;
            };
            let result = &mut properties[usize::from(finding.property.id() - 1)];
            result.failures += 1;
            if result.counterexample.is_some() {
                continue;
            }
            let (smallest, finding) = shrink::shrink(policy, &check, &scenario.snapshot, finding);
            result.counterexample = Some(Counterexample {
                scenario: format!(
                    "{}; shrunk to {} node(s) and {} partition(s)",
                    scenario.name,
                    smallest.nodes.len(),
                    smallest.partitions.len()
                ),
                ..finding.example
            });
        }
        on_scenario(i + 1, scenarios.len());
    }
    if let Some(first) = scenarios.first() {
        let (finding, asked) = settings::check(policy, &first.snapshot);
        checks += asked;
        if let Some(finding) = finding {
            let result = &mut properties[usize::from(finding.property.id() - 1)];
            result.failures += 1;
            result.counterexample.get_or_insert(Counterexample {
                scenario: format!("settings probes, replayed on {}", first.name),
                ..finding.example
            });
        }
    }
    let quality = scorecard::scorecard(policy, controls);
    Report {
        options: *options,
        scenarios: scenarios.len(),
        coverage: scenarios::coverage(&scenarios),
        checks,
        properties,
        quality,
        differences: differences.into_vec(),
        fuel_per_call: policy.fuel_per_call(),
        fuel_used: policy.fuel_used() - fuel_before,
    }
}

/// A node id `snapshot` does not have: the one after the largest, or where that would overflow
/// (a node numbered `u32::MAX`), the smallest free one.
fn unknown_node(snapshot: &Snapshot) -> NodeId {
    let largest = snapshot.nodes.iter().map(|n| n.id).max().unwrap_or(0);
    largest.checked_add(1).unwrap_or_else(|| {
        (0..=NodeId::MAX)
            .find(|&id| snapshot.node(id).is_none())
            .expect("a snapshot cannot hold every u32 node id")
    })
}

/// The checks of one scenario: a convergence run, a determinism check (shuffled with
/// `shuffle_seed`), and every transition request for every node plus one unknown node.
fn checks_of(scenario: &scenarios::Scenario, shuffle_seed: u64) -> Vec<Check> {
    let max_moves = scenario.max_moves;
    let unknown = unknown_node(&scenario.snapshot);
    let mut checks = vec![
        Check::Converge { max_moves },
        Check::Determinism {
            seed: shuffle_seed,
            max_moves,
        },
    ];
    for node in scenario
        .snapshot
        .nodes
        .iter()
        .map(|n| n.id)
        .chain([unknown])
    {
        checks.extend(WorkerState::ALL.map(|to| Check::Transition { node, to }));
    }
    checks
}

#[cfg(test)]
mod tests {
    use worker_policy_model::{Node, Replication};

    use super::*;

    fn with_nodes(ids: &[NodeId]) -> Snapshot {
        Snapshot {
            replication: Replication::parse("1").unwrap(),
            nodes: ids.iter().map(|&id| Node::worker(id, "")).collect(),
            partitions: Vec::new(),
        }
    }

    #[test]
    fn the_unknown_node_is_free_even_beside_the_largest_id() {
        assert_eq!(unknown_node(&with_nodes(&[])), 1);
        assert_eq!(unknown_node(&with_nodes(&[3, 9])), 10);
        assert_eq!(unknown_node(&with_nodes(&[0, 1, NodeId::MAX])), 2);
    }
}
