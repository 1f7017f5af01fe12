//! `worker-policy simulate`: evaluate and apply, round after round, until the plan is empty;
//! prints each round, the final per-node counts and the quality of the whole change.

use std::process::ExitCode;

use serde_json::json;
use worker_policy::atomic_file::write_atomically;
use worker_policy_model::quality;

use crate::args::{read_snapshot, Format, SimulateArgs};
use crate::render;

/// Runs `simulate`.
pub fn run(args: &SimulateArgs, verbose: bool) -> anyhow::Result<ExitCode> {
    let file = read_snapshot(&args.snapshot)?;
    let policy = args.policy.load()?;
    let source = args.policy.source_name();
    let result = worker_policy::simulate(&policy, &file.snapshot, args.max_moves, args.max_rounds);
    render::print_logs(&policy, verbose);
    let simulation = result?;
    let q = quality::measure(&file.snapshot, &simulation.last);
    if let Some(path) = &args.output {
        write_atomically(path, file.to_json(&simulation.last).as_bytes())?;
    }
    match args.format {
        Format::Json => {
            let rounds: Vec<_> = simulation.rounds.iter().map(render::plan_json).collect();
            print!(
                "{}",
                render::to_json_text(&json!({
                    "policy": render::policy_json(&policy, &source),
                    "rounds": rounds,
                    "nodes": render::node_counts_json(&simulation.last),
                    "quality": render::quality_json(&q),
                }))
            );
        }
        Format::Table => {
            println!("{}", render::policy_line(&policy, &source));
            println!(
                "{}",
                render::snapshot_line(&args.snapshot.display().to_string(), &file.snapshot)
            );
            println!();
            for (i, plan) in simulation.rounds.iter().enumerate() {
                println!("round {:<3} {}", i + 1, render::plan_summary(plan));
            }
            println!(
                "converged after {} round(s): the plan is empty",
                simulation.rounds.len()
            );
            print!("{}", render::node_counts_table(&simulation.last));
            print!("{}", render::quality_table(&q));
            if let Some(path) = &args.output {
                println!("\nwrote     {}", path.display());
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
