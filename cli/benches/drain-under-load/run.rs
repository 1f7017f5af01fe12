//! One run: a fresh cluster, the counter service registered, the load started, the event at its
//! time with the way's reaction, the placement watched throughout; then the counters read and
//! everything stopped.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use worker_policy_model::Snapshot;
use worker_policy_restate_live::{Binaries, Cluster, ClusterSpec};
use worker_policy_restate_load::{
    read_counters, register, wait_ready, CounterService, Load, LoadSpec, Request,
};

use crate::action::{act, Event, Operator, Way, APPLY_LOG};
use crate::watch::{wait_quiet, Sample, Watcher};

/// How long a new cluster may take until every partition has a leader.
const LEAD_BOUND: Duration = Duration::from_secs(120);
/// How long the new cluster may take to stop moving partitions by itself.
const QUIET_BOUND: Duration = Duration::from_secs(90);
/// How long the registration may take to reach every ingress.
const READY_BOUND: Duration = Duration::from_secs(60);
/// How long the placement is still watched after the load and the reaction ended.
const TAIL: Duration = Duration::from_secs(3);
/// The nodes whose ingresses take the load: never the one the event is about.
const INGRESS_NODES: [u32; 3] = [1, 2, 3];

/// What every run shares.
#[derive(Debug, Clone)]
pub struct Setup {
    /// Partitions provisioned.
    pub partitions: u16,
    /// Requests per second.
    pub rate: u32,
    /// Load before the event.
    pub before: Duration,
    /// Load after the event.
    pub after: Duration,
    /// Counters.
    pub keys: u32,
    /// The load's seed.
    pub seed: u64,
}

/// What one run recorded.
pub struct Recorded {
    /// The event.
    pub event: Event,
    /// Who reacted.
    pub way: Way,
    /// Every request.
    pub requests: Vec<Request>,
    /// The counters' final values.
    pub finals: BTreeMap<String, u64>,
    /// Every look at the placement.
    pub samples: Vec<Sample>,
    /// Looks that failed.
    pub failed_looks: usize,
    /// When the event happened, from the load's start.
    pub event_at: Duration,
    /// How long the event's and the reaction's commands took.
    pub commands: Duration,
    /// The cluster just before the load started (quiet, as it was at the event).
    pub before: Snapshot,
    /// The cluster at the end.
    pub after: Snapshot,
    /// What `apply` printed (JSON lines), when it ran.
    pub apply_log: Option<String>,
    /// `apply`'s `--max-concurrent`.
    pub max_concurrent: u32,
}

/// Runs `event` with `way` reacting on a fresh cluster under `root`.
pub fn run(
    setup: &Setup,
    event: Event,
    way: Way,
    binaries: &Binaries,
    root: &Path,
    operator: Operator,
    keep: Option<&Path>,
) -> Result<Recorded> {
    let name = format!("{}-{}", kebab(event), kebab(way));
    let spec = ClusterSpec::zoned(&name, 2, 3, setup.partitions, "{zone: 2}");
    let start = Instant::now();
    let mut cluster = Cluster::start(binaries, root, spec, LEAD_BOUND)
        .with_context(|| format!("starting the cluster of {name}"))?;
    wait_quiet(&cluster.ctl(), QUIET_BOUND)?;
    let service = CounterService::start()?;
    let admin = cluster.admin_url().context("no admin node runs")?;
    register(&admin, service.url(), READY_BOUND)?;
    let ingresses: Vec<String> = INGRESS_NODES
        .iter()
        .filter_map(|&id| cluster.ingress_url(id))
        .collect();
    wait_ready(&ingresses, READY_BOUND)?;
    let load_spec = LoadSpec {
        rate: setup.rate,
        duration: setup.before + setup.after,
        keys: setup.keys,
        seed: setup.seed,
        ingresses: ingresses.clone(),
        attempt_timeout: Duration::from_secs(10),
        give_up_after: Duration::from_secs(60),
        run_id: name.clone(),
    };
    load_spec.warm_up(READY_BOUND)?;
    eprintln!(
        "  cluster up, quiet, Counter registered and warmed up in {:.1} s; load {} requests/s for {} s",
        start.elapsed().as_secs_f64(),
        setup.rate,
        (setup.before + setup.after).as_secs()
    );
    let operator = Operator {
        work: cluster.dir().join("work"),
        ..operator
    };
    std::fs::create_dir_all(&operator.work).context("creating the run's work folder")?;
    let before = operator.import(&cluster, "before.json")?;
    let load = Load::start(load_spec)?;
    let zero = load.started();
    let watcher = Watcher::start(cluster.admin_ctl(), zero);
    std::thread::sleep((zero + setup.before).saturating_duration_since(Instant::now()));
    let event_at = zero.elapsed();
    let reacted = act(event, way, &mut cluster, &operator);
    let commands = zero.elapsed().saturating_sub(event_at);
    let requests = load.finish()?;
    std::thread::sleep(TAIL);
    let (samples, failed_looks) = watcher.finish();
    if let (Err(_), Some(keep)) = (&reacted, keep) {
        copy_files(&operator.work, &keep.join(&name))?;
    }
    reacted.with_context(|| format!("{name}: the event or the reaction failed"))?;
    eprintln!("  event and reaction took {:.1} s", commands.as_secs_f64());
    let finals = read_counters(&ingresses[0], &requests, Duration::from_secs(60))?;
    let after = operator.import(&cluster, "after.json")?;
    let apply_log = std::fs::read_to_string(operator.work.join(APPLY_LOG)).ok();
    if let Some(keep) = keep {
        copy_files(&operator.work, &keep.join(&name))?;
    }
    drop(service);
    drop(cluster);
    Ok(Recorded {
        event,
        way,
        requests,
        finals,
        samples,
        failed_looks,
        event_at,
        commands,
        before,
        after,
        apply_log,
        max_concurrent: operator.max_concurrent,
    })
}

/// Copies the files of folder `from` (not its subfolders) into `to`, created if needed.
fn copy_files(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to).with_context(|| format!("creating {}", to.display()))?;
    for entry in std::fs::read_dir(from).with_context(|| format!("reading {}", from.display()))? {
        let path = entry?.path();
        if path.is_file() {
            let target = to.join(path.file_name().unwrap_or_default());
            std::fs::copy(&path, &target)
                .with_context(|| format!("copying {} to {}", path.display(), target.display()))?;
        }
    }
    Ok(())
}

/// A value's command-line name (`drain`, `restate`).
pub fn kebab(value: impl clap::ValueEnum) -> String {
    value
        .to_possible_value()
        .map(|v| v.get_name().to_string())
        .unwrap_or_default()
}
