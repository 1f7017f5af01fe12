//! The JSON snapshot format: Restate's names, defaults for what a cluster leaves out, and errors
//! that name the file, the field, what is wrong and how to fix it.
//!
//! ```json
//! { "replication": 3 | "{zone: 3, node: 3}" | {"zone": 3, "node": 3},
//!   "nodes": [ { "id": 1, "name": "n1", "generation": 1, "address": "http://n1:5122/",
//!                "location": "eu.a", "roles": ["worker", "log-server"],
//!                "worker_state": "active", "alive": true, "weight": 1.0 } ],
//!   "partitions": [ { "id": 0, "replicas": [1, 4, 7], "next": null, "leader": 1,
//!                     "freeze": null, "leader_affinity": null } ] }
//! ```
//!
//! `weight` (default 1.0), `freeze` (null or the reason) and `leader_affinity` (null,
//! `{"node": 3}` or `{"location": "eu.a"}`) came with contract 0.2.0; they are written back only
//! when they differ from the default, so a snapshot without them reads and writes as before.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use worker_policy_model::snapshot::parse_node_id;
use worker_policy_model::{
    LeaderAffinity, Node, NodeId, Partition, Replication, Roles, Snapshot, Weight, WorkerState,
};

use crate::error::{excerpt, SnapshotError};

/// The largest snapshot file the host reads.
pub const MAX_FILE_BYTES: u64 = 512 << 20;

/// A snapshot read from a file, with what is needed to write it back in the same form.
#[derive(Debug, Clone)]
pub struct SnapshotFile {
    /// Where it was read from.
    pub path: PathBuf,
    /// The snapshot, nodes and partitions sorted by id.
    pub snapshot: Snapshot,
    /// The replication property as the file wrote it.
    replication_doc: Value,
}

impl SnapshotFile {
    /// Reads and checks a snapshot file.
    pub fn read(path: &Path) -> Result<SnapshotFile, SnapshotError> {
        let whole = |problem: String| SnapshotError {
            file: path.to_path_buf(),
            field: String::new(),
            problem,
        };
        let metadata = std::fs::metadata(path)
            .map_err(|e| whole(format!("cannot be read: {e}; check the path")))?;
        if metadata.is_dir() {
            return Err(whole(
                "is a directory, not a snapshot file (JSON); a directory of Restate dumps becomes \
                 a snapshot with `worker-policy import restate` (`--epochs DIR`), or import the \
                 live cluster with `worker-policy import restate --address URL`"
                    .into(),
            ));
        }
        let size = metadata.len();
        if size > MAX_FILE_BYTES {
            return Err(whole(format!(
                "is {size} bytes, more than the {MAX_FILE_BYTES} bytes a snapshot may have"
            )));
        }
        let text = std::fs::read_to_string(path)
            .map_err(|e| whole(format!("cannot be read as UTF-8 text: {e}")))?;
        SnapshotFile::parse(&text, path)
    }

