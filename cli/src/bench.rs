//! `worker-policy bench`: how fast an embedded policy (the default, or the Restate-compatible
//! one) runs, every figure measured side by side with what it is compared to, in one run, so
//! the ratios hold on a noisy machine. Each row is the median of `--runs` runs of a measurement
//! and of its baseline:
//!
//! - start: a whole `evaluate` process on a small cluster with the policy from the compilation
//!   cache, against the same process compiling the policy (`--no-cache`);
//! - each hook inside the component, through the host, against the same logic compiled natively;
//! - for `place` and `reconcile`, the component with its instances from the engine's pool
//!   against the same with each call's instance mapped and unmapped ([`PolicyEngine::unpooled`]);
//! - the host's invariant checker on each planning hook's answer, against the native planning;
//! - a whole evaluation (reconcile, place and rebalance, each answer checked) and a whole
//!   simulation (every round until the cluster is settled) through the component, against the
//!   same through the native logic;
//! - `evaluate` end to end (read the snapshot file, plan, check, render the JSON output) against
//!   reading the same file into a `serde_json::Value` and writing it back;
//! - `import restate` by each route on the cluster as Restate's dumps, against reading the same
//!   files into `serde_json::Value`s ([`import`]).

mod import;

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::{Args, ValueEnum};
use serde::Serialize;
use worker_policy::embedded::{
    DEFAULT_POLICY, DEFAULT_POLICY_NAME, RESTATE_POLICY, RESTATE_POLICY_NAME,
};
use worker_policy::snapshot_file::{snapshot_to_json, SnapshotFile};
use worker_policy::{Error, Hook, Limits, LoadedPolicy, NativePolicy, PolicyEngine, PolicyHooks};
use worker_policy_model::generate::{generate, ClusterShape, SplitMix64};
use worker_policy_model::invariants::PlanChecker;
use worker_policy_model::{NodeId, Replication, Snapshot, Step, WorkerState};

use crate::evaluate::Evaluated;
use crate::output::{Format, OutputOptions, Progress, Render};
use crate::values::MAX_NODES;

/// The most partitions `bench` plans.
pub const MAX_PARTITIONS: u32 = 10_000_000;

/// Options of `bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Nodes, spread evenly over the zones.
    #[arg(long, value_name = "N", default_value_t = 1000, value_parser = clap::value_parser!(u32).range(3..=i64::from(MAX_NODES)))]
    pub nodes: u32,
    /// Zones.
    #[arg(long, value_name = "N", default_value_t = 10, value_parser = clap::value_parser!(u32).range(3..=1000))]
    pub zones: u32,
    /// Partitions (10,000,000 at most).
    #[arg(long, value_name = "N", default_value_t = 100_000, value_parser = clap::value_parser!(u32).range(..=i64::from(MAX_PARTITIONS)))]
    pub partitions: u32,
    /// Runs of each measurement; the median is shown.
    #[arg(long, value_name = "N", default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..))]
    pub runs: u32,
    /// The embedded policy to measure: only those the binary also carries as native code.
    #[arg(long, value_enum, default_value_t = BenchPolicy::Default)]
    pub policy: BenchPolicy,
    #[command(flatten)]
    pub render: OutputOptions,
}

/// An embedded policy, as a component and as the same logic compiled natively.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BenchPolicy {
    /// The default policy (`policies/default/`).
    Default,
    /// The Restate-compatible policy (`policies/restate/`).
    Restate,
}

impl BenchPolicy {
    /// The component, as the CLI embeds it.
    fn component(self) -> &'static [u8] {
        match self {
            BenchPolicy::Default => DEFAULT_POLICY,
            BenchPolicy::Restate => RESTATE_POLICY,
        }
    }

    /// How output names it.
    fn name(self) -> &'static str {
        match self {
            BenchPolicy::Default => DEFAULT_POLICY_NAME,
            BenchPolicy::Restate => RESTATE_POLICY_NAME,
        }
    }

    /// How `--policy` names it.
    fn flag(self) -> &'static str {
        match self {
            BenchPolicy::Default => "default",
            BenchPolicy::Restate => "restate",
        }
    }

    /// The same logic compiled natively.
    fn native(self) -> NativePolicy {
        match self {
            BenchPolicy::Default => NativePolicy {
                validate_transition: worker_policy_default::validate_transition,
                reconcile: worker_policy_default::reconcile,
                place: worker_policy_default::place,
                rebalance: worker_policy_default::rebalance,
            },
            BenchPolicy::Restate => NativePolicy {
                validate_transition: worker_policy_restate::validate_transition,
                reconcile: worker_policy_restate::reconcile,
                place: worker_policy_restate::place,
                rebalance: worker_policy_restate::rebalance,
            },
        }
    }
}

