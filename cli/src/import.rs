//! `worker-policy import restate`: a real Restate cluster's dumps in, a snapshot out (to stdout,
//! or atomically to `--output`), by the SQL route or the metadata route
//! ([`worker_policy_restate_bridge::import`]), or straight from a live cluster (`--address`,
//! [`live`]). What the operator should know about the import (what was skipped, assumed, or
//! cannot be known by the route taken) goes to stderr as notes, so stdout stays a snapshot the
//! other verbs read.

mod live;
mod route;

pub use live::{import as import_live, LiveCluster};

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use worker_policy::snapshot_file::snapshot_to_json;
use worker_policy_model::replication::ReplicationError;
use worker_policy_model::{NodeId, Replication};
use worker_policy_restate_bridge::import::{self, Imported};

use crate::output::{write_note_line, Destination};
use crate::values;
use route::Route;

/// Options of `import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Where the dumps come from.
    #[command(subcommand)]
    pub source: ImportSource,
}

/// The systems `import` reads dumps of.
#[derive(Debug, Subcommand)]
pub enum ImportSource {
    /// A Restate cluster, live or by one of two routes. Live: --address URL[,URL...]
    /// [--restatectl FILE] [--timeout SECS]. SQL: --sql-nodes F --sql-partitions F
    /// [--sql-replica-sets F] [--partition-table F | --replication PROPERTY]. Metadata:
    /// --nodes-config F --partition-table F --epochs F|DIR [F ...] [--sql-nodes F] [--dead N3,N7]
    /// [--sql-partitions F for the live leaders].
    Restate(RestateImportArgs),
}

/// Options of `import restate`: a live cluster, or the dumps of one route.
#[derive(Debug, Args)]
pub struct RestateImportArgs {
    /// A live cluster: run `restatectl` (read-only) against these addresses, comma-separated,
    /// the first a node with the admin role, and import what it dumps: the metadata records
    /// with SQL liveness and live leaders. Takes no dump files.
    #[arg(long, value_name = "URL[,URL...]", value_delimiter = ',')]
    pub address: Vec<String>,
    /// The `restatectl` (1.7.x) that --address runs; by default the one on PATH.
    #[arg(long, value_name = "FILE")]
    pub restatectl: Option<PathBuf>,
    /// With --address: seconds each `restatectl` command may take before it is stopped
    /// [default: 30].
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub timeout: Option<u64>,
    /// `restatectl sql --json "SELECT * FROM nodes"`: the nodes and their liveness (SQL route),
    /// or liveness alone (metadata route).
    #[arg(long, value_name = "FILE")]
    pub sql_nodes: Option<PathBuf>,
    /// `restatectl sql --json "SELECT * FROM partitions"`: the partitions (SQL route), or the
    /// live leaders, preferred to the epoch records' hints (metadata route).
    #[arg(long, value_name = "FILE")]
    pub sql_partitions: Option<PathBuf>,
    /// `restatectl sql --json "SELECT * FROM partition_replica_set"`: `next` members and leaders
    /// the partitions table leaves out (SQL route only).
    #[arg(long, value_name = "FILE")]
    pub sql_replica_sets: Option<PathBuf>,
    /// `restatectl metadata get -k partition_table`: the partitions and the replication property.
    #[arg(long, value_name = "FILE")]
    pub partition_table: Option<PathBuf>,
    /// The replication property (`3`, `"{zone: 3, node: 3}"`), when no partition table gives one.
    #[arg(long, value_name = "PROPERTY", value_parser = restate_replication)]
    pub replication: Option<Replication>,
    /// `restatectl metadata get -k nodes_config` (metadata route).
    #[arg(long, value_name = "FILE")]
    pub nodes_config: Option<PathBuf>,
    /// The `pp_epoch_<id>` dumps, or directories of them (metadata route); each named
    /// `pp_epoch_<id>[.json]`.
    #[arg(long, value_name = "FILE|DIR", num_args = 1..)]
    pub epochs: Vec<PathBuf>,
    /// Nodes to read as dead, comma-separated (metadata route; metadata has no liveness).
    #[arg(long, value_name = "IDS", value_delimiter = ',', value_parser = values::node_id)]
    pub dead: Vec<NodeId>,
    /// Read the placement freezes worker-policy's own scripts set (reason `worker-policy plan
    /// ...`) as no freeze, so the policy may move those partitions again and its next script
    /// freezes them anew; an operator's freezes stay (metadata route and --address).
    #[arg(long)]
    pub own_freezes: bool,
    /// Write the snapshot here (atomically) instead of to stdout; `-` is stdout.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// A replication property as Restate writes it: scopes in any case.
fn restate_replication(text: &str) -> Result<Replication, ReplicationError> {
    values::replication(&text.to_ascii_lowercase())
}

/// Runs `import`: the snapshot is written whole or not at all.
pub fn run(args: &ImportArgs) -> anyhow::Result<ExitCode> {
    let ImportSource::Restate(args) = &args.source;
    let destination = Destination::checked("--output", args.output.as_deref())?;
    let imported = match route::route(args)? {
        Route::Sql(route) => import::from_sql(&route).context("importing the Restate dumps")?,
        Route::Metadata(route) => {
            import::from_metadata(&route).context("importing the Restate dumps")?
        }
        Route::Live(cluster) => live::import(&cluster)?,
    };
    let Imported { snapshot, notes } = imported;
    let json = snapshot_to_json(&snapshot);
    destination.write(&json)?;
    for note in &notes {
        write_note_line(&format!("note: {note}"));
    }
    if let Destination::File(path) = &destination {
        write_note_line(&format!(
            "wrote {} ({} nodes, {} partitions)",
            path.display(),
            snapshot.nodes.len(),
            snapshot.partitions.len()
        ));
    }
    Ok(ExitCode::SUCCESS)
}
