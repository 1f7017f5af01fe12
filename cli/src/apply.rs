//! `worker-policy apply`: the policy's plan carried out on a live Restate cluster, step by step
//! through `restatectl`, instead of printed as a script for a person to run.
//!
//! The cluster is imported (`import restate --address`, worker-policy's own freezes read as
//! none), planned to convergence (`simulate`, every answer checked by the host), and turned into
//! the script's own commands (each checked on Restate's view of the cluster; the whole script
//! replayed and compared with the plan, as `--emit restatectl` does) grouped into steps
//! ([`worker_policy_restate_bridge::apply`]). Without `--execute` that is all: the steps are
//! printed and nothing changes. With it, the steps are carried out and the cluster is read back
//! around each one; when the cluster is not where a step expects it (an operator's change,
//! Restate's own), the plan is made again from the live cluster, at most `--max-replans` times,
//! and after the last step the cluster is imported and planned once more: apply ends when the
//! policy has nothing left to do.

mod dry_run;
pub mod plan;
mod progress;

use std::process::ExitCode;
use std::time::Instant;

use clap::Args;
use worker_policy_restate_bridge::apply::{execute, Outcome, RestatectlCluster};

use crate::drain_first::DrainOptions;
use crate::interrupt;
use crate::live_target::{LiveTarget, PlanningOptions, StepOptions};
use crate::output::{emit, OutputOptions};
use dry_run::DryRun;
use plan::{plan, Planned};
use progress::Reporter;

/// Options of `apply`.
#[derive(Debug, Args)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub target: LiveTarget,
    #[command(flatten)]
    pub planning: PlanningOptions,
    #[command(flatten)]
    pub drains: DrainOptions,
    /// Carry the steps out. Without it, apply prints what it would do and changes nothing.
    #[arg(long)]
    pub execute: bool,
    #[command(flatten)]
    pub steps: StepOptions,
    /// How many times the plan may be made again from the live cluster when the cluster is
    /// not where a step expects it, or still has work after the last step.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub max_replans: u32,
    #[command(flatten)]
    pub render: OutputOptions,
}

/// Runs `apply`: a dry run prints the steps; `--execute` carries them out.
pub fn emit_apply(args: &ApplyArgs, verbose: bool) -> anyhow::Result<ExitCode> {
    let destination = args.render.file.destination()?;
    let policy = args.planning.policy.load()?;
    let plan = || {
        plan(
            &args.target,
            &args.planning,
            &args.drains.drain,
            &policy,
            verbose,
        )
    };
    let first = plan()?;
    if !args.execute {
        return match first {
            Planned::Steps(planned) => emit(
                &DryRun::new(args.steps.max_concurrent, &planned),
                args.render.format,
                &destination,
            ),
            Planned::Refused(refused) => emit(&refused, args.render.format, &destination),
        };
    }
    interrupt::finish_first();
    let mut cluster = RestatectlCluster::new(args.target.restatectl()?)?;
    let limits = args.steps.limits();
    let mut reporter = Reporter::new(args.render.format, destination, limits.max_concurrent);
    let start = Instant::now();
    let mut next = first;
    for attempt in 0..=args.max_replans {
        let planned = match next {
            Planned::Steps(planned) => planned,
            Planned::Refused(refused) => return reporter.finish_refused(&refused, start.elapsed()),
        };
        if planned.steps.is_empty() {
            return reporter.finish_converged(start.elapsed());
        }
        reporter.planned(attempt, &planned);
        let outcome = execute(
            &mut cluster,
            &planned.steps,
            &limits,
            &interrupt::stop_requested,
            &mut |event| reporter.event(&event),
        );
        match outcome {
            Err(error) => return reporter.finish_failed(error, start.elapsed()),
            Ok(Outcome::Stopped(tally)) => {
                reporter.tally(tally);
                return reporter.finish_stopped(start.elapsed());
            }
            Ok(Outcome::Applied(tally)) => {
                reporter.tally(tally);
                reporter
                    .replanning("every step is done; the policy is asked whether anything is left");
            }
            Ok(Outcome::Replan { why, tally }) => {
                reporter.tally(tally);
                reporter.replanning(&why);
            }
        }
        if interrupt::stop_requested() {
            return reporter.finish_stopped(start.elapsed());
        }
        next = plan()?;
    }
    match next {
        Planned::Steps(planned) if planned.steps.is_empty() => {
            reporter.finish_converged(start.elapsed())
        }
        _ => reporter.finish_unconverged(args.max_replans, start.elapsed()),
    }
}
