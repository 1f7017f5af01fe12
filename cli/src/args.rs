//! The command line: the verbs and the option every verb has. Each verb's own options live in
//! its module; the options several verbs share are flattened from [`crate::policy_options`]
//! and [`crate::output`]. The texts made at run time (each verb's examples and exit codes, the
//! long version) are added by [`command`].

use clap::{CommandFactory, Parser, Subcommand};

use crate::cluster_views::{nodes, partitions};
use crate::output::ColorChoice;
use crate::{
    apply, bench, compile_worker, completions, conformance, control, decommission, diff, evaluate,
    exit_codes, generate, import, inspect, man, report, rollout, scenarios, simulate, transition,
    verb_help, version,
};

/// The program's name, as completions and the man page call it.
pub const BIN: &str = "worker-policy";

/// The command line with its run-time texts: each verb's examples and exit codes, the exit
/// codes' summary, and the long version (`--version`).
pub fn command() -> clap::Command {
    verb_help::decorate(Cli::command())
        .after_help(exit_codes::summary())
        .long_version(version::long())
}

/// [`command`] without the hidden verbs (`compile-worker`), for completions and the man page:
/// clap's generators would otherwise offer them.
pub fn visible_command() -> clap::Command {
    let full = command();
    let verbs: Vec<clap::Command> = full
        .get_subcommands()
        .filter(|verb| !verb.is_hide_set())
        .cloned()
        .collect();
    let mut visible = clap::Command::new(BIN)
        .args(full.get_arguments().cloned())
        .subcommand_required(true)
        .subcommands(verbs);
    if let Some(version) = full.get_version() {
        visible = visible.version(version.to_owned());
    }
    if let Some(version) = full.get_long_version() {
        visible = visible.long_version(version.to_owned());
    }
    if let Some(about) = full.get_about() {
        visible = visible.about(about.clone());
    }
    if let Some(after) = full.get_after_help() {
        visible = visible.after_help(after.clone());
    }
    visible
}

/// Decide worker-node lifecycle transitions and partition placement with a swappable policy.
#[derive(Debug, Parser)]
#[command(name = "worker-policy", version, about, long_about = None)]
pub struct Cli {
    /// Show what the policy logged (to stderr).
    #[arg(short, long, global = true)]
    pub verbose: bool,
    /// Leave out notes, progress and other informational lines on stderr (errors stay).
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Colour verdicts, PASS/FAIL and errors: auto (stdout or stderr is a terminal and NO_COLOR
    /// is unset or empty), always or never. Never JSON, scripts or files.
    #[arg(long, value_enum, global = true, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
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
    /// Carry out the policy's plan on a live Restate cluster, step by step through restatectl,
    /// each step confirmed by the cluster (a dry run unless --execute).
    Apply(apply::ApplyArgs),
    /// Keep a live Restate cluster on the policy: observe, decide, check, act, wait, repeat;
    /// one controller per cluster (a lease in Restate's metadata store).
    Control(control::ControlArgs),
    /// What a policy component is: its info, contract, imports, exports and digest.
    Inspect(inspect::InspectArgs),
    /// Certify a policy: every safety property, with the smallest counterexample of each
    /// failure, and a quality scorecard.
    Conformance(conformance::ConformanceArgs),
    /// What changes if the policy is swapped: both policies' plans, verdicts and simulations
    /// on each snapshot, side by side.
    Diff(diff::DiffArgs),
    /// Remove nodes in a safe order: refused when the set cannot leave; otherwise waves of
    /// drained nodes, each simulated to convergence and disabled (`--emit restatectl`: as one
    /// script).
    Decommission(decommission::DecommissionArgs),
    /// Plan a rolling restart: waves that never take down more of a partition than the
    /// replication property can spare, leaders moved off each wave first (`--emit restatectl`:
    /// a script that stops at each wave's restart point).
    Rollout(rollout::RolloutArgs),
    /// One self-contained HTML page of a policy's plan (or two side by side with `--against`):
    /// replicas and leaders per node against the fair share, moves, figures and reasons.
    Report(report::ReportArgs),
    /// Placement quality on synthetic clusters: place, drain one, add one, lose one; balance
    /// against the fair share and moves against the lower bound.
    Scenarios(scenarios::ScenariosArgs),
    /// Planning speed of an embedded policy (the default, or `--policy restate`) inside its
    /// component against the same logic compiled natively, side by side.
    Bench(bench::BenchArgs),
    /// The nodes of a snapshot, as `restatectl nodes list` shows them: state, location, replicas
    /// and leaders against the fair share, and what stands out.
    Nodes(nodes::NodesArgs),
    /// The partitions of a snapshot, as `restatectl partitions list` shows them: replica set,
    /// leader, `next`, freeze and affinity, the replication property, and what stands out.
    Partitions(partitions::PartitionsArgs),
    /// A synthetic cluster snapshot from a shape and a seed.
    Generate(generate::GenerateArgs),
    /// A snapshot from a real cluster (`import restate`): live with `--address` (restatectl run
    /// read-only), or from its `restatectl` metadata or SQL dumps; to stdout or `--output`;
    /// notes on what was skipped or assumed go to stderr.
    Import(import::ImportArgs),
    /// The shell's completion script (bash, zsh, fish, elvish, powershell), to stdout.
    Completions(completions::CompletionsArgs),
    /// The manual page, in roff: to stdout, or one page per verb with `--out-dir`.
    Man(man::ManArgs),
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
