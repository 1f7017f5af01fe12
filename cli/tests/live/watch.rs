//! A watcher beside a fault scenario: it reads every partition's current replica set from SQL
//! twice a second, on a thread of its own, until the scenario ends, and keeps every observation
//! at which a partition was served by fewer replicas than its property needs. A member on a node
//! the scenario itself took down (killed, stopped, paused) counts as serving while it is down:
//! the fault took it, not a reconfiguration. It also times how long each partition went without
//! a leader (an election after a planned leader change is a second or two), and keeps every
//! partition leaderless for longer than [`LEADERLESS_BOUND`] with no member on a node the
//! scenario took down.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use worker_policy_restate_live::Restatectl;

/// How often the watcher looks.
const EVERY: Duration = Duration::from_millis(500);
/// How long a partition may go without a leader when no fault excuses it.
const LEADERLESS_BOUND: Duration = Duration::from_secs(10);

/// The watcher's thread, and the nodes the scenario took down.
pub struct Watch {
    stop: Arc<AtomicBool>,
    faulted: Arc<Mutex<BTreeSet<u32>>>,
    thread: Option<JoinHandle<Watched>>,
}

/// What the watcher saw.
#[derive(Debug, Default)]
pub struct Watched {
    /// Observations taken.
    pub observations: usize,
    /// Looks that failed (no admin node answered).
    pub failed: usize,
    /// Every short partition, with the time into the watch it was seen short.
    pub short: Vec<String>,
    /// Every partition leaderless for longer than the bound, unexcused.
    pub leaderless: Vec<String>,
    /// The longest unexcused time a partition went without a leader.
    pub longest_leaderless: Duration,
}

impl Watch {
    /// Starts watching through `ctl` (every admin node: the watch goes on while one is down),
    /// for `need` serving replicas per partition.
    pub fn start(ctl: Restatectl, need: usize) -> Watch {
        let stop = Arc::new(AtomicBool::new(false));
        let faulted = Arc::new(Mutex::new(BTreeSet::new()));
        let (stopping, down) = (Arc::clone(&stop), Arc::clone(&faulted));
        let thread = std::thread::spawn(move || {
            let start = Instant::now();
            let mut watched = Watched::default();
            let mut leaderless_since: BTreeMap<u32, Instant> = BTreeMap::new();
            while !stopping.load(Ordering::Relaxed) {
                match ctl.observe() {
                    Ok(observation) => {
                        watched.observations += 1;
                        let down = down.lock().unwrap().clone();
                        let at = start.elapsed().as_secs_f64();
                        for short in observation.short_of(need, &down) {
                            watched.short.push(format!("{at:.1} s: {short}"));
                        }
                        let now = Instant::now();
                        let leaderless = observation.leaderless(&down);
                        leaderless_since.retain(|id, _| leaderless.contains(id));
                        for id in leaderless {
                            let since = *leaderless_since.entry(id).or_insert(now);
                            let gap = now - since;
                            watched.longest_leaderless = watched.longest_leaderless.max(gap);
                            if gap > LEADERLESS_BOUND {
                                watched.leaderless.push(format!(
                                    "{at:.1} s: partition {id} without a leader for {:.1} s",
                                    gap.as_secs_f64()
                                ));
                            }
                        }
                    }
                    Err(_) => watched.failed += 1,
                }
                std::thread::sleep(EVERY);
            }
            watched
        });
        Watch {
            stop,
            faulted,
            thread: Some(thread),
        }
    }

    /// Records that the scenario takes node `id` down from now on (call it before the fault).
    pub fn fault(&self, id: u32) {
        self.faulted.lock().unwrap().insert(id);
    }

    /// Stops watching; fails the scenario when a partition was ever served short, was left
    /// without a leader for longer than the bound with no fault to excuse it, or when nothing
    /// was observed. Prints what was watched.
    pub fn assert_served(mut self, need: usize) {
        let watched = self.finish();
        assert!(
            watched.observations > 0,
            "the watcher observed nothing ({} failed looks)",
            watched.failed
        );
        assert!(
            watched.short.is_empty(),
            "partitions served by fewer than {need} replicas:\n{}",
            watched.short.join("\n")
        );
        assert!(
            watched.leaderless.is_empty(),
            "partitions without a leader for longer than {} s, no fault excusing it:\n{}",
            LEADERLESS_BOUND.as_secs(),
            watched.leaderless.join("\n")
        );
        println!(
            "    {} observations ({} failed looks), every partition served by at least {need} replicas; \
             the longest time without a leader, no fault excusing it: {:.1} s",
            watched.observations,
            watched.failed,
            watched.longest_leaderless.as_secs_f64()
        );
    }

    fn finish(&mut self) -> Watched {
        self.stop.store(true, Ordering::Relaxed);
        self.thread
            .take()
            .map(|t| t.join().expect("the watcher does not panic"))
            .unwrap_or_default()
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.finish();
    }
}
