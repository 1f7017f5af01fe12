//! `worker-policy simulate`: evaluate and apply, round after round, until the plan is empty;
//! shows each round, the final per-node counts and the quality of the whole change.

use std::path::PathBuf;

use clap::Args;
use serde::Serialize;
use worker_policy::atomic_file::write_atomically;
use worker_policy_model::quality;

use crate::output::{OutputOptions, Render};
use crate::plan_input::PlanInput;
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
    /// Write the final snapshot here, in the input's format (atomically).
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub render: OutputOptions,
}

/// The rounds to convergence, where every node ends up, and the quality of the whole change.
#[derive(Debug, Serialize)]
pub struct Simulated {
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

/// Runs `simulate`; the final snapshot is written before anything is shown.
pub fn run(args: &SimulateArgs, verbose: bool) -> anyhow::Result<Simulated> {
    let (file, policy) = args.input.load()?;
    let result = worker_policy::simulate(
        &policy,
        &file.snapshot,
        args.input.max_moves,
        args.max_rounds,
    );
    crate::logs::print_logs(&policy, verbose);
    let simulation = result?;
    if let Some(path) = &args.output {
        write_atomically(path, file.to_json(&simulation.last).as_bytes())?;
    }
    Ok(Simulated {
        nodes: node_counts(&simulation.last),
        policy: PolicyView::new(&policy, args.input.policy.source_name()),
        quality: QualityView::from(&quality::measure(&file.snapshot, &simulation.last)),
        rounds: simulation.rounds.iter().map(PlanView::from).collect(),
        snapshot: args.input.snapshot_line(&file),
        written: args.output.clone(),
    })
}

impl Render for Simulated {
    fn table(&self) -> String {
        let mut out = format!("{}{}\n", self.policy.line(), self.snapshot);
        for (i, plan) in self.rounds.iter().enumerate() {
            out.push_str(&format!("round {:<3} {}\n", i + 1, plan.summary()));
        }
        out.push_str(&format!(
            "converged after {} round(s): the plan is empty\n",
            self.rounds.len()
        ));
        out.push_str(&node_counts_table(&self.nodes));
        out.push_str(&self.quality.table());
        if let Some(path) = &self.written {
            out.push_str(&format!("\nwrote     {}\n", path.display()));
        }
        out
    }
}
