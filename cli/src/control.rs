//! `worker-policy control`: the loop that keeps a live Restate cluster on its policy. Observe
//! (import the live cluster), decide (the policy's plan, every answer checked by the host), act
//! (the plan's steps, as `apply --execute` carries them out), wait, repeat; one structured log
//! record per decision on stdout (a JSON line), one per step event (started, each command,
//! done) as it happens, and the figures at `--metrics`.
//!
//! - **One controller per cluster**: before acting, the controller takes (then renews at every
//!   look and before a step when half its time is gone) a lease in Restate's metadata store
//!   ([`worker_policy_restate_bridge::lease`]); while another holder has it, this one refuses
//!   to act, names the holder, and exits 1.
//! - **A node that dies** is given `--grace` seconds before anything is moved off it (a restart
//!   is not a reason to move data): while a node has been dead for less, the controller waits.
//! - **An operator's own freezes and pins** are read from the cluster and planned around; an
//!   operator's `set-worker-state draining` is a drain the policy carries through.
//! - When `restatectl` fails at the first address, the next look goes through the next one.
//! - SIGTERM or Ctrl-C finish the steps in flight, release the lease and exit 0; partitions stay
//!   frozen, owned by worker-policy, until `control --hand-back` gives them back to Restate
//!   ([`handback`]).

mod handback;
mod metrics;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Args;
use serde_json::{json, Value};
use worker_policy::LoadedPolicy;
use worker_policy_model::{quality, NodeId, Snapshot};
use worker_policy_restate_bridge::apply::{execute, ApplyError, Event, Outcome, RestatectlCluster};
use worker_policy_restate_bridge::import::live::LiveError;
use worker_policy_restate_bridge::lease::{now_ms, LeaseError, LeaseStore, Taken};

use crate::apply::plan::{decide, observe, Planned};
use crate::error::CliError;
use crate::interrupt;
use crate::live_target::{LiveTarget, PlanningOptions, StepOptions};
use crate::output::{write_note_line, write_stdout, FORMAT_VERSION};
use metrics::Metrics;

/// Options of `control`.
#[derive(Debug, Args)]
pub struct ControlArgs {
    #[command(flatten)]
    pub target: LiveTarget,
    #[command(flatten)]
    pub planning: PlanningOptions,
    #[command(flatten)]
    pub steps: StepOptions,
    /// Only observe and log what would be done: no lease is taken and nothing changes.
    #[arg(long)]
    pub dry_run: bool,
    /// Seconds between two looks at the cluster.
    #[arg(long, value_name = "SECS", default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=3_600))]
    pub interval: u64,
    /// Seconds a node must have been dead before data is moved off it.
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    pub grace: u64,
    /// The name the lease is held under [default: HOST:PID]; a controller started again under
    /// the same name and policy takes its own lease back at once.
    #[arg(long, value_name = "NAME")]
    pub holder: Option<String>,
    /// Seconds the lease lasts unless renewed; must exceed --step-timeout.
    #[arg(long, value_name = "SECS", default_value_t = 180)]
    pub lease_ttl: u64,
    /// Serve the controller's figures in Prometheus' text format at this address
    /// (127.0.0.1:PORT).
    #[arg(long, value_name = "ADDR:PORT")]
    pub metrics: Option<SocketAddr>,
    /// Hand the cluster back to Restate and exit: show what Restate will then do, unfreeze every
    /// partition worker-policy froze, release the lease.
    #[arg(long, visible_alias = "stop")]
    pub hand_back: bool,
    /// Stop after this many looks [default: run until SIGTERM or Ctrl-C].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_looks: Option<u64>,
}

impl ControlArgs {
    /// The lease holder's name.
    fn holder(&self) -> String {
        self.holder.clone().unwrap_or_else(|| {
            let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
            format!("{}:{}", host.trim(), std::process::id())
        })
    }
}

/// One JSON line of the log, with the format version.
fn log(mut record: Value) -> anyhow::Result<()> {
    if let Value::Object(map) = &mut record {
        map.insert("format_version".into(), FORMAT_VERSION.into());
    }
    write_stdout(&format!("{record}\n"))?;
    Ok(())
}

/// Takes (or renews) the lease for `holder` for `ttl` seconds: when it expires (ms since the
/// epoch). Refused, naming the holder, while another controller holds it.
fn take_lease(
    target: &LiveTarget,
    holder: &str,
    policy: &LoadedPolicy,
    ttl: u64,
    metrics: Option<&Metrics>,
) -> anyhow::Result<u64> {
    let ctl = target.restatectl()?;
    let store = LeaseStore::new(&ctl)?;
    let now = now_ms();
    let taken = store.take(holder, &policy.metadata().sha256, now, ttl * 1000)?;
    let (holder, result) = match taken {
        Taken::Ours(_) => (holder.to_string(), Ok(now + ttl * 1000)),
        Taken::HeldBy(other) => (
            other.holder.clone(),
            Err(CliError::LeaseHeld(format!(
                "another controller holds the cluster: {}; this one does not act (a second controller, or one with another policy, never does)",
                other.describe(now)
            ))
            .into()),
        ),
    };
    if let Some(metrics) = metrics {
        metrics.set_holder(&holder);
    }
    result
}

