//! A watcher beside a fault scenario: it reads every partition's current replica set from SQL
//! twice a second, on a thread of its own, until the scenario ends, and keeps every observation
//! at which a partition was served by fewer replicas than its property needs. A member on a node
//! the scenario itself took down (killed, stopped, paused) counts as serving while it is down:
//! the fault took it, not a reconfiguration.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use worker_policy_restate_live::Restatectl;

/// How often the watcher looks.
const EVERY: Duration = Duration::from_millis(500);

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
            while !stopping.load(Ordering::Relaxed) {
                match ctl.observe() {
                    Ok(observation) => {
                        watched.observations += 1;
                        let down = down.lock().unwrap().clone();
                        for short in observation.short_of(need, &down) {
                            let at = start.elapsed().as_secs_f64();
                            watched.short.push(format!("{at:.1} s: {short}"));
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

    /// Stops watching; fails the scenario when a partition was ever served short, or when
    /// nothing was observed. Prints what was watched.
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
        println!(
            "    {} observations ({} failed looks), every partition served by at least {need} replicas",
            watched.observations, watched.failed
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
