//! A snapshot written as the dumps Restate would print for it: the three `restatectl metadata
//! get` documents (`nodes_config`, `partition_table`, every `pp_epoch_<id>`) and the three
//! `restatectl sql --json` tables (`nodes`, `partitions`, `partition_replica_set`), in the
//! shapes of several Restate versions. It is the import's independent counterpart, written from
//! the same notes: for trying the import without a cluster, its round-trip tests, and
//! `generate --restate-dumps`.
//!
//! What a snapshot has and Restate does not (node weights) is left out; what Restate has and a
//! snapshot does not (record versions, leader epochs, key ranges, timestamps, LSNs) is made up,
//! deterministically and the same in both formats.

mod check;
mod history;
mod metadata;
mod node_states;
mod sql;
mod version;

use std::collections::BTreeMap;
use std::io;
use std::path::Path;

use worker_policy_model::{NodeId, PartitionId, Snapshot};

pub use check::MAX_PARTITIONS;
pub use version::RestateVersion;

/// The `nodes_config` file, as the notes' dump commands name it.
pub const NODES_CONFIG_FILE: &str = "nodes_config.json";
/// The `partition_table` file.
pub const PARTITION_TABLE_FILE: &str = "partition_table.json";
/// The `nodes` SQL table's file.
pub const SQL_NODES_FILE: &str = "sql_nodes.json";
/// The `partitions` SQL table's file.
pub const SQL_PARTITIONS_FILE: &str = "sql_partitions.json";
/// The `partition_replica_set` SQL table's file.
pub const SQL_PARTITION_REPLICA_SET_FILE: &str = "sql_partition_replica_set.json";

/// The file of partition `id`'s epoch record: `pp_epoch_<id>.json`.
pub fn epoch_file(id: PartitionId) -> String {
    format!("pp_epoch_{id}.json")
}

/// The cluster fingerprint written unless told otherwise: above 2^53, so a reader that goes
/// through a float loses it.
pub const DEFAULT_FINGERPRINT: u64 = 14_211_087_765_203_344_901;

/// How a partition with no replicas, no `next` and no policies is dumped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnplacedShape {
    /// No epoch record at all (`metadata get` printed `null`, and the file was not kept).
    NoRecord,
    /// A file containing `null`: the key does not exist.
    Null,
    /// A record whose `current` has version 0 and an empty replica set (`UNASSIGNED`).
    Unassigned,
}

/// The shape of the `partition_table` document (notes §7, §12).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableShape {
    /// `version`, `num_partitions`, `partitions` and `replication`.
    Full,
    /// No `replication`: written by Restate 1.1.3 or earlier, read as `{node: 1}`.
    WithoutReplication,
    /// `{version, num_partitions}` only: the oldest tables (equal key ranges, `{node: 1}`).
    VersionAndCountOnly,
    /// The legacy `"everywhere"` replication, which the import refuses.
    Everywhere,
}

/// Which optional parts the SQL dumps have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SqlShape {
    /// Whether `partitions` rows carry `v_next` and `next_replica_set` while a `next` exists
    /// (without them only `partition_replica_set` shows the `next` members).
    pub next_in_partitions: bool,
    /// Whether the `partition_replica_set` table is dumped at all.
    pub replica_set_table: bool,
}

/// A cluster to dump: a snapshot, the nodes removed from it, and the shapes to write.
#[derive(Debug, Clone, Copy)]
pub struct Cluster<'a> {
    /// The nodes and partitions.
    pub snapshot: &'a Snapshot,
    /// Ids of removed nodes, written as `[id, "Tombstone"]` and nowhere else.
    pub tombstones: &'a [NodeId],
    /// The Restate version whose shapes to write.
    pub version: RestateVersion,
    /// `cluster_name`.
    pub cluster_name: &'a str,
    /// `cluster_fingerprint`; `None` prints `null` (clusters provisioned before 1.3).
    pub fingerprint: Option<u64>,
    /// How an unplaced partition's epoch record looks.
    pub unplaced: UnplacedShape,
    /// How the partition table looks.
    pub table: TableShape,
    /// Which optional parts the SQL dumps have.
    pub sql: SqlShape,
    /// The most partitions written: [`MAX_PARTITIONS`], Restate's own u16 count, unless a
    /// benchmark asks for a synthetic cluster beyond what Restate can hold.
    pub partition_cap: usize,
}

