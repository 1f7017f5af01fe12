//! `worker-policy simulate`: evaluate and apply, round after round, until the plan is empty;
//! shows each round, the final per-node counts and the quality of the whole change. An empty
//! plan on a cluster that is not settled is not convergence: the result says what is left and
//! the command exits 3 (the policy stopped with work left), writing nothing. A draining node
//! that frozen partitions hold is neither: it is listed as blocked, by name with the freezes
//! (`blocked` in JSON), and stays draining.
//!
//! The table is printed round by round as the rounds are computed ([`rounds_shown`]): a
//! simulation that fails after its first round (it loops, `--max-rounds` is reached, the policy
//! faults) leaves the rounds before the failure on stdout and the error on stderr.

mod rounds_shown;

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

use crate::output::{check_writable_path, exit_code, write_table_part, Render};
use crate::plan_input::PlanInput;
use crate::script_output::{
    emit_script, refuse_script, PlanFormat, PlanOutputOptions, ScriptInput,
};
use crate::view::blocked::{blocked_drains, blocked_table, BlockedView};
use crate::view::nodes::{node_counts, node_counts_table, NodeCounts};
use crate::view::plan::PlanView;
use crate::view::policy::PolicyView;
use crate::view::quality::QualityView;
use crate::view::shortage::explain_insufficient;
use rounds_shown::{round_line, RoundsShown};

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

/// Runs `simulate` and prints its result in the format asked for: a table to stdout round by
/// round, anything else whole at the end; a script only when the simulation converged (else
/// exit 3 and no script).
pub fn emit(args: &SimulateArgs, verbose: bool) -> anyhow::Result<ExitCode> {
    let destination = args.render.file.destination()?;
    if let Some(path) = &args.write {
        check_writable_path("--write", path)?;
    }
    let streamed = args.render.format == PlanFormat::Table && destination.is_stdout();
    let (simulated, simulation, first) = run(args, verbose, streamed)?;
    if streamed {
        // The first round printed the table's first line; without rounds it is still to print.
        let start = match simulated.rounds.is_empty() {
            true => table_start(&simulated.policy, &simulated.snapshot),
            false => String::new(),
        };
        write_table_part(&(start + &simulated.table_end()))?;
        return Ok(exit_code(&simulated));
    }
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

/// Runs `simulate`: the result, the simulation it shows and the first snapshot. The rounds are
/// shown as they are computed: `streamed`, the table's first line (with the first round's) and
/// each round's line go to stdout; else they are counted on stderr. The final snapshot is written after the last round
/// and before the rest of the result is shown, and only when the simulation converged.
fn run(
    args: &SimulateArgs,
    verbose: bool,
    streamed: bool,
) -> anyhow::Result<(Simulated, Simulation, Snapshot)> {
    let (file, policy) = args.input.load()?;
    let policy_view = PolicyView::new(&policy, args.input.policy.source_name());
    let snapshot_line = args.input.snapshot_line(&file);
    let mut shown = RoundsShown::new(streamed, table_start(&policy_view, &snapshot_line));
    let result = worker_policy::simulate_each(
        &policy,
        &file.snapshot,
        args.input.max_moves,
        args.max_rounds,
        &mut |number, plan| shown.round(number, plan),
    );
    shown.finish()?;
    crate::logs::print_logs(&policy, verbose);
    let (simulation, left): (Simulation, Option<LeftView>) = match result {
        Ok(simulation) => (simulation, None),
        Err(Error::Fault(PolicyFault::StoppedUnsettled(stopped))) => {
            let left = LeftView::from(&*stopped);
            (stopped.simulation, Some(left))
        }
        Err(error) => return Err(explain_insufficient(error, &file.snapshot)),
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
        policy: policy_view,
        quality: QualityView::from(&quality::measure(&file.snapshot, &simulation.last)),
        rounds: simulation.rounds.iter().map(PlanView::from).collect(),
        snapshot: snapshot_line,
        written,
    };
    Ok((simulated, simulation, file.snapshot))
}

/// The table's first line: the policy and the first snapshot.
fn table_start(policy: &PolicyView, snapshot: &str) -> String {
    format!("{}{snapshot}\n", policy.line())
}

impl Simulated {
    /// The table after the rounds: whether it converged, what is blocked or left, the final
    /// per-node counts, the quality, and where the final snapshot was written.
    fn table_end(&self) -> String {
        let mut out = String::new();
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
}

impl Render for Simulated {
    fn table(&self) -> String {
        let mut out = table_start(&self.policy, &self.snapshot);
        for (i, plan) in self.rounds.iter().enumerate() {
            out.push_str(&round_line(i + 1, plan));
        }
        out.push_str(&self.table_end());
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
    use worker_policy_model::generate::{generate, ClusterShape};
    use worker_policy_model::settled::Unsettled;
    use worker_policy_model::{Plan, Replication, Snapshot, WorkerState};

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

    /// The default policy's logic, natively.
    fn default_policy() -> worker_policy::NativePolicy {
        worker_policy::NativePolicy {
            validate_transition: worker_policy_default::validate_transition,
            reconcile: worker_policy_default::reconcile,
            place: worker_policy_default::place,
            rebalance: worker_policy_default::rebalance,
        }
    }

    /// 9 nodes in 3 zones with 40 partitions placed, and N1 draining: one replica moves a round
    /// with `--max-moves 1`.
    fn draining_cluster() -> Snapshot {
        let replication = Replication::parse("{zone: 3, node: 3}").unwrap();
        let new = generate(&ClusterShape::new(vec![3, 3, 3], 40, replication));
        let mut placed = worker_policy::simulate(&default_policy(), &new, None, 10)
            .unwrap()
            .last;
        placed.nodes[0].worker_state = WorkerState::Draining;
        placed
    }

    #[test]
    fn each_round_is_handed_over_in_order_as_it_is_computed() {
        let policy = default_policy();
        let snapshot = draining_cluster();
        let mut handed = Vec::new();
        let simulation =
            worker_policy::simulate_each(&policy, &snapshot, Some(1), 100, &mut |n, plan| {
                handed.push((n, plan.clone()))
            })
            .unwrap();
        assert!(simulation.rounds.len() > 2, "several rounds to compare");
        let numbers: Vec<u32> = handed.iter().map(|(n, _)| *n).collect();
        let expected: Vec<u32> = (1..=simulation.rounds.len() as u32).collect();
        assert_eq!(numbers, expected);
        let plans: Vec<Plan> = handed.into_iter().map(|(_, plan)| plan).collect();
        assert_eq!(plans, simulation.rounds);
        let whole = worker_policy::simulate(&policy, &snapshot, Some(1), 100).unwrap();
        assert_eq!(whole.rounds, simulation.rounds);
    }

    #[test]
    fn the_rounds_before_a_failure_are_handed_over_before_it() {
        let mut handed = Vec::new();
        let error = worker_policy::simulate_each(
            &default_policy(),
            &draining_cluster(),
            Some(1),
            2,
            &mut |n, _| handed.push(n),
        )
        .unwrap_err();
        assert!(
            matches!(
                error,
                Error::Fault(PolicyFault::NoConvergence { rounds: 2 })
            ),
            "{error}"
        );
        assert_eq!(handed, [1, 2]);
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
