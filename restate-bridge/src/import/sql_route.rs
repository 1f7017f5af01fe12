//! The SQL route: `nodes` and `partitions` (and optionally `partition_replica_set`) from
//! `restatectl sql --json`, the property from a partition table or `--replication`.

use std::collections::BTreeSet;

use super::cluster::{listing, version_note, Cluster};
use super::error::ImportError;
use super::partition_table::{self, PartitionTable};
use super::{replication, sql, Imported, SqlRoute};
use worker_policy_model::Partition;

/// Imports a cluster from its SQL dumps.
pub fn from_sql(route: &SqlRoute) -> Result<Imported, ImportError> {
    let table = route
        .partition_table
        .as_deref()
        .map(partition_table::read)
        .transpose()?;
    let replication = replication(table.as_ref(), route.replication)?;
    let mut cluster = Cluster::default();
    for row in sql::nodes(&route.nodes)? {
        if !row.node.alive {
            cluster.sql_dead.insert(row.node.id);
        }
        cluster.add_node(row.node, row.source)?;
    }
    let memberships = match &route.replica_sets {
        Some(path) => sql::memberships(path)?,
        None => Default::default(),
    };
    let mut table_versions = BTreeSet::new();
    for row in sql::partitions(&route.partitions)? {
        let mut partition = row.partition;
        if let Some(membership) = memberships.get(&partition.id) {
            if !row.has_next_column && !membership.next.is_empty() {
                partition.next = Some(membership.next.clone());
            }
            partition.leader = partition.leader.or(membership.leader);
        }
        table_versions.extend(row.table_version);
        cluster.add_partition(partition, row.source)?;
    }
    if let Some(table) = &table {
        add_table_partitions(&mut cluster, table, &table_versions)?;
    }
    cluster.notes.push(
        "the SQL tables carry no placement freeze or leader affinity: every partition is read as unfrozen with no affinity (the metadata route reads them from the pp_epoch records)".into(),
    );
    cluster.into_imported(replication)
}

/// Checks the SQL partitions against the table, adds the table's partitions SQL does not list
/// as unplaced, and notes a table version other than the rows'.
fn add_table_partitions(
    cluster: &mut Cluster,
    table: &PartitionTable,
    row_versions: &BTreeSet<u32>,
) -> Result<(), ImportError> {
    let ids: BTreeSet<u32> = table.ids.iter().copied().collect();
    if let Some((id, (_, source))) = cluster.partitions.iter().find(|(id, _)| !ids.contains(id)) {
        return Err(source.error(
            "partition_id",
            format!(
                "partition {id} is not in the partition table {} ({} partitions); dump both again at the same time",
                table.path.display(),
                ids.len()
            ),
        ));
    }
    let missing: Vec<u32> = ids
        .iter()
        .copied()
        .filter(|id| !cluster.partitions.contains_key(id))
        .collect();
    if !missing.is_empty() {
        cluster.notes.push(format!(
            "{} partition(s) of the partition table have no SQL row and are read as unplaced: {}",
            missing.len(),
            listing(&missing.iter().map(u32::to_string).collect::<Vec<_>>())
        ));
    }
    for id in missing {
        let source = super::cluster::Source {
            file: table.path.clone(),
            field: "partitions".into(),
            set_fields: ["", ""],
        };
        let partition = Partition {
            id,
            ..Partition::default()
        };
        cluster.add_partition(partition, source)?;
    }
    cluster
        .notes
        .extend(version_note("partition_table", row_versions, table.version));
    Ok(())
}
