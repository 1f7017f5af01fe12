//! The three `restatectl metadata get` dumps: `nodes_config`, `partition_table` and one
//! `pp_epoch_<id>` per partition, pretty-printed with `version` first and every other key, at
//! every depth, in alphabetical order (the field order of the documents below).

use std::collections::BTreeMap;

use serde::Serialize;
use worker_policy_model::{LeaderAffinity, Node, NodeId, Partition, PartitionId, Scope};

use super::history::{
    generations, key_range, next_set, nodes_config_version, replication_display, scrambled,
    PartitionHistory, CONFIGURATION_MODIFIED_AT, NODES_CONFIG_MODIFIED_AT, PARTITION_TABLE_VERSION,
};
use super::node_states::{metadata_server_state, storage_state};
use super::{Cluster, TableShape, UnplacedShape};

#[derive(Serialize)]
struct NodesConfigDoc<'a> {
    version: u32,
    cluster_fingerprint: Option<u64>,
    cluster_name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    features: Option<&'static [&'static str]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    modified_at: Option<u64>,
    name_lookup: BTreeMap<&'a str, NodeId>,
    nodes: Vec<(NodeId, NodeEntry<'a>)>,
}

/// A `nodes` entry: the unit variant prints as `"Tombstone"`, the newtype one as `{"Node": …}`.
#[derive(Serialize)]
enum NodeEntry<'a> {
    Tombstone,
    Node(NodeDoc<'a>),
}

#[derive(Serialize)]
struct NodeDoc<'a> {
    address: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    binary_version: Option<&'static str>,
    current_generation: (NodeId, u32),
    location: &'a str,
    log_server_config: StorageConfig,
    metadata_server_config: MetadataServerConfig,
    name: &'a str,
    roles: Vec<&'static str>,
    worker_config: WorkerConfig,
}

#[derive(Serialize)]
struct StorageConfig {
    storage_state: &'static str,
}

#[derive(Serialize)]
struct MetadataServerConfig {
    metadata_server_state: &'static str,
}

#[derive(Serialize)]
struct WorkerConfig {
    worker_state: &'static str,
}

/// `nodes_config` as `metadata get -k nodes_config` prints it; nodes and tombstones in a
/// scrambled order, as Restate's hash map prints them.
pub(crate) fn nodes_config(cluster: &Cluster) -> String {
    let nodes = &cluster.snapshot.nodes;
    let mut entries: Vec<(NodeId, NodeEntry)> = nodes
        .iter()
        .map(|node| (node.id, NodeEntry::Node(node_doc(node, cluster))))
        .chain(
            cluster
                .tombstones
                .iter()
                .map(|&id| (id, NodeEntry::Tombstone)),
        )
        .collect();
    entries.sort_by_key(|(id, _)| scrambled(*id));
    let doc = NodesConfigDoc {
        version: nodes_config_version(entries.len()),
        cluster_fingerprint: cluster.fingerprint,
        cluster_name: cluster.cluster_name,
        features: cluster.version.features(),
        modified_at: cluster
            .version
            .has_modified_at()
            .then_some(NODES_CONFIG_MODIFIED_AT),
        name_lookup: nodes
            .iter()
            .filter(|n| !n.name.is_empty())
            .map(|n| (n.name.as_str(), n.id))
            .collect(),
        nodes: entries,
    };
    pretty(&doc)
}

fn node_doc<'a>(node: &'a Node, cluster: &Cluster) -> NodeDoc<'a> {
    NodeDoc {
        address: &node.address,
        binary_version: cluster.version.binary_version(),
        current_generation: (node.id, node.generation),
        location: &node.location,
        log_server_config: StorageConfig {
            storage_state: storage_state(node),
        },
        metadata_server_config: MetadataServerConfig {
            metadata_server_state: metadata_server_state(node),
        },
        name: &node.name,
        roles: node.roles.names(),
        worker_config: WorkerConfig {
            worker_state: node.worker_state.name(),
        },
    }
}

#[derive(Serialize)]
struct PartitionTableDoc {
    version: u32,
    num_partitions: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    partitions: Option<Vec<(PartitionId, TablePartition)>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    replication: Option<TableReplication>,
}

