//! What the verbs that plan (`evaluate`, `simulate`) start from: a snapshot, the policy that
//! plans, and the move budget of each round; declared once and flattened into each verb.

use clap::Args;
use worker_policy::snapshot_file::SnapshotFile;
use worker_policy::LoadedPolicy;

use crate::policy_options::PolicyOptions;
use crate::snapshot_input::{display_name, read_snapshot, SnapshotArg};
use crate::view::snapshot::snapshot_line;

/// The snapshot, the policy and the move budget.
#[derive(Debug, Args)]
pub struct PlanInput {
    #[command(flatten)]
    pub snapshot: SnapshotArg,
    #[command(flatten)]
    pub policy: PolicyOptions,
    /// At most this many replicas added by the rebalance of each round; later rounds finish
    /// the work.
    #[arg(long, value_name = "N")]
    pub max_moves: Option<u32>,
}

impl PlanInput {
    /// Reads the snapshot, then loads the policy.
    pub fn load(&self) -> anyhow::Result<(SnapshotFile, LoadedPolicy)> {
        let file = read_snapshot(self.snapshot.path())?;
        Ok((file, self.policy.load()?))
    }

    /// The line that describes the snapshot read from `file`.
    pub fn snapshot_line(&self, file: &SnapshotFile) -> String {
        snapshot_line(&display_name(self.snapshot.path()), &file.snapshot)
    }
}
