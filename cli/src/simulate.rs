//! `worker-policy simulate`: evaluate and apply, round after round, until the plan is empty;
//! shows each round, the final per-node counts and the quality of the whole change. An empty
//! plan on a cluster that is not settled is not convergence: the result says what is left and
//! the command exits 3 (the policy stopped with work left), writing nothing. A draining node
//! that frozen partitions hold is neither: it is listed as blocked, by name with the freezes
//! (`blocked` in JSON), and stays draining.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use serde::Serialize;
use worker_policy::atomic_file::write_atomically;
use worker_policy::error::PolicyFault;
use worker_policy::evaluate::{Simulation, StoppedUnsettled, NAMED_LEFT};
use worker_policy::{Error, ErrorClass};
use worker_policy_model::settled::count_by_kind;
use worker_policy_model::{quality, Snapshot};

use crate::output::{check_writable_path, Render};
use crate::plan_input::PlanInput;
use crate::script_output::{emit_script, refuse_script, PlanOutputOptions, ScriptInput};
use crate::view::blocked::{blocked_drains, blocked_table, BlockedView};
use crate::view::nodes::{node_counts, node_counts_table, NodeCounts};
use crate::view::plan::PlanView;
use crate::view::policy::PolicyView;
use crate::view::quality::QualityView;

/// Options of `simulate`.
#[derive(Debug, Args)]
pub struct SimulateArgs {
    #[command(flatten)]
    pub input: PlanInput,
    /// Give up after this many rounds.
    #[arg(long, value_name = "N", default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_rounds: u32,
    /// Write the final snapshot here, in the input's format (atomically; only when the
    /// simulation converged).
    #[arg(long, value_name = "FILE")]
    pub write: Option<PathBuf>,
    #[command(flatten)]
    pub render: PlanOutputOptions,
}

/// The rounds to convergence, where every node ends up, and the quality of the whole change.
#[derive(Debug, Serialize)]
pub struct Simulated {
    /// The draining nodes of the final snapshot that frozen partitions hold; absent when none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub blocked: Vec<BlockedView>,
    /// What is left when the policy stopped with the cluster not settled; absent when it
    /// converged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub left: Option<LeftView>,
    /// Per-node counts of the final snapshot.
    pub nodes: Vec<NodeCounts>,
    /// The policy.
    pub policy: PolicyView,
    /// Quality of the whole change, first snapshot to last.
    pub quality: QualityView,
    /// Each round's plan.
    pub rounds: Vec<PlanView>,
    /// The first snapshot in one line (table only).
    #[serde(skip)]
    pub snapshot: String,
    /// Where the final snapshot was written (table only).
    #[serde(skip)]
    pub written: Option<PathBuf>,
}

/// What is left of a cluster the policy stopped on.
#[derive(Debug, Serialize)]
pub struct LeftView {
    /// How many problems of each kind.
    pub counts: Vec<LeftCount>,
    /// The first few problems, in words.
    pub first: Vec<String>,
    /// Whether the eligible workers can satisfy the replication property (when not, the policy
    /// should have answered insufficient nodes).
    pub satisfiable: bool,
    /// Every problem, counted.
    pub total: usize,
}

/// How many problems of one kind are left.
#[derive(Debug, Serialize)]
pub struct LeftCount {
    /// How many.
    pub count: usize,
    /// The kind (`unplaced`, `wrong-replica-count`, ...).
    pub kind: &'static str,
    /// The count and kind in words.
    pub summary: String,
}

impl From<&StoppedUnsettled> for LeftView {
    fn from(stopped: &StoppedUnsettled) -> LeftView {
        LeftView {
            counts: count_by_kind(&stopped.left)
                .into_iter()
                .map(|(kind, count)| LeftCount {
                    count,
                    kind: kind.name(),
                    summary: kind.describe(count),
                })
                .collect(),
            first: stopped
                .left
                .iter()
                .take(NAMED_LEFT)
                .map(ToString::to_string)
                .collect(),
            satisfiable: stopped.satisfiable,
            total: stopped.left.len(),
        }
    }
}

/// Runs `simulate` and prints its result in the format asked for; a script only when the
/// simulation converged (else exit 3 and no script).
pub fn emit(args: &SimulateArgs, verbose: bool) -> anyhow::Result<ExitCode> {
    let destination = args.render.file.destination()?;
    if let Some(path) = &args.write {
        check_writable_path("--write", path)?;
    }
    let (simulated, simulation, first) = run(args, verbose)?;
    if let Some(format) = args.render.format.shared() {
        return crate::output::emit(&simulated, format, &destination);
    }
    if let Some(class) = simulated.failure() {
        let why = format!(
            "the simulation did not converge after {} round(s), so there is no restatectl script; see --format table for what is left",
            simulated.rounds.len()
        );
        return refuse_script(&[why], class, &destination);
    }
    emit_script(
        &ScriptInput {
            policy: &simulated.policy,
            quality: &simulated.quality,
            path: args.input.snapshot.path(),
            snapshot: &first,
            rounds: &simulation.rounds,
            after: &simulation.last,
        },
        &destination,
    )
}

