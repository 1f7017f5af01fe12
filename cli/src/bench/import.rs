//! The import rows of `bench`: `import restate` by each route on the benchmark's cluster written
//! as Restate 1.7.6 dumps, from the files to the snapshot's JSON, against `serde_json` reading
//! the same files into `Value`s (the cost of parsing them at all). Restate counts partitions in
//! a u16; the dumps here may hold more, as a synthetic cluster, so the import is timed at the
//! sizes asked for.

use std::path::PathBuf;

use anyhow::Context;
use worker_policy::snapshot_file::snapshot_to_json;
use worker_policy_model::Snapshot;
use worker_policy_restate_bridge::dumps::{
    self, Cluster, RestateVersion, NODES_CONFIG_FILE, PARTITION_TABLE_FILE, SQL_NODES_FILE,
    SQL_PARTITIONS_FILE, SQL_PARTITION_REPLICA_SET_FILE,
};
use worker_policy_restate_bridge::import::{self, MetadataRoute, SqlRoute};

use super::{median_anyhow, Row, Scratch};

/// One row per route: the import against the parsing floor of its files.
pub(super) fn rows(runs: u32, snapshot: &Snapshot, scratch: &Scratch) -> anyhow::Result<Vec<Row>> {
    let dir = scratch.path.join("restate-dumps");
    let cluster = Cluster {
        partition_cap: usize::MAX,
        ..Cluster::new(snapshot, RestateVersion::V1_7_6)
    };
    let metadata = dumps::metadata_dumps(&cluster)?;
    let sql = dumps::sql_dumps(&cluster)?;
    metadata
        .write_to(&dir)
        .and_then(|()| sql.write_to(&dir))
        .with_context(|| format!("cannot write the dumps into {}", dir.display()))?;
    let metadata_route = MetadataRoute {
        nodes_config: dir.join(NODES_CONFIG_FILE),
        partition_table: dir.join(PARTITION_TABLE_FILE),
        epochs: vec![dir.clone()],
        sql_nodes: Some(dir.join(SQL_NODES_FILE)),
        sql_partitions: None,
        dead: Vec::new(),
        replication: None,
        own_freezes: false,
    };
    let mut metadata_files: Vec<PathBuf> = metadata
        .files()
        .into_iter()
        .map(|(name, _)| dir.join(name))
        .collect();
    metadata_files.push(dir.join(SQL_NODES_FILE));
    let sql_route = SqlRoute {
        nodes: dir.join(SQL_NODES_FILE),
        partitions: dir.join(SQL_PARTITIONS_FILE),
        replica_sets: Some(dir.join(SQL_PARTITION_REPLICA_SET_FILE)),
        partition_table: Some(dir.join(PARTITION_TABLE_FILE)),
        replication: None,
    };
    let sql_files = [
        &sql_route.nodes,
        &sql_route.partitions,
        &dir.join(SQL_PARTITION_REPLICA_SET_FILE),
        &dir.join(PARTITION_TABLE_FILE),
    ]
    .map(|p| p.to_path_buf());
    let partitions = snapshot.partitions.len();
    let metadata_row = Row::new(
        format!(
            "import restate, metadata route ({} files)",
            metadata_files.len()
        ),
        median_anyhow(runs, || {
            let imported = import::from_metadata(&metadata_route)?;
            std::hint::black_box(snapshot_to_json(&imported.snapshot));
            Ok(())
        })?,
        "serde_json: read the same files into Values",
        median_anyhow(runs, || parse_all(&metadata_files))?,
    );
    let sql_row = Row::new(
        format!("import restate, SQL route ({partitions} partition rows)"),
        median_anyhow(runs, || {
            let imported = import::from_sql(&sql_route)?;
            std::hint::black_box(snapshot_to_json(&imported.snapshot));
            Ok(())
        })?,
        "serde_json: read the same files into Values",
        median_anyhow(runs, || parse_all(&sql_files))?,
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(vec![metadata_row, sql_row])
}

/// Reads and parses every file into a `serde_json::Value`.
fn parse_all(files: &[PathBuf]) -> anyhow::Result<()> {
    for file in files {
        let text = std::fs::read_to_string(file)?;
        let value: serde_json::Value = serde_json::from_str(&text)
            .with_context(|| format!("{} is not JSON", file.display()))?;
        std::hint::black_box(value);
    }
    Ok(())
}