/// Every row measured, and what they were measured on.
#[derive(Debug, Serialize)]
pub struct Timings {
    /// The machine: its processor and how many threads it runs at once.
    pub machine: String,
    /// Nodes of the cluster.
    pub nodes: usize,
    /// Partitions of the cluster.
    pub partitions: u32,
    /// The policy measured.
    pub policy: &'static str,
    /// The replication property.
    pub replication: String,
    /// One row per measurement.
    pub rows: Vec<Row>,
    /// Runs of each measurement.
    pub runs: u32,
    /// Zones of the cluster.
    pub zones: u32,
}

/// One measurement beside its baseline, as medians in milliseconds.
#[derive(Debug, Serialize)]
pub struct Row {
    /// What the baseline is.
    pub baseline: String,
    /// The baseline's median time.
    pub baseline_ms: f64,
    /// The measurement's median time.
    pub ms: f64,
    /// What is measured.
    pub name: String,
    /// `ms` over `baseline_ms`.
    pub ratio: f64,
}

impl Row {
    fn new(
        name: impl Into<String>,
        ms: Duration,
        baseline: impl Into<String>,
        base: Duration,
    ) -> Row {
        let (ms, baseline_ms) = (millis(ms), millis(base));
        Row {
            baseline: baseline.into(),
            baseline_ms,
            ms,
            name: name.into(),
            ratio: ms / baseline_ms.max(1e-6),
        }
    }
}

/// Runs `bench`, each measurement named on stderr while it runs ([`Progress`]).
pub fn run(args: &BenchArgs) -> anyhow::Result<Timings> {
    let native = args.policy.native();
    let limits = Limits {
        timeout: Duration::from_secs(600),
        ..Limits::default()
    };
    let policy = LoadedPolicy::load(args.policy.component(), limits)?;
    let unpooled = LoadedPolicy::load_in(
        &PolicyEngine::unpooled(false)?,
        args.policy.component(),
        limits,
    )?;
    let replication = Replication::parse("{zone: 3, node: 3}")?;
    let per_zone = args.nodes.div_ceil(args.zones).max(1);
    let zones = vec![per_zone; args.zones as usize];
    let empty = generate(&ClusterShape::new(zones, args.partitions, replication));

    // A placed, settled cluster to rebalance: the policy's own placement.
    let placed = checked(&empty, &native.place(&empty)?, Hook::Place)?;
    let mut draining = placed.clone();
    let victim = SplitMix64::new(7).below(draining.nodes.len());
    draining.nodes[victim].worker_state = WorkerState::Draining;
    // The node `validate-transition` is asked to drain.
    let active = placed.nodes[(victim + 1) % placed.nodes.len()].id;

    let scratch = Scratch::new()?;
    let cases = [
        ("place (nothing placed)", &empty, Hook::Place),
        ("rebalance (drain one)", &draining, Hook::Rebalance),
        ("rebalance (settled)", &placed, Hook::Rebalance),
        ("reconcile (drain one)", &draining, Hook::Reconcile),
        (
            "validate-transition (drain one)",
            &placed,
            Hook::ValidateTransition,
        ),
    ];
    // Start-up, each hook, the evaluation and simulation, end to end, and the imports.
    let progress = Progress::bar("bench: measurements", Some(cases.len() as u64 + 5));
    progress.say("start: `evaluate` as a process");
    let mut rows = vec![start(args, &scratch)?];
    for (name, snapshot, hook) in cases {
        progress.advance();
        progress.say(name);
        let measured = Measured {
            hook,
            drain: active,
        };
        let policies = Policies {
            native: &native,
            pooled: &policy,
            unpooled: matches!(hook, Hook::Place | Hook::Reconcile).then_some(&unpooled),
        };
        rows.extend(hook_rows(args.runs, name, snapshot, measured, policies)?);
    }
    progress.advance();
    progress.say("evaluate (drain one)");
    rows.push(Row::new(
        "evaluate (drain one): every hook, every answer checked",
        median(args.runs, || {
            worker_policy::evaluate(&policy, &draining, None).map(drop)
        })?,
        "native",
        median(args.runs, || {
            worker_policy::evaluate(&native, &draining, None).map(drop)
        })?,
    ));
    progress.advance();
    progress.say("simulate (drain one)");
    rows.push(simulation_row(args.runs, &draining, &native, &policy)?);
    progress.advance();
    progress.say("evaluate end to end");
    rows.push(end_to_end(args.runs, &policy, &draining, &scratch)?);
    progress.advance();
    progress.say("import restate");
    rows.extend(import::rows(args.runs, &draining, &scratch)?);
    drop(progress);
    Ok(Timings {
        machine: machine(),
        nodes: empty.nodes.len(),
        partitions: args.partitions,
        policy: args.policy.name(),
        replication: replication.to_string(),
        rows,
        runs: args.runs,
        zones: args.zones,
    })
}

