//! The command line: the verbs and the option every verb has. Each verb's own options live in
//! its module; the options several verbs share are flattened from [`crate::policy_options`]
//! and [`crate::output`].

use clap::{Parser, Subcommand};

use crate::{
    bench, compile_worker, conformance, decommission, diff, evaluate, generate, import, inspect,
    report, rollout, scenarios, simulate, transition,
};

/// Decide worker-node lifecycle transitions and partition placement with a swappable policy.
#[derive(Debug, Parser)]
#[command(name = "worker-policy", version, about, long_about = None)]
#[command(
    after_help = "Exit codes: 0 ok; 1 the policy refused (a transition, or a cluster it cannot place); \
2 bad input (snapshot, arguments, policy file); 3 the policy misbehaved (trap, timeout, memory, fuel, \
broken invariant, wrong contract, no convergence; for conformance: a safety property fails); 4 host error."
)]
pub struct Cli {
    /// Show what the policy logged (to stderr).
    #[arg(short, long, global = true)]
    pub verbose: bool,
    /// The verb.
    #[command(subcommand)]
    pub command: Command,
}

/// The verbs.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// The plan the policy decides for a snapshot: its transitions and steps, each with a reason.
    Evaluate(evaluate::EvaluateArgs),
    /// The policy's verdict on an operator's request to change a node's worker state.
    Transition(transition::TransitionArgs),
    /// Evaluate and apply, round after round, until the plan is empty.
    Simulate(simulate::SimulateArgs),
    /// What a policy component is: its info, contract, imports, exports and digest.
    Inspect(inspect::InspectArgs),
    /// Certify a policy: every safety property, with the smallest counterexample of each
    /// failure, and a quality scorecard. Exit 0 only when every safety property passes, 3 when
    /// one fails.
    Conformance(conformance::ConformanceArgs),
    /// What changes if the policy is swapped: both policies' plans, verdicts and simulations
    /// on each snapshot, side by side. Exit 0 when every decision is the same, 1 when any
    /// differs, 3 when either policy misbehaves.
    Diff(diff::DiffArgs),
    /// Remove nodes in a safe order: refused when the set cannot leave; otherwise waves of
    /// drained nodes, each simulated to convergence and disabled (`--emit restatectl`: as one
    /// script). Exit 0 done, 1 refused, 2 bad input, 3 the policy misbehaved or the script
    /// cannot reach the plan.
    Decommission(decommission::DecommissionArgs),
    /// Plan a rolling restart: waves that never take down more of a partition than the
    /// replication property can spare, leaders moved off each wave first (`--emit restatectl`:
    /// a script that stops at each wave's restart point). Exit 1 when no safe order exists, 3
    /// when the script cannot reach the plan (a leader affinity Restate honours first).
    Rollout(rollout::RolloutArgs),
    /// One self-contained HTML page of a policy's plan (or two side by side with `--against`):
    /// replicas and leaders per node against the fair share, moves, figures and reasons.
    Report(report::ReportArgs),
    /// Placement quality on synthetic clusters: place, drain one, add one, lose one; balance
    /// against the fair share and moves against the lower bound.
    Scenarios(scenarios::ScenariosArgs),
    /// Planning speed of the default policy inside its component against native, side by side.
    Bench(bench::BenchArgs),
    /// A synthetic cluster snapshot from a shape and a seed.
    Generate(generate::GenerateArgs),
    /// A snapshot from a real cluster (`import restate`): live with `--address` (restatectl run
    /// read-only), or from its `restatectl` metadata or SQL dumps; to stdout or `--output`;
    /// notes on what was skipped or assumed go to stderr. Exit 2 on a bad dump or an unusable
    /// cluster address, naming the file or command, the field and the fix; nothing is written.
    Import(import::ImportArgs),
    /// Compile one policy component for the process that started this one (internal).
    #[command(hide = true)]
    CompileWorker(compile_worker::CompileWorkerArgs),
}

#[cfg(test)]
mod tests {
    use clap::error::ErrorKind;
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn values_are_parsed_into_domain_types_at_the_edge() {
        let cli = Cli::try_parse_from([
            "worker-policy",
            "transition",
            "--snapshot",
            "x.json",
            "--node",
            "N5",
            "--to",
            "draining",
        ])
        .unwrap();
        let Command::Transition(args) = cli.command else {
            panic!("not transition");
        };
        assert_eq!(args.node, 5);
        assert_eq!(args.to, worker_policy_model::WorkerState::Draining);
        for bad in [
            &[
                "transition",
                "--snapshot",
                "x",
                "--node",
                "X5",
                "--to",
                "active",
            ][..],
            &[
                "transition",
                "--snapshot",
                "x",
                "--node",
                "5",
                "--to",
                "gone",
            ],
            &["generate", "--zones", "4,0,4"],
            &["generate", "--zones", "4,4,4", "--replication", "{rack: 3}"],
            &["generate", "--zones", "4,4,4", "--partitions", "10000001"],
            &["scenarios", "--zones", "99999,99999"],
            &["inspect", "--policy-sha256", "00"],
        ] {
            let error = Cli::try_parse_from([&["worker-policy"][..], bad].concat()).unwrap_err();
            assert_eq!(error.exit_code(), 2, "{bad:?}");
            let kind = error.kind();
            assert!(
                matches!(kind, ErrorKind::ValueValidation | ErrorKind::InvalidValue),
                "{bad:?}: {kind:?}"
            );
        }
    }
}
