//! `worker-policy generate`: a synthetic cluster snapshot from a shape and a seed (zones and
//! their hosts, regions, partitions, the replication property, how many nodes start draining,
//! provisioning or dead), so anyone can reproduce a figure or a bug on a cluster of any size.
//! Its output is a snapshot file, not a report: it has no `--format`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use worker_policy::atomic_file::write_atomically;
use worker_policy::snapshot_file::snapshot_to_json;
use worker_policy_model::generate::{generate, ClusterShape};
use worker_policy_model::Replication;

use crate::error::CliError;
use crate::output::write_stdout;
use crate::values::{self, ZoneSizes, MAX_NODES};

/// The most partitions `generate` writes.
pub const MAX_PARTITIONS: u32 = 10_000_000;

/// Options of `generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Hosts per zone, comma-separated (`4,4,4`; 100,000 hosts at most).
    #[arg(long, value_name = "N,N,...", required = true, value_parser = values::zone_sizes)]
    pub zones: ZoneSizes,
    /// Regions the zones are spread over, round-robin.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub regions: u32,
    /// Partitions (10,000,000 at most).
    #[arg(long, value_name = "N", default_value_t = 256, value_parser = clap::value_parser!(u32).range(..=i64::from(MAX_PARTITIONS)))]
    pub partitions: u32,
    /// The replication property.
    #[arg(long, value_name = "PROPERTY", default_value = "{zone: 3, node: 3}", value_parser = values::replication)]
    pub replication: Replication,
    /// Start with the partitions on a simple striped layout instead of unplaced.
    #[arg(long)]
    pub placed: bool,
    /// Nodes that start draining.
    #[arg(long, value_name = "N", default_value_t = 0, value_parser = node_count())]
    pub draining: u32,
    /// Nodes that start provisioning.
    #[arg(long, value_name = "N", default_value_t = 0, value_parser = node_count())]
    pub provisioning: u32,
    /// Nodes that start dead.
    #[arg(long, value_name = "N", default_value_t = 0, value_parser = node_count())]
    pub dead: u32,
    /// Picks which nodes are draining, provisioning and dead.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub seed: u64,
    /// Write the snapshot here (atomically) instead of to stdout.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// A count of nodes, at most [`MAX_NODES`].
fn node_count() -> clap::builder::RangedI64ValueParser<u32> {
    clap::value_parser!(u32).range(..=i64::from(MAX_NODES))
}

/// Runs `generate`: the snapshot goes to `--output`, or to stdout.
pub fn run(args: &GenerateArgs) -> anyhow::Result<ExitCode> {
    // Each is at most MAX_NODES, so the sum fits.
    let special = args.draining + args.provisioning + args.dead;
    if special > args.zones.nodes {
        return Err(CliError::Argument(format!(
            "--zones gives {} node(s), but --draining, --provisioning and --dead ask for {special}; give every zone at least one node and ask for at most that many",
            args.zones.nodes
        ))
        .into());
    }
    let shape = ClusterShape {
        regions: args.regions,
        placed: args.placed,
        draining: args.draining,
        provisioning: args.provisioning,
        dead: args.dead,
        seed: args.seed,
        ..ClusterShape::new(args.zones.hosts.clone(), args.partitions, args.replication)
    };
    let json = snapshot_to_json(&generate(&shape));
    match &args.output {
        Some(path) => write_atomically(path, json.as_bytes())?,
        None => write_stdout(&json)?,
    }
    Ok(ExitCode::SUCCESS)
}
