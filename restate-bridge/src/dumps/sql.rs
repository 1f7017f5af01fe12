//! The three `restatectl sql --json` dumps: `nodes`, `partitions` and `partition_replica_set`,
//! each one compact JSON array on a single line without a final newline, keys in column order,
//! NULL columns left out, rows in the order of the `ORDER BY` the notes' commands use.

use std::collections::BTreeMap;

use serde::Serialize;
use worker_policy_model::{Node, NodeId, Partition, PartitionId, Roles};

use crate::ids::{generational_label, plain_label, GenerationalId};

use super::history::{
    generations, key_range, next_set, nodes_config_version, PartitionHistory,
    PARTITION_TABLE_VERSION,
};
use super::node_states::{metadata_server_state, storage_state};
use super::Cluster;

/// What `binary_version` says for a node that never reported one.
const UNKNOWN_BINARY_VERSION: &str = "0.0.0-unknown";

#[derive(Serialize)]
struct NodeRow<'a> {
    plain_node_id: String,
    gen_node_id: String,
    state: &'static str,
    name: &'a str,
    address: &'a str,
    ctrl_address: &'a str,
    location: &'a str,
    has_admin_role: bool,
    has_worker_role: bool,
    has_metadata_server_role: bool,
    has_log_server_role: bool,
    has_ingress_role: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    storage_state: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    worker_state: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    metadata_server_state: Option<&'static str>,
    nodes_configuration_version: u32,
    binary_version: &'static str,
}

/// `SELECT * FROM nodes ORDER BY plain_node_id`: no rows for tombstones; `plain_node_id` is text,
/// so `N10` sorts before `N2`.
pub(crate) fn nodes(cluster: &Cluster) -> String {
    let version = nodes_config_version(cluster.snapshot.nodes.len() + cluster.tombstones.len());
    let binary_version = cluster
        .version
        .binary_version()
        .unwrap_or(UNKNOWN_BINARY_VERSION);
    let mut rows: Vec<NodeRow> = cluster
        .snapshot
        .nodes
        .iter()
        .map(|node| node_row(node, version, binary_version))
        .collect();
    rows.sort_by(|a, b| a.plain_node_id.cmp(&b.plain_node_id));
    compact(&rows)
}

fn node_row<'a>(node: &'a Node, version: u32, binary_version: &'static str) -> NodeRow<'a> {
    let has = |role| node.roles.contains(role);
    NodeRow {
        plain_node_id: plain_label(node.id),
        gen_node_id: generational_label(GenerationalId {
            id: node.id,
            generation: node.generation,
        }),
        state: if node.alive { "alive" } else { "dead" },
        name: &node.name,
        address: &node.address,
        ctrl_address: &node.address,
        location: &node.location,
        has_admin_role: has(Roles::ADMIN),
        has_worker_role: has(Roles::WORKER),
        has_metadata_server_role: has(Roles::METADATA_SERVER),
        has_log_server_role: has(Roles::LOG_SERVER),
        has_ingress_role: has(Roles::HTTP_INGRESS),
        storage_state: has(Roles::LOG_SERVER).then(|| storage_state(node)),
        worker_state: has(Roles::WORKER).then(|| node.worker_state.name()),
        metadata_server_state: has(Roles::METADATA_SERVER).then(|| metadata_server_state(node)),
        nodes_configuration_version: version,
        binary_version,
    }
}

#[derive(Serialize)]
struct PartitionRow {
    partition_id: PartitionId,
    start_key: u64,
    end_key: u64,
    log_id: PartitionId,
    cf_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    leader_gen_node_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    leader_plain_node_id: Option<String>,
    leader_epoch: String,
    v_current: u32,
    current_replica_set: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    v_next: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_replica_set: Option<String>,
    partition_table_version: u32,
}

