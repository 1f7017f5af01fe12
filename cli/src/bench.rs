//! `worker-policy bench`: how fast the default policy plans a large cluster inside its wasm
//! component, measured side by side with the same logic compiled natively, in one run, so the
//! ratio holds on a noisy machine. Reports the median of `--runs` runs of each.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use worker_policy::embedded::DEFAULT_POLICY;
use worker_policy::{Limits, LoadedPolicy};
use worker_policy_model::generate::{generate, ClusterShape, SplitMix64};
use worker_policy_model::invariants::PlanChecker;
use worker_policy_model::{Replication, Snapshot, Step, WorkerState};

use crate::args::BenchArgs;

/// Runs `bench`.
pub fn run(args: &BenchArgs) -> anyhow::Result<ExitCode> {
    let policy = LoadedPolicy::load(
        DEFAULT_POLICY,
        Limits {
            timeout: Duration::from_secs(600),
            ..Limits::default()
        },
    )?;
    let replication = Replication::parse("{zone: 3, node: 3}").map_err(anyhow::Error::msg)?;
    let per_zone = args.nodes.div_ceil(args.zones).max(1);
    let zones = vec![per_zone; args.zones as usize];
    let empty = generate(&ClusterShape::new(zones, args.partitions, replication));
    let nodes = empty.nodes.len();

    // A placed, balanced cluster to rebalance: the default policy's own placement.
    let placed = check(
        &empty,
        &worker_policy_default::place(&empty).map_err(anyhow::Error::msg)?,
    )?;
    let mut draining = placed.clone();
    let victim = SplitMix64::new(7).below(nodes);
    draining.nodes[victim].worker_state = WorkerState::Draining;

    println!(
        "default policy, {nodes} nodes in {} zones, {} partitions, replication {replication}; median of {} runs\n",
        args.zones, args.partitions, args.runs
    );
    println!(
        "{:<28} {:>12} {:>12} {:>10} {:>14}",
        "hook", "native ms", "wasm ms", "wasm/native", "host check ms"
    );
    let cases: [(&str, &Snapshot, Hook); 3] = [
        ("place (nothing placed)", &empty, Hook::Place),
        ("rebalance (drain one)", &draining, Hook::Rebalance),
        ("rebalance (balanced)", &placed, Hook::Rebalance),
    ];
    for (name, snapshot, hook) in cases {
        let native = median(args.runs, || hook.native(snapshot).map(|_| ()))?;
        let wasm = median(args.runs, || hook.wasm(&policy, snapshot).map(|_| ()))?;
        let steps = hook.native(snapshot)?;
        let check = median(args.runs, || check(snapshot, &steps).map(|_| ()))?;
        println!(
            "{name:<28} {:>12.1} {:>12.1} {:>10.2}x {:>14.1}",
            ms(native),
            ms(wasm),
            wasm.as_secs_f64() / native.as_secs_f64().max(1e-9),
            ms(check)
        );
    }
    println!("\nwasm: through the host, a fresh instance per call, the snapshot crossing the boundary once;\nhost check: the invariant checker on the answer.");
    Ok(ExitCode::SUCCESS)
}

/// The hook measured.
#[derive(Clone, Copy)]
enum Hook {
    Place,
    Rebalance,
}

impl Hook {
    fn native(self, s: &Snapshot) -> anyhow::Result<Vec<Step>> {
        match self {
            Hook::Place => worker_policy_default::place(s),
            Hook::Rebalance => worker_policy_default::rebalance(s, None),
        }
        .map_err(anyhow::Error::msg)
    }

    fn wasm(self, policy: &LoadedPolicy, s: &Snapshot) -> anyhow::Result<Vec<Step>> {
        Ok(match self {
            Hook::Place => policy.place(s)?,
            Hook::Rebalance => policy.rebalance(s, None)?,
        })
    }
}

/// `snapshot` with `steps` applied, each checked by the host's invariant checker.
fn check(snapshot: &Snapshot, steps: &[Step]) -> anyhow::Result<Snapshot> {
    let mut checker = PlanChecker::new(snapshot.clone());
    for s in steps {
        checker.step(s)?;
    }
    Ok(checker.into_snapshot())
}

/// The median time of `runs` runs of `f`.
fn median(runs: u32, mut f: impl FnMut() -> anyhow::Result<()>) -> anyhow::Result<Duration> {
    let mut times = Vec::new();
    for _ in 0..runs.max(1) {
        let start = Instant::now();
        f()?;
        times.push(start.elapsed());
    }
    times.sort();
    Ok(times[times.len() / 2])
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
