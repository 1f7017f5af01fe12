//! `worker-policy evaluate`: the plan the policy decides for a snapshot.

use std::process::ExitCode;

use anyhow::Context;
use worker_policy_model::quality;

use crate::args::{read_snapshot, EvaluateArgs, Format};
use crate::render;

/// Runs `evaluate`.
pub fn run(args: &EvaluateArgs, verbose: bool) -> anyhow::Result<ExitCode> {
    let file = read_snapshot(&args.snapshot)?;
    let policy = args.policy.load()?;
    let source = args.policy.source_name();
    let result = worker_policy::evaluate(&policy, &file.snapshot, args.max_moves);
    render::print_logs(&policy, verbose);
    let evaluation = result.with_context(|| format!("evaluating {}", args.snapshot.display()))?;
    let q = quality::measure(&file.snapshot, &evaluation.after);
    match args.format {
        Format::Json => {
            let mut out = render::plan_json(&evaluation.plan);
            out["policy"] = render::policy_json(&policy, &source);
            out["quality"] = render::quality_json(&q);
            print!("{}", render::to_json_text(&out));
        }
        Format::Table => {
            println!("{}", render::policy_line(&policy, &source));
            println!(
                "{}",
                render::snapshot_line(&args.snapshot.display().to_string(), &file.snapshot)
            );
            print!("{}", render::plan_table(&evaluation.plan));
            println!("\nsummary   {}", render::plan_summary(&evaluation.plan));
            print!("{}", render::quality_table(&q));
        }
    }
    Ok(ExitCode::SUCCESS)
}
