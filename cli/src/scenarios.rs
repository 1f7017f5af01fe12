//! `worker-policy scenarios`: the placement-quality figures of a policy on synthetic clusters,
//! in one command: place from nothing, then drain one node, add one node, lose one node, and
//! measure balance against the fair share and moves against the lower bound each time (the
//! same changes and measures as the conformance suite's scorecard).
//!
//! Without `--zones` it runs the shapes the peers are measured on (3 zones of 4 and of 33 hosts,
//! 10,000 and 256 partitions, RF 3 with one replica per zone), which the table of
//! `docs/performance.md` reports.

use anyhow::Context;
use clap::Args;
use serde::Serialize;
use worker_policy::conformance::{score, Change};
use worker_policy::LoadedPolicy;
use worker_policy_model::generate::{generate, ClusterShape, SplitMix64};
use worker_policy_model::{Replication, Snapshot, Weight};

use crate::output::{OutputOptions, Render};
use crate::policy_options::PolicyOptions;
use crate::values::{self, Weights, ZoneSizes};
use crate::view::nodes::node_counts;
use crate::view::policy::PolicyView;
use crate::view::quality::QualityView;

/// The most partitions `scenarios` places (each shape runs four evaluate-and-apply loops).
pub const MAX_PARTITIONS: u32 = 1_000_000;

/// Options of `scenarios`.
#[derive(Debug, Args)]
pub struct ScenariosArgs {
    #[command(flatten)]
    pub policy: PolicyOptions,
    /// Hosts per zone, comma-separated (`4,4,4`; 100,000 hosts at most); without it, the
    /// standard shapes: 3 zones of 4 and of 33 hosts, with 10,000 and 256 partitions.
    #[arg(long, value_name = "N,N,...", value_parser = values::zone_sizes)]
    pub zones: Option<ZoneSizes>,
    /// Partitions, with `--zones` (1,000,000 at most).
    #[arg(long, value_name = "N", default_value_t = 10_000, value_parser = clap::value_parser!(u32).range(..=i64::from(MAX_PARTITIONS)))]
    pub partitions: u32,
    /// The replication property.
    #[arg(long, value_name = "PROPERTY", default_value = "{zone: 3, node: 3}", value_parser = values::replication)]
    pub replication: Replication,
    /// Node weights, comma-separated, repeated over the hosts in order (`1,2,0.5`: the first
    /// host weighs 1, the second 2, the third 0.5, the fourth 1, ...); a joining host weighs 1.
    /// Without it every node weighs 1.
    #[arg(long, value_name = "W,W,...", value_parser = values::weights)]
    pub weights: Option<Weights>,
    /// Picks the node that is drained, lost or joined by the new one.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub seed: u64,
    #[command(flatten)]
    pub render: OutputOptions,
}

/// One measured run.
#[derive(Debug, Serialize)]
pub struct Row {
    /// `place all`, or the change measured.
    pub change: &'static str,
    /// Most replicas on one eligible node over the mean.
    pub max_over_mean: f64,
    /// Moves over the lower bound.
    pub moves_over_bound: f64,
    /// Partitions of the shape.
    pub partitions: u32,
    /// Balance and moves of the change.
    pub quality: QualityView,
    /// Rounds to converge.
    pub rounds: u32,
    /// The shape.
    pub shape: String,
}

/// Every run; the output is the list of rows.
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct Measured {
    /// The runs, shape by shape.
    pub rows: Vec<Row>,
    /// The policy (table only).
    #[serde(skip)]
    pub policy: PolicyView,
    /// The property every shape used (table only).
    #[serde(skip)]
    pub replication: Replication,
}

/// Runs `scenarios`.
pub fn run(args: &ScenariosArgs, verbose: bool) -> anyhow::Result<Measured> {
    let policy = args.policy.load()?;
    let shapes: Vec<(Vec<u32>, u32)> = match &args.zones {
        None => [(4, 10_000), (33, 10_000), (4, 256), (33, 256)]
            .map(|(hosts, partitions)| (vec![hosts; 3], partitions))
            .to_vec(),
        Some(zones) => vec![(zones.hosts.clone(), args.partitions)],
    };
    let mut rows = Vec::new();
    let weights = args.weights.as_ref().map_or(&[][..], |w| &w.0);
    for (zones, partitions) in shapes {
        let shape = ClusterShape {
            seed: args.seed,
            ..ClusterShape::new(zones.clone(), partitions, args.replication)
        };
        rows.extend(measure_shape(
            &policy,
            &weighed(generate(&shape), weights),
            &describe(&zones, weights),
            args.seed,
        )?);
        crate::logs::print_logs(&policy, verbose);
    }
    Ok(Measured {
        rows,
        policy: PolicyView::new(&policy, args.policy.source_name()),
        replication: args.replication,
    })
}