/// `SELECT * FROM partitions ORDER BY partition_id`; `next` columns only while a `next` exists,
/// and only when `cluster.sql.next_in_partitions`.
pub(crate) fn partitions(cluster: &Cluster) -> String {
    let count = cluster.snapshot.partitions.len() as u32;
    let generations = generations(cluster.snapshot);
    let mut rows: Vec<PartitionRow> = cluster
        .snapshot
        .partitions
        .iter()
        .map(|partition| {
            let history = PartitionHistory::of(partition);
            let (start_key, end_key) = key_range(partition.id, count);
            let next = next_set(partition).filter(|_| cluster.sql.next_in_partitions);
            PartitionRow {
                partition_id: partition.id,
                start_key,
                end_key,
                log_id: partition.id,
                cf_name: format!("data-{}", partition.id),
                leader_gen_node_id: partition.leader.map(|id| leader_label(id, &generations)),
                leader_plain_node_id: partition.leader.map(plain_label),
                leader_epoch: format!("e{}", history.epoch),
                v_current: history.current_version,
                current_replica_set: joined(&partition.replicas),
                v_next: next.as_ref().map(|_| history.next_version),
                next_replica_set: next.as_deref().map(joined),
                partition_table_version: PARTITION_TABLE_VERSION,
            }
        })
        .collect();
    rows.sort_by_key(|row| row.partition_id);
    compact(&rows)
}

#[derive(Serialize)]
struct ReplicaRow {
    partition_id: PartitionId,
    plain_node_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    alive_gen_node_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    is_leader: Option<bool>,
    membership_version: u32,
    membership: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    leader_epoch: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    durable_lsn: Option<u64>,
}

/// `SELECT * FROM partition_replica_set ORDER BY partition_id`: per partition one row per
/// `current` member, then one per `next` member. The leader is marked on its `current` row.
pub(crate) fn partition_replica_set(cluster: &Cluster) -> String {
    let alive: BTreeMap<NodeId, &Node> = cluster
        .snapshot
        .nodes
        .iter()
        .filter(|n| n.alive)
        .map(|n| (n.id, n))
        .collect();
    let mut partitions: Vec<&Partition> = cluster.snapshot.partitions.iter().collect();
    partitions.sort_by_key(|p| p.id);
    let mut rows = Vec::new();
    for partition in partitions {
        let history = PartitionHistory::of(partition);
        let row = |node: NodeId, membership, version, leads: bool| ReplicaRow {
            partition_id: partition.id,
            plain_node_id: plain_label(node),
            alive_gen_node_id: alive.get(&node).map(|n| {
                generational_label(GenerationalId {
                    id: n.id,
                    generation: n.generation,
                })
            }),
            is_leader: leads.then_some(true),
            membership_version: version,
            membership,
            leader_epoch: leads.then(|| format!("e{}", history.epoch)),
            durable_lsn: (membership == "current" && alive.contains_key(&node))
                .then(|| durable_lsn(partition.id, node)),
        };
        for &node in &partition.replicas {
            let leads = partition.leader == Some(node);
            rows.push(row(node, "current", history.current_version, leads));
        }
        for node in next_set(partition).into_iter().flatten() {
            rows.push(row(node, "next", history.next_version, false));
        }
    }
    compact(&rows)
}

/// A durable LSN for a replica: above 2^53 on odd partitions, as a long-lived log's would be.
fn durable_lsn(partition: PartitionId, node: NodeId) -> u64 {
    let base = if partition % 2 == 1 { 1 << 53 } else { 90_000 };
    base + u64::from(partition) * 1_009 + u64::from(node)
}

fn leader_label(id: NodeId, generations: &BTreeMap<NodeId, u32>) -> String {
    generational_label(GenerationalId {
        id,
        generation: generations.get(&id).copied().unwrap_or(1),
    })
}

/// `N9,N12,N10`: a replica set as SQL prints it.
fn joined(set: &[NodeId]) -> String {
    set.iter()
        .map(|&id| plain_label(id))
        .collect::<Vec<_>>()
        .join(",")
}

