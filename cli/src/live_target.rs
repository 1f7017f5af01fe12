//! The options of the verbs that act on a live Restate cluster (`apply`, `control`): which
//! cluster and how `restatectl` reaches it, what is planned, and how fast steps are carried out.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use worker_policy_restate_bridge::apply::Limits;
use worker_policy_restate_bridge::import::live::{locate, Restatectl};

use crate::import::LiveCluster;
use crate::policy_options::PolicyOptions;

/// How long each `restatectl` command may take by default.
const DEFAULT_COMMAND_TIMEOUT_SECS: u64 = 30;

/// The pause between two observations of the cluster while steps are in flight.
const POLL: Duration = Duration::from_millis(250);

/// How long the node a step waits for may be seen dead before the step gives up on it: longer
/// than a restart (Restate shows a restarted node dead for about 6 s), far shorter than
/// `--step-timeout`.
const DEAD_GRACE: Duration = Duration::from_secs(15);

/// The live cluster and how `restatectl` reaches it.
#[derive(Debug, Clone, Args)]
pub struct LiveTarget {
    /// The live cluster: `restatectl` addresses, comma-separated, the first a node with the
    /// admin role (restatectl sql asks only the first).
    #[arg(
        long,
        value_name = "URL[,URL...]",
        value_delimiter = ',',
        required = true
    )]
    pub address: Vec<String>,
    /// The `restatectl` (1.7.x) to run; by default the one on PATH.
    #[arg(long, value_name = "FILE")]
    pub restatectl: Option<PathBuf>,
    /// Seconds each `restatectl` command may take before it is stopped (`--timeout` is the
    /// policy's, per hook call).
    #[arg(long, value_name = "SECS", default_value_t = DEFAULT_COMMAND_TIMEOUT_SECS, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub command_timeout: u64,
}

impl LiveTarget {
    /// The cluster to import, every freeze as it is (the caller tells its own apart).
    pub fn import_options(&self) -> LiveCluster {
        LiveCluster {
            addresses: self.address.clone(),
            restatectl: self.restatectl.clone(),
            timeout: Duration::from_secs(self.command_timeout),
            replication: None,
            own_freezes: false,
        }
    }

    /// `restatectl` against the cluster.
    pub fn restatectl(&self) -> anyhow::Result<Restatectl> {
        let program = locate(self.restatectl.as_deref())?;
        Ok(Restatectl::new(
            program,
            &self.address,
            Duration::from_secs(self.command_timeout),
        ))
    }

    /// The cluster in words: `the live cluster at URL,URL`.
    pub fn name(&self) -> String {
        format!("the live cluster at {}", self.address.join(","))
    }
}

/// What is planned: the policy, and the budgets of `simulate`.
#[derive(Debug, Args)]
pub struct PlanningOptions {
    #[command(flatten)]
    pub policy: PolicyOptions,
    /// At most this many replicas added by the rebalance of each round (as simulate takes it).
    #[arg(long, value_name = "N")]
    pub max_moves: Option<u32>,
    /// Give up planning after this many rounds.
    #[arg(long, value_name = "N", default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_rounds: u32,
}

/// How fast steps are carried out.
#[derive(Debug, Args)]
pub struct StepOptions {
    /// At most this many partitions in reconfiguration at once.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=64))]
    pub max_concurrent: u32,
    /// Seconds one step may take, from its first command until the cluster confirms it (the new
    /// replicas caught up, the leader elected where the plan put it).
    #[arg(long, value_name = "SECS", default_value_t = 120, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub step_timeout: u64,
}

impl StepOptions {
    /// The executor's limits.
    pub fn limits(&self) -> Limits {
        Limits {
            max_concurrent: self.max_concurrent as usize,
            step_timeout: Duration::from_secs(self.step_timeout),
            poll: POLL,
            dead_grace: DEAD_GRACE,
        }
    }
}
