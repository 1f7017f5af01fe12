//! Which way `import restate` goes, from its options: a live cluster (`--address`), the SQL
//! route or the metadata route; options that do not fit together are refused here, each with
//! what to pass instead.

use std::time::Duration;

use worker_policy_restate_bridge::import::{MetadataRoute, SqlRoute};

use super::live::LiveCluster;
use super::RestateImportArgs;
use crate::error::CliError;

/// How long each `restatectl` command may take by default.
const DEFAULT_TIMEOUT_SECS: u64 = 30;

/// The route the options choose.
pub enum Route {
    /// `--sql-nodes` and `--sql-partitions`.
    Sql(SqlRoute),
    /// `--nodes-config`, `--partition-table` and `--epochs`.
    Metadata(MetadataRoute),
    /// `--address`.
    Live(LiveCluster),
}

fn refuse_with<T>(problem: &str) -> Result<T, CliError> {
    Err(CliError::Argument(problem.to_string()))
}

/// The live route: `--address`, with no dump file.
fn live_route(args: &RestateImportArgs) -> Result<Route, CliError> {
    let files = [
        ("--sql-nodes", args.sql_nodes.is_some()),
        ("--sql-partitions", args.sql_partitions.is_some()),
        ("--sql-replica-sets", args.sql_replica_sets.is_some()),
        ("--partition-table", args.partition_table.is_some()),
        ("--nodes-config", args.nodes_config.is_some()),
        ("--epochs", !args.epochs.is_empty()),
        ("--dead", !args.dead.is_empty()),
    ];
    if let Some((option, _)) = files.iter().find(|(_, given)| *given) {
        return refuse_with(&format!(
            "--address dumps the live cluster itself (liveness from its SQL nodes table): leave out {option}, or leave out --address to import dump files"
        ));
    }
    if let Some(address) = args.address.iter().find(|a| a.trim().is_empty()) {
        return refuse_with(&format!(
            "--address has an empty address (`{address}`); give URLs such as http://node1:5122/, comma-separated"
        ));
    }
    Ok(Route::Live(LiveCluster {
        addresses: args.address.clone(),
        restatectl: args.restatectl.clone(),
        timeout: Duration::from_secs(args.timeout.unwrap_or(DEFAULT_TIMEOUT_SECS)),
        replication: args.replication,
        own_freezes: args.own_freezes,
    }))
}

/// The route the given options make up, or what is missing or does not belong.
pub fn route(args: &RestateImportArgs) -> Result<Route, CliError> {
    if !args.address.is_empty() {
        return live_route(args);
    }
    if args.restatectl.is_some() || args.timeout.is_some() {
        return refuse_with(
            "--restatectl and --timeout go with --address (a live cluster); the dump files need neither",
        );
    }
    let metadata = args.nodes_config.is_some() || !args.epochs.is_empty();
    let refuse = refuse_with;
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
            "name a live cluster (--address URL[,URL...]) or the dumps of one route: --sql-nodes F --sql-partitions F [--sql-replica-sets F] [--partition-table F | --replication P], or --nodes-config F --partition-table F --epochs DIR [--sql-nodes F] [--dead N3,N7]",
        ),
    }
}
