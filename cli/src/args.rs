//! The command line: verbs, their options, and the options every verb that loads a policy shares.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Parser, Subcommand, ValueEnum};
use worker_policy::embedded::{DEFAULT_POLICY, DEFAULT_POLICY_NAME};
use worker_policy::snapshot_file::SnapshotFile;
use worker_policy::{Error, Limits, LoadedPolicy};
use worker_policy_model::WorkerState;

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
    #[command(subcommand)]
    pub command: Command,
}

/// The verbs.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// The plan the policy decides for a snapshot: its transitions and steps, each with a reason.
    Evaluate(EvaluateArgs),
    /// The policy's verdict on an operator's request to change a node's worker state.
    Transition(TransitionArgs),
    /// Evaluate and apply, round after round, until the plan is empty.
    Simulate(SimulateArgs),
    /// What a policy component is: its info, contract, imports, exports and digest.
    Inspect(InspectArgs),
    /// Certify a policy: every safety property, with the smallest counterexample of each
    /// failure, and a quality scorecard. Exit 0 only when every safety property passes, 3 when
    /// one fails.
    Conformance(ConformanceArgs),
    /// Placement quality on synthetic clusters: place, drain one, add one, lose one; balance
    /// against the fair share and moves against the lower bound.
    Scenarios(ScenariosArgs),
    /// Planning speed of the default policy inside its component against native, side by side.
    Bench(BenchArgs),
    /// A synthetic cluster snapshot from a shape and a seed.
    Generate(GenerateArgs),
}

/// How results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned text for people.
    Table,
    /// JSON for programs.
    Json,
}

/// A worker state as the command line writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StateArg {
    Provisioning,
    Active,
    Draining,
    Disabled,
}

impl From<StateArg> for WorkerState {
    fn from(s: StateArg) -> WorkerState {
        match s {
            StateArg::Provisioning => WorkerState::Provisioning,
            StateArg::Active => WorkerState::Active,
            StateArg::Draining => WorkerState::Draining,
            StateArg::Disabled => WorkerState::Disabled,
        }
    }
}

/// Which policy to load and the sandbox it runs in.
#[derive(Debug, Args)]
pub struct PolicyArgs {
    /// A policy component (.wasm); without it, the embedded default policy.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Refuse to load the policy unless its SHA-256 (hex) is this.
    #[arg(long, value_name = "HEX")]
    pub policy_sha256: Option<String>,
    /// Deadline of each policy call, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 5.0, value_parser = parse_seconds)]
    pub timeout: f64,
    /// Memory cap of each policy instance, in MiB.
    #[arg(long, value_name = "MIB", default_value_t = 1024, value_parser = clap::value_parser!(u64).range(1..=65536))]
    pub max_memory: u64,
    /// Meter fuel: stop a policy call after this many units (reproducible on any machine).
    #[arg(long, value_name = "N")]
    pub fuel: Option<u64>,
}

fn parse_seconds(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(s) if s > 0.0 && s <= 3600.0 => Ok(s),
        _ => Err(format!(
            "`{text}` is not a number of seconds between 0 and 3600"
        )),
    }
}

impl PolicyArgs {
    /// The sandbox limits these options ask for.
    pub fn limits(&self) -> Limits {
        Limits {
            timeout: Duration::from_secs_f64(self.timeout),
            max_memory: usize::try_from(self.max_memory << 20).unwrap_or(usize::MAX),
            fuel: self.fuel,
        }
    }

    /// How output names the policy: its file, or the embedded default.
    pub fn source_name(&self) -> String {
        match &self.policy {
            Some(path) => path.display().to_string(),
            None => DEFAULT_POLICY_NAME.to_string(),
        }
    }

    /// Reads, pins and loads the policy under the limits these options ask for.
    pub fn load(&self) -> anyhow::Result<LoadedPolicy> {
        self.load_with(self.limits())
    }

    /// Reads, pins and loads the policy under `limits`.
    pub fn load_with(&self, limits: Limits) -> anyhow::Result<LoadedPolicy> {
        let bytes = match &self.policy {
            Some(path) => std::fs::read(path).map_err(|e| {
                Error::PolicyFile(format!(
                    "{}: cannot be read: {e}; check the --policy path",
                    path.display()
                ))
            })?,
            None => DEFAULT_POLICY.to_vec(),
        };
        if let Some(pin) = &self.policy_sha256 {
            worker_policy::policy::check_pin(&bytes, pin)?;
        }
        LoadedPolicy::load(&bytes, limits)
            .with_context(|| format!("cannot load the policy {}", self.source_name()))
    }
}

