//! The placement watcher: every partition's replica sets, leader and leader epoch, read from SQL
//! again and again while the load runs, each look stamped with its time from the load's start.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::{Map, Value};
use worker_policy_restate_live::wait::{wait_for, Poll};
use worker_policy_restate_live::{plain_id, LiveError, Restatectl};

/// The query of one look.
const QUERY: &str = "SELECT partition_id, current_replica_set, next_replica_set, \
     leader_plain_node_id, leader_epoch FROM partitions ORDER BY partition_id";
/// The pause between two looks (a look itself takes about 0.3 s: one `restatectl` process).
const PAUSE: Duration = Duration::from_millis(100);

/// One partition as one look saw it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PartitionView {
    /// The current replica set.
    pub current: Vec<u32>,
    /// The `next` replica set, while a reconfiguration is in flight.
    pub next: Vec<u32>,
    /// The live leader.
    pub leader: Option<u32>,
    /// The leader epoch: one more per leadership claim.
    pub epoch: u64,
}

impl PartitionView {
    /// Whether `node` is a replica (current or `next`) or the leader.
    pub fn uses(&self, node: u32) -> bool {
        self.current.contains(&node) || self.next.contains(&node) || self.leader == Some(node)
    }
}

/// One look at every partition.
#[derive(Debug, Clone)]
pub struct Sample {
    /// When it was taken, from the load's start.
    pub at: Duration,
    /// Every partition.
    pub partitions: BTreeMap<u32, PartitionView>,
}

/// A watcher taking looks on a thread of its own until it is stopped.
pub struct Watcher {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<(Vec<Sample>, usize)>,
}

impl Watcher {
    /// Starts looking through `ctl`, times counted from `zero`.
    pub fn start(ctl: Restatectl, zero: Instant) -> Watcher {
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            let mut samples = Vec::new();
            let mut failed = 0;
            while !stopping.load(Ordering::Relaxed) {
                let at = zero.elapsed();
                match look(&ctl) {
                    Ok(partitions) => samples.push(Sample { at, partitions }),
                    Err(_) => failed += 1,
                }
                std::thread::sleep(PAUSE);
            }
            (samples, failed)
        });
        Watcher { stop, thread }
    }

    /// Stops looking; every look taken, in order, and the number of looks that failed.
    pub fn finish(self) -> (Vec<Sample>, usize) {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().unwrap_or_default()
    }
}

/// One look at every partition.
pub fn look(ctl: &Restatectl) -> Result<BTreeMap<u32, PartitionView>, LiveError> {
    Ok(ctl.sql(QUERY)?.iter().filter_map(partition).collect())
}

/// Waits (at most `bound`) until the cluster is quiet: every partition led, none with a `next`,
/// and the same placement in looks taken over 3 s.
pub fn wait_quiet(ctl: &Restatectl, bound: Duration) -> Result<(), LiveError> {
    let mut last: Option<(Instant, BTreeMap<u32, PartitionView>)> = None;
    wait_for(
        "the cluster to be quiet (every partition led, no reconfiguration, no change for 3 s)",
        bound,
        Duration::from_millis(500),
        || {
            let now = look(ctl)?;
            let settled = now
                .values()
                .all(|p| p.leader.is_some() && p.next.is_empty());
            match &last {
                Some((since, seen)) if *seen == now && settled => {
                    if since.elapsed() >= Duration::from_secs(3) {
                        return Ok(Poll::Ready(()));
                    }
                }
                _ => last = Some((Instant::now(), now)),
            }
            Ok(Poll::Pending(match settled {
                true => "the placement changed in the last 3 s".into(),
                false => "a partition has no leader or a reconfiguration in flight".into(),
            }))
        },
    )
}

/// One row of the query as a partition.
fn partition(row: &Map<String, Value>) -> Option<(u32, PartitionView)> {
    let id = row.get("partition_id")?.as_u64()? as u32;
    let nodes = |key: &str| -> Vec<u32> {
        row.get(key)
            .and_then(Value::as_str)
            .map(|text| text.split(',').filter_map(plain_id).collect())
            .unwrap_or_default()
    };
    let view = PartitionView {
        current: nodes("current_replica_set"),
        next: nodes("next_replica_set"),
        leader: row
            .get("leader_plain_node_id")
            .and_then(Value::as_str)
            .and_then(plain_id),
        epoch: row
            .get("leader_epoch")
            .and_then(Value::as_str)
            .and_then(|e| e.trim_start_matches('e').parse().ok())
            .unwrap_or(0),
    };
    Some((id, view))
}
