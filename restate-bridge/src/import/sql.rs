//! `restatectl sql --json` of the `nodes`, `partitions` and `partition_replica_set` tables (on an
//! admin node). `--json` prints one array; `--jsonl` (one object per line) reads too. A NULL
//! column is a missing key; ids are `"N9"` and `"N9:2"`; replica sets are `"N9,N12,N10"`.

use std::path::Path;

use serde::de::DeserializeOwned;
use serde::Deserialize;
use worker_policy_model::{Node, NodeId, Partition, Roles, Weight, WorkerState};

use super::cluster::Source;
use super::document::{self, DumpKind};
use super::error::ImportError;
use super::values;
use crate::ids;

#[derive(Deserialize)]
struct NodeRow {
    plain_node_id: String,
    gen_node_id: String,
    state: String,
    name: String,
    #[serde(default)]
    address: Option<String>,
    #[serde(default)]
    location: Option<String>,
    has_admin_role: bool,
    has_worker_role: bool,
    has_metadata_server_role: bool,
    has_log_server_role: bool,
    has_ingress_role: bool,
    #[serde(default)]
    worker_state: Option<String>,
    #[serde(default)]
    nodes_configuration_version: Option<u32>,
}

#[derive(Deserialize)]
struct PartitionRow {
    partition_id: u32,
    #[serde(default)]
    #[serde(rename = "start_key")]
    _start_key: Option<u64>,
    #[serde(default)]
    #[serde(rename = "end_key")]
    _end_key: Option<u64>,
    #[serde(default)]
    leader_plain_node_id: Option<String>,
    #[serde(default)]
    v_current: Option<u32>,
    #[serde(default)]
    current_replica_set: Option<String>,
    #[serde(default)]
    next_replica_set: Option<String>,
    #[serde(default)]
    partition_table_version: Option<u32>,
}

#[derive(Deserialize)]
struct ReplicaRow {
    partition_id: u32,
    plain_node_id: String,
    membership: String,
    #[serde(default)]
    is_leader: Option<bool>,
}

/// One row of the SQL `nodes` table, read.
pub struct SqlNode {
    /// The node (its worker state Restate's default when the row has none).
    pub node: Node,
    /// Whether the row had a `worker_state` column (only nodes with the worker role do).
    pub has_worker_state: bool,
    /// The nodes-config version the row came from.
    pub config_version: Option<u32>,
    /// Where it came from.
    pub source: Source,
}

/// The rows of an SQL dump as `T`: a JSON array (`--json`) or one object per line (`--jsonl`).
fn rows<T: DeserializeOwned>(path: &Path, kind: DumpKind) -> Result<Vec<T>, ImportError> {
    let text = document::read_text(path)?;
    if !text.trim_start().starts_with('{') {
        return document::parse(&text, path, kind);
    }
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| {
            document::parse(line, path, kind).map_err(|mut e| {
                e.field = format!(
                    "line {}{}{}",
                    i + 1,
                    if e.field.is_empty() { "" } else { "." },
                    e.field
                );
                e
            })
        })
        .collect()
}

fn row_source(path: &Path, index: usize) -> Source {
    Source {
        file: path.to_path_buf(),
        field: format!("[{index}]"),
        set_fields: ["current_replica_set", "next_replica_set"],
    }
}

/// Reads the SQL `nodes` dump at `path`.
pub fn nodes(path: &Path) -> Result<Vec<SqlNode>, ImportError> {
    let rows: Vec<NodeRow> = rows(path, DumpKind::SqlNodes)?;
    rows.into_iter()
        .enumerate()
        .map(|(index, row)| row.into_node(row_source(path, index)))
        .collect()
}

impl NodeRow {
    fn into_node(self, source: Source) -> Result<SqlNode, ImportError> {
        let id = ids::plain_id(&self.plain_node_id).ok_or_else(|| {
            source.error(
                "plain_node_id",
                format!("`{}` is not a node id such as N3", self.plain_node_id),
            )
        })?;
        let generational = ids::generational_id(&self.gen_node_id)
            .filter(|g| g.id == id)
            .ok_or_else(|| {
                source.error(
                    "gen_node_id",
                    format!(
                        "`{}` is not {}'s generational id such as N{id}:2",
                        self.gen_node_id, self.plain_node_id
                    ),
                )
            })?;
        let alive = match self.state.as_str() {
            "alive" => true,
            "dead" | "failing-over" => false,
            other => {
                return Err(source.error(
                    "state",
                    format!(
                        "`{}` is not a liveness state (alive, dead, failing-over)",
                        super::error::excerpt(other)
                    ),
                ))
            }
        };
        let location = values::location(self.location.as_deref().unwrap_or(""))
            .map_err(|p| source.error("location", p))?;
        let worker_state = match &self.worker_state {
            Some(name) => {
                values::worker_state(name).map_err(|p| source.error("worker_state", p))?
            }
            None => WorkerState::Provisioning,
        };
        let roles = [
            (self.has_ingress_role, Roles::HTTP_INGRESS),
            (self.has_admin_role, Roles::ADMIN),
            (self.has_worker_role, Roles::WORKER),
            (self.has_log_server_role, Roles::LOG_SERVER),
            (self.has_metadata_server_role, Roles::METADATA_SERVER),
        ]
        .into_iter()
        .filter(|(has, _)| *has)
        .fold(Roles::empty(), |all, (_, role)| all.union(role));
        Ok(SqlNode {
            node: Node {
                id,
                generation: generational.generation,
                name: self.name,
                address: self.address.unwrap_or_default(),
                location,
                roles,
                worker_state,
                alive,
                weight: Weight::STANDARD,
            },
            has_worker_state: self.worker_state.is_some(),
            config_version: self.nodes_configuration_version,
            source,
        })
    }
}

