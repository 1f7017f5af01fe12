//! A small test runner for the live suite: scenarios run one after another on clusters they
//! share (libtest's threads would start clusters side by side on 2 cores), each caught when it
//! panics, reported in libtest's words so the totals read the same as every other test binary's.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

/// One scenario: a name and what it does on the group's state.
pub struct Scenario<S> {
    /// Its name, as a filter matches it.
    pub name: &'static str,
    /// What it does.
    pub run: fn(&mut S),
}

/// How a run went.
#[derive(Default)]
pub struct Tally {
    /// Scenarios that passed.
    pub passed: usize,
    /// Scenarios that failed (or whose cluster could not be started).
    pub failed: Vec<String>,
    /// Scenarios not run: filtered out.
    pub filtered: usize,
    /// Scenarios not run: an earlier one on the same cluster failed.
    pub ignored: usize,
}

/// Whether `name` is selected by the command line's filters (none: every scenario).
pub fn selected(name: &str, filters: &[String]) -> bool {
    filters.is_empty() || filters.iter().any(|f| name.contains(f.as_str()))
}

/// Runs `scenarios` in order on the state `setup` makes (only when one of them is selected);
/// once one fails, the rest of the group is not run (its cluster is in an unknown state).
pub fn run_group<S>(
    group: &str,
    filters: &[String],
    tally: &mut Tally,
    setup: impl FnOnce() -> Result<S, String>,
    scenarios: &[Scenario<S>],
) {
    let names: Vec<String> = scenarios
        .iter()
        .map(|s| format!("{group}::{}", s.name))
        .collect();
    let chosen: Vec<bool> = names.iter().map(|n| selected(n, filters)).collect();
    tally.filtered += chosen.iter().filter(|c| !**c).count();
    if !chosen.contains(&true) {
        return;
    }
    let start = Instant::now();
    let mut state = match setup() {
        Ok(state) => {
            println!(
                "{group}: cluster ready in {:.1} s",
                start.elapsed().as_secs_f64()
            );
            state
        }
        Err(error) => {
            println!("{group}: cannot start: {error}");
            for (name, _) in names.iter().zip(&chosen).filter(|(_, c)| **c) {
                println!("test {name} ... FAILED");
                tally.failed.push(name.clone());
            }
            return;
        }
    };
    let mut broken = false;
    for ((scenario, name), chosen) in scenarios.iter().zip(&names).zip(&chosen) {
        if !chosen {
            continue;
        }
        if broken {
            println!("test {name} ... ignored, an earlier scenario on this cluster failed");
            tally.ignored += 1;
            continue;
        }
        let start = Instant::now();
        let outcome = catch_unwind(AssertUnwindSafe(|| (scenario.run)(&mut state)));
        let took = seconds(start.elapsed());
        match outcome {
            Ok(()) => {
                println!("test {name} ... ok ({took})");
                tally.passed += 1;
            }
            Err(_) => {
                println!("test {name} ... FAILED ({took})");
                tally.failed.push(name.clone());
                broken = true;
            }
        }
    }
}

/// `12.3 s`.
pub fn seconds(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}

impl Tally {
    /// libtest's closing lines; whether every scenario passed.
    pub fn report(&self, took: Duration) -> bool {
        if !self.failed.is_empty() {
            println!("\nfailures:");
            for name in &self.failed {
                println!("    {name}");
            }
        }
        let ok = self.failed.is_empty();
        println!(
            "\ntest result: {}. {} passed; {} failed; {} ignored; 0 measured; {} filtered out; finished in {:.2}s\n",
            if ok { "ok" } else { "FAILED" },
            self.passed,
            self.failed.len(),
            self.ignored,
            self.filtered,
            took.as_secs_f64()
        );
        ok
    }
}
