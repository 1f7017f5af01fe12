//! `restatectl metadata get -k nodes_config`: every node's configuration, and tombstones.
//!
//! The nodes are `[id, {"Node": {...}}]` or `[id, "Tombstone"]` pairs in any order; unknown keys
//! are ignored (Restate adds them between versions); the sub-objects of the role states may be
//! missing (Restate's defaults). Liveness is not here.

use std::path::Path;

use serde::Deserialize;
use worker_policy_model::{Node, NodeId, Roles, Weight, WorkerState};

use super::cluster::{Cluster, Source};
use super::document::{self, DumpKind};
use super::error::ImportError;
use super::values;
use crate::ids::plain_label;

#[derive(Deserialize)]
struct NodesConfigDoc {
    version: Option<u32>,
    nodes: Vec<(u32, NodeEntry)>,
}

#[derive(Deserialize)]
enum NodeEntry {
    Tombstone,
    Node(NodeDoc),
}

#[derive(Deserialize)]
struct NodeDoc {
    name: String,
    current_generation: (u32, u32),
    #[serde(default)]
    address: Option<String>,
    #[serde(default)]
    location: Option<String>,
    roles: Vec<String>,
    #[serde(default)]
    worker_config: Option<WorkerConfigDoc>,
}

#[derive(Deserialize)]
struct WorkerConfigDoc {
    #[serde(default)]
    worker_state: Option<String>,
}

/// What a nodes_config dump holds, beside the nodes it adds to a cluster.
pub struct NodesConfig {
    /// The record's version (SQL's `nodes_configuration_version` should match it).
    pub version: Option<u32>,
}

/// Reads the nodes_config dump at `path` into `cluster`: its nodes (alive until liveness says
/// otherwise) and tombstones.
pub fn read(path: &Path, cluster: &mut Cluster) -> Result<NodesConfig, ImportError> {
    let doc: NodesConfigDoc = document::read_record(path, DumpKind::NodesConfig)?;
    for (index, (id, entry)) in doc.nodes.into_iter().enumerate() {
        let source = Source {
            file: path.to_path_buf(),
            field: format!("nodes[{index}]"),
            set_fields: ["", ""],
        };
        if id == 0 {
            return Err(source.error("", "node id 0 is not a node id (ids start at 1)"));
        }
        match entry {
            NodeEntry::Tombstone => {
                if !cluster.tombstones.insert(id) {
                    return Err(source.error("", format!("{} is listed twice", plain_label(id))));
                }
            }
            NodeEntry::Node(node) => {
                let node = node.into_node(id, &source)?;
                cluster.add_node(node, source)?;
            }
        }
    }
    if let Some(&id) = cluster
        .tombstones
        .iter()
        .find(|id| cluster.nodes.contains_key(id))
    {
        return Err(ImportError::new(
            path,
            "nodes",
            format!(
                "{} is both a node and a tombstone; dump nodes_config again",
                plain_label(id)
            ),
        ));
    }
    Ok(NodesConfig {
        version: doc.version,
    })
}

impl NodeDoc {
    fn into_node(self, id: NodeId, source: &Source) -> Result<Node, ImportError> {
        let in_node = |field: &str| format!("[1].Node.{field}");
        let (generation_id, generation) = self.current_generation;
        if generation_id != id {
            return Err(source.error(
                &in_node("current_generation"),
                format!(
                    "is [{generation_id}, {generation}] but the entry is keyed {}; the dump is corrupt: dump nodes_config again",
                    plain_label(id)
                ),
            ));
        }
        let location = values::location(self.location.as_deref().unwrap_or(""))
            .map_err(|p| source.error(&in_node("location"), p))?;
        let mut roles = Roles::empty();
        for (i, name) in self.roles.iter().enumerate() {
            let role = values::role(name)
                .map_err(|p| source.error(&in_node(&format!("roles[{i}]")), p))?;
            roles = roles.union(role);
        }
        let worker_state = match self.worker_config.and_then(|c| c.worker_state) {
            Some(name) => values::worker_state(&name)
                .map_err(|p| source.error(&in_node("worker_config.worker_state"), p))?,
            None => WorkerState::Provisioning,
        };
        Ok(Node {
            id,
            generation,
            name: self.name,
            address: self.address.unwrap_or_default(),
            location,
            roles,
            worker_state,
            alive: true,
            weight: Weight::STANDARD,
        })
    }
}
