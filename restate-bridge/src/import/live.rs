//! `import restate --address`: a live cluster dumped and imported in one step, read-only, by
//! running `restatectl` itself with exactly the dump commands of `docs/operators/restate.md`.
//! The metadata route's records give placement, freezes and affinities; SQL's `nodes` and
//! `partitions` give liveness and the live leaders; so the snapshot is as complete as dumps make
//! it.
//!
//! In order: `restatectl --version` must be 1.7.x; a cheap `sql` query must succeed at the
//! first address (SQL exists only on admin nodes, and `restatectl sql` asks only the first);
//! then the dump, taken again while the cluster changes under it; then the metadata
//! route's import of it. Everything goes into a private scratch directory that is removed
//! afterwards, and every refusal names the `restatectl` command, not a scratch file.

mod dumps;
mod error;
mod pool;
mod restatectl;
mod scratch;
mod take;

use std::path::Path;

use worker_policy_model::Replication;

pub use error::LiveError;
pub use restatectl::{locate, Restatectl};
pub(crate) use scratch::Scratch;

use super::{from_metadata, ImportError, Imported, MetadataRoute};
use dumps::Dump;

/// How far a dump has come: `done` of `total` commands (epoch records and SQL tables).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Commands finished.
    pub done: usize,
    /// Commands in this dump.
    pub total: usize,
}

/// What the import of a live cluster is asked for besides the cluster.
#[derive(Debug, Clone, Default)]
pub struct LiveOptions {
    /// How many `restatectl` commands run at a time.
    pub parallel: usize,
    /// The replication property, for a partition table that has none worker-policy can use.
    pub replication: Option<Replication>,
    /// Whether worker-policy's own placement freezes read as none (see [`MetadataRoute`]).
    pub own_freezes: bool,
}

/// Dumps the cluster `ctl` reaches and imports it; `progress` hears of every command done.
pub fn from_cluster(
    ctl: &Restatectl,
    options: &LiveOptions,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<Imported, LiveError> {
    let scratch = Scratch::new()?;
    ctl.check_version(scratch.path())?;
    probe_admin(ctl, scratch.path())?;
    let taken = take::take(ctl, scratch.path(), options.parallel, progress)
        .map_err(|e| relabel(e, scratch.path()))?;
    let route = MetadataRoute {
        nodes_config: taken.dir.join(Dump::nodes_config().file),
        partition_table: taken.dir.join(Dump::partition_table().file),
        epochs: if taken.has_partitions {
            vec![taken.dir.join(take::EPOCHS)]
        } else {
            Vec::new()
        },
        sql_nodes: Some(taken.dir.join(Dump::sql_nodes().file)),
        sql_partitions: Some(taken.dir.join(Dump::sql_partitions().file)),
        dead: Vec::new(),
        replication: options.replication,
        own_freezes: options.own_freezes,
    };
    let mut imported =
        from_metadata(&route).map_err(|e| relabel(LiveError::Import(e), scratch.path()))?;
    for note in &mut imported.notes {
        *note = relabel_text(note, scratch.path());
    }
    if !taken.changes.is_empty() {
        imported.notes.push(format!(
            "the cluster changed while it was dumped, so it was dumped again ({}); this snapshot is of one moment",
            taken.changes.join("; ")
        ));
    }
    Ok(imported)
}

/// Runs the cheap `sql` query: a first address without the admin role fails it with gRPC's 404.
fn probe_admin(ctl: &Restatectl, scratch: &Path) -> Result<(), LiveError> {
    let probe = Dump::sql_probe();
    let stderr = scratch.join("sql_probe.err");
    match ctl.run_on_cluster(&probe.args, &scratch.join(&probe.file), &stderr) {
        Err(LiveError::Failed { message, .. })
            if message.contains("invalid compression flag")
                || message.contains("404 Not Found") =>
        {
            Err(LiveError::NotAdmin {
                address: ctl.first_address().to_string(),
                message,
            })
        }
        other => other,
    }
}

/// An import refusal about a scratch file, told as the command that printed the file.
fn relabel(error: LiveError, scratch: &Path) -> LiveError {
    match error {
        LiveError::Import(e) if e.file.starts_with(scratch) => {
            let problem = relabel_text(&e.problem, scratch);
            let file =
                Dump::of_file(&e.file).map_or_else(|| e.file.clone(), |d| d.command().into());
            LiveError::Import(ImportError::new(&file, e.field, problem))
        }
        other => other,
    }
}

/// `text` with the scratch files it names (under `scratch`, any try) told as their commands.
fn relabel_text(text: &str, scratch: &Path) -> String {
    let mut text = text.to_string();
    for dir in take::dirs(scratch) {
        for dump in [
            Dump::nodes_config(),
            Dump::partition_table(),
            Dump::sql_nodes(),
            Dump::sql_partitions(),
        ] {
            let path = dir.join(&dump.file).display().to_string();
            text = text.replace(&path, &format!("`{}`", dump.command()));
        }
    }
    text
}
