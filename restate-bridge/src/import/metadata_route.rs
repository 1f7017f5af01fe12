//! The metadata route: `nodes_config`, `partition_table` and every `pp_epoch_<id>` from
//! `restatectl metadata get`, with liveness from an SQL `nodes` dump and/or `--dead`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use worker_policy_model::{Node, NodeId, Partition};

use super::cluster::{listing, version_note, Cluster, Source};
use super::error::ImportError;
use super::{epochs, frozen_next, nodes_config, partition_table, replication, sql};
use super::{Imported, MetadataRoute, ARGUMENTS};
use crate::ids::plain_label;
use crate::script::FREEZE_PREFIX;

/// Imports a cluster from its metadata dumps.
pub fn from_metadata(route: &MetadataRoute) -> Result<Imported, ImportError> {
    let mut cluster = Cluster::default();
    let config = nodes_config::read(&route.nodes_config, &mut cluster)?;
    let table = partition_table::read(&route.partition_table)?;
    let replication = replication(Some(&table), route.replication)?;
    add_epochs(&mut cluster, route, &table.ids)?;
    // Before --own-freezes: Restate still holds those partitions frozen.
    let nodes: BTreeMap<NodeId, &Node> =
        cluster.nodes.iter().map(|(&id, (n, _))| (id, n)).collect();
    let frozen_next = frozen_next::import_note(
        cluster.partitions.values().map(|(p, _)| p),
        &nodes,
        &replication,
    );
    cluster.notes.extend(frozen_next);
    if route.own_freezes {
        release_own_freezes(&mut cluster);
    }
    match &route.sql_nodes {
        Some(path) => apply_sql_liveness(&mut cluster, path, config.version)?,
        None => cluster.notes.push(
            "metadata dumps carry no liveness: every node is read as alive except those given with --dead; pass --sql-nodes (`restatectl sql --json \"SELECT * FROM nodes\"`) for the failure detector's view".into(),
        ),
    }
    apply_dead(&mut cluster, &route.dead)?;
    if let Some(path) = &route.sql_partitions {
        apply_live_leaders(&mut cluster, path, table.version)?;
    }
    if !cluster.tombstones.is_empty() {
        let ids: Vec<String> = cluster
            .tombstones
            .iter()
            .map(|&id| plain_label(id))
            .collect();
        cluster.notes.push(format!(
            "{} removed node(s) (tombstones) are left out: {}",
            ids.len(),
            listing(&ids)
        ));
    }
    cluster.into_imported(replication)
}

/// Reads every epoch record into `cluster`; partitions of the table without one are unplaced.
fn add_epochs(
    cluster: &mut Cluster,
    route: &MetadataRoute,
    table_ids: &[u32],
) -> Result<(), ImportError> {
    let files = epochs::files(&route.epochs)?;
    let known: BTreeSet<u32> = table_ids.iter().copied().collect();
    if let Some((id, path)) = files.iter().find(|(id, _)| !known.contains(id)) {
        return Err(ImportError::whole(
            path,
            format!(
                "is the record of partition {id}, which the partition table {} does not have ({} partitions); dump the table and the records again, or leave this file out",
                route.partition_table.display(),
                known.len()
            ),
        ));
    }
    let (mut unplaced, mut without_current, mut election_frozen) = (Vec::new(), 0, Vec::new());
    for &id in table_ids {
        let epoch = match files.get(&id) {
            Some(path) => epochs::read(id, path)?,
            None => epochs::Epoch {
                partition: Partition {
                    id,
                    ..Partition::default()
                },
                source: Source {
                    file: route.partition_table.clone(),
                    field: "partitions".into(),
                    set_fields: ["", ""],
                },
                without_current: false,
                election_frozen: false,
            },
        };
        if epoch.partition.is_unplaced() {
            unplaced.push(id.to_string());
        }
        without_current += usize::from(epoch.without_current);
        if epoch.election_frozen {
            election_frozen.push(id.to_string());
        }
        cluster.add_partition(epoch.partition, epoch.source)?;
    }
    if !unplaced.is_empty() {
        cluster.notes.push(format!(
            "{} partition(s) are unplaced (no pp_epoch record, `null`, or not assigned yet): {}",
            unplaced.len(),
            listing(&unplaced)
        ));
    }
    if without_current > 0 {
        cluster.notes.push(format!(
            "{without_current} pp_epoch record(s) have no `current` configuration (Restate before 1.3.3 kept placement elsewhere) and are read as unplaced"
        ));
    }
    if !election_frozen.is_empty() {
        cluster.notes.push(format!(
            "{} partition(s) have their leader election frozen (`restatectl partitions leadership freeze`): Restate keeps their leader whatever a plan says until `leadership unfreeze`: {}",
            election_frozen.len(),
            listing(&election_frozen)
        ));
    }
    Ok(())
}

/// How the note about `--own-freezes` begins (a verb that always asks for it leaves it out).
pub const OWN_FREEZES_NOTE: &str = "--own-freezes:";

/// Reads the freezes worker-policy's scripts set as no freeze (`--own-freezes`), with a note.
fn release_own_freezes(cluster: &mut Cluster) {
    let mut released = Vec::new();
    for (id, (partition, _)) in &mut cluster.partitions {
        if partition
            .freeze
            .as_deref()
            .is_some_and(|reason| reason.starts_with(FREEZE_PREFIX))
        {
            partition.freeze = None;
            released.push(id.to_string());
        }
    }
    cluster.notes.push(format!(
        "{OWN_FREEZES_NOTE} {} partition(s) frozen by a worker-policy script are read as not frozen (a new script freezes them anew): {}",
        released.len(),
        if released.is_empty() { "none".to_string() } else { listing(&released) }
    ));
}

