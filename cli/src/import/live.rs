//! `import restate --address`: the live cluster dumped by `restatectl` and imported
//! ([`worker_policy_restate_bridge::import::live`]), with progress on stderr when it is a
//! terminal (a dump runs one `restatectl` per partition), and each refusal exiting 2.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use worker_policy_model::Replication;
use worker_policy_restate_bridge::import::live::{
    self, LiveError, LiveOptions, Progress, Restatectl,
};
use worker_policy_restate_bridge::import::Imported;

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
    let terminal = std::io::stderr().is_terminal() && crate::output::informs();
    let shown = AtomicBool::new(false);
    let progress = |p: Progress| {
        if terminal {
            shown.store(true, Ordering::Relaxed);
            let _ = write!(
                std::io::stderr().lock(),
                "\rdumping the cluster: {}/{} restatectl commands",
                p.done,
                p.total
            );
        }
    };
    let result = live::from_cluster(&ctl, &options, &progress);
    if shown.load(Ordering::Relaxed) {
        // Erase the progress line, so notes and errors start on a clean one.
        let _ = write!(std::io::stderr().lock(), "\r\u{1b}[K");
    }
    result.map_err(|e| classify(e, &context))
}

/// `error` with `context` around it; its exit class comes from [`crate::error::exit_class`].
fn classify(error: LiveError, context: &dyn Fn() -> String) -> anyhow::Error {
    anyhow::Error::new(error).context(context())
}
