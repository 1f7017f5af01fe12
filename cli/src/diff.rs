//! `worker-policy diff`: what changes if the operator swaps the current policy (`--policy`)
//! for a candidate (`--against`), snapshot by snapshot: both sides' `evaluate`, verdicts and
//! `simulate`, what differs, one line per snapshot and totals. Exit 0 when every decision is
//! the same, 1 when any differs, 3 when either policy misbehaves on any snapshot.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;
use serde::Serialize;
use worker_policy::compare::{compare_all, Finding, Options};
use worker_policy::snapshot_file::SnapshotFile;
use worker_policy::ErrorClass;

use crate::error::CliError;
use crate::output::{OutputOptions, Render};
use crate::policy_options::PolicyOptions;
use crate::snapshot_input::read_snapshot;
use crate::view::comparison::ComparisonView;
use crate::view::policy::PolicyView;
use crate::view::snapshot::snapshot_line;

/// Options of `diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// A cluster snapshot (JSON); repeat for more.
    #[arg(long = "snapshot", value_name = "FILE")]
    pub snapshots: Vec<PathBuf>,
    /// Also every `*.json` file in this directory, by name.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// The current policy (`--policy`, default: the embedded default) and the sandbox both
    /// run in; `--policy-sha256` pins the current policy.
    #[command(flatten)]
    pub policy: PolicyOptions,
    /// The candidate policy: a component file, `default` or `restate`, as `--policy` takes.
    #[arg(long, value_name = "FILE|NAME")]
    pub against: PathBuf,
    /// At most this many replicas added by each rebalance, on both sides.
    #[arg(long, value_name = "N")]
    pub max_moves: Option<u32>,
    /// A simulation that has not converged after this many rounds is a fault.
    #[arg(long, value_name = "N", default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_rounds: u32,
    #[command(flatten)]
    pub render: OutputOptions,
}

/// Both policies, every snapshot compared, and the totals.
#[derive(Debug, Serialize)]
pub struct Diffed {
    /// The candidate policy.
    pub candidate: PolicyView,
    /// The current policy.
    pub current: PolicyView,
    /// The worst finding over the corpus: `identical`, `differ` or `misbehaves`.
    pub finding: &'static str,
    /// Each snapshot, in the order given.
    pub snapshots: Vec<ComparisonView>,
    /// Counts over the corpus.
    pub totals: Totals,
    /// The worst finding (for the exit code).
    #[serde(skip)]
    pub worst: Finding,
}

/// Counts over the corpus.
#[derive(Debug, Default, Serialize)]
pub struct Totals {
    /// Snapshots whose decisions differ.
    pub differ: usize,
    /// Snapshots with identical decisions.
    pub identical: usize,
    /// Snapshots where either policy misbehaved.
    pub misbehaves: usize,
    /// Snapshots compared.
    pub snapshots: usize,
    /// Steps only in the candidate's plans.
    pub steps_only_candidate: usize,
    /// Steps only in the current policy's plans.
    pub steps_only_current: usize,
    /// Nodes the plans move differently.
    pub transitions_differ: usize,
    /// Verdicts asked of both.
    pub verdicts_compared: u64,
    /// Verdicts that differ.
    pub verdicts_differ: usize,
}

/// Runs `diff`: reads every snapshot first (a bad one is bad input before any policy runs),
/// loads both policies, and compares them on every snapshot in parallel.
pub fn run(args: DiffArgs, verbose: bool) -> anyhow::Result<Diffed> {
    let files = snapshot_files(&args.snapshots, args.dir.as_deref())?;
    let read: Vec<SnapshotFile> = files
        .iter()
        .map(|path| read_snapshot(path))
        .collect::<Result<_, _>>()?;
    let current = args.policy.load()?;
    let current_name = args.policy.source_name();
    let against = args.policy.candidate(args.against);
    let candidate = against.load()?;
    let options = Options {
        max_moves: args.max_moves,
        max_rounds: args.max_rounds,
    };
    let snapshots: Vec<_> = read.into_iter().map(|file| file.snapshot).collect();
    let comparisons = compare_all(&current, &candidate, &snapshots, &options);
    crate::logs::print_logs(&current, verbose);
    crate::logs::print_logs(&candidate, verbose);
    let worst = comparisons
        .iter()
        .map(|c| c.finding())
        .max()
        .unwrap_or(Finding::Identical);
    let views: Vec<ComparisonView> = files
        .iter()
        .zip(&snapshots)
        .zip(&comparisons)
        .map(|((path, snapshot), comparison)| {
            let label = path.display().to_string();
            let line = snapshot_line(&label, snapshot);
            ComparisonView::new(label, line, comparison)
        })
        .collect();
    Ok(Diffed {
        candidate: PolicyView::new(&candidate, against.source_name()),
        current: PolicyView::new(&current, current_name),
        finding: worst.name(),
        totals: Totals::of(&views),
        snapshots: views,
        worst,
    })
}