/// One row of the SQL `partitions` table, read.
pub struct SqlPartition {
    /// The partition: its current set, its next set when the row has one, its live leader.
    pub partition: Partition,
    /// Whether the row had a `next_replica_set` column.
    pub has_next_column: bool,
    /// The partition-table version the row came from.
    pub table_version: Option<u32>,
    /// Where it came from.
    pub source: Source,
}

/// Reads the SQL `partitions` dump at `path`.
pub fn partitions(path: &Path) -> Result<Vec<SqlPartition>, ImportError> {
    let rows: Vec<PartitionRow> = rows(path, DumpKind::SqlPartitions)?;
    rows.into_iter()
        .enumerate()
        .map(|(index, row)| row.into_partition(row_source(path, index)))
        .collect()
}

/// A replica set column: `"N9,N12,N10"`.
fn id_list(source: &Source, field: &str, text: &str) -> Result<Vec<NodeId>, ImportError> {
    ids::plain_id_list(text).ok_or_else(|| {
        source.error(
            field,
            format!(
                "`{}` is not a list of node ids such as \"N1,N4,N7\"",
                super::error::excerpt(text)
            ),
        )
    })
}

impl PartitionRow {
    fn into_partition(self, source: Source) -> Result<SqlPartition, ImportError> {
        let assigned = self.v_current != Some(0);
        let replicas = match (&self.current_replica_set, assigned) {
            (Some(set), true) => id_list(&source, "current_replica_set", set)?,
            _ => Vec::new(),
        };
        let next = match &self.next_replica_set {
            Some(set) => Some(id_list(&source, "next_replica_set", set)?),
            None => None,
        };
        let leader = match &self.leader_plain_node_id {
            Some(text) => Some(ids::plain_id(text).ok_or_else(|| {
                source.error(
                    "leader_plain_node_id",
                    format!("`{text}` is not a node id such as N3"),
                )
            })?),
            None => None,
        };
        Ok(SqlPartition {
            partition: Partition {
                id: self.partition_id,
                replicas,
                next,
                leader,
                freeze: None,
                leader_affinity: None,
            },
            has_next_column: self.next_replica_set.is_some(),
            table_version: self.partition_table_version,
            source,
        })
    }
}

/// What the `partition_replica_set` table adds to a partition: its `next` members and leader.
#[derive(Debug, Default, Clone)]
pub struct Membership {
    /// The members of `next`, in row order.
    pub next: Vec<NodeId>,
    /// The member that leads, when one does.
    pub leader: Option<NodeId>,
}

/// Reads the SQL `partition_replica_set` dump at `path`: per partition, its `next` members and
/// its leader.
pub fn memberships(
    path: &Path,
) -> Result<std::collections::BTreeMap<u32, Membership>, ImportError> {
    let rows: Vec<ReplicaRow> = rows(path, DumpKind::SqlReplicaSet)?;
    let mut out: std::collections::BTreeMap<u32, Membership> = Default::default();
    for (index, row) in rows.into_iter().enumerate() {
        let source = row_source(path, index);
        let node = ids::plain_id(&row.plain_node_id).ok_or_else(|| {
            source.error(
                "plain_node_id",
                format!("`{}` is not a node id such as N3", row.plain_node_id),
            )
        })?;
        let entry = out.entry(row.partition_id).or_default();
        match row.membership.as_str() {
            "current" => {}
            "next" => entry.next.push(node),
            other => {
                return Err(source.error(
                    "membership",
                    format!(
                        "`{}` is not a membership (current, next)",
                        super::error::excerpt(other)
                    ),
                ))
            }
        }
        if row.is_leader == Some(true) {
            entry.leader = Some(node);
        }
    }
    Ok(out)
}
