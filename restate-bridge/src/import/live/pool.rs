//! Many `restatectl` commands at a bounded parallelism: one process per epoch record is slow
//! one after another (16 to 64 partitions are typical, up to 65,535), so a few run at a time on
//! threads that take the next command from a shared counter. The first failure stops new
//! commands from starting; the one reported is the earliest in the list among those that failed.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

use super::error::LiveError;
use super::restatectl::Restatectl;
use super::Progress;

/// One command: its arguments (after `-s <addresses>`) and where its output goes.
#[derive(Debug, Clone)]
pub struct Job {
    /// The arguments.
    pub args: Vec<String>,
    /// The file its stdout is written to.
    pub stdout: PathBuf,
    /// The file its stderr is written to.
    pub stderr: PathBuf,
}

/// Runs every job, at most `parallel` at a time, calling `progress` after each.
pub fn run_all(
    ctl: &Restatectl,
    jobs: &[Job],
    parallel: usize,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<(), LiveError> {
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let failures: Mutex<Vec<(usize, LiveError)>> = Mutex::new(Vec::new());
    let worker = || {
        while !stop.load(Ordering::Relaxed) {
            let index = next.fetch_add(1, Ordering::Relaxed);
            let Some(job) = jobs.get(index) else { break };
            if let Err(error) = ctl.run_on_cluster(&job.args, &job.stdout, &job.stderr) {
                stop.store(true, Ordering::Relaxed);
                failures
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .push((index, error));
                break;
            }
            let finished = done.fetch_add(1, Ordering::Relaxed) + 1;
            progress(Progress {
                done: finished,
                total: jobs.len(),
            });
        }
    };
    std::thread::scope(|scope| {
        for _ in 0..parallel.clamp(1, jobs.len().max(1)) {
            scope.spawn(worker);
        }
    });
    let failures = failures
        .into_inner()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    match failures.into_iter().min_by_key(|(index, _)| *index) {
        Some((_, error)) => Err(error),
        None => Ok(()),
    }
}