/// Options of `evaluate`.
#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// The cluster snapshot (JSON).
    #[arg(long, value_name = "FILE")]
    pub snapshot: PathBuf,
    #[command(flatten)]
    pub policy: PolicyArgs,
    /// At most this many replicas added by the rebalance; later rounds finish the work.
    #[arg(long, value_name = "N")]
    pub max_moves: Option<u32>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// Options of `transition`.
#[derive(Debug, Args)]
pub struct TransitionArgs {
    /// The cluster snapshot (JSON).
    #[arg(long, value_name = "FILE")]
    pub snapshot: PathBuf,
    /// The node, as `N3` or `3`.
    #[arg(long, value_name = "ID")]
    pub node: String,
    /// The worker state asked for.
    #[arg(long, value_enum)]
    pub to: StateArg,
    #[command(flatten)]
    pub policy: PolicyArgs,
    /// When allowed, write the snapshot with the node's new state here (atomically; nothing is
    /// written when refused). May be the input file.
    #[arg(long, value_name = "FILE")]
    pub write: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// Options of `simulate`.
#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// The cluster snapshot (JSON).
    #[arg(long, value_name = "FILE")]
    pub snapshot: PathBuf,
    #[command(flatten)]
    pub policy: PolicyArgs,
    /// At most this many replicas added per round.
    #[arg(long, value_name = "N")]
    pub max_moves: Option<u32>,
    /// Give up after this many rounds.
    #[arg(long, value_name = "N", default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_rounds: u32,
    /// Write the final snapshot here, in the input's format (atomically).
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// Options of `inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    #[command(flatten)]
    pub policy: PolicyArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// Options of `conformance`.
#[derive(Debug, Args)]
pub struct ConformanceArgs {
    #[command(flatten)]
    pub policy: PolicyArgs,
    /// Seed of the generated clusters and shuffles: the same seed checks the same clusters.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub seed: u64,
    /// Generated clusters to check besides the fixed scenarios.
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub cases: u32,
    /// Where to write the counterexamples (snapshot files) when a property fails.
    #[arg(
        long,
        value_name = "DIR",
        default_value = "worker-policy-counterexamples"
    )]
    pub counterexamples: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// Options of `scenarios`.
#[derive(Debug, Args)]
pub struct ScenariosArgs {
    #[command(flatten)]
    pub policy: PolicyArgs,
    /// Hosts per zone, comma-separated (`4,4,4`); without it, the standard shapes: 3 zones of 4
    /// and of 33 hosts, with 10,000 and 256 partitions.
    #[arg(long, value_name = "N,N,...", value_delimiter = ',')]
    pub zones: Vec<u32>,
    /// Partitions, with `--zones`.
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    pub partitions: u32,
    /// The replication property.
    #[arg(long, value_name = "PROPERTY", default_value = "{zone: 3, node: 3}")]
    pub replication: String,
    /// Picks the node that is drained, lost or joined by the new one.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub seed: u64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// Options of `generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Hosts per zone, comma-separated (`4,4,4`).
    #[arg(long, value_name = "N,N,...", value_delimiter = ',', required = true)]
    pub zones: Vec<u32>,
    /// Regions the zones are spread over, round-robin.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub regions: u32,
    /// Partitions.
    #[arg(long, value_name = "N", default_value_t = 256)]
    pub partitions: u32,
    /// The replication property.
    #[arg(long, value_name = "PROPERTY", default_value = "{zone: 3, node: 3}")]
    pub replication: String,
    /// Start with the partitions on a simple striped layout instead of unplaced.
    #[arg(long)]
    pub placed: bool,
    /// Nodes that start draining.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub draining: u32,
    /// Nodes that start provisioning.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub provisioning: u32,
    /// Nodes that start dead.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub dead: u32,
    /// Picks which nodes are draining, provisioning and dead.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub seed: u64,
    /// Write the snapshot here (atomically) instead of to stdout.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// Options of `bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Nodes, spread evenly over the zones.
    #[arg(long, value_name = "N", default_value_t = 1000, value_parser = clap::value_parser!(u32).range(3..=100_000))]
    pub nodes: u32,
    /// Zones.
    #[arg(long, value_name = "N", default_value_t = 10, value_parser = clap::value_parser!(u32).range(3..=1000))]
    pub zones: u32,
    /// Partitions.
    #[arg(long, value_name = "N", default_value_t = 100_000)]
    pub partitions: u32,
    /// Runs of each measurement; the median is shown.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub runs: u32,
}

/// Reads a snapshot file.
pub fn read_snapshot(path: &Path) -> anyhow::Result<SnapshotFile> {
    Ok(SnapshotFile::read(path).map_err(Error::Snapshot)?)
}