/// The `--snapshot` files in order, then the `*.json` files of `dir` by name; at least one.
fn snapshot_files(snapshots: &[PathBuf], dir: Option<&Path>) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = snapshots.to_vec();
    if let Some(dir) = dir {
        let entries = std::fs::read_dir(dir).map_err(|error| {
            CliError::Argument(format!("--dir {}: cannot be read: {error}", dir.display()))
        })?;
        let mut found = Vec::new();
        for entry in entries {
            let path = entry
                .with_context(|| format!("listing {}", dir.display()))?
                .path();
            if path.extension().is_some_and(|e| e == "json") && path.is_file() {
                found.push(path);
            }
        }
        found.sort();
        files.extend(found);
    }
    if files.is_empty() {
        return Err(CliError::Argument(
            "no snapshot to compare on: give --snapshot FILE or --dir DIR with *.json files".into(),
        )
        .into());
    }
    Ok(files)
}

impl Totals {
    /// The counts over `views`.
    fn of(views: &[ComparisonView]) -> Totals {
        let mut t = Totals {
            snapshots: views.len(),
            ..Totals::default()
        };
        for v in views {
            match v.finding {
                "identical" => t.identical += 1,
                "differ" => t.differ += 1,
                _ => t.misbehaves += 1,
            }
            if let Some(p) = &v.plans {
                t.steps_only_current += p.only_current.len();
                t.steps_only_candidate += p.only_candidate.len();
                t.transitions_differ += p.transitions.len();
            }
            t.verdicts_compared += u64::from(v.verdicts.compared);
            t.verdicts_differ += v.verdicts.differences.len();
        }
        t
    }

    /// The totals in one line.
    fn line(&self) -> String {
        format!(
            "totals    {} snapshot(s): {} identical, {} differ, {} misbehave; {} + {} step(s) only in the current/candidate plan, {} transition(s) and {} of {} verdict(s) differ\n",
            self.snapshots,
            self.identical,
            self.differ,
            self.misbehaves,
            self.steps_only_current,
            self.steps_only_candidate,
            self.transitions_differ,
            self.verdicts_differ,
            self.verdicts_compared
        )
    }
}

impl Render for Diffed {
    fn table(&self) -> String {
        let mut out = self.current.line().replacen("policy    ", "current   ", 1);
        out.push_str(
            &self
                .candidate
                .line()
                .replacen("policy    ", "candidate ", 1),
        );
        for view in &self.snapshots {
            out.push_str(&view.table());
        }
        out.push_str("\nsummary\n");
        for view in &self.snapshots {
            out.push_str(&format!("  {}: {}\n", view.file, view.summary));
        }
        out.push_str(&self.totals.line());
        out
    }

    fn failure(&self) -> Option<ErrorClass> {
        match self.worst {
            Finding::Identical => None,
            Finding::Differ => Some(ErrorClass::Refused),
            Finding::Misbehaves => Some(ErrorClass::PolicyFault),
        }
    }

    fn kept_when_failed(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::tests::assert_keys_sorted;

    #[test]
    fn totals_keys_are_sorted_and_a_directory_adds_its_json_files_by_name() {
        assert_keys_sorted(&Totals::default());
        let dir = std::env::temp_dir().join(format!("worker-policy-diff-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for name in ["b.json", "a.json", "notes.txt"] {
            std::fs::write(dir.join(name), "{}").unwrap();
        }
        let files = snapshot_files(&[PathBuf::from("first.json")], Some(&dir)).unwrap();
        assert_eq!(
            files,
            [
                PathBuf::from("first.json"),
                dir.join("a.json"),
                dir.join("b.json")
            ]
        );
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(snapshot_files(&[], None).is_err());
    }
}
