//! A dump of a live cluster of one moment. `restatectl` reads each record on its own, so the
//! partition table's and the nodes config's versions are read first and again last; when either
//! moved (a node joined, a state changed, partitions were added), or the SQL rows come from
//! other versions of them (the admin node's view had not caught up), the whole dump is taken
//! again, at most [`TRIES`] times. Epoch records and the SQL tables are read in between, a few at a
//! time ([`pool`](super::pool)).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::dumps::Dump;
use super::error::LiveError;
use super::pool::{self, Job};
use super::restatectl::Restatectl;
use super::Progress;
use crate::import::document::{self, DumpKind};
use crate::import::partition_table;

/// How many dumps are taken before a cluster that keeps changing is refused.
pub const TRIES: usize = 3;

/// The subdirectory of a try's directory holding the epoch records.
pub const EPOCHS: &str = "epochs";
/// The subdirectory of the nodes config and partition table read last.
const LAST: &str = "last";
/// The subdirectory of every command's stderr.
const STDERR: &str = "stderr";

/// A dump of one moment, in its directory.
#[derive(Debug)]
pub struct Taken {
    /// The directory holding it: the files of [`Dump`], epoch records under `epochs/`.
    pub dir: PathBuf,
    /// Whether the partition table has partitions (and so `epochs/` records).
    pub has_partitions: bool,
    /// What changed during the dumps taken before this one, in words.
    pub changes: Vec<String>,
}

/// The versions that tell one moment from another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Versions {
    nodes_config: Option<u32>,
    partition_table: Option<u32>,
}

#[derive(Deserialize)]
struct Versioned {
    version: Option<u32>,
}

/// The versions of the records the SQL rows were made from.
#[derive(Debug, Default)]
struct SqlVersions {
    nodes_config: BTreeSet<u32>,
    partition_table: BTreeSet<u32>,
}

#[derive(Deserialize)]
struct NodeRow {
    nodes_configuration_version: Option<u32>,
}

#[derive(Deserialize)]
struct PartitionRow {
    partition_table_version: Option<u32>,
}

/// Dumps the cluster into a new directory under `root` until a dump starts and ends at the same
/// versions.
pub fn take(
    ctl: &Restatectl,
    root: &Path,
    parallel: usize,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<Taken, LiveError> {
    let mut changes = Vec::new();
    for attempt in 1..=TRIES {
        let dir = try_dir(root, attempt);
        let (first, last, ids) = dump_once(ctl, &dir, parallel, progress)?;
        let change = if first == last {
            lag(last, &sql_versions(&dir)?)
        } else {
            Some(moved(first, last))
        };
        match change {
            None => {
                return Ok(Taken {
                    dir,
                    has_partitions: !ids.is_empty(),
                    changes,
                })
            }
            Some(change) => changes.push(format!("dump {attempt}: {change}")),
        }
    }
    Err(LiveError::KeptChanging {
        tries: TRIES,
        changes: changes.join("; "),
    })
}

/// The directory of dump number `attempt` under `root`.
fn try_dir(root: &Path, attempt: usize) -> PathBuf {
    root.join(format!("try-{attempt}"))
}

/// Every directory under `root` a dump writes the nodes config, the partition table and the
/// SQL tables into: each try's, and the one of its last reads.
pub fn dirs(root: &Path) -> impl Iterator<Item = PathBuf> + '_ {
    (1..=TRIES).flat_map(move |attempt| {
        let dir = try_dir(root, attempt);
        [dir.join(LAST), dir]
    })
}

/// What moved between `first` and `last`.
fn moved(first: Versions, last: Versions) -> String {
    let show = |v: Option<u32>| v.map_or_else(|| "none".to_string(), |v| v.to_string());
    [
        ("nodes_config", first.nodes_config, last.nodes_config),
        (
            "partition_table",
            first.partition_table,
            last.partition_table,
        ),
    ]
    .into_iter()
    .filter(|(_, a, b)| a != b)
    .map(|(name, a, b)| format!("{name} version {} -> {}", show(a), show(b)))
    .collect::<Vec<_>>()
    .join(", ")
}

/// What the SQL rows lag behind the records by, if anything.
fn lag(records: Versions, sql: &SqlVersions) -> Option<String> {
    let lags: Vec<String> = [
        (
            "nodes",
            "nodes_config",
            records.nodes_config,
            &sql.nodes_config,
        ),
        (
            "partitions",
            "partition_table",
            records.partition_table,
            &sql.partition_table,
        ),
    ]
    .into_iter()
    .filter_map(|(table, record, version, rows)| {
        let version = version?;
        rows.iter().any(|&v| v != version).then(|| {
            let rows: Vec<String> = rows.iter().map(u32::to_string).collect();
            format!(
                "the SQL {table} rows are of {record} version {}, the record is {version}",
                rows.join(" and ")
            )
        })
    })
    .collect();
    (!lags.is_empty()).then(|| format!("{} (the admin node had not caught up)", lags.join(", ")))
}