/// `snapshot` with `weights` repeated over its nodes in order (unchanged without weights).
fn weighed(mut snapshot: Snapshot, weights: &[Weight]) -> Snapshot {
    for (node, &weight) in snapshot.nodes.iter_mut().zip(weights.iter().cycle()) {
        node.weight = weight;
    }
    snapshot
}

/// Placing `empty` from nothing, then each change to the placed cluster.
fn measure_shape(
    policy: &LoadedPolicy,
    empty: &Snapshot,
    label: &str,
    seed: u64,
) -> anyhow::Result<Vec<Row>> {
    let partitions = empty.partitions.len() as u32;
    let row =
        |change: &'static str, scored: worker_policy::conformance::Scored, after: &Snapshot| {
            let quality = QualityView::from(&scored.quality);
            Row {
                change,
                max_over_mean: max_over_mean(after),
                moves_over_bound: quality.moves_over_bound(),
                partitions,
                quality,
                rounds: scored.rounds,
                shape: label.to_string(),
            }
        };
    let (scored, placed) = score(policy, empty).with_context(|| format!("{label}: placing"))?;
    let mut rows = vec![row("place all", scored, &placed)];
    let pick = SplitMix64::new(seed).below(placed.nodes.len());
    for change in Change::ALL {
        let (scored, after) = score(policy, &change.apply(&placed, pick))
            .with_context(|| format!("{label}: {}", change.name()))?;
        rows.push(row(change.name(), scored, &after));
    }
    Ok(rows)
}

/// Most replicas held by one eligible node over the mean of the eligible nodes, both per unit of
/// weight (plain counts when every node weighs the same).
fn max_over_mean(snapshot: &Snapshot) -> f64 {
    // `node_counts` lists the nodes in the snapshot's order.
    let per_weight: Vec<f64> = (node_counts(snapshot).iter().zip(&snapshot.nodes))
        .filter(|(row, _)| row.eligible)
        .map(|(row, node)| f64::from(row.replicas) / node.weight.value())
        .collect();
    let sum: f64 = per_weight.iter().sum();
    let max = per_weight.iter().copied().fold(0.0, f64::max);
    if sum == 0.0 {
        0.0
    } else {
        max * per_weight.len() as f64 / sum
    }
}

/// `3 zones x 4 hosts` for equal zones, else the list; and the weights when given.
fn describe(zones: &[u32], weights: &[Weight]) -> String {
    let shape = describe_zones(zones);
    if weights.is_empty() {
        return shape;
    }
    let list: Vec<String> = weights.iter().map(Weight::to_string).collect();
    format!("{shape}, weights {}", list.join("/"))
}

/// `3 zones x 4 hosts` for equal zones, else the list.
fn describe_zones(zones: &[u32]) -> String {
    match zones {
        [first, rest @ ..] if rest.iter().all(|z| z == first) => {
            format!("{} zones x {first} hosts", zones.len())
        }
        _ => format!(
            "zones {}",
            zones
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join("+")
        ),
    }
}

impl Render for Measured {
    fn table(&self) -> String {
        let mut out = format!("{}replication {}\n\n", self.policy.line(), self.replication);
        let width = (self.rows.iter().map(|r| r.shape.len())).fold(20, usize::max);
        out.push_str(&format!(
            "{:<width$} {:>10}  {:<14} {:>6} {:>9} {:>8} {:>8} {:>8} {:>7} {:>11}\n",
            "shape",
            "partitions",
            "change",
            "rounds",
            "max/mean",
            "outside",
            "leaders",
            "moves",
            "bound",
            "moves/bound"
        ));
        for r in &self.rows {
            let q = &r.quality;
            out.push_str(&format!(
                "{:<width$} {:>10}  {:<14} {:>6} {:>9.3} {:>8} {:>8} {:>8} {:>7} {:>10.2}x\n",
                r.shape,
                r.partitions,
                r.change,
                r.rounds,
                r.max_over_mean,
                q.replicas.outside_band,
                format!("{}..{}", q.leaders.min, q.leaders.max),
                q.moves,
                q.lower_bound.value,
                r.moves_over_bound
            ));
        }
        out.push_str("\nmax/mean: most replicas on one node over the mean; outside: nodes outside floor..ceil of\ntheir fair share; leaders: fewest..most leaderships per node; bound: the fewest moves any\npolicy needs (see model/src/quality.rs).\n");
        out
    }
}
