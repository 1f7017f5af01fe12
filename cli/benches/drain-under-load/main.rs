//! The drain-under-load benchmark: a real workload (a keyed counter written with Restate's Rust
//! SDK, driven at a fixed rate with idempotency keys) on fresh live Restate clusters, while a
//! node is drained, killed or joins, and Restate's own scheduler, worker-policy's script and
//! `worker-policy apply` each react. Per run: requests and their latency before, during and
//! after; how long until the node held nothing; replicas moved and leader elections against
//! their lower bounds; the spread per node at the end; the exactly-once check.
//!
//! `cargo bench -p worker-policy-cli --bench drain-under-load` runs every event with every way
//! (9 runs, about 10 minutes on 2 cores); `-- --help` shows the options. Everything listens on
//! 127.0.0.1; every Restate node and data directory is gone when it ends, however it ends.

mod action;
mod report;
mod run;
mod watch;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use clap::Parser;
use worker_policy_restate_live::{install, process, RunDir, RESTATE_VERSION};

use action::{Event, Operator, Way};
use report::{report, tables, RunReport};
use run::{kebab, run, Setup};

/// The drain-under-load benchmark on live Restate clusters (6 nodes, 2 zones, `{zone: 2}`).
#[derive(Debug, Parser)]
#[command(name = "drain-under-load")]
struct Args {
    /// The events, in order: `drain` (N4), `kill` (N4, SIGKILL), `join` (N7)
    #[arg(long, value_delimiter = ',', default_values = ["drain", "kill", "join"])]
    events: Vec<Event>,
    /// Who reacts, for each event in turn: `restate` (its own scheduler), `script`
    /// (worker-policy's restatectl script, run once), `apply` (worker-policy apply)
    #[arg(long, value_delimiter = ',', default_values = ["restate", "script", "apply"])]
    ways: Vec<Way>,
    /// Requests per second
    #[arg(long, default_value_t = 100)]
    rate: u32,
    /// Seconds of load before the event
    #[arg(long, default_value_t = 10)]
    before: u64,
    /// Seconds of load after the event
    #[arg(long, default_value_t = 30)]
    after: u64,
    /// Counters the requests spread over
    #[arg(long, default_value_t = 64)]
    keys: u32,
    /// Picks each request's counter (the same seed in every run)
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Partitions provisioned
    #[arg(long, default_value_t = 16)]
    partitions: u16,
    /// Also write every run's figures here as JSON
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// `apply`'s `--max-concurrent`: partitions in reconfiguration at once (16: every partition
    /// of the cluster may move at once, as Restate's scheduler moves them; apply's own default
    /// is 1)
    #[arg(long, default_value_t = 16)]
    max_concurrent: u32,
    /// Keep each run's files here, in a folder per run: the snapshots before and after, the
    /// script or `apply`'s events (JSON lines)
    #[arg(long, value_name = "DIR")]
    keep: Option<PathBuf>,
    /// Print the tables of an earlier run's `--json` FILE instead of running anything
    #[arg(long, value_name = "FILE", conflicts_with = "json")]
    tables_of: Option<PathBuf>,
    /// Passed by `cargo bench`; ignored
    #[arg(long, hide = true)]
    bench: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let result = match &args.tables_of {
        Some(path) => print_tables_of(path),
        None => bench(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("drain-under-load: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Prints the tables of the runs `path` holds (an earlier run's `--json`).
fn print_tables_of(path: &std::path::Path) -> Result<()> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let reports: Vec<RunReport> = serde_json::from_str(&text).with_context(|| {
        format!(
            "{} is not the JSON of a drain-under-load run (--json)",
            path.display()
        )
    })?;
    print!("{}", tables(&reports));
    Ok(())
}

/// Runs every event with every way; prints the tables, writes the JSON.
fn bench(args: &Args) -> Result<()> {
    if args.rate == 0 || args.after == 0 {
        anyhow::bail!("--rate and --after must be above 0");
    }
    process::install_interrupt_cleanup()?;
    let started = Instant::now();
    let cache = install::default_cache();
    let binaries = install::install(&cache)
        .with_context(|| format!("installing Restate {RESTATE_VERSION} from npm"))?;
    let runs = RunDir::create(&cache.join("runs"))?;
    let policy_cache = cache.join("policy-cache");
    let worker_policy = PathBuf::from(env!("CARGO_BIN_EXE_worker-policy"));
    let setup = Setup {
        partitions: args.partitions,
        rate: args.rate,
        before: Duration::from_secs(args.before),
        after: Duration::from_secs(args.after),
        keys: args.keys,
        seed: args.seed,
    };
    let total = args.events.len() * args.ways.len();
    let mut reports: Vec<RunReport> = Vec::new();
    for &event in &args.events {
        for &way in &args.ways {
            eprintln!(
                "[{}/{total}] {} with {} ({:.0} s in)",
                reports.len() + 1,
                kebab(event),
                kebab(way),
                started.elapsed().as_secs_f64()
            );
            let recorded = run(
                &setup,
                event,
                way,
                &binaries,
                runs.path(),
                Operator {
                    worker_policy: worker_policy.clone(),
                    work: PathBuf::new(),
                    cache: policy_cache.clone(),
                    max_concurrent: args.max_concurrent,
                },
                args.keep.as_deref(),
            )?;
            let figures = report(&recorded);
            eprintln!(
                "  {} of {} succeeded, exactly once: {}",
                figures.succeeded,
                figures.sent,
                if figures.exactly_once.holds() {
                    "holds"
                } else {
                    "BROKEN"
                }
            );
            reports.push(figures);
        }
    }
    println!(
        "Restate {RESTATE_VERSION}, 6 nodes in 2 zones, {{zone: 2}}, {} partitions; {} requests/s \
         over {} counters for {} s, the event at {} s (seed {}).\n",
        args.partitions,
        args.rate,
        args.keys,
        args.before + args.after,
        args.before,
        args.seed
    );
    print!("{}", tables(&reports));
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&reports)?;
        let partial = path.with_extension("json.partial");
        std::fs::write(&partial, text + "\n")
            .with_context(|| format!("writing {}", partial.display()))?;
        std::fs::rename(&partial, path).with_context(|| format!("writing {}", path.display()))?;
    }
    eprintln!("done in {:.0} s", started.elapsed().as_secs_f64());
    let broken: Vec<String> = reports
        .iter()
        .filter(|r| !r.exactly_once.holds())
        .map(|r| {
            format!(
                "{} with {}: {:?}",
                kebab(r.event),
                kebab(r.way),
                r.exactly_once.problems
            )
        })
        .collect();
    anyhow::ensure!(
        broken.is_empty(),
        "the exactly-once check failed: {}",
        broken.join("; ")
    );
    Ok(())
}