/// Whether `error` is `restatectl` failing at the cluster (not the policy or the plan).
fn unreachable(error: &anyhow::Error) -> bool {
    let failed = |l: &LiveError| {
        matches!(
            l,
            LiveError::Failed { .. } | LiveError::TimedOut { .. } | LiveError::NotAdmin { .. }
        )
    };
    error.chain().any(|e| {
        e.downcast_ref::<LiveError>().is_some_and(failed)
            || matches!(e.downcast_ref::<ApplyError>(), Some(ApplyError::Restatectl(l)) if failed(l))
            || matches!(e.downcast_ref::<LeaseError>(), Some(LeaseError::Restatectl(l)) if failed(l))
    })
}

/// Runs `control`.
pub fn run(args: &ControlArgs, verbose: bool) -> anyhow::Result<ExitCode> {
    if args.lease_ttl <= args.steps.step_timeout {
        return Err(CliError::Argument(format!(
            "--lease-ttl ({} s) must exceed --step-timeout ({} s): the lease must outlast a step",
            args.lease_ttl, args.steps.step_timeout
        ))
        .into());
    }
    let policy = args.planning.policy.load()?;
    if args.hand_back {
        return handback::hand_back(args, &policy);
    }
    let metrics = Metrics::new();
    if let Some(address) = args.metrics {
        let bound = metrics.serve(address)?;
        write_note_line(&format!("metrics at http://{bound}/metrics"));
    }
    interrupt::finish_first();
    let mut control = Control {
        args,
        policy: &policy,
        verbose,
        holder: args.holder(),
        target: args.target.clone(),
        dead_since: BTreeMap::new(),
        metrics,
        lease_until: std::cell::Cell::new(0),
    };
    let result = control.run();
    if !args.dry_run {
        // A controller that stops hands the lease on at once; its partitions stay frozen.
        let released = args
            .target
            .restatectl()
            .and_then(|ctl| Ok(LeaseStore::new(&ctl)?.release(&control.holder)?));
        if let Err(error) = released {
            write_note_line(&format!(
                "note: the lease could not be released ({error:#}); it expires by itself"
            ));
        }
    }
    result
}

struct Control<'a> {
    args: &'a ControlArgs,
    policy: &'a LoadedPolicy,
    verbose: bool,
    holder: String,
    /// The cluster, its addresses turned after a failure to reach the first.
    target: LiveTarget,
    /// Since when each dead node has been seen dead.
    dead_since: BTreeMap<NodeId, Instant>,
    metrics: Metrics,
    /// When the lease expires, as last written (ms since the epoch).
    lease_until: std::cell::Cell<u64>,
}