/// `rows` as one compact JSON array on one line, without a final newline. The rows have only
/// string keys, so serialising cannot fail.
fn compact(rows: &impl Serialize) -> String {
    serde_json::to_string(rows).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};
    use worker_policy_model::{Node, Replication, Roles, Snapshot};

    use super::super::key_order::{is_json, key_orders};
    use super::super::samples::{minimal, node_only, zones};
    use super::super::{metadata_dumps, sql_dumps, RestateVersion};
    use super::*;

    fn rows(text: &str) -> Vec<Value> {
        serde_json::from_str(text).expect("a JSON array")
    }

    /// One compact line, no final newline, every row's keys a subsequence of `columns`.
    fn assert_sql_shape(text: &str, columns: &[&str]) {
        assert!(is_json(text) && text.starts_with('[') && text.ends_with(']'));
        assert!(!text.contains('\n') && !text.contains(": ") && !text.contains(", "));
        for keys in key_orders(text) {
            let positions: Vec<usize> = keys
                .iter()
                .map(|k| columns.iter().position(|c| c == k).expect("a known column"))
                .collect();
            assert!(positions.windows(2).all(|w| w[0] < w[1]), "{keys:?}");
        }
    }

    const NODE_COLUMNS: [&str; 17] = [
        "plain_node_id",
        "gen_node_id",
        "state",
        "name",
        "address",
        "ctrl_address",
        "location",
        "has_admin_role",
        "has_worker_role",
        "has_metadata_server_role",
        "has_log_server_role",
        "has_ingress_role",
        "storage_state",
        "worker_state",
        "metadata_server_state",
        "nodes_configuration_version",
        "binary_version",
    ];
    const PARTITION_COLUMNS: [&str; 13] = [
        "partition_id",
        "start_key",
        "end_key",
        "log_id",
        "cf_name",
        "leader_gen_node_id",
        "leader_plain_node_id",
        "leader_epoch",
        "v_current",
        "current_replica_set",
        "v_next",
        "next_replica_set",
        "partition_table_version",
    ];
    const REPLICA_COLUMNS: [&str; 8] = [
        "partition_id",
        "plain_node_id",
        "alive_gen_node_id",
        "is_leader",
        "membership_version",
        "membership",
        "leader_epoch",
        "durable_lsn",
    ];

    #[test]
    fn tables_are_one_compact_line_in_column_order() {
        for sample in [zones(), node_only(), minimal()] {
            let dumps = sql_dumps(&sample.cluster()).unwrap();
            assert_sql_shape(&dumps.nodes, &NODE_COLUMNS);
            assert_sql_shape(&dumps.partitions, &PARTITION_COLUMNS);
            if let Some(text) = &dumps.partition_replica_set {
                assert_sql_shape(text, &REPLICA_COLUMNS);
            }
        }
    }

    #[test]
    fn nodes_sort_as_text_without_tombstones_and_omit_the_states_of_missing_roles() {
        let sample = zones();
        let nodes = rows(&sql_dumps(&sample.cluster()).unwrap().nodes);
        let ids: Vec<&str> = nodes
            .iter()
            .map(|n| n["plain_node_id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["N1", "N10", "N2", "N3", "N5", "N6", "N7", "N8", "N9"]);
        assert_eq!(nodes[0]["gen_node_id"], "N1:3");
        assert_eq!(nodes[0]["metadata_server_state"], "member");
        assert!(nodes[2].get("metadata_server_state").is_none());
        assert_eq!(nodes[7]["state"], "dead");
        assert_eq!(nodes[5]["worker_state"], "draining");
        assert_eq!(nodes[2]["ctrl_address"], nodes[2]["address"]);
        assert_eq!(nodes[2]["has_ingress_role"], true);
        let admin_only = Snapshot {
            replication: Replication::nodes(1).unwrap(),
            nodes: vec![Node {
                roles: Roles::ADMIN,
                ..Node::worker(1, "")
            }],
            partitions: vec![],
        };
        let cluster = Cluster::new(&admin_only, RestateVersion::V1_4);
        let row = &rows(&sql_dumps(&cluster).unwrap().nodes)[0];
        assert!(row.get("worker_state").is_none() && row.get("storage_state").is_none());
        assert_eq!(
            (&row["has_worker_role"], &row["binary_version"]),
            (&json!(false), &json!("0.0.0-unknown"))
        );
    }

    #[test]
    fn partitions_show_leader_next_and_keys_as_the_metadata_does() {
        let sample = zones();
        let cluster = sample.cluster();
        let metadata = metadata_dumps(&cluster).unwrap();
        let partitions = rows(&sql_dumps(&cluster).unwrap().partitions);
        assert_eq!(partitions.len(), 6);
        let p1 = &partitions[1];
        assert_eq!(
            (&p1["leader_gen_node_id"], &p1["leader_plain_node_id"]),
            (&json!("N9:2"), &json!("N9"))
        );
        assert_eq!(p1["current_replica_set"], "N2,N6,N9");
        assert_eq!(p1["next_replica_set"], "N2,N6,N9,N7");
        assert_eq!(p1["cf_name"], "data-1");
        let epoch: Value = serde_json::from_str(&metadata.epochs[&1]).unwrap();
        assert_eq!(p1["leader_epoch"], format!("e{}", epoch["epoch"]));
        assert_eq!(p1["v_current"], epoch["current"]["version"]);
        assert_eq!(p1["v_next"], epoch["next"]["version"]);
        let p5 = &partitions[5];
        assert!(p5.get("leader_plain_node_id").is_none() && p5.get("v_next").is_none());
        assert_eq!(
            (&p5["leader_epoch"], &p5["current_replica_set"]),
            (&json!("e0"), &json!(""))
        );
        assert_eq!(p5["end_key"].as_u64(), Some(u64::MAX));
        let table: Value = serde_json::from_str(&metadata.partition_table).unwrap();
        assert_eq!(
            p1["start_key"],
            table["partitions"][1][1]["key_range"]["start"]
        );
        assert_eq!(p1["partition_table_version"], table["version"]);
        let config: Value = serde_json::from_str(&metadata.nodes_config).unwrap();
        let nodes = rows(&sql_dumps(&cluster).unwrap().nodes);
        assert_eq!(nodes[0]["nodes_configuration_version"], config["version"]);
        let without_next = node_only();
        let partitions = rows(&sql_dumps(&without_next.cluster()).unwrap().partitions);
        assert!(
            partitions[2].get("next_replica_set").is_none()
                && partitions[2].get("v_next").is_none()
        );
    }

    #[test]
    fn replica_rows_list_current_then_next_members_and_mark_only_the_leader() {
        let sample = zones();
        let text = sql_dumps(&sample.cluster())
            .unwrap()
            .partition_replica_set
            .unwrap();
        let p1: Vec<Value> = rows(&text)
            .into_iter()
            .filter(|r| r["partition_id"] == 1)
            .collect();
        let members: Vec<(&str, &str)> = p1
            .iter()
            .map(|r| {
                (
                    r["plain_node_id"].as_str().unwrap(),
                    r["membership"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            members,
            [
                ("N2", "current"),
                ("N6", "current"),
                ("N9", "current"),
                ("N2", "next"),
                ("N6", "next"),
                ("N9", "next"),
                ("N7", "next")
            ]
        );
        let leaders: Vec<&Value> = p1.iter().filter(|r| r.get("is_leader").is_some()).collect();
        assert_eq!(leaders.len(), 1);
        assert_eq!(
            (&leaders[0]["plain_node_id"], &leaders[0]["is_leader"]),
            (&json!("N9"), &json!(true))
        );
        assert!(leaders[0]["leader_epoch"]
            .as_str()
            .unwrap()
            .starts_with('e'));
        assert_eq!(leaders[0]["alive_gen_node_id"], "N9:2");
        let rows_of_dead: Vec<Value> = rows(&text)
            .into_iter()
            .filter(|r| r["plain_node_id"] == "N8")
            .collect();
        assert!(!rows_of_dead.is_empty());
        assert!(rows_of_dead
            .iter()
            .all(|r| r.get("alive_gen_node_id").is_none() && r.get("durable_lsn").is_none()));
        assert!(text.contains(&format!("\"durable_lsn\":{}", durable_lsn(1, 2))));
        assert!(durable_lsn(1, 2) > 1 << 53);
        assert_eq!(
            sql_dumps(&minimal().cluster())
                .unwrap()
                .partition_replica_set,
            None
        );
    }
}