#[derive(Serialize)]
struct TablePartition {
    cf_name: Option<String>,
    db_name: Option<String>,
    key_range: KeyRange,
    log_id: Option<u32>,
}

#[derive(Serialize)]
struct KeyRange {
    end: u64,
    start: u64,
}

/// `{"limit": 3}`, `{"limit": "{node: 3, zone: 3}"}` or the legacy `"everywhere"`.
#[derive(Serialize)]
#[serde(untagged)]
enum TableReplication {
    Limit { limit: Limit },
    Everywhere(&'static str),
}

#[derive(Serialize)]
#[serde(untagged)]
enum Limit {
    Count(u32),
    Scoped(String),
}

/// `partition_table` as `metadata get -k partition_table` prints it, in `cluster.table`'s shape.
pub(crate) fn partition_table(cluster: &Cluster) -> String {
    let count = cluster.snapshot.partitions.len();
    let partitions = (0..count as PartitionId)
        .map(|id| {
            let (start, end) = key_range(id, count as u32);
            let partition = TablePartition {
                cf_name: None,
                db_name: None,
                key_range: KeyRange { end, start },
                log_id: None,
            };
            (id, partition)
        })
        .collect();
    let replication = &cluster.snapshot.replication;
    let limit = match replication.scope_counts().as_slice() {
        [(Scope::Node, factor)] => Limit::Count(*factor),
        _ => Limit::Scoped(replication_display(replication)),
    };
    let (partitions, replication) = match cluster.table {
        TableShape::Full => (Some(partitions), Some(TableReplication::Limit { limit })),
        TableShape::WithoutReplication => (Some(partitions), None),
        TableShape::VersionAndCountOnly => (None, None),
        TableShape::Everywhere => (
            Some(partitions),
            Some(TableReplication::Everywhere("everywhere")),
        ),
    };
    pretty(&PartitionTableDoc {
        version: PARTITION_TABLE_VERSION,
        num_partitions: count,
        partitions,
        replication,
    })
}

#[derive(Serialize)]
struct EpochDoc<'a> {
    version: u32,
    current: Configuration<'a>,
    epoch: u64,
    leader_metadata: Option<LeaderMetadata>,
    #[serde(skip_serializing_if = "Option::is_none")]
    leadership_policy: Option<LeadershipPolicy<'a>>,
    next: Option<Configuration<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    placement_policy: Option<PlacementPolicy<'a>>,
}

#[derive(Serialize)]
struct Configuration<'a> {
    context: Context,
    modified_at: u64,
    replica_set: Vec<NodeId>,
    replication: &'a str,
    version: u32,
}

/// The configuration's context: `{}` in practice.
#[derive(Serialize)]
struct Context {}

#[derive(Serialize)]
struct LeaderMetadata {
    node_id: (NodeId, u32),
    partition_id: PartitionId,
}

#[derive(Serialize)]
struct LeadershipPolicy<'a> {
    affinity: Affinity<'a>,
}

#[derive(Serialize)]
enum Affinity<'a> {
    Node(NodeId),
    Location(&'a str),
}

#[derive(Serialize)]
struct PlacementPolicy<'a> {
    freeze: Freeze<'a>,
}

#[derive(Serialize)]
struct Freeze<'a> {
    reason: &'a str,
}

/// Every partition's `pp_epoch_<id>` as `metadata get` prints it; an unplaced partition without
/// policies as `cluster.unplaced` says (no entry, `null`, or an unassigned record).
pub(crate) fn epochs(cluster: &Cluster) -> BTreeMap<PartitionId, String> {
    let generations = generations(cluster.snapshot);
    let replication = replication_display(&cluster.snapshot.replication);
    let mut out = BTreeMap::new();
    for partition in &cluster.snapshot.partitions {
        let bare = partition.is_unplaced()
            && partition.freeze.is_none()
            && partition.leader_affinity.is_none();
        let text = match cluster.unplaced {
            UnplacedShape::NoRecord if bare => continue,
            UnplacedShape::Null if bare => "null\n".to_owned(),
            _ => pretty(&epoch_doc(partition, &replication, &generations)),
        };
        out.insert(partition.id, text);
    }
    out
}