    /// Parses and checks a snapshot from JSON text; `path` names it in errors.
    pub fn parse(text: &str, path: &Path) -> Result<SnapshotFile, SnapshotError> {
        let error = |field: String, problem: String| SnapshotError {
            file: path.to_path_buf(),
            field,
            problem,
        };
        if text.trim().is_empty() {
            return Err(error(
                String::new(),
                "the file is empty; a snapshot is a JSON object with `replication`, `nodes` and `partitions`".into(),
            ));
        }
        if !text.trim_start().starts_with('{') {
            return Err(error(
                String::new(),
                crate::not_a_snapshot::recognise(text).unwrap_or_else(|| {
                    "expected a JSON object ({ \"replication\": ..., \"nodes\": [...], \"partitions\": [...] }) at the top".into()
                }),
            ));
        }
        let mut json = serde_json::Deserializer::from_str(text);
        let doc: SnapshotDoc = serde_path_to_error::deserialize(&mut json).map_err(|e| {
            if let Some(instead) = crate::not_a_snapshot::recognise(text) {
                return error(String::new(), instead);
            }
            let field = e.path().to_string();
            let inner = e.into_inner();
            let problem = if inner.is_eof() {
                format!("the JSON ends too early ({inner}); the file looks truncated")
            } else {
                bounded_problem(inner.to_string())
            };
            error(if field == "." { String::new() } else { field }, problem)
        })?;
        let replication = parse_replication(&doc.replication)
            .map_err(|p| error("replication".into(), bounded_problem(p)))?;
        let replication_doc = doc.replication.clone();
        let snapshot = doc
            .into_snapshot(replication)
            .map_err(|(f, p)| error(f, p))?;
        snapshot
            .check_consistency()
            .map_err(|e| error(e.field, e.problem.to_string()))?;
        let snapshot = snapshot.canonical();
        Ok(SnapshotFile {
            path: path.to_path_buf(),
            snapshot,
            replication_doc,
        })
    }

    /// `snapshot` as JSON in this file's form (its replication property written as the file
    /// wrote it), pretty-printed, ending with a newline.
    pub fn to_json(&self, snapshot: &Snapshot) -> String {
        let doc = SnapshotDoc::from_snapshot(snapshot, self.replication_doc.clone());
        let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
        text.push('\n');
        text
    }
}

/// A snapshot as JSON in the documented form, with the replication property in its short form.
pub fn snapshot_to_json(snapshot: &Snapshot) -> String {
    let replication = match snapshot.replication.scope_counts().as_slice() {
        [(worker_policy_model::Scope::Node, factor)] => Value::from(*factor),
        _ => Value::from(snapshot.replication.to_string()),
    };
    let mut text = serde_json::to_string_pretty(&SnapshotDoc::from_snapshot(snapshot, replication))
        .unwrap_or_default();
    text.push('\n');
    text
}

fn parse_replication(value: &Value) -> Result<Replication, String> {
    let parsed = match value {
        Value::Number(n) => {
            let factor = n
                .as_u64()
                .and_then(|f| u32::try_from(f).ok())
                .ok_or_else(|| format!("`{n}` is not a replica count; write a whole number such as 3"))?;
            Replication::nodes(factor)
        }
        Value::String(text) => Replication::parse(text),
        Value::Object(map) => {
            let text = map
                .iter()
                .map(|(k, v)| format!("{k}: {v}"))
                .collect::<Vec<_>>()
                .join(", ");
            Replication::parse(&format!("{{{text}}}"))
        }
        other => {
            return Err(format!(
                "`{}` is not a replication property; write a replica count such as 3, or \"{{zone: 3, node: 3}}\"",
                excerpt(&other.to_string())
            ))
        }
    };
    parsed.map_err(|e| e.to_string())
}

/// A snapshot file's top level. `nodes` and `partitions` are required (an empty list is fine):
/// read as empty when left out, a cluster would look as if nothing held or led its nodes.
#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct SnapshotDoc {
    replication: Value,
    #[serde(default)]
    nodes: Option<Vec<NodeDoc>>,
    #[serde(default)]
    partitions: Option<Vec<PartitionDoc>>,
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct NodeDoc {
    id: NodeIdDoc,
    #[serde(default = "first_generation")]
    generation: u32,
    #[serde(default)]
    name: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    location: String,
    #[serde(default = "worker_only")]
    roles: Vec<RoleDoc>,
    #[serde(default = "provisioning")]
    worker_state: StateDoc,
    #[serde(default = "alive")]
    alive: bool,
    #[serde(default, skip_serializing_if = "WeightDoc::is_standard")]
    weight: WeightDoc,
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct PartitionDoc {
    id: u32,
    #[serde(default)]
    replicas: Vec<NodeIdDoc>,
    #[serde(default)]
    next: Option<Vec<NodeIdDoc>>,
    #[serde(default)]
    leader: Option<NodeIdDoc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    freeze: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    leader_affinity: Option<AffinityDoc>,
}

/// A leader affinity: `{"node": 3}` or `{"location": "eu.a"}` (Restate's capitalised
/// `{"Node": 3}` and `{"Location": "eu.a"}` read too).
#[derive(Deserialize, Serialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
enum AffinityDoc {
    #[serde(alias = "Node")]
    Node(NodeIdDoc),
    #[serde(alias = "Location")]
    Location(String),
}

/// A node's weight: a number from [`Weight::MIN`] to [`Weight::MAX`].
#[derive(Clone, Copy, Default)]
struct WeightDoc(Weight);

impl WeightDoc {
    fn is_standard(&self) -> bool {
        self.0.is_standard()
    }
}

impl Serialize for WeightDoc {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(self.0.value())
    }
}