/// The policies a hook's rows compare.
#[derive(Clone, Copy)]
struct Policies<'a> {
    /// The same logic compiled natively.
    native: &'a NativePolicy,
    /// The component, its instances from the engine's pool.
    pooled: &'a LoadedPolicy,
    /// The component with each call's instance mapped, when the pool is measured against it.
    unpooled: Option<&'a LoadedPolicy>,
}

/// The hook's row, wasm against native; when `policies` has an unpooled component, the pool's
/// row, the same wasm time against the unpooled component measured right after it; and for a
/// planning hook the host check's row, the checker on the native answer against the native
/// planning.
fn hook_rows(
    runs: u32,
    name: &str,
    snapshot: &Snapshot,
    measured: Measured,
    policies: Policies,
) -> anyhow::Result<Vec<Row>> {
    let native = policies.native;
    let native_time = median(runs, || measured.run(native, snapshot).map(drop))?;
    let wasm_time = median(runs, || measured.run(policies.pooled, snapshot).map(drop))?;
    let mut rows = vec![Row::new(name, wasm_time, "native", native_time)];
    if let Some(unpooled) = policies.unpooled {
        let mapped = median(runs, || measured.run(unpooled, snapshot).map(drop))?;
        rows.push(Row::new(
            format!("{name}: instances from the pool"),
            wasm_time,
            "instances mapped per call",
            mapped,
        ));
    }
    if let Some(steps) = measured.run(native, snapshot)? {
        let check = median_of(runs, |timer| {
            let mut checker = PlanChecker::new(snapshot.clone());
            timer.start();
            let checked = checker.steps(&steps);
            timer.stop();
            checked.map_err(|violation| Error::violation(measured.hook, violation))
        })?;
        rows.push(Row::new(
            format!("host check: {name}"),
            check,
            "native planning",
            native_time,
        ));
    }
    Ok(rows)
}

/// The simulation row: every round from `snapshot` until the cluster is settled, through the
/// component against through the native logic; the rounds it took are named in the row.
fn simulation_row(
    runs: u32,
    snapshot: &Snapshot,
    native: &NativePolicy,
    policy: &LoadedPolicy,
) -> anyhow::Result<Row> {
    let simulate = |hooks: &dyn PolicyHooks| {
        worker_policy::simulate(hooks, snapshot, None, SIMULATED_ROUNDS)
            .map(|simulation| simulation.rounds.len())
    };
    let rounds = simulate(native)?;
    let native_time = median(runs, || simulate(native).map(drop))?;
    let wasm_time = median(runs, || simulate(policy).map(drop))?;
    Ok(Row::new(
        format!("simulate (drain one): {rounds} rounds, then settled"),
        wasm_time,
        "native",
        native_time,
    ))
}

/// The most rounds the simulation row lets a policy take before it counts as not converging.
const SIMULATED_ROUNDS: u32 = 100;

