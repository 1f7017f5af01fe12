//! The live cluster `apply` acts on: commands issued and the cluster read back (SQL for sets,
//! leaders, replay status and worker states; a partition's epoch record for its freeze). [`Cluster`] is
//! what the executor needs; [`RestatectlCluster`] is a real cluster through `restatectl` (every
//! command bounded by its timeout, output in a private scratch directory).

use serde_json::{Map, Value};
use worker_policy_model::PartitionId;

use crate::import::live::{Restatectl, Scratch};

use super::error::ApplyError;
use super::observed::{Observed, NODES_QUERY, PARTITIONS_QUERY, PROCESSORS_QUERY};

/// A live cluster: commands in, observations out.
pub trait Cluster {
    /// Runs `restatectl ARGS` (the arguments of [`crate::script::Command::restatectl_args`]).
    fn issue(&mut self, args: &[String]) -> Result<(), ApplyError>;
    /// Reads the cluster now.
    fn observe(&mut self) -> Result<Observed, ApplyError>;
    /// The reason of partition `id`'s placement freeze, if it has one (only the epoch record
    /// shows it, not SQL).
    fn freeze(&mut self, id: PartitionId) -> Result<Option<String>, ApplyError>;
}

/// A real cluster, through `restatectl`.
#[derive(Debug)]
pub struct RestatectlCluster {
    ctl: Restatectl,
    scratch: Scratch,
}

impl RestatectlCluster {
    /// The cluster `ctl` reaches (its first address must have the admin role, for `sql`).
    pub fn new(ctl: Restatectl) -> Result<RestatectlCluster, ApplyError> {
        Ok(RestatectlCluster {
            ctl,
            scratch: Scratch::new()?,
        })
    }

    /// The rows `restatectl sql --json QUERY` prints (an empty output is no row).
    fn rows(&self, query: &str) -> Result<Vec<Map<String, Value>>, ApplyError> {
        let args = ["sql", "--json", query].map(String::from);
        let text = self.ctl.stdout_of(&args, self.scratch.path())?;
        if text.trim().is_empty() {
            return Ok(Vec::new());
        }
        serde_json::from_str(&text).map_err(|error| ApplyError::SqlOutput {
            query: format!("sql --json \"{query}\""),
            error: error.to_string(),
        })
    }
}

impl Cluster for RestatectlCluster {
    fn issue(&mut self, args: &[String]) -> Result<(), ApplyError> {
        self.ctl.stdout_of(args, self.scratch.path())?;
        Ok(())
    }

    fn observe(&mut self) -> Result<Observed, ApplyError> {
        let partitions = self.rows(PARTITIONS_QUERY)?;
        let processors = self.rows(PROCESSORS_QUERY)?;
        let nodes = self.rows(NODES_QUERY)?;
        Ok(Observed::from_rows(&partitions, &processors, &nodes)?)
    }

    fn freeze(&mut self, id: PartitionId) -> Result<Option<String>, ApplyError> {
        let key = format!("pp_epoch_{id}");
        let args = ["metadata", "get", "-k", &key].map(String::from);
        let text = self.ctl.stdout_of(&args, self.scratch.path())?;
        let record: Value =
            serde_json::from_str(text.trim()).map_err(|error| ApplyError::SqlOutput {
                query: format!("metadata get -k {key}"),
                error: error.to_string(),
            })?;
        let reason = &record["placement_policy"]["freeze"]["reason"];
        Ok(reason.as_str().map(str::to_string))
    }
}
