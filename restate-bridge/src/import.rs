//! Restate dumps in, one snapshot out, by either of two routes that give the same snapshot for
//! the same cluster:
//!
//! - [`from_sql`]: `restatectl sql --json` of the `nodes` and `partitions` tables (and
//!   optionally `partition_replica_set`), with the replication property from a partition table
//!   dump or given outright. Liveness and the live leader come from SQL; the tables show no
//!   placement freeze or leader affinity.
//! - [`from_metadata`]: `restatectl metadata get` of `nodes_config`, `partition_table` and every
//!   `pp_epoch_<id>`. Placement, freezes and affinities come from the epoch records, the leader
//!   from their last-claim hint unless an SQL `partitions` dump gives the live one; liveness
//!   from an SQL `nodes` dump and/or `--dead`, else every node is read as alive (and the notes
//!   say so).
//!
//! [`live::from_cluster`] takes the metadata route's dumps (and SQL's `nodes` and `partitions`)
//! from a live cluster itself, by running `restatectl`.
//!
//! Every refusal is an [`ImportError`] naming the file, the field and the fix; what the
//! operator should know about an import that succeeds is in [`Imported::notes`].

mod cluster;
mod document;
mod epochs;
mod error;
mod frozen_next;
mod joining;
pub mod live;
mod metadata_route;
mod nodes_config;
mod partition_table;
mod sql;
mod sql_route;
mod values;

use std::path::{Path, PathBuf};

use worker_policy_model::{NodeId, Replication, Roles, Scope, Snapshot};

pub use document::{DumpKind, MAX_DUMP_BYTES};
pub use error::ImportError;
pub use frozen_next::snapshot_notes as frozen_next_notes;
pub use metadata_route::{from_metadata, OWN_FREEZES_NOTE};
pub use sql_route::from_sql;

use cluster::listing;
use partition_table::PartitionTable;
use values::TableReplication;

/// The dumps of the SQL route.
#[derive(Debug, Clone)]
pub struct SqlRoute {
    /// `SELECT * FROM nodes`.
    pub nodes: PathBuf,
    /// `SELECT * FROM partitions`.
    pub partitions: PathBuf,
    /// `SELECT * FROM partition_replica_set`, for `next` members and leaders the partitions
    /// table leaves out.
    pub replica_sets: Option<PathBuf>,
    /// `metadata get -k partition_table`, for the replication property and the partition ids.
    pub partition_table: Option<PathBuf>,
    /// The replication property, when no partition table is given.
    pub replication: Option<Replication>,
}

/// The dumps of the metadata route.
#[derive(Debug, Clone)]
pub struct MetadataRoute {
    /// `metadata get -k nodes_config`.
    pub nodes_config: PathBuf,
    /// `metadata get -k partition_table`.
    pub partition_table: PathBuf,
    /// The `pp_epoch_<id>` files, or directories holding them.
    pub epochs: Vec<PathBuf>,
    /// `sql --json "SELECT * FROM nodes"`, for liveness.
    pub sql_nodes: Option<PathBuf>,
    /// `sql --json "SELECT * FROM partitions"`, for the live leaders, preferred to the epoch
    /// records' last-claim hints.
    pub sql_partitions: Option<PathBuf>,
    /// Nodes to read as dead.
    pub dead: Vec<NodeId>,
    /// The replication property, for a partition table that has none worker-policy can use.
    pub replication: Option<Replication>,
    /// Whether the placement freezes worker-policy's own scripts set (their reason begins with
    /// [`FREEZE_PREFIX`](crate::script::FREEZE_PREFIX)) read as no freeze, so the policy may
    /// move those partitions again; an operator's freezes stay.
    pub own_freezes: bool,
}

/// A snapshot imported from dumps, and what the operator should know about it.
#[derive(Debug, Clone)]
pub struct Imported {
    /// The snapshot, canonical (sorted).
    pub snapshot: Snapshot,
    /// What was skipped, assumed or could not be known, in words.
    pub notes: Vec<String>,
}

/// Where a message about the command line points.
const ARGUMENTS: &str = "the command line";

/// The replication property from the partition table and the `--replication` option.
fn replication(
    table: Option<&PartitionTable>,
    given: Option<Replication>,
) -> Result<Replication, ImportError> {
    let arguments = Path::new(ARGUMENTS);
    match (table.map(|t| (&t.replication, t.path.as_path())), given) {
        (Some((TableReplication::Property(p), path)), Some(g)) if *p != g => {
            Err(ImportError::new(
                path,
                "replication",
                format!(
                    "is {p} but --replication says {g}; leave --replication out to use the table's, or dump the table again"
                ),
            ))
        }
        (Some((TableReplication::Property(p), _)), _) => Ok(*p),
        (_, Some(g)) => Ok(g),
        (Some((TableReplication::Missing, path)), None) => Err(ImportError::new(
            path,
            "replication",
            "is missing (a table written by Restate 1.1.3 or earlier, which Restate reads as {node: 1}); pass the property the cluster should have, e.g. --replication 1 for Restate's reading or --replication 3",
        )),
        (Some((TableReplication::Everywhere, path)), None) => Err(ImportError::new(
            path,
            "replication",
            "is the deprecated \"everywhere\" (every active worker), which has no fixed replica count; pass the property to plan for, e.g. --replication 3 or --replication \"{zone: 3, node: 3}\"",
        )),
        (None, None) => Err(ImportError::whole(
            arguments,
            "the SQL tables do not carry the replication property: pass --partition-table partition_table.json (from `restatectl metadata get -k partition_table`) or --replication, e.g. --replication \"{zone: 3, node: 3}\"",
        )),
    }
}

/// Notes that hold for both routes: workers Restate would not place on because the property
/// names a scope their location lacks.
fn location_notes(snapshot: &Snapshot) -> Vec<String> {
    let zone = snapshot.replication.required(Scope::Zone) > 0;
    let region = snapshot.replication.required(Scope::Region) > 0;
    if !zone && !region {
        return Vec::new();
    }
    let lacking: Vec<String> = snapshot
        .nodes
        .iter()
        .filter(|n| n.roles.contains(Roles::WORKER))
        .filter(|n| (zone && !n.location.contains('.')) || (region && n.location.is_empty()))
        .map(|n| crate::ids::plain_label(n.id))
        .collect();
    if lacking.is_empty() {
        return Vec::new();
    }
    let scope = if zone { "zone" } else { "region" };
    vec![format!(
        "the replication property names the {scope} scope, but {} worker(s) have no {scope} label in their location (a single label is a region; a zone is `region.zone`), and Restate places no replica on them: {}",
        lacking.len(),
        listing(&lacking)
    )]
}
