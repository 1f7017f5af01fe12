//! `restatectl metadata get -k pp_epoch_<id>`, one file per partition: its placement (`current`,
//! `next`), the last leader (a hint), and its placement freeze and leader affinity.
//!
//! The partition id is in the file's name only (`pp_epoch_11.json`), so files are found by that
//! name, in directories or named one by one. A file holding `null` (the key does not exist), a
//! record with `current.version == 0` (not assigned yet) and a partition with no file at all are
//! unplaced partitions.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;
use worker_policy_model::{LeaderAffinity, NodeId, Partition, PartitionId};

use super::cluster::Source;
use super::document::{self, DumpKind};
use super::error::ImportError;
use super::values;

#[derive(Deserialize)]
struct EpochDoc {
    #[serde(default)]
    current: Option<ConfigDoc>,
    #[serde(default)]
    next: Option<ConfigDoc>,
    #[serde(default)]
    leader_metadata: Option<LeaderMetadataDoc>,
    #[serde(default)]
    leadership_policy: Option<LeadershipPolicyDoc>,
    #[serde(default)]
    placement_policy: Option<PlacementPolicyDoc>,
}

#[derive(Deserialize)]
struct ConfigDoc {
    replica_set: Vec<NodeId>,
    version: u32,
    #[serde(default)]
    replication: Option<Value>,
}

#[derive(Deserialize)]
struct LeaderMetadataDoc {
    node_id: (NodeId, u32),
    #[serde(default)]
    partition_id: Option<u32>,
}

#[derive(Deserialize)]
struct LeadershipPolicyDoc {
    #[serde(default)]
    freeze: Option<FreezeDoc>,
    #[serde(default)]
    affinity: Option<AffinityDoc>,
}

#[derive(Deserialize)]
struct PlacementPolicyDoc {
    #[serde(default)]
    freeze: Option<FreezeDoc>,
}

#[derive(Deserialize)]
struct FreezeDoc {
    reason: String,
}

#[derive(Deserialize)]
enum AffinityDoc {
    Node(NodeId),
    Location(String),
}

/// One partition's epoch record, read.
pub struct Epoch {
    /// The partition as the record places it.
    pub partition: Partition,
    /// Where it came from.
    pub source: Source,
    /// Whether the record had no `current` at all (Restate before 1.3.3).
    pub without_current: bool,
    /// Whether its leader election is frozen (`leadership_policy.freeze`).
    pub election_frozen: bool,
}

/// The epoch files named by `paths` (files, or directories searched for `pp_epoch_<id>` files),
/// by partition id.
pub fn files(paths: &[PathBuf]) -> Result<BTreeMap<PartitionId, PathBuf>, ImportError> {
    let mut found: BTreeMap<PartitionId, PathBuf> = BTreeMap::new();
    for path in paths {
        let listed = if path.is_dir() {
            directory(path)?
        } else {
            let id = partition_of(path).ok_or_else(|| {
                ImportError::whole(
                    path,
                    "cannot tell which partition this is: the id is only in the key, so name the file after it (`pp_epoch_<id>` or `pp_epoch_<id>.json`, e.g. `restatectl metadata get -k pp_epoch_3 > pp_epoch_3.json`)",
                )
            })?;
            vec![(id, path.clone())]
        };
        for (id, file) in listed {
            if let Some(first) = found.insert(id, file.clone()) {
                return Err(ImportError::whole(
                    &file,
                    format!(
                        "is the record of partition {id}, and so is {}; pass each pp_epoch_<id> once",
                        first.display()
                    ),
                ));
            }
        }
    }
    Ok(found)
}

/// The `pp_epoch_<id>` files directly in `dir`.
fn directory(dir: &Path) -> Result<Vec<(PartitionId, PathBuf)>, ImportError> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| ImportError::whole(dir, format!("cannot be listed: {e}")))?;
    let mut found = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|e| ImportError::whole(dir, format!("cannot be listed: {e}")))?
            .path();
        if let Some(id) = partition_of(&path) {
            found.push((id, path));
        }
    }
    if found.is_empty() {
        return Err(ImportError::whole(
            dir,
            "holds no pp_epoch_<id> file; dump one per partition id of the partition table (`restatectl metadata get -k pp_epoch_<id> > pp_epoch_<id>.json`)",
        ));
    }
    Ok(found)
}

