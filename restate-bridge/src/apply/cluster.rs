//! The live cluster `apply` acts on: commands issued and the cluster read back. [`Cluster`] is
//! what the executor needs; [`RestatectlCluster`] is a real cluster through `restatectl` (every
//! command bounded by its timeout, output in a private scratch directory).

use serde_json::{Map, Value};

use crate::import::live::{Restatectl, Scratch};

use super::error::ApplyError;
use super::observed::{Observed, NODES_QUERY, PARTITIONS_QUERY, PROCESSORS_QUERY};

/// A live cluster: commands in, observations out.
pub trait Cluster {
    /// Runs `restatectl ARGS` (the arguments of [`crate::script::Command::restatectl_args`]).
    fn issue(&mut self, args: &[String]) -> Result<(), ApplyError>;
    /// Reads the cluster now.
    fn observe(&mut self) -> Result<Observed, ApplyError>;
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
        let (out, err) = (
            self.scratch.path().join("sql.out"),
            self.scratch.path().join("sql.err"),
        );
        let args = ["sql", "--json", query].map(String::from);
        self.ctl.run_on_cluster(&args, &out, &err)?;
        let text = std::fs::read_to_string(&out).unwrap_or_default();
        if text.trim().is_empty() {
            return Ok(Vec::new());
        }
        serde_json::from_str(&text).map_err(|error| ApplyError::SqlOutput {
            query: query.to_string(),
            error: error.to_string(),
        })
    }
}

impl Cluster for RestatectlCluster {
    fn issue(&mut self, args: &[String]) -> Result<(), ApplyError> {
        let (out, err) = (
            self.scratch.path().join("issue.out"),
            self.scratch.path().join("issue.err"),
        );
        Ok(self.ctl.run_on_cluster(args, &out, &err)?)
    }

    fn observe(&mut self) -> Result<Observed, ApplyError> {
        let partitions = self.rows(PARTITIONS_QUERY)?;
        let processors = self.rows(PROCESSORS_QUERY)?;
        let nodes = self.rows(NODES_QUERY)?;
        Ok(Observed::from_rows(&partitions, &processors, &nodes)?)
    }
}