fn epoch_doc<'a>(
    partition: &'a Partition,
    replication: &'a str,
    generations: &BTreeMap<NodeId, u32>,
) -> EpochDoc<'a> {
    let history = PartitionHistory::of(partition);
    let configuration = |replica_set, version| Configuration {
        context: Context {},
        modified_at: CONFIGURATION_MODIFIED_AT,
        replica_set,
        replication,
        version,
    };
    let next = next_set(partition).map(|set| configuration(set, history.next_version));
    EpochDoc {
        version: history.record_version,
        current: configuration(partition.replicas.clone(), history.current_version),
        epoch: history.epoch,
        leader_metadata: partition.leader.map(|id| LeaderMetadata {
            node_id: (id, generations.get(&id).copied().unwrap_or(1)),
            partition_id: partition.id,
        }),
        leadership_policy: partition
            .leader_affinity
            .as_ref()
            .map(|a| LeadershipPolicy {
                affinity: match a {
                    LeaderAffinity::Node(id) => Affinity::Node(*id),
                    LeaderAffinity::Location(location) => Affinity::Location(location),
                },
            }),
        next,
        placement_policy: partition.freeze.as_deref().map(|reason| PlacementPolicy {
            freeze: Freeze { reason },
        }),
    }
}

/// `doc` pretty-printed with a final newline, as `metadata get` prints it. The documents here
/// have only string keys, so serialising cannot fail.
fn pretty(doc: &impl Serialize) -> String {
    let mut text = serde_json::to_string_pretty(doc).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};
    use worker_policy_model::{Replication, Snapshot};

    use super::super::key_order::key_orders;
    use super::super::samples::{minimal, node_only, zones};
    use super::super::{metadata_dumps, DumpError, RestateVersion, TableShape, UnplacedShape};
    use super::*;

    fn parse(text: &str) -> Value {
        serde_json::from_str(text).expect("valid JSON")
    }

    /// `version` first in the document, every other key at every depth alphabetical.
    fn assert_restate_key_order(text: &str) {
        for (i, keys) in key_orders(text).into_iter().enumerate() {
            let rest = match (i, keys.first().map(String::as_str)) {
                (0, Some("version")) => &keys[1..],
                (0, _) => panic!("`version` is not first: {keys:?}"),
                _ => &keys[..],
            };
            assert!(rest.windows(2).all(|w| w[0] < w[1]), "{keys:?} in {text}");
        }
    }

    #[test]
    fn every_document_has_version_first_then_keys_in_alphabetical_order() {
        for sample in [zones(), node_only(), minimal()] {
            let dumps = metadata_dumps(&sample.cluster()).unwrap();
            assert_restate_key_order(&dumps.nodes_config);
            assert_restate_key_order(&dumps.partition_table);
            for text in dumps.epochs.values().filter(|t| t.trim() != "null") {
                assert_restate_key_order(text);
            }
        }
    }

    #[test]
    fn nodes_are_pairs_in_a_scrambled_order_with_tombstones_and_generations() {
        let sample = zones();
        let doc = parse(&metadata_dumps(&sample.cluster()).unwrap().nodes_config);
        let nodes = doc["nodes"].as_array().unwrap();
        let ids: Vec<u64> = nodes.iter().map(|pair| pair[0].as_u64().unwrap()).collect();
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        assert_ne!(ids, sorted, "hash-map order, not sorted");
        assert_eq!(sorted, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        assert!(nodes.contains(&json!([4, "Tombstone"])));
        let n1 = nodes.iter().find(|pair| pair[0] == 1).unwrap();
        let n1 = &n1[1]["Node"];
        assert_eq!(n1["current_generation"], json!([1, 3]));
        assert_eq!(
            n1["roles"],
            json!([
                "http-ingress",
                "admin",
                "worker",
                "log-server",
                "metadata-server"
            ])
        );
        assert_eq!(
            n1["metadata_server_config"],
            json!({"metadata_server_state": "member"})
        );
        assert_eq!(n1["binary_version"], "1.7.6");
        assert!(n1.get("ctrl_address").is_none());
        let n6 = &nodes.iter().find(|pair| pair[0] == 6).unwrap()[1]["Node"];
        assert_eq!(n6["worker_config"], json!({"worker_state": "draining"}));
        assert_eq!(doc["name_lookup"]["acme-node-10"], 10);
        assert!(doc["name_lookup"].get("acme-node-4").is_none());
        assert_eq!(doc["name_lookup"].as_object().unwrap().len(), 9);
    }

    #[test]
    fn u64_values_above_2_pow_53_are_written_exactly() {
        let dumps = metadata_dumps(&zones().cluster()).unwrap();
        assert!(dumps
            .nodes_config
            .contains("\"cluster_fingerprint\": 14211087765203344901,"));
        assert!(dumps
            .nodes_config
            .contains("\"modified_at\": 554581781118976004,"));
        assert!(dumps
            .partition_table
            .contains("\"end\": 18446744073709551615,"));
    }

    #[test]
    fn each_version_prints_only_the_keys_it_has() {
        let sample = node_only();
        let nodes_config = |version| {
            let cluster = Cluster {
                version,
                ..sample.cluster()
            };
            parse(&metadata_dumps(&cluster).unwrap().nodes_config)
        };
        let v14 = nodes_config(RestateVersion::V1_4);
        assert!(v14.get("features").is_none() && v14.get("modified_at").is_none());
        assert!(v14["nodes"][0][1]["Node"].get("binary_version").is_none());
        assert!(v14["nodes"][0][1]["Node"].get("worker_config").is_some());
        assert_eq!(nodes_config(RestateVersion::V1_6)["features"], json!([]));
        assert_eq!(
            nodes_config(RestateVersion::V1_7_0)["features"],
            json!(["controlled-idempotent-sharding"])
        );
        let minimal = minimal();
        let doc = parse(&metadata_dumps(&minimal.cluster()).unwrap().nodes_config);
        assert_eq!(doc["cluster_fingerprint"], Value::Null);
    }

    #[test]
    fn the_table_has_equal_ranges_and_the_replication_in_each_form() {
        let table = |replication: &str, shape| {
            let snapshot = Snapshot {
                replication: Replication::parse(replication).unwrap(),
                ..zones().snapshot
            };
            let cluster = Cluster {
                table: shape,
                ..Cluster::new(&snapshot, RestateVersion::V1_7_6)
            };
            parse(&metadata_dumps(&cluster).unwrap().partition_table)
        };
        let full = table("3", TableShape::Full);
        assert_eq!(full["replication"], json!({"limit": 3}));
        assert_eq!(full["num_partitions"], 6);
        assert_eq!(
            full["partitions"][0],
            json!([0, {"cf_name": null, "db_name": null, "key_range": {"end": 3074457345618258602u64, "start": 0}, "log_id": null}])
        );
        let scoped = table("{zone: 3, node: 3}", TableShape::Full);
        assert_eq!(
            scoped["replication"],
            json!({"limit": "{node: 3, zone: 3}"})
        );
        assert!(table("3", TableShape::WithoutReplication)
            .get("replication")
            .is_none());
        let oldest = table("3", TableShape::VersionAndCountOnly);
        assert_eq!(
            oldest.as_object().unwrap().keys().collect::<Vec<_>>(),
            ["num_partitions", "version"]
        );
        assert_eq!(
            table("3", TableShape::Everywhere)["replication"],
            "everywhere"
        );
    }

    #[test]
    fn epoch_records_carry_placement_next_leader_and_policies() {
        let sample = zones();
        let epochs = metadata_dumps(&sample.cluster()).unwrap().epochs;
        let p1 = parse(&epochs[&1]);
        assert_eq!(p1["current"]["replica_set"], json!([2, 6, 9]));
        assert_eq!(p1["current"]["replication"], "{node: 3, zone: 3}");
        assert_eq!(p1["current"]["context"], json!({}));
        assert_eq!(p1["next"]["replica_set"], json!([2, 6, 9, 7]));
        assert_eq!(
            p1["next"]["version"].as_u64(),
            p1["current"]["version"].as_u64().map(|v| v + 1)
        );
        assert_eq!(
            p1["leader_metadata"],
            json!({"node_id": [9, 2], "partition_id": 1})
        );
        assert!(p1.get("leadership_policy").is_none() && p1.get("placement_policy").is_none());
        let p2 = parse(&epochs[&2]);
        assert_eq!(p2["next"], Value::Null);
        assert_eq!(
            p2["placement_policy"],
            json!({"freeze": {"reason": "worker-policy plan 42"}})
        );
        assert_eq!(
            parse(&epochs[&3])["leadership_policy"],
            json!({"affinity": {"Node": 10}})
        );
        assert_eq!(
            parse(&epochs[&4])["leadership_policy"],
            json!({"affinity": {"Location": "eu-central-1.euc1-az-b"}})
        );
        let p5 = parse(&epochs[&5]);
        assert_eq!(p5["current"]["version"], 0);
        assert_eq!(p5["current"]["replica_set"], json!([]));
        assert_eq!(
            (p5["epoch"].as_u64(), &p5["leader_metadata"]),
            (Some(0), &Value::Null)
        );
    }

    #[test]
    fn an_unplaced_partition_has_no_record_a_null_one_or_an_unassigned_one() {
        let sample = node_only();
        let epoch_3 = |unplaced| {
            let cluster = Cluster {
                unplaced,
                ..sample.cluster()
            };
            metadata_dumps(&cluster).unwrap().epochs.get(&3).cloned()
        };
        assert_eq!(epoch_3(UnplacedShape::NoRecord), None);
        assert_eq!(epoch_3(UnplacedShape::Null).as_deref(), Some("null\n"));
        let unassigned = parse(&epoch_3(UnplacedShape::Unassigned).unwrap());
        assert_eq!(unassigned["current"]["version"], 0);
        let mut frozen = sample.snapshot.clone();
        frozen.partitions[3].freeze = Some("hold".into());
        let cluster = Cluster {
            unplaced: UnplacedShape::NoRecord,
            ..Cluster::new(&frozen, RestateVersion::V1_7_6)
        };
        let kept = metadata_dumps(&cluster).unwrap().epochs;
        assert!(
            kept[&3].contains("\"reason\": \"hold\""),
            "a policy keeps the record"
        );
    }

    #[test]
    fn what_restate_cannot_print_is_refused() {
        let sample = zones();
        let refused = |cluster: Cluster| metadata_dumps(&cluster).unwrap_err();
        let version = |version| Cluster {
            version,
            ..sample.cluster()
        };
        assert!(matches!(
            refused(version(RestateVersion::V1_7_0)),
            DumpError::NotInVersion {
                partition: 2,
                what: "a placement freeze",
                ..
            }
        ));
        let mut no_freeze = sample.snapshot.clone();
        no_freeze.partitions[2].freeze = None;
        assert!(matches!(
            refused(Cluster::new(&no_freeze, RestateVersion::V1_6)),
            DumpError::NotInVersion {
                partition: 3,
                what: "a leader affinity",
                ..
            }
        ));
        let mut gap = sample.snapshot.clone();
        gap.partitions.remove(2);
        assert_eq!(
            refused(Cluster::new(&gap, RestateVersion::V1_7_6)),
            DumpError::PartitionIds {
                count: 5,
                missing: Some(2)
            }
        );
        let on_tombstone = Cluster {
            tombstones: &[4],
            ..Cluster::new(&sample.snapshot, RestateVersion::V1_7_6)
        };
        let mut replica_on_4 = sample.snapshot.clone();
        replica_on_4.partitions[0].replicas[1] = 4;
        assert_eq!(
            refused(Cluster {
                snapshot: &replica_on_4,
                ..on_tombstone
            }),
            DumpError::UnknownNode {
                partition: 0,
                node: 4,
                tombstoned: true
            }
        );
        assert_eq!(
            refused(Cluster {
                tombstones: &[5],
                ..on_tombstone
            }),
            DumpError::Tombstone(5)
        );
        let mut deep = sample.snapshot.clone();
        deep.nodes[0].location = "eu.a.rack1".into();
        assert!(matches!(
            refused(Cluster::new(&deep, RestateVersion::V1_7_6)),
            DumpError::Location { node: 1, .. }
        ));
    }

    #[test]
    fn the_same_cluster_dumps_the_same_text() {
        let sample = zones();
        assert_eq!(
            metadata_dumps(&sample.cluster()),
            metadata_dumps(&sample.cluster())
        );
    }
}
