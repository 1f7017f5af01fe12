//! `worker-policy import restate`: a real Restate cluster's dumps in, a snapshot out (to stdout,
//! or atomically to `--output`), by the SQL route or the metadata route
//! ([`worker_policy_restate_bridge::import`]). What the operator should know about the import
//! (what was skipped, assumed, or cannot be known by the route taken) goes to stderr as notes,
//! so stdout stays a snapshot the other verbs read.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use worker_policy::atomic_file::write_atomically;
use worker_policy::snapshot_file::snapshot_to_json;
use worker_policy_model::replication::ReplicationError;
use worker_policy_model::{NodeId, Replication};
use worker_policy_restate_bridge::import::{self, Imported, MetadataRoute, SqlRoute};

use crate::error::CliError;
use crate::output::{write_stderr_line, write_stdout};
use crate::values;

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
    /// A Restate cluster, by one of two routes. SQL: --sql-nodes F --sql-partitions F
    /// [--sql-replica-sets F] [--partition-table F | --replication PROPERTY]. Metadata:
    /// --nodes-config F --partition-table F --epochs F|DIR [F ...] [--sql-nodes F] [--dead N3,N7]
    /// [--sql-partitions F for the live leaders].
    Restate(RestateImportArgs),
}

/// Options of `import restate`: the dumps of one route.
#[derive(Debug, Args)]
pub struct RestateImportArgs {
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
    /// freezes them anew; an operator's freezes stay (metadata route).
    #[arg(long)]
    pub own_freezes: bool,
    /// Write the snapshot here (atomically) instead of to stdout.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// A replication property as Restate writes it: scopes in any case.
fn restate_replication(text: &str) -> Result<Replication, ReplicationError> {
    values::replication(&text.to_ascii_lowercase())
}

/// The route the options choose.
enum Route {
    Sql(SqlRoute),
    Metadata(MetadataRoute),
}

/// Runs `import`: the snapshot is written whole or not at all.
pub fn run(args: &ImportArgs) -> anyhow::Result<ExitCode> {
    let ImportSource::Restate(args) = &args.source;
    let imported = match route(args)? {
        Route::Sql(route) => import::from_sql(&route),
        Route::Metadata(route) => import::from_metadata(&route),
    }
    .context("importing the Restate dumps")?;
    let Imported { snapshot, notes } = imported;
    let json = snapshot_to_json(&snapshot);
    match &args.output {
        Some(path) => write_atomically(path, json.as_bytes())?,
        None => write_stdout(&json)?,
    }
    for note in &notes {
        write_stderr_line(&format!("note: {note}"));
    }
    if let Some(path) = &args.output {
        write_stderr_line(&format!(
            "wrote {} ({} nodes, {} partitions)",
            path.display(),
            snapshot.nodes.len(),
            snapshot.partitions.len()
        ));
    }
    Ok(ExitCode::SUCCESS)
}

/// The route the given options make up, or what is missing or does not belong.
fn route(args: &RestateImportArgs) -> Result<Route, CliError> {
    let metadata = args.nodes_config.is_some() || !args.epochs.is_empty();
    let refuse = |problem: &str| Err(CliError::Argument(problem.to_string()));
    if metadata && args.sql_replica_sets.is_some() {
        return refuse(
            "--sql-replica-sets belongs to the SQL route; on the metadata route the epoch records give the replica sets (and --sql-partitions the live leaders)",
        );
    }
    match (metadata, args.sql_partitions.is_some()) {
        (true, _) => {
            let (Some(nodes_config), Some(partition_table), false) = (
                args.nodes_config.clone(),
                args.partition_table.clone(),
                args.epochs.is_empty(),
            ) else {
                return refuse(
                    "the metadata route needs --nodes-config, --partition-table and --epochs (the pp_epoch_<id> files or their directory)",
                );
            };
            Ok(Route::Metadata(MetadataRoute {
                nodes_config,
                partition_table,
                epochs: args.epochs.clone(),
                sql_nodes: args.sql_nodes.clone(),
                sql_partitions: args.sql_partitions.clone(),
                dead: args.dead.clone(),
                replication: args.replication,
                own_freezes: args.own_freezes,
            }))
        }
        (false, true) => {
            let (Some(nodes), Some(partitions)) =
                (args.sql_nodes.clone(), args.sql_partitions.clone())
            else {
                return refuse("the SQL route needs --sql-nodes and --sql-partitions");
            };
            if !args.dead.is_empty() {
                return refuse(
                    "--dead belongs to the metadata route; on the SQL route liveness comes from the nodes table's `state`",
                );
            }
            if args.own_freezes {
                return refuse(
                    "--own-freezes belongs to the metadata route; the SQL tables show no freezes",
                );
            }
            if args.partition_table.is_some() && args.replication.is_some() {
                return refuse(
                    "give the replication property once: --partition-table or --replication, not both",
                );
            }
            Ok(Route::Sql(SqlRoute {
                nodes,
                partitions,
                replica_sets: args.sql_replica_sets.clone(),
                partition_table: args.partition_table.clone(),
                replication: args.replication,
            }))
        }
        (false, false) => refuse(
            "name the dumps of one route: --sql-nodes F --sql-partitions F [--sql-replica-sets F] [--partition-table F | --replication P], or --nodes-config F --partition-table F --epochs DIR [--sql-nodes F] [--dead N3,N7]",
        ),
    }
}