impl<'a> Cluster<'a> {
    /// `snapshot` as `version` prints it: no tombstones, the default name and fingerprint,
    /// unplaced partitions as unassigned records, a full table, and every SQL part.
    pub fn new(snapshot: &'a Snapshot, version: RestateVersion) -> Cluster<'a> {
        Cluster {
            snapshot,
            tombstones: &[],
            version,
            cluster_name: "worker-policy",
            fingerprint: Some(DEFAULT_FINGERPRINT),
            unplaced: UnplacedShape::Unassigned,
            table: TableShape::Full,
            sql: SqlShape {
                next_in_partitions: true,
                replica_set_table: true,
            },
            partition_cap: MAX_PARTITIONS,
        }
    }
}

/// Why a snapshot cannot be written as Restate's dumps.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DumpError {
    /// More partitions than a u16 `num_partitions` counts.
    #[error("{0} partitions: Restate's partition table holds at most {MAX_PARTITIONS} (num_partitions is a u16), and this cluster may have no more; generate fewer")]
    TooManyPartitions(usize),
    /// Partition ids that are not `0..count`.
    #[error("the {count} partitions are not numbered 0 to {}: partition {} is missing; Restate numbers partitions from 0 without gaps", count.saturating_sub(1), missing.map_or("?".into(), |m| m.to_string()))]
    PartitionIds {
        /// How many partitions there are.
        count: usize,
        /// The first id of `0..count` that no partition has.
        missing: Option<PartitionId>,
    },
    /// A node id of 0, or one given twice.
    #[error("node id {0} is 0 or given twice; Restate's node ids start at 1 and are unique")]
    NodeId(NodeId),
    /// A node name given twice.
    #[error("node name `{0}` is given twice; Restate looks nodes up by a unique name")]
    DuplicateName(String),
    /// A location Restate does not accept.
    #[error("node N{node}: location `{location}` is not empty, `region` or `region.zone` (labels without spaces or colons)")]
    Location {
        /// The node.
        node: NodeId,
        /// Its location.
        location: String,
    },
    /// A tombstone id that is 0, repeated, or a live node's.
    #[error("tombstone N{0} is 0, given twice, or a node of the snapshot; a removed node's id is used by nothing else")]
    Tombstone(NodeId),
    /// A replica, `next` member or leader that is not a node of the snapshot.
    #[error("partition {partition}: N{node} is {}; every replica, next member and leader must be a node of the snapshot", if *tombstoned { "tombstoned" } else { "not a node" })]
    UnknownNode {
        /// The partition.
        partition: PartitionId,
        /// The node.
        node: NodeId,
        /// Whether the node is one of the tombstones.
        tombstoned: bool,
    },
    /// A policy the chosen Restate version cannot record.
    #[error("partition {partition} has {what}, which Restate {version} cannot record; choose a later version")]
    NotInVersion {
        /// The partition.
        partition: PartitionId,
        /// What it has.
        what: &'static str,
        /// The version chosen.
        version: RestateVersion,
    },
}

/// The `restatectl metadata get` dumps of a cluster, each as the command prints it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetadataDumps {
    /// `metadata get -k nodes_config`.
    pub nodes_config: String,
    /// `metadata get -k partition_table`.
    pub partition_table: String,
    /// `metadata get -k pp_epoch_<id>`, by partition id (partitions dumped without a record
    /// are absent).
    pub epochs: BTreeMap<PartitionId, String>,
}

/// The `restatectl sql --json` dumps of a cluster, each as the command prints it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlDumps {
    /// `SELECT * FROM nodes ORDER BY plain_node_id`.
    pub nodes: String,
    /// `SELECT * FROM partitions ORDER BY partition_id`.
    pub partitions: String,
    /// `SELECT * FROM partition_replica_set ORDER BY partition_id`, when dumped.
    pub partition_replica_set: Option<String>,
}

/// The metadata dumps of `cluster`.
pub fn metadata_dumps(cluster: &Cluster) -> Result<MetadataDumps, DumpError> {
    check::check(cluster)?;
    Ok(MetadataDumps {
        nodes_config: metadata::nodes_config(cluster),
        partition_table: metadata::partition_table(cluster),
        epochs: metadata::epochs(cluster),
    })
}

/// The SQL dumps of `cluster`.
pub fn sql_dumps(cluster: &Cluster) -> Result<SqlDumps, DumpError> {
    check::check(cluster)?;
    Ok(SqlDumps {
        nodes: sql::nodes(cluster),
        partitions: sql::partitions(cluster),
        partition_replica_set: cluster
            .sql
            .replica_set_table
            .then(|| sql::partition_replica_set(cluster)),
    })
}

impl MetadataDumps {
    /// Every dump with its file name (notes §1 layout): `nodes_config.json`,
    /// `partition_table.json`, then `pp_epoch_<id>.json` by id.
    pub fn files(&self) -> Vec<(String, &str)> {
        let mut files = vec![
            (NODES_CONFIG_FILE.to_owned(), self.nodes_config.as_str()),
            (
                PARTITION_TABLE_FILE.to_owned(),
                self.partition_table.as_str(),
            ),
        ];
        files.extend(
            self.epochs
                .iter()
                .map(|(&id, text)| (epoch_file(id), text.as_str())),
        );
        files
    }

    /// Writes [`MetadataDumps::files`] into `dir`, creating it (plain writes, not atomic).
    pub fn write_to(&self, dir: &Path) -> io::Result<()> {
        write_files(dir, &self.files())
    }
}

impl SqlDumps {
    /// Every dump with its file name (notes §1 layout): `sql_nodes.json`, `sql_partitions.json`
    /// and, when dumped, `sql_partition_replica_set.json`.
    pub fn files(&self) -> Vec<(String, &str)> {
        let mut files = vec![
            (SQL_NODES_FILE.to_owned(), self.nodes.as_str()),
            (SQL_PARTITIONS_FILE.to_owned(), self.partitions.as_str()),
        ];
        if let Some(text) = &self.partition_replica_set {
            files.push((SQL_PARTITION_REPLICA_SET_FILE.to_owned(), text.as_str()));
        }
        files
    }

    /// Writes [`SqlDumps::files`] into `dir`, creating it (plain writes, not atomic).
    pub fn write_to(&self, dir: &Path) -> io::Result<()> {
        write_files(dir, &self.files())
    }
}

fn write_files(dir: &Path, files: &[(String, &str)]) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for (name, text) in files {
        std::fs::write(dir.join(name), text)?;
    }
    Ok(())
}

#[cfg(test)]
mod fixtures;
#[cfg(test)]
mod key_order;
#[cfg(test)]
mod samples;
