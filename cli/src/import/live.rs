//! `import restate --address`: the live cluster dumped by `restatectl` and imported
//! ([`worker_policy_restate_bridge::import::live`]), with progress on stderr (a dump runs one
//! `restatectl` per partition; [`crate::output::Progress`]), and each refusal exiting 2.

use std::path::PathBuf;
use std::time::Duration;

use worker_policy_model::Replication;
use worker_policy_restate_bridge::import::live::{
    self, LiveError, LiveOptions, Progress, Restatectl,
};
use worker_policy_restate_bridge::import::Imported;

use crate::output::Progress as ProgressLine;

/// How many `restatectl` commands run at a time: enough to hide each one's start-up and round
/// trip, few enough for a small machine and the cluster's metadata servers.
const PARALLEL: usize = 8;

/// A live cluster to import, from the command line.
#[derive(Debug)]
pub struct LiveCluster {
    /// The addresses, the first a node with the admin role.
    pub addresses: Vec<String>,
    /// The `restatectl` named, if any (else the one on PATH).
    pub restatectl: Option<PathBuf>,
    /// How long each command may take.
    pub timeout: Duration,
    /// The replication property, for a partition table without a usable one.
    pub replication: Option<Replication>,
    /// `--own-freezes`.
    pub own_freezes: bool,
}

/// Dumps and imports `cluster`. An operator's problem (restatectl, the addresses, the cluster,
/// the dump) exits 2; a scratch directory that cannot be written is a host error.
pub fn import(cluster: &LiveCluster) -> anyhow::Result<Imported> {
    let context = || {
        format!(
            "importing the live cluster at {}",
            cluster.addresses.join(",")
        )
    };
    let program = live::locate(cluster.restatectl.as_deref()).map_err(|e| classify(e, &context))?;
    let ctl = Restatectl::new(program, &cluster.addresses, cluster.timeout);
    let options = LiveOptions {
        parallel: PARALLEL,
        replication: cluster.replication,
        own_freezes: cluster.own_freezes,
    };
    let line = ProgressLine::bar("dumping the cluster: restatectl commands", None);
    let progress = |p: Progress| line.at(p.done as u64, p.total as u64);
    let result = live::from_cluster(&ctl, &options, &progress);
    // The line is cleared, so notes and errors start on a clean one.
    drop(line);
    result.map_err(|e| classify(e, &context))
}

/// `error` with `context` around it; its exit class comes from [`crate::error::exit_class`].
fn classify(error: LiveError, context: &dyn Fn() -> String) -> anyhow::Error {
    anyhow::Error::new(error).context(context())
}