/// The start-up row: a whole `evaluate` process on a small cluster, the policy from a
/// compilation cache made for the run, against the same process compiling it.
fn start(args: &BenchArgs, scratch: &Scratch) -> anyhow::Result<Row> {
    let small = generate(&ClusterShape::new(
        vec![3, 3, 3],
        24,
        Replication::parse("{zone: 3, node: 3}")?,
    ));
    let snapshot = scratch.write("small.json", &snapshot_to_json(&small))?;
    let cache = scratch.path.join("cache");
    let evaluate = |cache_flags: &[&std::ffi::OsStr]| {
        let mut command = Command::new(std::env::current_exe()?);
        command
            .args([
                "evaluate",
                "--format",
                "json",
                "--policy",
                args.policy.flag(),
            ])
            .arg("--snapshot")
            .arg(&snapshot)
            .args(cache_flags)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let output = command
            .output()
            .context("cannot start this program again")?;
        if !output.status.success() {
            bail!(
                "`evaluate` on a small cluster failed ({}): {}",
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            );
        }
        Ok(())
    };
    let cached = [std::ffi::OsStr::new("--cache-dir"), cache.as_os_str()];
    evaluate(&cached)?;
    let warm = median_anyhow(args.runs, || evaluate(&cached))?;
    let cold = median_anyhow(args.runs, || {
        evaluate(&[std::ffi::OsStr::new("--no-cache")])
    })?;
    Ok(Row::new(
        "start: `evaluate` (9 nodes) as a process, policy from the cache",
        warm,
        "compiling the policy (--no-cache)",
        cold,
    ))
}

/// The end-to-end row: `evaluate` from the snapshot file to its JSON output, against
/// `serde_json` reading the same file into a `Value` and writing it back.
fn end_to_end(
    runs: u32,
    policy: &LoadedPolicy,
    snapshot: &Snapshot,
    scratch: &Scratch,
) -> anyhow::Result<Row> {
    let path = scratch.write("snapshot.json", &snapshot_to_json(snapshot))?;
    let floor = median_anyhow(runs, || {
        let text = std::fs::read_to_string(&path)?;
        let value: serde_json::Value = serde_json::from_str(&text)?;
        std::hint::black_box(serde_json::to_string_pretty(&value)?);
        Ok(())
    })?;
    let evaluate = median_anyhow(runs, || {
        let file = SnapshotFile::read(&path)?;
        let evaluated = Evaluated::of(policy, String::new(), &file, None, String::new())?;
        std::hint::black_box(Format::Json.render(&evaluated)?);
        Ok(())
    })?;
    Ok(Row::new(
        "evaluate: read the snapshot, plan, check, write JSON",
        evaluate,
        "serde_json: read the same file, write it back",
        floor,
    ))
}

/// A private directory for the files `bench` runs on, removed at the end.
struct Scratch {
    path: PathBuf,
}

impl Scratch {
    fn new() -> anyhow::Result<Scratch> {
        let path = std::env::temp_dir().join(format!("worker-policy-bench-{}", std::process::id()));
        worker_policy::leftovers::register(&path);
        std::fs::create_dir_all(&path)
            .with_context(|| format!("cannot make {}", path.display()))?;
        Ok(Scratch { path })
    }

    /// Writes `text` to the file `name` in the directory and returns its path.
    fn write(&self, name: &str, text: &str) -> anyhow::Result<PathBuf> {
        let path = self.path.join(name);
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
        Ok(path)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
        worker_policy::leftovers::forget(&self.path);
    }
}

/// A decision hook measured, with the node `validate-transition` is asked to drain.
#[derive(Clone, Copy)]
struct Measured {
    /// The hook.
    hook: Hook,
    /// The node a `validate-transition` call asks to drain (the other hooks take no node).
    drain: NodeId,
}

impl Measured {
    /// The hook's answer from `policy`, native or a component: the steps of a planning hook,
    /// nothing for the others. A native refusal is the policy's, as from the component.
    fn run(self, policy: &dyn PolicyHooks, s: &Snapshot) -> Result<Option<Vec<Step>>, Error> {
        match self.hook {
            Hook::Place => policy.place(s).map(Some),
            Hook::Rebalance => policy.rebalance(s, None).map(Some),
            Hook::Reconcile => policy.reconcile(s).map(|_| None),
            Hook::ValidateTransition => policy
                .validate_transition(s, self.drain, WorkerState::Draining)
                .map(|_| None),
            Hook::Info | Hook::ValidateSettings => {
                unreachable!("bench measures only the four decision hooks")
            }
        }
    }
}

