//! What both routes read into before it becomes a snapshot: nodes and partitions with the file
//! and field each came from, tombstones, the property and the notes; then the checks that need
//! the whole cluster (every id a node, no replica on a removed node) and the snapshot itself.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use worker_policy_model::{
    LeaderAffinity, Node, NodeId, Partition, PartitionId, Replication, Snapshot,
};

use super::error::ImportError;
use super::{joining, location_notes, Imported};
use crate::ids::plain_label;

/// Where a record came from, for errors that point at it.
#[derive(Debug, Clone)]
pub struct Source {
    /// The dump file.
    pub file: PathBuf,
    /// The record's field in it (empty for a file that is one record).
    pub field: String,
    /// The names of the record's replica set and `next` set fields.
    pub set_fields: [&'static str; 2],
}

impl Source {
    /// A problem with `field` under this record.
    pub fn error(&self, field: &str, problem: impl Into<String>) -> ImportError {
        let field = match (self.field.is_empty(), field.is_empty()) {
            (_, true) => self.field.clone(),
            (true, false) => field.to_string(),
            (false, false) if field.starts_with('[') => format!("{}{field}", self.field),
            (false, false) => format!("{}.{field}", self.field),
        };
        ImportError::new(&self.file, field, problem)
    }
}

/// A cluster as the dumps describe it, not yet checked as a whole.
#[derive(Debug, Default)]
pub struct Cluster {
    /// The nodes, with where each came from.
    pub nodes: BTreeMap<NodeId, (Node, Source)>,
    /// Ids of removed nodes (`[id, "Tombstone"]`).
    pub tombstones: BTreeSet<NodeId>,
    /// Nodes an SQL `nodes` dump reports dead (not those given with `--dead`).
    pub sql_dead: BTreeSet<NodeId>,
    /// The partitions, with where each came from.
    pub partitions: BTreeMap<PartitionId, (Partition, Source)>,
    /// What the operator should know about the import.
    pub notes: Vec<String>,
}

impl Cluster {
    /// Adds `node`; a second node with its id is an error.
    pub fn add_node(&mut self, node: Node, source: Source) -> Result<(), ImportError> {
        if let Some((_, first)) = self.nodes.get(&node.id) {
            return Err(source.error(
                "",
                format!(
                    "node {} is listed twice (also at `{}`); a dump lists each node once: dump it again",
                    plain_label(node.id),
                    first.field
                ),
            ));
        }
        self.nodes.insert(node.id, (node, source));
        Ok(())
    }

    /// Adds `partition`; a second partition with its id is an error.
    pub fn add_partition(
        &mut self,
        partition: Partition,
        source: Source,
    ) -> Result<(), ImportError> {
        if let Some((_, first)) = self.partitions.get(&partition.id) {
            return Err(source.error(
                "",
                format!(
                    "partition {} is listed twice (also in {} at `{}`); keep one",
                    partition.id,
                    first.file.display(),
                    first.field
                ),
            ));
        }
        self.partitions.insert(partition.id, (partition, source));
        Ok(())
    }

    /// The snapshot: every member, next member and leader checked against the nodes, leader
    /// hints that are not replicas and affinities to nodes that are gone dropped with a note,
    /// and nodes Restate would not place on for lack of a location label noted.
    pub fn into_imported(mut self, replication: Replication) -> Result<Imported, ImportError> {
        let mut dropped_leaders = Vec::new();
        let mut dropped_affinities = Vec::new();
        let mut partitions = std::mem::take(&mut self.partitions);
        for (partition, source) in partitions.values_mut() {
            self.check_members(partition, source)?;
            if let Some(leader) = partition.leader {
                if !partition.replicas.contains(&leader) {
                    dropped_leaders.push(format!("{} (on {})", partition.id, plain_label(leader)));
                    partition.leader = None;
                }
            }
            if let Some(LeaderAffinity::Node(node)) = partition.leader_affinity {
                if !self.nodes.contains_key(&node) {
                    dropped_affinities.push(format!("{} (to {})", partition.id, plain_label(node)));
                    partition.leader_affinity = None;
                }
            }
        }
        if !dropped_leaders.is_empty() {
            self.notes.push(format!(
                "{} partition(s) name a leader that is not in their current replica set, so they are read as leaderless: {}",
                dropped_leaders.len(),
                listing(&dropped_leaders)
            ));
        }
        if !dropped_affinities.is_empty() {
            self.notes.push(format!(
                "{} partition(s) are pinned to a node that is no longer in the cluster, a pin that can never take effect; it is left out: {}",
                dropped_affinities.len(),
                listing(&dropped_affinities)
            ));
        }
        let snapshot = Snapshot {
            replication,
            nodes: self.nodes.into_values().map(|(node, _)| node).collect(),
            partitions: partitions.into_values().map(|(p, _)| p).collect(),
        }
        .canonical();
        self.notes.extend(location_notes(&snapshot));
        self.notes.extend(joining::notes(&snapshot, &self.sql_dead));
        Ok(Imported {
            snapshot,
            notes: self.notes,
        })
    }

    /// Every replica and `next` member of `partition` is a node of the cluster.
    fn check_members(&self, partition: &Partition, source: &Source) -> Result<(), ImportError> {
        let sets = [
            ("current", Some(&partition.replicas), source.set_fields[0]),
            ("next", partition.next.as_ref(), source.set_fields[1]),
        ];
        for (which, set, field) in sets {
            let mut seen = BTreeSet::new();
            for &id in set.into_iter().flatten() {
                if !seen.insert(id) {
                    return Err(source.error(
                        field,
                        format!(
                            "partition {} lists {} twice in its {which} set; a replica set names each node once",
                            partition.id,
                            plain_label(id)
                        ),
                    ));
                }
                self.check_node(partition.id, id, (which, field), source)?;
            }
        }
        Ok(())
    }

    fn check_node(
        &self,
        partition: PartitionId,
        id: NodeId,
        (which, field): (&str, &str),
        source: &Source,
    ) -> Result<(), ImportError> {
        if self.nodes.contains_key(&id) {
            return Ok(());
        }
        let problem = if self.tombstones.contains(&id) {
            format!(
                "partition {partition} has a {which} replica on {}, a node removed from the cluster (tombstone); the dumps are from different moments or the cluster is broken: dump them again, and if it stays, place the partition anew (`restatectl partitions placement set {partition} --replicas ...`)",
                plain_label(id)
            )
        } else {
            format!(
                "partition {partition} has a {which} replica on {}, a node in no nodes table; dump the nodes and the partitions again at the same time",
                plain_label(id)
            )
        };
        Err(source.error(field, problem))
    }
}

/// A note when the SQL rows came from other versions of the metadata `record` than its dump's
/// `version`: the dumps are not from one instant.
pub fn version_note(record: &str, rows: &BTreeSet<u32>, version: Option<u32>) -> Option<String> {
    let version = version?;
    rows.iter().any(|&v| v != version).then(|| {
        format!(
            "the SQL rows come from {record} version(s) {rows:?}, the {record} dump is version {version}: the dumps are not from one instant"
        )
    })
}

/// At most ten items of a list, joined, with the count of the rest.
pub fn listing(items: &[String]) -> String {
    const SHOWN: usize = 10;
    let shown = items[..items.len().min(SHOWN)].join(", ");
    match items.len().checked_sub(SHOWN) {
        Some(rest) if rest > 0 => format!("{shown} and {rest} more"),
        _ => shown,
    }
}
