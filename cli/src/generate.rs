//! `worker-policy generate`: a synthetic cluster snapshot from a shape and a seed (zones and
//! their hosts, regions, partitions, the replication property, how many nodes start draining,
//! provisioning or dead), so anyone can reproduce a figure or a bug on a cluster of any size.

use std::process::ExitCode;

use worker_policy::atomic_file::write_atomically;
use worker_policy::snapshot_file::snapshot_to_json;
use worker_policy::Error;
use worker_policy_model::generate::{generate, ClusterShape};
use worker_policy_model::Replication;

use crate::args::GenerateArgs;

/// Runs `generate`: the snapshot goes to `--output`, or to stdout.
pub fn run(args: &GenerateArgs) -> anyhow::Result<ExitCode> {
    let replication = Replication::parse(&args.replication)
        .map_err(|e| Error::PolicyFile(format!("--replication: {e}")))?;
    let nodes: u32 = args.zones.iter().sum();
    let special = args.draining + args.provisioning + args.dead;
    if nodes == 0 || special > nodes {
        return Err(Error::PolicyFile(format!(
            "--zones gives {nodes} node(s), but --draining, --provisioning and --dead ask for {special}; give every zone at least one node and ask for at most that many"
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
        ..ClusterShape::new(args.zones.clone(), args.partitions, replication)
    };
    let json = snapshot_to_json(&generate(&shape));
    match &args.output {
        Some(path) => write_atomically(path, json.as_bytes())?,
        None => print!("{json}"),
    }
    Ok(ExitCode::SUCCESS)
}
