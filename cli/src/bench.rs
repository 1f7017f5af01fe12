//! `worker-policy bench`: how fast an embedded policy (the default, or the Restate-compatible
//! one) plans a large cluster inside its wasm component, measured side by side with the same
//! logic compiled natively, in one run, so the ratio holds on a noisy machine. Reports the
//! median of `--runs` runs of each.

use std::time::{Duration, Instant};

use clap::{Args, ValueEnum};
use serde::Serialize;
use worker_policy::embedded::{
    DEFAULT_POLICY, DEFAULT_POLICY_NAME, RESTATE_POLICY, RESTATE_POLICY_NAME,
};
use worker_policy::error::PolicyFault;
use worker_policy::{Error, Limits, LoadedPolicy, NativePolicy, PolicyHooks};
use worker_policy_model::generate::{generate, ClusterShape, SplitMix64};
use worker_policy_model::invariants::PlanChecker;
use worker_policy_model::{Replication, Snapshot, Step, WorkerState};

use crate::output::{OutputOptions, Render};
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
    #[arg(long, value_name = "N", default_value_t = 5)]
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
    /// The default policy (`policy/`).
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

/// The timings of every hook measured, and the cluster they were measured on.
#[derive(Debug, Serialize)]
pub struct Timings {
    /// One row per hook and cluster state.
    pub hooks: Vec<HookTiming>,
    /// Nodes of the cluster.
    pub nodes: usize,
    /// Partitions of the cluster.
    pub partitions: u32,
    /// The policy measured.
    pub policy: &'static str,
    /// The replication property.
    pub replication: String,
    /// Runs of each measurement.
    pub runs: u32,
    /// Zones of the cluster.
    pub zones: u32,
}

/// The median times of one hook, in milliseconds.
#[derive(Debug, Serialize)]
pub struct HookTiming {
    /// The host's invariant checker on the answer.
    pub check_ms: f64,
    /// The hook and the cluster state.
    pub hook: &'static str,
    /// The logic compiled natively.
    pub native_ms: f64,
    /// Inside the component, through the host.
    pub wasm_ms: f64,
}

/// Runs `bench`.
pub fn run(args: &BenchArgs) -> anyhow::Result<Timings> {
    let native = args.policy.native();
    let policy = LoadedPolicy::load(
        args.policy.component(),
        Limits {
            timeout: Duration::from_secs(600),
            ..Limits::default()
        },
    )?;
    let replication = Replication::parse("{zone: 3, node: 3}")?;
    let per_zone = args.nodes.div_ceil(args.zones).max(1);
    let zones = vec![per_zone; args.zones as usize];
    let empty = generate(&ClusterShape::new(zones, args.partitions, replication));

    // A placed, settled cluster to rebalance: the policy's own placement.
    let placed = Hook::Place.check(&empty, &native.place(&empty)?)?;
    let mut draining = placed.clone();
    let victim = SplitMix64::new(7).below(draining.nodes.len());
    draining.nodes[victim].worker_state = WorkerState::Draining;

    let cases: [(&str, &Snapshot, Hook); 3] = [
        ("place (nothing placed)", &empty, Hook::Place),
        ("rebalance (drain one)", &draining, Hook::Rebalance),
        ("rebalance (settled)", &placed, Hook::Rebalance),
    ];
    let mut hooks = Vec::new();
    for (name, snapshot, hook) in cases {
        let native_time = median(args.runs, || hook.call(&native, snapshot).map(|_| ()))?;
        let wasm = median(args.runs, || hook.call(&policy, snapshot).map(|_| ()))?;
        let steps = hook.call(&native, snapshot)?;
        let check = median(args.runs, || hook.check(snapshot, &steps).map(|_| ()))?;
        hooks.push(HookTiming {
            check_ms: ms(check),
            hook: name,
            native_ms: ms(native_time),
            wasm_ms: ms(wasm),
        });
    }
    Ok(Timings {
        hooks,
        nodes: empty.nodes.len(),
        partitions: args.partitions,
        policy: args.policy.name(),
        replication: replication.to_string(),
        runs: args.runs,
        zones: args.zones,
    })
}

/// The hook measured.
#[derive(Clone, Copy)]
enum Hook {
    Place,
    Rebalance,
}

impl Hook {
    fn name(self) -> &'static str {
        match self {
            Hook::Place => "place",
            Hook::Rebalance => "rebalance",
        }
    }

    /// The hook's answer from `policy`, native or a component; a native refusal is the
    /// policy's, as from the component.
    fn call(self, policy: &dyn PolicyHooks, s: &Snapshot) -> Result<Vec<Step>, Error> {
        match self {
            Hook::Place => policy.place(s),
            Hook::Rebalance => policy.rebalance(s, None),
        }
    }

    /// `snapshot` with `steps` applied through the host's invariant checker.
    fn check(self, snapshot: &Snapshot, steps: &[Step]) -> Result<Snapshot, Error> {
        PlanChecker::apply_steps(snapshot.clone(), steps).map_err(|violation| {
            Error::Fault(PolicyFault::Violation {
                hook: self.name(),
                violation,
            })
        })
    }
}

/// The median time of `runs` runs of `f`.
fn median(runs: u32, mut f: impl FnMut() -> Result<(), Error>) -> Result<Duration, Error> {
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

impl Render for Timings {
    fn table(&self) -> String {
        let mut out = format!(
            "{}, {} nodes in {} zones, {} partitions, replication {}; median of {} runs\n\n",
            self.policy, self.nodes, self.zones, self.partitions, self.replication, self.runs
        );
        out.push_str(&format!(
            "{:<28} {:>12} {:>12} {:>10} {:>14}\n",
            "hook", "native ms", "wasm ms", "wasm/native", "host check ms"
        ));
        for h in &self.hooks {
            out.push_str(&format!(
                "{:<28} {:>12.1} {:>12.1} {:>10.2}x {:>14.1}\n",
                h.hook,
                h.native_ms,
                h.wasm_ms,
                h.wasm_ms / h.native_ms.max(1e-6),
                h.check_ms
            ));
        }
        out.push_str("\nwasm: through the host, a fresh instance per call, the snapshot crossing the boundary once;\nhost check: the invariant checker on the answer.\n");
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
        let error = Hook::Place.call(&native, &two_zones).unwrap_err();
        assert_eq!(error.class(), ErrorClass::Refused, "{error}");
    }

    #[test]
    fn json_keys_are_sorted() {
        let timings = Timings {
            hooks: vec![HookTiming {
                check_ms: 1.0,
                hook: "place (nothing placed)",
                native_ms: 2.0,
                wasm_ms: 5.0,
            }],
            nodes: 30,
            partitions: 300,
            policy: DEFAULT_POLICY_NAME,
            replication: "{zone: 3, node: 3}".into(),
            runs: 1,
            zones: 3,
        };
        crate::output::tests::assert_keys_sorted(&timings);
        assert!(timings.table().contains("2.50x"));
    }
}