impl Control<'_> {
    fn run(&mut self) -> anyhow::Result<ExitCode> {
        let mut look = 0u64;
        loop {
            if interrupt::stop_requested() {
                log(json!({"event": "stopped", "why": "SIGTERM or Ctrl-C", "looks": look}))?;
                return Ok(ExitCode::SUCCESS);
            }
            look += 1;
            if let Err(error) = self.look(look) {
                if error
                    .downcast_ref::<CliError>()
                    .is_some_and(|e| matches!(e, CliError::LeaseHeld(_)))
                {
                    return Err(error);
                }
                log(json!({"event": "look-failed", "look": look, "error": format!("{error:#}")}))?;
                if unreachable(&error) {
                    // The next look goes through the next address.
                    self.target.address.rotate_left(1);
                }
            }
            if self.args.max_looks.is_some_and(|max| look >= max) {
                log(json!({"event": "stopped", "why": "--max-looks reached", "looks": look}))?;
                return Ok(ExitCode::SUCCESS);
            }
            self.pause();
        }
    }

    /// Waits `--interval`, or less when a stop is asked for.
    fn pause(&self) {
        let until = Instant::now() + Duration::from_secs(self.args.interval);
        while Instant::now() < until && !interrupt::stop_requested() {
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Takes or renews the lease; refused while another controller holds it.
    fn lease(&self) -> anyhow::Result<()> {
        let ttl = self.args.lease_ttl;
        let until = take_lease(
            &self.target,
            &self.holder,
            self.policy,
            ttl,
            Some(&self.metrics),
        )?;
        self.lease_until.set(until);
        Ok(())
    }

    /// Renews the lease when half of its time is gone; false when it is lost.
    fn keep_lease(&self) -> bool {
        let half = self.args.lease_ttl * 500;
        if now_ms() + half < self.lease_until.get() {
            return true;
        }
        self.lease().is_ok()
    }

    /// One look: observe, decide, act.
    fn look(&mut self, look: u64) -> anyhow::Result<()> {
        let started = Instant::now();
        if !self.args.dry_run {
            self.lease()?;
        }
        let observing = Instant::now();
        let observation = observe(&self.target)?;
        let observed = observing.elapsed().as_secs_f64();
        for note in &observation.notes {
            write_note_line(&format!("note: {note}"));
        }
        self.metrics.decisions.inc();
        self.measure(&observation.file.snapshot, observation.owned.len());
        if let Some(waiting) = self.within_grace(&observation.file.snapshot) {
            return log(json!({
                "event": "decision",
                "look": look,
                "outcome": "waiting",
                "why": waiting,
                "observe_seconds": observed,
            }));
        }
        let deciding = Instant::now();
        let planned = decide(
            &self.target,
            &self.args.planning,
            &[],
            self.policy,
            self.verbose,
            observation,
        )?;
        let Planned::Steps(planned) = planned else {
            return Ok(());
        };
        let mut record = json!({
            "event": "decision",
            "look": look,
            "snapshot_sha256": planned.snapshot_sha256,
            "policy_sha256": planned.policy.sha256,
            "plan": planned.steps.iter().map(|s| s.change.describe()).collect::<Vec<_>>(),
            "observe_seconds": observed,
            "decide_seconds": deciding.elapsed().as_secs_f64(),
        });
        if planned.steps.is_empty() || self.args.dry_run {
            let outcome = if planned.steps.is_empty() {
                "nothing-to-do"
            } else {
                "dry-run"
            };
            record["outcome"] = outcome.into();
            return log(record);
        }
        let acting = Instant::now();
        let mut cluster = RestatectlCluster::new(self.target.restatectl()?)?;
        let stop = || interrupt::stop_requested() || !self.keep_lease();
        let metrics = &self.metrics;
        let mut on_event = |event: Event| {
            if let Event::StepDone { seconds, .. } = event {
                metrics.steps_applied.inc();
                metrics.step_seconds.observe(seconds);
            }
            // Every step's start, commands and end as they happen: a controller killed in the
            // middle of a step has logged what it issued.
            let mut line = serde_json::to_value(&event).unwrap_or(Value::Null);
            line["look"] = look.into();
            let _ = log(line);
        };
        let outcome = execute(
            &mut cluster,
            &planned.steps,
            &self.args.steps.limits(),
            &stop,
            &mut on_event,
        );
        record["act_seconds"] = acting.elapsed().as_secs_f64().into();
        record["seconds"] = started.elapsed().as_secs_f64().into();
        match outcome {
            Ok(Outcome::Applied(tally)) => {
                record["outcome"] = "applied".into();
                record["applied"] = tally.applied.into();
                record["skipped"] = tally.skipped.into();
            }
            Ok(Outcome::Replan { why, tally }) => {
                record["outcome"] = "plan-again".into();
                record["why"] = why.into();
                record["applied"] = tally.applied.into();
            }
            Ok(Outcome::Stopped(tally)) => {
                record["outcome"] = "stopped".into();
                record["applied"] = tally.applied.into();
            }
            Err(error) => {
                self.metrics.steps_failed.inc();
                record["outcome"] = "failed".into();
                record["why"] = error.to_string().into();
            }
        }
        log(record)
    }

    /// The figures of the cluster as observed: partitions owned, nodes outside their band.
    fn measure(&self, snapshot: &Snapshot, owned: usize) {
        self.metrics
            .partitions_owned
            .set(i64::try_from(owned).unwrap_or(i64::MAX));
        let measured = quality::measure(snapshot, snapshot);
        let outside = i64::from(measured.replicas.outside_band);
        self.metrics.nodes_outside_band.set(outside);
    }

    /// Why to wait: a node dead for less than `--grace`; `None` when none is.
    fn within_grace(&mut self, snapshot: &Snapshot) -> Option<String> {
        let now = Instant::now();
        let dead: Vec<NodeId> = snapshot
            .nodes
            .iter()
            .filter(|n| !n.alive)
            .map(|n| n.id)
            .collect();
        self.dead_since.retain(|id, _| dead.contains(id));
        for &id in &dead {
            self.dead_since.entry(id).or_insert(now);
        }
        let grace = Duration::from_secs(self.args.grace);
        let recent: Vec<String> = self
            .dead_since
            .iter()
            .filter(|(_, since)| now.duration_since(**since) < grace)
            .map(|(id, since)| format!("N{id} dead for {} s", now.duration_since(*since).as_secs()))
            .collect();
        (!recent.is_empty()).then(|| {
            format!(
                "{} (grace {} s: a restart is not a reason to move data)",
                recent.join(", "),
                self.args.grace
            )
        })
    }
}
