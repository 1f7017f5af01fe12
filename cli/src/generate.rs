//! `worker-policy generate`: a synthetic cluster snapshot from a shape and a seed (zones and
//! their hosts, regions, partitions, the replication property, how many nodes start draining,
//! provisioning or dead), so anyone can reproduce a figure or a bug on a cluster of any size.
//! Its output is a snapshot file, not a report: it has no `--format`. With `--restate-dumps DIR`
//! it also writes the cluster as a Restate 1.7.6 cluster's `restatectl` dumps, for trying
//! `import restate` (and timing it) without a cluster.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use worker_policy::snapshot_file::snapshot_to_json;
use worker_policy_model::generate::{generate, ClusterShape};
use worker_policy_model::{Replication, Snapshot};
use worker_policy_restate_bridge::dumps::{metadata_dumps, sql_dumps, Cluster, RestateVersion};

use crate::error::CliError;
use crate::output::{Destination, Progress};
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
    /// Write the snapshot here (atomically) instead of to stdout; `-` is stdout.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Also write the cluster into DIR as the dumps a Restate 1.7.6 cluster prints: the
    /// `restatectl metadata get` outputs `nodes_config.json`, `partition_table.json` and
    /// `pp_epoch_<id>.json` per partition, and the `restatectl sql --json` outputs
    /// `sql_nodes.json`, `sql_partitions.json` and `sql_partition_replica_set.json`. DIR is
    /// created and must be empty if it exists; each file is written atomically. The snapshot then
    /// goes only to `--output`, when given. Restate numbers partitions with a u16: at most 65,535.
    #[arg(long, value_name = "DIR")]
    pub restate_dumps: Option<PathBuf>,
}

/// A count of nodes, at most [`MAX_NODES`].
fn node_count() -> clap::builder::RangedI64ValueParser<u32> {
    clap::value_parser!(u32).range(..=i64::from(MAX_NODES))
}

/// Runs `generate`: the snapshot goes to `--output`, or to stdout.
pub fn run(args: &GenerateArgs) -> anyhow::Result<ExitCode> {
    let destination = Destination::checked("--output", args.output.as_deref())?;
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
    let snapshot = generate(&shape);
    if let Some(dir) = &args.restate_dumps {
        write_restate_dumps(&snapshot, dir)?;
    }
    let json = snapshot_to_json(&snapshot);
    if args.output.is_some() || args.restate_dumps.is_none() {
        destination.write(&json)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes `snapshot` into `dir` as a Restate 1.7.6 cluster's metadata and SQL dumps; refuses a
/// directory that has files in it, and writes nothing when the cluster is not one Restate has.
fn write_restate_dumps(snapshot: &Snapshot, dir: &Path) -> anyhow::Result<()> {
    let refuse =
        |why: String| CliError::Argument(format!("--restate-dumps {}: {why}", dir.display()));
    let cluster = Cluster::new(snapshot, RestateVersion::V1_7_6);
    let metadata = metadata_dumps(&cluster).map_err(|e| refuse(e.to_string()))?;
    let sql = sql_dumps(&cluster).map_err(|e| refuse(e.to_string()))?;
    match std::fs::read_dir(dir) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                return Err(refuse(
                    "is not empty; name a new or empty directory, so no dump of another cluster is mixed in".into(),
                )
                .into());
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(refuse(format!("cannot be read: {e}")).into()),
    }
    let files: Vec<(String, &str)> = metadata.files().into_iter().chain(sql.files()).collect();
    write_directory_atomically(dir, &files)
        .map_err(|e| anyhow::anyhow!("--restate-dumps {}: cannot be written: {e}", dir.display()))
}

/// Writes `files` into a new directory beside `dir`, then renames it over `dir` (absent or
/// empty): the dumps appear whole or not at all, without a sync per file (a 65,535-partition
/// cluster has as many epoch files, counted on stderr as they are written: [`Progress`]).
fn write_directory_atomically(dir: &Path, files: &[(String, &str)]) -> std::io::Result<()> {
    let parent = match dir.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(parent)?;
    let name = dir
        .file_name()
        .map_or("dumps".into(), |n| n.to_string_lossy());
    let staging = parent.join(format!(".{name}.{}.tmp", std::process::id()));
    std::fs::create_dir(&staging)?;
    let progress = Progress::bar("generate: dump files", Some(files.len() as u64));
    let written = files
        .iter()
        .try_for_each(|(file, text)| {
            std::fs::write(staging.join(file), text)?;
            progress.advance();
            Ok(())
        })
        .and_then(|()| std::fs::rename(&staging, dir));
    drop(progress);
    if written.is_err() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    written
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use worker_policy_model::generate::{generate, ClusterShape};
    use worker_policy_model::Replication;
    use worker_policy_restate_bridge::dumps::MAX_PARTITIONS;

    use super::*;

    fn cluster(partitions: u32) -> Snapshot {
        let replication = Replication::parse("{zone: 3, node: 3}").unwrap();
        generate(&ClusterShape {
            placed: true,
            ..ClusterShape::new(vec![2, 2, 2], partitions, replication)
        })
    }

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("wp-dumps-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn restate_dumps_are_written_whole_into_a_new_or_empty_directory_only() {
        let root = scratch("write");
        let dir = root.join("dumps");
        write_restate_dumps(&cluster(2), &dir).unwrap();
        assert_eq!(
            names(&dir),
            [
                "nodes_config.json",
                "partition_table.json",
                "pp_epoch_0.json",
                "pp_epoch_1.json",
                "sql_nodes.json",
                "sql_partition_replica_set.json",
                "sql_partitions.json"
            ]
        );
        let refused = write_restate_dumps(&cluster(3), &dir).unwrap_err();
        assert!(refused.to_string().contains("is not empty"), "{refused}");
        assert_eq!(names(&dir).len(), 7, "nothing was added");
        let empty = root.join("empty");
        std::fs::create_dir(&empty).unwrap();
        write_restate_dumps(&cluster(1), &empty).unwrap();
        assert_eq!(names(&empty).len(), 6);
        assert_eq!(
            names(&root),
            ["dumps", "empty"],
            "no staging directory is left"
        );
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn a_cluster_restate_cannot_have_writes_nothing() {
        let root = scratch("refuse");
        let dir = root.join("dumps");
        let too_many = cluster(MAX_PARTITIONS as u32 + 1);
        let refused = write_restate_dumps(&too_many, &dir).unwrap_err();
        assert!(refused.to_string().contains("at most 65535"), "{refused}");
        assert!(refused.downcast_ref::<CliError>().is_some(), "exit code 2");
        assert!(!root.exists());
    }
}