/// The partition id in a file name `pp_epoch_<id>`, bare or with one extension (`.json`); a
/// name with more (`pp_epoch_3.json.bak`) is not an epoch record.
fn partition_of(path: &Path) -> Option<PartitionId> {
    let name = path.file_name()?.to_str()?;
    let digits = name.strip_prefix("pp_epoch_")?;
    let digits = match digits.split_once('.') {
        Some((_, extension)) if extension.contains('.') => return None,
        Some((digits, _)) => digits,
        None => digits,
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse::<PartitionId>().ok()
}

/// Reads the epoch record of partition `id` from `path`.
pub fn read(id: PartitionId, path: &Path) -> Result<Epoch, ImportError> {
    let text = document::read_text(path)?;
    let source = Source {
        file: path.to_path_buf(),
        field: String::new(),
        set_fields: ["current.replica_set", "next.replica_set"],
    };
    let unplaced = |without_current| Epoch {
        partition: Partition {
            id,
            ..Partition::default()
        },
        source: source.clone(),
        without_current,
        election_frozen: false,
    };
    if text.trim() == "null" {
        return Ok(unplaced(false));
    }
    let doc: EpochDoc = document::parse(&text, path, DumpKind::Epoch)?;
    if let Some(leader) = &doc.leader_metadata {
        if leader.partition_id.is_some_and(|p| p != id) {
            return Err(ImportError::new(
                path,
                "leader_metadata.partition_id",
                format!(
                    "is {} but the file is named for partition {id}: it was dumped from another key; dump `pp_epoch_{id}` into it again",
                    leader.partition_id.unwrap_or_default()
                ),
            ));
        }
    }
    if doc.current.is_none() {
        if doc.leader_metadata.is_none() {
            // Not an epoch record at all when it is recognisably another dump.
            if let Some(wrong) = document::wrong_kind(&text, path, DumpKind::Epoch) {
                return Err(wrong);
            }
        }
        return Ok(unplaced(true));
    }
    doc.into_epoch(id, source)
}

impl EpochDoc {
    fn into_epoch(self, id: PartitionId, source: Source) -> Result<Epoch, ImportError> {
        for (field, config) in [("current", &self.current), ("next", &self.next)] {
            if let Some(replication) = config.as_ref().and_then(|c| c.replication.as_ref()) {
                values::replication(replication)
                    .map_err(|p| source.error(&format!("{field}.replication"), p))?;
            }
        }
        let current = self.current.filter(|c| c.version != 0);
        let affinity = match self
            .leadership_policy
            .as_ref()
            .and_then(|p| p.affinity.as_ref())
        {
            None => None,
            Some(AffinityDoc::Node(node)) => Some(LeaderAffinity::Node(*node)),
            Some(AffinityDoc::Location(location)) => {
                let location = values::location(location)
                    .map_err(|p| source.error("leadership_policy.affinity.Location", p))?;
                (!location.is_empty()).then_some(LeaderAffinity::Location(location))
            }
        };
        let replicas = current.map(|c| c.replica_set).unwrap_or_default();
        let partition = Partition {
            id,
            leader: self
                .leader_metadata
                .map(|l| l.node_id.0)
                .filter(|_| !replicas.is_empty()),
            replicas,
            next: self.next.map(|n| n.replica_set),
            freeze: self
                .placement_policy
                .and_then(|p| p.freeze)
                .map(|f| f.reason),
            leader_affinity: affinity,
        };
        Ok(Epoch {
            partition,
            source,
            without_current: false,
            election_frozen: self.leadership_policy.is_some_and(|p| p.freeze.is_some()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_partition_id_comes_from_the_file_name() {
        assert_eq!(partition_of(Path::new("d/pp_epoch_11.json")), Some(11));
        assert_eq!(partition_of(Path::new("pp_epoch_0")), Some(0));
        assert_eq!(partition_of(Path::new("pp_epoch_x.json")), None);
        assert_eq!(partition_of(Path::new("epoch_1.json")), None);
        assert_eq!(partition_of(Path::new("pp_epoch_3.json.bak")), None);
        assert_eq!(partition_of(Path::new("pp_epoch_70000.json")), Some(70000));
        assert_eq!(partition_of(Path::new("pp_epoch_99999999999.json")), None);
    }
}