impl<'de> Deserialize<'de> for WeightDoc {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<WeightDoc, D::Error> {
        let value = f64::deserialize(d)?;
        Weight::new(value).map(WeightDoc).ok_or_else(|| {
            de::Error::custom(format!(
                "{value} is not a weight; write a number from {} to {} (1.0 is a standard node, 2.0 one twice its size); to empty a node, drain it instead",
                Weight::MIN,
                Weight::MAX
            ))
        })
    }
}

#[derive(Deserialize, Serialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
enum RoleDoc {
    HttpIngress,
    Admin,
    Worker,
    LogServer,
    MetadataServer,
}

#[derive(Deserialize, Serialize, Clone, Copy)]
#[serde(rename_all = "kebab-case")]
enum StateDoc {
    Provisioning,
    Active,
    Draining,
    Disabled,
}

fn first_generation() -> u32 {
    1
}
fn worker_only() -> Vec<RoleDoc> {
    vec![RoleDoc::Worker]
}
fn provisioning() -> StateDoc {
    StateDoc::Provisioning
}
fn alive() -> bool {
    true
}

impl RoleDoc {
    const ALL: [RoleDoc; 5] = [
        RoleDoc::HttpIngress,
        RoleDoc::Admin,
        RoleDoc::Worker,
        RoleDoc::LogServer,
        RoleDoc::MetadataServer,
    ];

    fn role(self) -> Roles {
        Roles::NAMED[self as usize].0
    }
}

impl From<StateDoc> for WorkerState {
    fn from(s: StateDoc) -> WorkerState {
        WorkerState::ALL[s as usize]
    }
}

impl From<WorkerState> for StateDoc {
    fn from(s: WorkerState) -> StateDoc {
        [
            StateDoc::Provisioning,
            StateDoc::Active,
            StateDoc::Draining,
            StateDoc::Disabled,
        ][s as usize]
    }
}

/// A node id written as a number (`3`) or as Restate prints it (`"N3"`).
#[derive(Clone, Copy, PartialEq, Eq)]
struct NodeIdDoc(NodeId);

impl Serialize for NodeIdDoc {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u32(self.0)
    }
}