/// Takes liveness from the SQL `nodes` dump at `path`, and checks it agrees with the metadata.
fn apply_sql_liveness(
    cluster: &mut Cluster,
    path: &Path,
    config_version: Option<u32>,
) -> Result<(), ImportError> {
    let rows = sql::nodes(path)?;
    let mut seen = BTreeSet::new();
    let mut versions = BTreeSet::new();
    for row in rows {
        let id = row.node.id;
        versions.extend(row.config_version);
        let Some((node, node_source)) = cluster.nodes.get_mut(&id) else {
            let problem = if cluster.tombstones.contains(&id) {
                format!("{} is listed, but nodes_config has it removed (tombstone); dump both again at the same time", plain_label(id))
            } else {
                format!(
                    "{} is in no nodes_config entry; dump both again at the same time",
                    plain_label(id)
                )
            };
            return Err(row.source.error("plain_node_id", problem));
        };
        if row.has_worker_state && row.node.worker_state != node.worker_state {
            return Err(row.source.error(
                "worker_state",
                format!(
                    "{} is {} here but {} in {} (`{}`): the dumps disagree; dump both again at the same time (a state change happened in between)",
                    plain_label(id),
                    row.node.worker_state,
                    node.worker_state,
                    node_source.file.display(),
                    node_source.field
                ),
            ));
        }
        node.alive = row.node.alive;
        if !node.alive {
            cluster.sql_dead.insert(id);
        }
        seen.insert(id);
    }
    if let Some((&id, (_, source))) = cluster.nodes.iter().find(|(id, _)| !seen.contains(id)) {
        return Err(ImportError::whole(
            path,
            format!(
                "has no row for {}, which {} lists, so its liveness is unknown; dump both again at the same time",
                plain_label(id),
                source.file.display()
            ),
        ));
    }
    cluster
        .notes
        .extend(version_note("nodes_config", &versions, config_version));
    Ok(())
}

/// Takes each partition's leader from the SQL `partitions` dump at `path`: the live leader
/// (none when no leader is observed) in place of the epoch record's last-claim hint.
fn apply_live_leaders(
    cluster: &mut Cluster,
    path: &Path,
    table_version: Option<u32>,
) -> Result<(), ImportError> {
    let mut changed = Vec::new();
    let mut versions = BTreeSet::new();
    for row in sql::partitions(path)? {
        let id = row.partition.id;
        versions.extend(row.table_version);
        let Some((partition, _)) = cluster.partitions.get_mut(&id) else {
            return Err(row.source.error(
                "partition_id",
                format!("partition {id} is not in the partition table; dump both again at the same time"),
            ));
        };
        if partition.leader != row.partition.leader {
            changed.push(id.to_string());
            partition.leader = row.partition.leader;
        }
    }
    if !changed.is_empty() {
        cluster.notes.push(format!(
            "{} partition(s) are led by another node than their pp_epoch record's last claim (or by none): the live leader from {} is used: {}",
            changed.len(),
            path.display(),
            listing(&changed)
        ));
    }
    cluster
        .notes
        .extend(version_note("partition_table", &versions, table_version));
    Ok(())
}

/// Marks the `--dead` nodes dead.
fn apply_dead(cluster: &mut Cluster, dead: &[NodeId]) -> Result<(), ImportError> {
    for &id in dead {
        match cluster.nodes.get_mut(&id) {
            Some((node, _)) => node.alive = false,
            None => {
                return Err(ImportError::new(
                    Path::new(ARGUMENTS),
                    "--dead",
                    format!(
                    "{} is not a node of the nodes_config dump; name only nodes the cluster has",
                    plain_label(id)
                ),
                ))
            }
        }
    }
    if !dead.is_empty() {
        let ids: Vec<String> = dead.iter().map(|&id| plain_label(id)).collect();
        cluster
            .notes
            .push(format!("read as dead (--dead): {}", ids.join(", ")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::script::ScriptHeader;

    #[test]
    fn own_freezes_are_the_ones_a_script_writes() {
        let reason = ScriptHeader {
            snapshot_sha256: "9d2edb425033aa".into(),
            ..ScriptHeader::default()
        }
        .freeze_reason();
        let mut cluster = Cluster::default();
        for (id, freeze) in [(0, reason.as_str()), (1, "hold for the audit")] {
            let partition = Partition {
                id,
                replicas: vec![1],
                freeze: Some(freeze.into()),
                ..Partition::default()
            };
            let source = Source {
                file: "pp_epoch".into(),
                field: String::new(),
                set_fields: ["", ""],
            };
            cluster.add_partition(partition, source).unwrap();
        }
        release_own_freezes(&mut cluster);
        let freezes: Vec<_> = cluster
            .partitions
            .values()
            .map(|(p, _)| p.freeze.clone())
            .collect();
        assert_eq!(freezes, [None, Some("hold for the audit".into())]);
        assert!(
            cluster.notes[0].ends_with("read as not frozen (a new script freezes them anew): 0")
        );
    }
}
