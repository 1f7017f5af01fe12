//! `worker-policy`: load a policy component (the embedded default, or any file) and ask it what
//! to do with a cluster snapshot. One module per verb: each owns its arguments and returns its
//! result as a value; [`output`] renders it and writes it to stdout. The host library does the
//! work.

mod apply;
mod args;
mod bench;
mod cluster_views;
mod compile_worker;
mod completions;
mod conformance;
mod control;
mod decommission;
mod diff;
mod drain_first;
mod error;
mod evaluate;
mod exit_codes;
mod failure_output;
mod generate;
mod import;
mod inspect;
mod interrupt;
mod live_target;
mod logs;
mod man;
mod output;
mod plan_input;
mod policy_options;
// The docs/reference pages: written and checked by its tests.
#[cfg(test)]
mod reference;
mod report;
mod rollout;
mod scenarios;
mod script_output;
mod simulate;
mod snapshot_input;
mod transition;
mod values;
mod verb_help;
mod version;
mod view;

use std::process::ExitCode;

use clap::FromArgMatches;

use crate::args::{Cli, Command};
use crate::failure_output::FailureOutput;
use crate::output::emit;

fn main() -> ExitCode {
    let matches = args::command().get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|error| error.exit());
    let on_failure = FailureOutput::of(&cli.command);
    if let Err(error) = interrupt::install() {
        output::write_stderr_line(&format!("error: {error:#}"));
        return ExitCode::from(worker_policy::ErrorClass::Host.exit_code());
    }
    match run(cli) {
        Ok(code) => code,
        Err(_) if interrupt::ending() => loop {
            // The interrupt handler is removing what the run made, and exits with 130.
            std::thread::park();
        },
        Err(error) => {
            output::write_stderr_line(&format!("error: {error:#}"));
            let class = error::exit_class(&error);
            if let Err(unprinted) = on_failure.print(&error, class) {
                output::write_stderr_line(&format!("error: {unprinted:#}"));
            }
            ExitCode::from(class.exit_code())
        }
    }
}

/// Runs the verb and prints its result.
fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let verbose = cli.verbose;
    output::init(cli.color, cli.quiet);
    match cli.command {
        Command::Evaluate(a) => evaluate::emit(&a, verbose),
        Command::Transition(a) => {
            let to = a.render.file.destination()?;
            emit(&transition::run(&a, verbose)?, a.render.format, &to)
        }
        Command::Simulate(a) => simulate::emit(&a, verbose),
        Command::Apply(a) => apply::emit_apply(&a, verbose),
        Command::Control(a) => control::run(&a, verbose),
        Command::Inspect(a) => {
            let to = a.render.file.destination()?;
            emit(&inspect::run(&a)?, a.render.format, &to)
        }
        Command::Diff(a) => {
            let (format, to) = (a.render.format, a.render.file.destination()?);
            emit(&diff::run(a, verbose)?, format, &to)
        }
        Command::Decommission(a) => decommission::emit(&a, verbose),
        Command::Rollout(a) => rollout::emit(&a),
        Command::Report(a) => report::run(a, verbose),
        Command::Conformance(a) => {
            let to = a.render.file.destination()?;
            emit(&conformance::run(&a, verbose)?, a.render.format, &to)
        }
        Command::Scenarios(a) => {
            let to = a.render.file.destination()?;
            emit(&scenarios::run(&a, verbose)?, a.render.format, &to)
        }
        Command::Bench(a) => {
            let to = a.render.file.destination()?;
            emit(&bench::run(&a)?, a.render.format, &to)
        }
        Command::Nodes(a) => {
            let to = a.render.file.destination()?;
            emit(&cluster_views::nodes::run(&a)?, a.render.format, &to)
        }
        Command::Partitions(a) => {
            let to = a.render.file.destination()?;
            emit(&cluster_views::partitions::run(&a)?, a.render.format, &to)
        }
        Command::Generate(a) => generate::run(&a),
        Command::Import(a) => import::run(&a),
        Command::Completions(a) => completions::run(&a),
        Command::Man(a) => man::run(&a),
        Command::CompileWorker(a) => Ok(compile_worker::run(&a)),
    }
}