impl<'de> Deserialize<'de> for NodeIdDoc {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<NodeIdDoc, D::Error> {
        struct IdVisitor;
        impl Visitor<'_> for IdVisitor {
            type Value = NodeIdDoc;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a node id such as 3 or \"N3\"")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<NodeIdDoc, E> {
                u32::try_from(v)
                    .map(NodeIdDoc)
                    .map_err(|_| E::custom(format!("node id {v} is larger than {}", u32::MAX)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<NodeIdDoc, E> {
                u64::try_from(v)
                    .map_err(|_| E::custom(format!("node id {v} is negative")))
                    .and_then(|v| self.visit_u64(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<NodeIdDoc, E> {
                parse_node_id(v).map(NodeIdDoc).ok_or_else(|| {
                    E::custom(format!(
                        "`{}` is not a node id; write 3 or \"N3\"",
                        excerpt(v)
                    ))
                })
            }
        }
        d.deserialize_any(IdVisitor)
    }
}

impl SnapshotDoc {
    /// The snapshot the document describes, in the file's order and not yet checked for
    /// consistency; an error names a required list that is missing.
    fn into_snapshot(self, replication: Replication) -> Result<Snapshot, (String, String)> {
        let nodes = self.nodes.ok_or_else(|| missing("nodes", NODES_EXAMPLE))?;
        let partitions = self
            .partitions
            .ok_or_else(|| missing("partitions", PARTITIONS_EXAMPLE))?;
        Ok(Snapshot {
            replication,
            nodes: nodes.into_iter().map(NodeDoc::into_node).collect(),
            partitions: partitions
                .into_iter()
                .map(PartitionDoc::into_partition)
                .collect(),
        })
    }

    fn from_snapshot(snapshot: &Snapshot, replication: Value) -> SnapshotDoc {
        SnapshotDoc {
            replication,
            nodes: Some(snapshot.nodes.iter().map(NodeDoc::from_node).collect()),
            partitions: Some(
                snapshot
                    .partitions
                    .iter()
                    .map(PartitionDoc::from_partition)
                    .collect(),
            ),
        }
    }
}

/// An example of the `nodes` list, for the message when it is missing.
const NODES_EXAMPLE: &str =
    r#""nodes": [{"id": 1, "location": "eu.a", "worker_state": "active"}, ...]"#;
/// The longest problem said whole: the parser's messages and the replication property's quote
/// values from the file, so a longer one is quoted as an excerpt.
const LONGEST_WHOLE_PROBLEM: usize = 1024;

/// `problem`, or an excerpt of it when it is longer than [`LONGEST_WHOLE_PROBLEM`].
fn bounded_problem(problem: String) -> String {
    if problem.len() > LONGEST_WHOLE_PROBLEM {
        excerpt(&problem)
    } else {
        problem
    }
}

/// An example of the `partitions` list, for the message when it is missing.
const PARTITIONS_EXAMPLE: &str = r#""partitions": [{"id": 0, "replicas": [1, 2, 3]}, ...]"#;

/// The error for a required top-level list that the file leaves out.
fn missing(field: &str, example: &str) -> (String, String) {
    (
        field.into(),
        format!(
            "missing; a snapshot without it would read as a cluster with no {field}. List them as {example}, or write \"{field}\": [] if there are none"
        ),
    )
}

impl NodeDoc {
    fn into_node(self) -> Node {
        Node {
            id: self.id.0,
            generation: self.generation,
            name: self.name,
            address: self.address,
            location: self.location,
            roles: self
                .roles
                .iter()
                .fold(Roles::empty(), |acc, r| acc.union(r.role())),
            worker_state: self.worker_state.into(),
            alive: self.alive,
            weight: self.weight.0,
        }
    }

    fn from_node(n: &Node) -> NodeDoc {
        NodeDoc {
            id: NodeIdDoc(n.id),
            generation: n.generation,
            name: n.name.clone(),
            address: n.address.clone(),
            location: n.location.clone(),
            roles: RoleDoc::ALL
                .into_iter()
                .filter(|r| n.roles.contains(r.role()))
                .collect(),
            worker_state: n.worker_state.into(),
            alive: n.alive,
            weight: WeightDoc(n.weight),
        }
    }
}

impl PartitionDoc {
    fn into_partition(self) -> Partition {
        let ids = |set: Vec<NodeIdDoc>| set.into_iter().map(|id| id.0).collect();
        Partition {
            id: self.id,
            replicas: ids(self.replicas),
            next: self.next.map(ids),
            leader: self.leader.map(|l| l.0),
            freeze: self.freeze,
            leader_affinity: self.leader_affinity.map(|a| match a {
                AffinityDoc::Node(id) => LeaderAffinity::Node(id.0),
                AffinityDoc::Location(location) => LeaderAffinity::Location(location),
            }),
        }
    }

    fn from_partition(p: &Partition) -> PartitionDoc {
        let ids = |set: &[NodeId]| set.iter().copied().map(NodeIdDoc).collect::<Vec<_>>();
        PartitionDoc {
            id: p.id,
            replicas: ids(&p.replicas),
            next: p.next.as_deref().map(ids),
            leader: p.leader.map(NodeIdDoc),
            freeze: p.freeze.clone(),
            leader_affinity: p.leader_affinity.as_ref().map(|a| match a {
                LeaderAffinity::Node(id) => AffinityDoc::Node(NodeIdDoc(*id)),
                LeaderAffinity::Location(location) => AffinityDoc::Location(location.clone()),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Snapshot, SnapshotError> {
        SnapshotFile::parse(text, Path::new("cluster.json")).map(|f| f.snapshot)
    }

    fn field_of(text: &str) -> (String, String) {
        let e = parse(text).expect_err("the snapshot must be refused");
        assert_eq!(e.file, Path::new("cluster.json"));
        (e.field, e.problem)
    }

    #[test]
    fn values_from_the_file_are_quoted_as_excerpts() {
        let huge = "x".repeat(10 << 20);
        for text in [
            format!(r#"{{"replication": 1, "nodes": [{{"id": "{huge}"}}], "partitions": []}}"#),
            format!(
                r#"{{"replication": 1, "nodes": [{{"id": 1, "worker_state": "{huge}"}}], "partitions": []}}"#
            ),
            format!(r#"{{"replication": "{{{huge}: 3}}", "nodes": [], "partitions": []}}"#),
            format!(r#"{{"replication": ["{huge}"], "nodes": [], "partitions": []}}"#),
        ] {
            let error = SnapshotFile::parse(&text, Path::new("big.json")).expect_err("refused");
            assert!(
                error.to_string().len() < 1024,
                "{} bytes",
                error.to_string().len()
            );
        }
    }

    #[test]
    fn fills_in_the_documented_defaults() {
        let s = parse(r#"{"replication": 1, "nodes": [{"id": "N2"}], "partitions": [{"id": 0}]}"#)
            .unwrap();
        let n = &s.nodes[0];
        assert_eq!((n.id, n.generation, n.location.as_str()), (2, 1, ""));
        assert_eq!(n.roles, Roles::WORKER);
        assert_eq!(n.worker_state, WorkerState::Provisioning);
        assert!(n.alive);
        assert_eq!(n.weight, Weight::STANDARD);
        let p = &s.partitions[0];
        assert!(p.is_unplaced() && p.leader.is_none());
        assert_eq!((&p.freeze, &p.leader_affinity), (&None, &None));
    }

    #[test]
    fn reads_weights_freezes_and_leader_affinities() {
        let s = parse(
            r#"{"replication": 1, "nodes": [{"id": 1, "weight": 2.5, "location": "eu.a"}, {"id": 2, "weight": 1}],
                "partitions": [{"id": 0, "replicas": [1], "freeze": "maintenance", "leader_affinity": {"node": "N2"}},
                               {"id": 1, "leader_affinity": {"location": "eu.a"}},
                               {"id": 2, "leader_affinity": {"Location": "eu"}, "freeze": ""}]}"#,
        )
        .unwrap();
        assert_eq!(s.nodes[0].weight.value(), 2.5);
        assert!(s.nodes[1].weight.is_standard());
        assert_eq!(s.partitions[0].freeze.as_deref(), Some("maintenance"));
        assert_eq!(
            s.partitions[0].leader_affinity,
            Some(LeaderAffinity::Node(2))
        );
        assert_eq!(
            s.partitions[1].leader_affinity,
            Some(LeaderAffinity::Location("eu.a".into()))
        );
        assert_eq!(s.partitions[2].freeze.as_deref(), Some(""));
    }

    #[test]
    fn refuses_a_weight_out_of_range_and_a_malformed_affinity() {
        let with_node = |node: &str| {
            field_of(&format!(
                r#"{{"replication": 1, "nodes": [{node}], "partitions": []}}"#
            ))
        };
        for weight in ["0", "-1", "1001", "\"heavy\""] {
            let (field, problem) = with_node(&format!(r#"{{"id": 1, "weight": {weight}}}"#));
            assert_eq!(field, "nodes[0].weight", "{weight}");
            assert!(
                problem.contains("from 0.001 to 1000") || problem.contains("invalid type"),
                "{weight}: {problem}"
            );
        }
        let with_affinity = |affinity: &str| {
            field_of(&format!(
                r#"{{"replication": 1, "nodes": [{{"id": 1}}], "partitions": [{{"id": 0, "leader_affinity": {affinity}}}]}}"#
            ))
        };
        let (field, problem) = with_affinity(r#"{"zone": "eu.a"}"#);
        assert_eq!(field, "partitions[0].leader_affinity");
        assert!(
            problem.contains("node") && problem.contains("location"),
            "{problem}"
        );
        let (field, problem) = with_affinity(r#"{"node": 7}"#);
        assert_eq!(field, "partitions[0].leader_affinity");
        assert!(problem.starts_with("N7 is not in `nodes`"), "{problem}");
    }

    #[test]
    fn reads_every_form_of_the_replication_property() {
        for (text, factor) in [
            ("3", 3),
            ("\"{zone: 3, node: 3}\"", 3),
            ("{\"zone\": 2}", 2),
        ] {
            let s = parse(&format!(
                r#"{{"replication": {text}, "nodes": [], "partitions": []}}"#
            ))
            .unwrap();
            assert_eq!(s.replication.factor(), factor, "{text}");
        }
    }

    #[test]
    fn names_the_field_of_each_inconsistency() {
        let cases = [
            (
                r#"{"replication": 3, "nodes": [{"id": 1}, {"id": 1}], "partitions": []}"#,
                "nodes[1].id",
                "unique",
            ),
            (
                r#"{"replication": 3, "nodes": [{"id": 1}], "partitions": [{"id": 0, "replicas": [1, 9]}]}"#,
                "partitions[0].replicas[1]",
                "N9 is not in `nodes`",
            ),
            (
                r#"{"replication": 3, "nodes": [{"id": 1}], "partitions": [{"id": 0, "replicas": [1, 1]}]}"#,
                "partitions[0].replicas[1]",
                "twice",
            ),
            (
                r#"{"replication": 3, "nodes": [{"id": 1}, {"id": 2}], "partitions": [{"id": 0, "replicas": [1], "leader": 2}]}"#,
                "partitions[0].leader",
                "not one of the partition's replicas",
            ),
            (
                r#"{"replication": 3, "nodes": [], "partitions": [{"id": 4}, {"id": 4}]}"#,
                "partitions[1].id",
                "unique",
            ),
            (
                r#"{"replication": 3, "nodes": [{"id": 1, "worker_state": "drainin"}]}"#,
                "nodes[0].worker_state",
                "expected one of",
            ),
            (
                r#"{"replication": 3, "nodes": [{"id": 1, "roles": ["wrker"]}]}"#,
                "nodes[0].roles[0]",
                "expected one of",
            ),
            (
                r#"{"replication": 3, "nodes": [{"id": 1, "workr_state": "active"}]}"#,
                "nodes[0].workr_state",
                "unknown field",
            ),
            (
                r#"{"replication": "{zone: 3, node: 2}"}"#,
                "replication",
                "narrower scope",
            ),
            (
                r#"{"replication": true}"#,
                "replication",
                "not a replication property",
            ),
            (
                r#"{"replication": 3, "nodes": [{"id": "X1"}]}"#,
                "nodes[0].id",
                "not a node id",
            ),
            (
                r#"{"replication": 3, "nodes": [{"id": -1}]}"#,
                "nodes[0].id",
                "negative",
            ),
            (
                r#"{"replication": 3, "nodes": {"id": 1}}"#,
                "nodes",
                "expected a sequence",
            ),
        ];
        for (text, field, words) in cases {
            let (got_field, problem) = field_of(text);
            assert_eq!(got_field, field, "{text}: {problem}");
            assert!(
                problem.contains(words),
                "{text}: `{problem}` lacks `{words}`"
            );
        }
    }

    #[test]
    fn explains_empty_truncated_and_non_json_files() {
        assert!(field_of("").1.contains("empty"));
        assert!(field_of("  \n").1.contains("empty"));
        assert!(field_of(r#"{"replication": 3, "nodes": [{"id": 1"#)
            .1
            .contains("truncated"));
        assert!(field_of("replication: 3").1.contains("looks like YAML"));
        assert!(field_of("<cluster/>").1.contains("expected a JSON object"));
        assert!(field_of("[1, 2]").1.contains("expected a JSON object"));
        assert!(field_of(r#"{"nodes": []}"#)
            .1
            .contains("missing field `replication`"));
    }

    #[test]
    fn nodes_and_partitions_must_be_given_even_when_empty() {
        let (field, problem) = field_of(r#"{"replication": 1, "partitions": []}"#);
        assert_eq!(field, "nodes");
        assert!(
            problem.starts_with(
                "missing; a snapshot without it would read as a cluster with no nodes"
            ) && problem.ends_with(r#"or write "nodes": [] if there are none"#),
            "{problem}"
        );
        let (field, problem) = field_of(r#"{"replication": 1, "nodes": [{"id": 1}]}"#);
        assert_eq!(field, "partitions");
        assert!(problem.contains(r#""partitions": [{"id": 0"#), "{problem}");
        let empty = parse(r#"{"replication": 1, "nodes": [], "partitions": []}"#).unwrap();
        assert!(empty.nodes.is_empty() && empty.partitions.is_empty());
    }

    #[test]
    fn next_sets_are_read_in_their_canonical_form() {
        let s = parse(
            r#"{"replication": 1, "nodes": [{"id": 1}, {"id": 2}, {"id": 3}],
                "partitions": [{"id": 0, "replicas": [2], "next": [3, 2, 1]}, {"id": 1, "next": []}]}"#,
        )
        .unwrap();
        assert_eq!(s.partitions[0].next, Some(vec![1, 3]));
        assert_eq!(s.partitions[1].next, None);
    }

    #[test]
    fn writes_back_what_it_read() {
        let text = r#"{"replication": "{zone: 3}", "nodes": [{"id": 2, "location": "a.b", "worker_state": "active"}, {"id": 1}],
                       "partitions": [{"id": 0, "replicas": [2], "next": [1], "leader": 2}]}"#;
        let file = SnapshotFile::parse(text, Path::new("c.json")).unwrap();
        let again =
            SnapshotFile::parse(&file.to_json(&file.snapshot), Path::new("c.json")).unwrap();
        assert_eq!(again.snapshot, file.snapshot);
        assert!(file
            .to_json(&file.snapshot)
            .contains("\"replication\": \"{zone: 3}\""));
        assert_eq!(file.snapshot.nodes[0].id, 1, "nodes are sorted by id");
        let json = file.to_json(&file.snapshot);
        for default in ["weight", "freeze", "leader_affinity"] {
            assert!(
                !json.contains(default),
                "{default} is left out when it is the default"
            );
        }
        let mut changed = file.snapshot.clone();
        changed.nodes[0].weight = Weight::new(0.5).unwrap();
        changed.partitions[0].freeze = Some("hold".into());
        changed.partitions[0].leader_affinity = Some(LeaderAffinity::Location("a".into()));
        let again = SnapshotFile::parse(&file.to_json(&changed), Path::new("c.json")).unwrap();
        assert_eq!(again.snapshot, changed);
    }
}