/// `snapshot` with `steps` (an answer to `hook`) applied through the host's invariant checker.
fn checked(snapshot: &Snapshot, steps: &[Step], hook: Hook) -> Result<Snapshot, Error> {
    PlanChecker::apply_steps(snapshot.clone(), steps).map_err(|v| Error::violation(hook, v))
}

/// Starts and stops the clock around the part of a run that is measured.
#[derive(Default)]
struct Timer {
    started: Option<Instant>,
    elapsed: Duration,
}

impl Timer {
    fn start(&mut self) {
        self.started = Some(Instant::now());
    }

    fn stop(&mut self) {
        if let Some(started) = self.started.take() {
            self.elapsed += started.elapsed();
        }
    }
}

/// The median of `runs` runs of `f`, each timing what it brackets with its [`Timer`].
fn median_of<E>(runs: u32, mut f: impl FnMut(&mut Timer) -> Result<(), E>) -> Result<Duration, E> {
    let mut times = Vec::new();
    for _ in 0..runs.max(1) {
        let mut timer = Timer::default();
        f(&mut timer)?;
        times.push(timer.elapsed);
    }
    times.sort();
    Ok(times[times.len() / 2])
}

/// The median time of `runs` runs of `f`, whole.
fn median(runs: u32, mut f: impl FnMut() -> Result<(), Error>) -> Result<Duration, Error> {
    median_of(runs, |timer| {
        timer.start();
        let result = f();
        timer.stop();
        result
    })
}

/// [`median`] of a step that fails with any error.
fn median_anyhow(runs: u32, mut f: impl FnMut() -> anyhow::Result<()>) -> anyhow::Result<Duration> {
    median_of(runs, |timer| {
        timer.start();
        let result = f();
        timer.stop();
        result
    })
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The processor (`/proc/cpuinfo`'s model name, where there is one) and how many threads the
/// machine runs at once.
fn machine() -> String {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find_map(|l| l.strip_prefix("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, name)| name.trim().to_string())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_string());
    format!("{model}, {threads} threads")
}

impl Render for Timings {
    fn table(&self) -> String {
        let mut out = format!(
            "{}, {} nodes in {} zones, {} partitions, replication {}; median of {} runs; {}\n\n",
            self.policy,
            self.nodes,
            self.zones,
            self.partitions,
            self.replication,
            self.runs,
            self.machine
        );
        out.push_str(&format!(
            "{:<60} {:>10}  {:<46} {:>10} {:>8}\n",
            "measured", "ms", "against", "ms", "ratio"
        ));
        for r in &self.rows {
            out.push_str(&format!(
                "{:<60} {:>10.1}  {:<46} {:>10.1} {:>7.2}x\n",
                r.name, r.ms, r.baseline, r.baseline_ms, r.ratio
            ));
        }
        out.push_str("\nhooks in wasm: through the host, a fresh instance per call, the snapshot crossing the boundary once;\nhost check: the invariant checker on the native answer (the snapshot's copy not counted).\n");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use worker_policy::ErrorClass;

    #[test]
    fn the_native_policy_refusing_is_a_refusal_not_a_host_error() {
        let replication = Replication::parse("{zone: 3, node: 3}").unwrap();
        let two_zones = generate(&ClusterShape::new(vec![2, 2], 4, replication));
        let native = BenchPolicy::Default.native();
        let place = Measured {
            hook: Hook::Place,
            drain: 0,
        };
        let error = place.run(&native, &two_zones).unwrap_err();
        assert_eq!(error.class(), ErrorClass::Refused, "{error}");
    }

    #[test]
    fn json_keys_are_sorted_and_each_row_has_its_ratio() {
        let timings = Timings {
            machine: machine(),
            nodes: 30,
            partitions: 300,
            policy: DEFAULT_POLICY_NAME,
            replication: "{zone: 3, node: 3}".into(),
            rows: vec![Row::new(
                "place (nothing placed)",
                Duration::from_millis(5),
                "native",
                Duration::from_millis(2),
            )],
            runs: 1,
            zones: 3,
        };
        crate::output::tests::assert_keys_sorted(&timings);
        assert_eq!(timings.rows[0].ratio, 2.5);
        assert!(timings.table().contains("2.50x"));
    }
}
