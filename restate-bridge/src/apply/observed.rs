//! The live cluster as `apply` watches it: three cheap `restatectl sql` queries (the
//! `partitions`, `partition_state` and `nodes` tables), read into what a step checks: each
//! partition's `current` and `next` sets and its leader, which replicas have caught up, and each
//! node's worker state and liveness.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};
use worker_policy_model::{NodeId, PartitionId, WorkerState};

use crate::ids::{plain_id, plain_id_list};

/// The query of each partition's sets and leader.
pub const PARTITIONS_QUERY: &str = "SELECT partition_id, current_replica_set, next_replica_set, leader_plain_node_id FROM partitions";
/// The query of each running processor's replay status.
pub const PROCESSORS_QUERY: &str =
    "SELECT partition_id, plain_node_id, replay_status FROM partition_state";
/// The query of each node's worker state and liveness.
pub const NODES_QUERY: &str = "SELECT plain_node_id, worker_state, state FROM nodes";

/// One partition as SQL shows it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ObservedPartition {
    /// The `current` replica set, in Restate's order.
    pub current: Vec<NodeId>,
    /// The pending `next` set, while a reconfiguration is in flight.
    pub next: Option<Vec<NodeId>>,
    /// The leader, when one is observed.
    pub leader: Option<NodeId>,
}

impl ObservedPartition {
    /// Every node in `current` or `next`.
    pub fn holders(&self) -> BTreeSet<NodeId> {
        self.current
            .iter()
            .chain(self.next.iter().flatten())
            .copied()
            .collect()
    }

    /// Whether it is held by `replicas` (in id order, `current` and `next` together) and led
    /// by `leader` (`None`: any leader will do).
    pub fn holds(&self, replicas: &[NodeId], leader: Option<NodeId>) -> bool {
        self.holders().into_iter().eq(replicas.iter().copied())
            && (leader.is_none() || self.leader == leader)
    }
}

/// One node as SQL shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ObservedNode {
    /// Its worker state (`None` without the worker role).
    pub worker_state: Option<WorkerState>,
    /// Whether the failure detector has it alive.
    pub alive: bool,
}

/// The live cluster at one moment, as far as a step checks it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Observed {
    /// Every partition, by id.
    pub partitions: BTreeMap<PartitionId, ObservedPartition>,
    /// The replicas whose processor has caught up (`replay_status` active).
    pub caught_up: BTreeSet<(PartitionId, NodeId)>,
    /// Every node SQL lists, by id.
    pub nodes: BTreeMap<NodeId, ObservedNode>,
}

/// A row SQL printed that cannot be read: the table, the column and what it held.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("restatectl sql: a row of `{table}` has `{column}` = {value}, which is not what Restate 1.7 prints there")]
pub struct RowError {
    /// The table.
    pub table: &'static str,
    /// The column.
    pub column: &'static str,
    /// What it held (JSON).
    pub value: String,
}

impl Observed {
    /// Reads the three tables' rows (`restatectl sql --json` output, one array each).
    pub fn from_rows(
        partitions: &[Map<String, Value>],
        processors: &[Map<String, Value>],
        nodes: &[Map<String, Value>],
    ) -> Result<Observed, RowError> {
        let mut observed = Observed::default();
        for row in partitions {
            let table = "partitions";
            let id = partition_id(row, table)?;
            let current = id_list(row, table, "current_replica_set")?.unwrap_or_default();
            let next = id_list(row, table, "next_replica_set")?;
            let leader = node(row, table, "leader_plain_node_id")?;
            observed.partitions.insert(
                id,
                ObservedPartition {
                    current,
                    next,
                    leader,
                },
            );
        }
        for row in processors {
            let table = "partition_state";
            let id = partition_id(row, table)?;
            let replica = node(row, table, "plain_node_id")?;
            let active = row.get("replay_status").and_then(Value::as_str) == Some("active");
            if let (Some(replica), true) = (replica, active) {
                observed.caught_up.insert((id, replica));
            }
        }
        for row in nodes {
            let table = "nodes";
            let Some(id) = node(row, table, "plain_node_id")? else {
                continue;
            };
            let worker_state = match row.get("worker_state") {
                None | Some(Value::Null) => None,
                Some(value) => Some(
                    value
                        .as_str()
                        .and_then(WorkerState::from_name)
                        .ok_or_else(|| bad(table, "worker_state", value))?,
                ),
            };
            let alive = row.get("state").and_then(Value::as_str) == Some("alive");
            observed.nodes.insert(
                id,
                ObservedNode {
                    worker_state,
                    alive,
                },
            );
        }
        Ok(observed)
    }
}

