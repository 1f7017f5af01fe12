//! `worker-policy report`: one self-contained HTML page (inline SVG and CSS, nothing fetched)
//! showing a policy's plan for a snapshot, or two policies' side by side: replicas and leaders
//! per node before and after against each node's fair-share band, moves from node to node,
//! the quality figures and the plan with its reasons. More than [`layout::MAX_NODES_DRAWN`]
//! nodes are drawn per zone, except the nodes that stand out ([`standouts`]: not eligible, or
//! changed by the plan), which keep columns of their own.

mod chart;
mod counts;
mod labels;
mod layout;
mod moves;
mod natural;
mod page;
mod render;
mod standouts;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use worker_policy::snapshot_file::SnapshotFile;

use crate::output::Destination;
use crate::policy_options::PolicyOptions;
use crate::snapshot_input::{display_name, read_snapshot, SnapshotArg};
use crate::view::policy::PolicyView;
use crate::view::snapshot::snapshot_line;

use page::Page;

/// Options of `report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub snapshot: SnapshotArg,
    /// The policy (`--policy`, default: the embedded default) and the sandbox both policies
    /// run in; `--policy-sha256` pins it.
    #[command(flatten)]
    pub policy: PolicyOptions,
    /// A second policy to show beside the first: a component file, `default` or `restate`.
    #[arg(long, value_name = "FILE|NAME")]
    pub against: Option<PathBuf>,
    /// At most this many replicas added by each plan's rebalance.
    #[arg(long, value_name = "N")]
    pub max_moves: Option<u32>,
    /// Where to write the page (atomically); `-` is stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
}

/// Runs `report`: evaluates the snapshot with each policy, writes the page, and says so.
pub fn run(args: ReportArgs, verbose: bool) -> anyhow::Result<ExitCode> {
    let destination = Destination::checked("--output", Some(&args.output))?;
    let file = read_snapshot(args.snapshot.path())?;
    let label = display_name(args.snapshot.path());
    let mut sides = vec![evaluate(
        &args.policy,
        &file,
        &label,
        args.max_moves,
        verbose,
    )?];
    if let Some(against) = args.against {
        let candidate = args.policy.candidate(against);
        sides.push(evaluate(
            &candidate,
            &file,
            &label,
            args.max_moves,
            verbose,
        )?);
    }
    let page = Page::new(snapshot_line(&label, &file.snapshot), &file.snapshot, sides);
    let html = render::render(&page).context("rendering the report")?;
    destination.write(&html)?;
    if destination.is_stdout() {
        return Ok(ExitCode::SUCCESS);
    }
    crate::output::write_stdout(&format!(
        "report    {} ({} bytes, {} polic{})\n",
        args.output.display(),
        html.len(),
        page.sides.len(),
        if page.sides.len() == 1 { "y" } else { "ies" }
    ))?;
    Ok(ExitCode::SUCCESS)
}

/// Loads the policy `options` name and evaluates `file`'s snapshot (read from `label`) with it.
fn evaluate(
    options: &PolicyOptions,
    file: &SnapshotFile,
    label: &str,
    max_moves: Option<u32>,
    verbose: bool,
) -> anyhow::Result<(PolicyView, worker_policy::Evaluation)> {
    let policy = options.load()?;
    let evaluation = worker_policy::evaluate(&policy, &file.snapshot, max_moves);
    crate::logs::print_logs(&policy, verbose);
    let evaluation =
        evaluation.with_context(|| format!("evaluating {label} with {}", options.source_name()))?;
    Ok((PolicyView::new(&policy, options.source_name()), evaluation))
}