/// Runs `simulate`: the result, the simulation it shows and the first snapshot; the final
/// snapshot is written before anything is shown, and only when the simulation converged.
fn run(args: &SimulateArgs, verbose: bool) -> anyhow::Result<(Simulated, Simulation, Snapshot)> {
    let (file, policy) = args.input.load()?;
    let result = worker_policy::simulate(
        &policy,
        &file.snapshot,
        args.input.max_moves,
        args.max_rounds,
    );
    crate::logs::print_logs(&policy, verbose);
    let (simulation, left): (Simulation, Option<LeftView>) = match result {
        Ok(simulation) => (simulation, None),
        Err(Error::Fault(PolicyFault::StoppedUnsettled(stopped))) => {
            let left = LeftView::from(&*stopped);
            (stopped.simulation, Some(left))
        }
        Err(error) => return Err(error.into()),
    };
    let written = match (&args.write, &left) {
        (Some(path), None) => {
            write_atomically(path, file.to_json(&simulation.last).as_bytes())?;
            Some(path.clone())
        }
        _ => None,
    };
    let simulated = Simulated {
        blocked: blocked_drains(&simulation.last),
        left,
        nodes: node_counts(&simulation.last),
        policy: PolicyView::new(&policy, args.input.policy.source_name()),
        quality: QualityView::from(&quality::measure(&file.snapshot, &simulation.last)),
        rounds: simulation.rounds.iter().map(PlanView::from).collect(),
        snapshot: args.input.snapshot_line(&file),
        written,
    };
    Ok((simulated, simulation, file.snapshot))
}

impl Render for Simulated {
    fn table(&self) -> String {
        let mut out = format!("{}{}\n", self.policy.line(), self.snapshot);
        for (i, plan) in self.rounds.iter().enumerate() {
            out.push_str(&format!("round {:<3} {}\n", i + 1, plan.summary()));
        }
        match &self.left {
            None if self.blocked.is_empty() => out.push_str(&format!(
                "converged after {} round(s): the plan is empty\n",
                self.rounds.len()
            )),
            None => out.push_str(&format!(
                "converged after {} round(s): the plan is empty, but {} draining node(s) cannot be emptied while partitions are frozen\n",
                self.rounds.len(),
                self.blocked.len()
            )),
            Some(left) => out.push_str(&left.table(self.rounds.len())),
        }
        out.push_str(&blocked_table(&self.blocked));
        out.push_str(&node_counts_table(&self.nodes));
        out.push_str(&self.quality.table());
        if let Some(path) = &self.written {
            out.push_str(&format!("\nwrote     {}\n", path.display()));
        }
        out
    }

    fn failure(&self) -> Option<ErrorClass> {
        self.left.as_ref().map(|_| ErrorClass::PolicyFault)
    }
}

impl LeftView {
    /// The lines saying the simulation did not converge, what is left, and what it means.
    fn table(&self, rounds: usize) -> String {
        let mut out = format!(
            "NOT converged after {rounds} round(s): the plan is empty, yet {} problem(s) are left\n",
            self.total
        );
        for count in &self.counts {
            out.push_str(&format!("left      {}\n", count.summary));
        }
        for problem in &self.first {
            out.push_str(&format!("  e.g.    {problem}\n"));
        }
        out.push_str(if self.satisfiable {
            "the eligible workers can satisfy the replication property: the policy stopped with work left\n"
        } else {
            "the eligible workers cannot satisfy the replication property: the policy should have answered insufficient nodes\n"
        });
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::tests::assert_keys_sorted;
    use worker_policy_model::settled::Unsettled;
    use worker_policy_model::{Replication, Snapshot};

    fn stopped(satisfiable: bool) -> StoppedUnsettled {
        StoppedUnsettled {
            simulation: Simulation {
                rounds: Vec::new(),
                last: Snapshot {
                    replication: Replication::nodes(1).unwrap(),
                    nodes: Vec::new(),
                    partitions: Vec::new(),
                },
            },
            left: (0..7)
                .map(|partition| Unsettled::Unplaced { partition })
                .chain([Unsettled::LeaderOffEligibleReplica {
                    partition: 0,
                    leader: None,
                }])
                .collect(),
            satisfiable,
        }
    }

    #[test]
    fn what_is_left_is_counted_per_kind_and_named_for_the_first_few() {
        let left = LeftView::from(&stopped(true));
        assert_eq!(left.total, 8);
        assert_eq!(left.first.len(), NAMED_LEFT);
        assert_keys_sorted(&left);
        let table = left.table(3);
        assert!(
            table.starts_with(concat!(
                "NOT converged after 3 round(s): the plan is empty, yet 8 problem(s) are left\n",
                "left      7 partition(s) unplaced\n",
                "left      1 partition(s) not led by a replica on an alive, active worker\n",
                "  e.g.    partition 0: it is unplaced\n",
            )),
            "{table}"
        );
        assert!(
            table.ends_with("the policy stopped with work left\n"),
            "{table}"
        );
        let short = LeftView::from(&stopped(false)).table(3);
        assert!(
            short.contains("should have answered insufficient nodes"),
            "{short}"
        );
    }
}