fn bad(table: &'static str, column: &'static str, value: &Value) -> RowError {
    RowError {
        table,
        column,
        value: value.to_string(),
    }
}

fn partition_id(row: &Map<String, Value>, table: &'static str) -> Result<PartitionId, RowError> {
    let value = row.get("partition_id").unwrap_or(&Value::Null);
    value
        .as_u64()
        .and_then(|id| PartitionId::try_from(id).ok())
        .ok_or_else(|| bad(table, "partition_id", value))
}

/// A node id column; `None` when the column is absent (NULL).
fn node(
    row: &Map<String, Value>,
    table: &'static str,
    column: &'static str,
) -> Result<Option<NodeId>, RowError> {
    match row.get(column) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => value
            .as_str()
            .and_then(plain_id)
            .map(Some)
            .ok_or_else(|| bad(table, column, value)),
    }
}

/// A replica set column (`"N1,N4"`); `None` when the column is absent (NULL).
fn id_list(
    row: &Map<String, Value>,
    table: &'static str,
    column: &'static str,
) -> Result<Option<Vec<NodeId>>, RowError> {
    match row.get(column) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => value
            .as_str()
            .and_then(plain_id_list)
            .map(Some)
            .ok_or_else(|| bad(table, column, value)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rows(value: Value) -> Vec<Map<String, Value>> {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn the_three_tables_read_as_restate_prints_them() {
        let partitions = rows(json!([
            {"partition_id": 0, "current_replica_set": "N2,N1", "leader_plain_node_id": "N1"},
            {"partition_id": 1, "current_replica_set": "N1,N2", "next_replica_set": "N1,N3"}
        ]));
        let processors = rows(json!([
            {"partition_id": 0, "plain_node_id": "N1", "replay_status": "active"},
            {"partition_id": 1, "plain_node_id": "N3", "replay_status": "catching_up"}
        ]));
        let nodes = rows(json!([
            {"plain_node_id": "N1", "worker_state": "active", "state": "alive"},
            {"plain_node_id": "N3", "worker_state": "draining", "state": "dead"},
            {"plain_node_id": "N9", "state": "alive"}
        ]));
        let observed = Observed::from_rows(&partitions, &processors, &nodes).unwrap();
        assert_eq!(observed.partitions[&0].current, vec![2, 1]);
        assert_eq!(observed.partitions[&0].leader, Some(1));
        assert_eq!(observed.partitions[&1].next, Some(vec![1, 3]));
        assert_eq!(observed.partitions[&1].holders(), BTreeSet::from([1, 2, 3]));
        assert_eq!(observed.partitions[&1].leader, None);
        assert_eq!(observed.caught_up, BTreeSet::from([(0, 1)]));
        assert_eq!(
            observed.nodes[&3],
            ObservedNode {
                worker_state: Some(WorkerState::Draining),
                alive: false
            }
        );
        assert_eq!(observed.nodes[&9].worker_state, None);
    }

    #[test]
    fn a_value_restate_never_prints_is_named() {
        let partitions = rows(json!([{"partition_id": 0, "current_replica_set": "N1,x"}]));
        let error = Observed::from_rows(&partitions, &[], &[]).unwrap_err();
        assert_eq!(error.column, "current_replica_set");
        assert!(error.to_string().contains("\"N1,x\""), "{error}");
    }
}
