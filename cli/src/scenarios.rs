//! `worker-policy scenarios`: the placement-quality figures of a policy on synthetic clusters,
//! in one command: place from nothing, then drain one node, add one node, lose one node, and
//! measure balance against the fair share and moves against the lower bound each time (the
//! same changes and measures as the conformance suite's scorecard).
//!
//! Without `--zones` it runs the shapes the peers are measured on (3 zones of 4 and of 33 hosts,
//! 10,000 and 256 partitions, RF 3 with one replica per zone), which the README's table reports.

use std::process::ExitCode;

use anyhow::Context;
use serde_json::{json, Value};
use worker_policy::conformance::{score, Change, Scored};
use worker_policy::LoadedPolicy;
use worker_policy_model::generate::{generate, ClusterShape, SplitMix64};
use worker_policy_model::{Replication, Snapshot};

use crate::args::{Format, ScenariosArgs};
use crate::render;

/// One measured run.
struct Row {
    shape: String,
    partitions: u32,
    /// None: placing every partition from nothing.
    change: Option<Change>,
    scored: Scored,
    /// Most replicas on one eligible node over the mean.
    max_over_mean: f64,
}

impl Row {
    fn change_name(&self) -> &'static str {
        self.change.map_or("place all", Change::name)
    }

    /// Moves over the lower bound; 1 when both are 0.
    fn moves_over_bound(&self) -> f64 {
        let q = &self.scored.quality;
        match (q.lower_bound.value(), q.moves) {
            (0, 0) => 1.0,
            (0, _) => f64::INFINITY,
            (bound, moves) => moves as f64 / bound as f64,
        }
    }
}

/// Runs `scenarios`.
pub fn run(args: &ScenariosArgs, verbose: bool) -> anyhow::Result<ExitCode> {
    let policy = args.policy.load()?;
    let replication = Replication::parse(&args.replication)
        .map_err(|e| worker_policy::Error::PolicyFile(format!("--replication: {e}")))?;
    let shapes: Vec<(Vec<u32>, u32)> = if args.zones.is_empty() {
        [(4, 10_000), (33, 10_000), (4, 256), (33, 256)]
            .map(|(hosts, partitions)| (vec![hosts; 3], partitions))
            .to_vec()
    } else {
        vec![(args.zones.clone(), args.partitions)]
    };
    let mut rows = Vec::new();
    for (zones, partitions) in shapes {
        let shape = ClusterShape {
            seed: args.seed,
            ..ClusterShape::new(zones.clone(), partitions, replication)
        };
        let label = describe(&zones);
        let (scored, placed) =
            score(&policy, &generate(&shape)).with_context(|| format!("{label}: placing"))?;
        rows.push(Row {
            shape: label.clone(),
            partitions,
            change: None,
            max_over_mean: max_over_mean(&placed),
            scored,
        });
        let pick = SplitMix64::new(args.seed).below(placed.nodes.len());
        for change in Change::ALL {
            let (scored, after) = score(&policy, &change.apply(&placed, pick))
                .with_context(|| format!("{label}: {}", change.name()))?;
            rows.push(Row {
                shape: label.clone(),
                partitions,
                change: Some(change),
                max_over_mean: max_over_mean(&after),
                scored,
            });
        }
        render::print_logs(&policy, verbose);
    }
    match args.format {
        Format::Json => print!(
            "{}",
            render::to_json_text(&Value::Array(rows.iter().map(row_json).collect()))
        ),
        Format::Table => print!(
            "{}",
            table(&rows, &policy, &args.policy.source_name(), &replication)
        ),
    }
    Ok(ExitCode::SUCCESS)
}

/// Most replicas held by one eligible node over the mean of the eligible nodes.
fn max_over_mean(snapshot: &Snapshot) -> f64 {
    let counts: Vec<u32> = render::node_counts(snapshot)
        .into_iter()
        .filter(|row| row.node.is_placement_candidate())
        .map(|row| row.replicas)
        .collect();
    let mean = f64::from(counts.iter().sum::<u32>()) / counts.len().max(1) as f64;
    let max = f64::from(counts.iter().copied().max().unwrap_or(0));
    if mean > 0.0 {
        max / mean
    } else {
        0.0
    }
}

/// `3 zones x 4` for equal zones, else the list.
fn describe(zones: &[u32]) -> String {
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

fn table(rows: &[Row], policy: &LoadedPolicy, source: &str, replication: &Replication) -> String {
    let mut out = format!(
        "{}\nreplication {replication}\n\n",
        render::policy_line(policy, source)
    );
    out.push_str(&format!(
        "{:<20} {:>10}  {:<14} {:>6} {:>9} {:>8} {:>8} {:>8} {:>7} {:>11}\n",
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
    for r in rows {
        out.push_str(&format!(
            "{:<20} {:>10}  {:<14} {:>6} {:>9.3} {:>8} {:>8} {:>8} {:>7} {:>10.2}x\n",
            r.shape,
            r.partitions,
            r.change_name(),
            r.scored.rounds,
            r.max_over_mean,
            r.scored.quality.replicas.outside_band,
            format!(
                "{}..{}",
                r.scored.quality.leaders.min, r.scored.quality.leaders.max
            ),
            r.scored.quality.moves,
            r.scored.quality.lower_bound.value(),
            r.moves_over_bound()
        ));
    }
    out.push_str("\nmax/mean: most replicas on one node over the mean; outside: nodes outside floor..ceil of\ntheir fair share; leaders: fewest..most leaderships per node; bound: the fewest moves any\npolicy needs (see model/src/quality.rs).\n");
    out
}

fn row_json(r: &Row) -> Value {
    json!({
        "shape": r.shape, "partitions": r.partitions, "change": r.change_name(), "rounds": r.scored.rounds,
        "max_over_mean": r.max_over_mean, "moves_over_bound": r.moves_over_bound(),
        "quality": render::quality_json(&r.scored.quality),
    })
}
