//! `restatectl metadata get -k partition_table`: which partitions exist, and the replication
//! property the cluster wants for them (placement itself is in the `pp_epoch_<id>` records).
//!
//! The oldest tables are `{version, num_partitions}` only (ids `0..num_partitions`); tables from
//! Restate 1.1.3 or earlier have no `replication`. Restate counts partitions in a u16; ids are
//! read as u32 (as SQL's `partition_id` column is), so a larger synthetic cluster reads too.

use std::path::Path;

use serde::Deserialize;
use serde_json::Value;
use worker_policy_model::PartitionId;

use super::document::{self, DumpKind};
use super::error::ImportError;
use super::values::{self, TableReplication};

#[derive(Deserialize)]
struct PartitionTableDoc {
    version: Option<u32>,
    num_partitions: u32,
    #[serde(default)]
    partitions: Option<Vec<(u32, PartitionDoc)>>,
    #[serde(default)]
    replication: Option<Value>,
}

/// One partition's entry: its key range is read (u64, exact) only to check the shape.
#[derive(Deserialize)]
struct PartitionDoc {
    #[serde(rename = "key_range")]
    _key_range: Option<KeyRange>,
}

#[derive(Deserialize)]
struct KeyRange {
    #[serde(rename = "start")]
    _start: u64,
    #[serde(rename = "end")]
    _end: u64,
}

/// A partition table.
#[derive(Debug)]
pub struct PartitionTable {
    /// Where it was read from.
    pub path: std::path::PathBuf,
    /// The record's version (SQL's `partition_table_version` should match it).
    pub version: Option<u32>,
    /// The partitions, by id, ascending.
    pub ids: Vec<PartitionId>,
    /// Its replication property, or why there is none to use.
    pub replication: TableReplication,
}

/// Reads the partition table dump at `path`.
pub fn read(path: &Path) -> Result<PartitionTable, ImportError> {
    let doc: PartitionTableDoc = document::read_record(path, DumpKind::PartitionTable)?;
    let ids: Vec<PartitionId> = match &doc.partitions {
        None => (0..doc.num_partitions).collect(),
        Some(entries) => {
            let mut ids: Vec<PartitionId> = entries.iter().map(|(id, _)| *id).collect();
            ids.sort_unstable();
            if let Some(pair) = ids.windows(2).find(|w| w[0] == w[1]) {
                return Err(ImportError::new(
                    path,
                    "partitions",
                    format!(
                        "partition {} is listed twice; dump the table again",
                        pair[0]
                    ),
                ));
            }
            if ids.len() as u64 != u64::from(doc.num_partitions) {
                return Err(ImportError::new(
                    path,
                    "num_partitions",
                    format!(
                        "is {} but `partitions` lists {}; the dump is corrupt: dump the table again",
                        doc.num_partitions,
                        ids.len()
                    ),
                ));
            }
            ids
        }
    };
    let replication = values::table_replication(doc.replication.as_ref())
        .map_err(|p| ImportError::new(path, "replication", p))?;
    Ok(PartitionTable {
        path: path.to_path_buf(),
        version: doc.version,
        ids,
        replication,
    })
}
