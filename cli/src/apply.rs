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
mod plan;
mod progress;

use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Args;
use worker_policy_restate_bridge::apply::{execute, Limits, Outcome, RestatectlCluster};
use worker_policy_restate_bridge::import::live::{locate, Restatectl};

use crate::drain_first::DrainOptions;
use crate::import::LiveCluster;
use crate::interrupt;
use crate::output::{emit, OutputOptions};
use crate::policy_options::PolicyOptions;
use dry_run::DryRun;
use plan::{plan, Planned};
use progress::Reporter;

/// How long each `restatectl` command may take by default.
const DEFAULT_COMMAND_TIMEOUT_SECS: u64 = 30;

/// The pause between two observations of the cluster while steps are in flight.
const POLL: Duration = Duration::from_millis(250);

/// Options of `apply`.
#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// The live cluster: `restatectl` addresses, comma-separated, the first a node with the
    /// admin role (restatectl sql asks only the first).
    #[arg(
        long,
        value_name = "URL[,URL...]",
        value_delimiter = ',',
        required = true
    )]
    pub address: Vec<String>,
    /// The `restatectl` (1.7.x) to run; by default the one on PATH.
    #[arg(long, value_name = "FILE")]
    pub restatectl: Option<std::path::PathBuf>,
    /// Seconds each `restatectl` command may take before it is stopped (`--timeout` is the
    /// policy's, per hook call).
    #[arg(long, value_name = "SECS", default_value_t = DEFAULT_COMMAND_TIMEOUT_SECS, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub command_timeout: u64,
    #[command(flatten)]
    pub policy: PolicyOptions,
    #[command(flatten)]
    pub drains: DrainOptions,
    /// At most this many replicas added by the rebalance of each round (as simulate takes it).
    #[arg(long, value_name = "N")]
    pub max_moves: Option<u32>,
    /// Give up planning after this many rounds.
    #[arg(long, value_name = "N", default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_rounds: u32,
    /// Carry the steps out. Without it, apply prints what it would do and changes nothing.
    #[arg(long)]
    pub execute: bool,
    /// At most this many partitions in reconfiguration at once.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=64))]
    pub max_concurrent: u32,
    /// Seconds one step may take, from its first command until the cluster confirms it (the new
    /// replicas caught up, the leader elected where the plan put it).
    #[arg(long, value_name = "SECS", default_value_t = 120, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub step_timeout: u64,
    /// How many times the plan may be made again from the live cluster when the cluster is
    /// not where a step expects it, or still has work after the last step.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub max_replans: u32,
    #[command(flatten)]
    pub render: OutputOptions,
}

impl ApplyArgs {
    /// The live cluster to import, worker-policy's own freezes read as none.
    fn live(&self) -> LiveCluster {
        LiveCluster {
            addresses: self.address.clone(),
            restatectl: self.restatectl.clone(),
            timeout: Duration::from_secs(self.command_timeout),
            replication: None,
            own_freezes: true,
        }
    }
}

/// Runs `apply`: a dry run prints the steps; `--execute` carries them out.
pub fn emit_apply(args: &ApplyArgs, verbose: bool) -> anyhow::Result<ExitCode> {
    let destination = args.render.file.destination()?;
    let policy = args.policy.load()?;
    let first = plan(args, &policy, verbose)?;
    if !args.execute {
        return match first {
            Planned::Steps(planned) => emit(
                &DryRun::new(args, &planned),
                args.render.format,
                &destination,
            ),
            Planned::Refused(refused) => emit(&refused, args.render.format, &destination),
        };
    }
    interrupt::finish_first();
    let program = locate(args.restatectl.as_deref())?;
    let ctl = Restatectl::new(
        program,
        &args.address,
        Duration::from_secs(args.command_timeout),
    );
    let mut cluster = RestatectlCluster::new(ctl)?;
    let limits = Limits {
        max_concurrent: args.max_concurrent as usize,
        step_timeout: Duration::from_secs(args.step_timeout),
        poll: POLL,
    };
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
        next = plan(args, &policy, verbose)?;
    }
    match next {
        Planned::Steps(planned) if planned.steps.is_empty() => {
            reporter.finish_converged(start.elapsed())
        }
        _ => reporter.finish_unconverged(args.max_replans, start.elapsed()),
    }
}