/// The record versions the SQL tables dumped in `dir` were made from.
fn sql_versions(dir: &Path) -> Result<SqlVersions, LiveError> {
    let nodes: Vec<NodeRow> = rows(dir, Dump::sql_nodes(), DumpKind::SqlNodes)?;
    let partitions: Vec<PartitionRow> = rows(dir, Dump::sql_partitions(), DumpKind::SqlPartitions)?;
    Ok(SqlVersions {
        nodes_config: nodes
            .iter()
            .filter_map(|r| r.nodes_configuration_version)
            .collect(),
        partition_table: partitions
            .iter()
            .filter_map(|r| r.partition_table_version)
            .collect(),
    })
}

/// The rows of the SQL `dump` in `dir`, as `T`.
fn rows<T: DeserializeOwned>(dir: &Path, dump: Dump, kind: DumpKind) -> Result<Vec<T>, LiveError> {
    let path = dir.join(dump.file);
    Ok(document::parse(&document::read_text(&path)?, &path, kind)?)
}

/// One dump into `dir`: the versions it started and ended at, and the table's partition ids.
fn dump_once(
    ctl: &Restatectl,
    dir: &Path,
    parallel: usize,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<(Versions, Versions, Vec<u32>), LiveError> {
    for sub in [EPOCHS, STDERR, LAST] {
        std::fs::create_dir_all(dir.join(sub)).map_err(|error| LiveError::Scratch {
            what: format!("cannot create {}", dir.join(sub).display()),
            error,
        })?;
    }
    let job = |dump: Dump, under: &Path| Job {
        stdout: under.join(&dump.file),
        stderr: dir.join(STDERR).join(format!(
            "{}{}",
            if under == dir { "" } else { "last-" },
            dump.file
        )),
        args: dump.args,
    };
    let bracket = |under: &Path| {
        vec![
            job(Dump::nodes_config(), under),
            job(Dump::partition_table(), under),
        ]
    };
    pool::run_all(ctl, &bracket(dir), 2, &|_| {})?;
    let (first, ids) = versions(dir)?;
    let mut jobs: Vec<Job> = ids
        .iter()
        .map(|&id| job(Dump::epoch(id), &dir.join(EPOCHS)))
        .collect();
    jobs.push(job(Dump::sql_nodes(), dir));
    jobs.push(job(Dump::sql_partitions(), dir));
    pool::run_all(ctl, &jobs, parallel, progress)?;
    let last_dir = dir.join(LAST);
    pool::run_all(ctl, &bracket(&last_dir), 2, &|_| {})?;
    let (last, _) = versions(&last_dir)?;
    Ok((first, last, ids))
}

/// The versions of the nodes config and partition table dumped in `dir`, and the table's ids.
fn versions(dir: &Path) -> Result<(Versions, Vec<u32>), LiveError> {
    let config: Versioned =
        document::read_record(&dir.join(Dump::nodes_config().file), DumpKind::NodesConfig)?;
    let table = partition_table::read(&dir.join(Dump::partition_table().file))?;
    Ok((
        Versions {
            nodes_config: config.version,
            partition_table: table.version,
        },
        table.ids,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_names_the_record_and_both_versions() {
        let at = |n, t| Versions {
            nodes_config: Some(n),
            partition_table: t,
        };
        assert_eq!(
            moved(at(21, Some(3)), at(22, Some(3))),
            "nodes_config version 21 -> 22"
        );
        assert_eq!(
            moved(at(21, None), at(21, Some(4))),
            "partition_table version none -> 4"
        );
        let sql = |n: &[u32], t: &[u32]| SqlVersions {
            nodes_config: n.iter().copied().collect(),
            partition_table: t.iter().copied().collect(),
        };
        assert_eq!(lag(at(21, Some(3)), &sql(&[21], &[3])), None);
        assert_eq!(lag(at(21, Some(3)), &sql(&[], &[])), None);
        assert_eq!(
            lag(at(22, Some(3)), &sql(&[21, 22], &[3])).unwrap(),
            "the SQL nodes rows are of nodes_config version 21 and 22, the record is 22 (the admin node had not caught up)"
        );
    }
}
