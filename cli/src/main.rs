//! `worker-policy`: load a policy component (the embedded default, or any file) and ask it what
//! to do with a cluster snapshot. One module per verb; the host library does the work.

mod args;
mod bench;
mod conformance;
mod evaluate;
mod generate;
mod inspect;
mod render;
mod scenarios;
mod simulate;
mod transition;

use std::process::ExitCode;

use clap::Parser;
use worker_policy::ErrorClass;

use crate::args::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Evaluate(a) => evaluate::run(a, cli.verbose),
        Command::Transition(a) => transition::run(a, cli.verbose),
        Command::Simulate(a) => simulate::run(a, cli.verbose),
        Command::Inspect(a) => inspect::run(a),
        Command::Scenarios(a) => scenarios::run(a, cli.verbose),
        Command::Bench(a) => bench::run(a),
        Command::Generate(a) => generate::run(a),
        Command::Conformance(a) => conformance::run(a, cli.verbose),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(exit_class(&error).exit_code())
        }
    }
}

/// The class of the first typed error in the chain; anything untyped is a host error.
fn exit_class(error: &anyhow::Error) -> ErrorClass {
    error
        .chain()
        .find_map(|e| e.downcast_ref::<worker_policy::Error>())
        .map(worker_policy::Error::class)
        .or_else(|| {
            error
                .chain()
                .find_map(|e| e.downcast_ref::<worker_policy::error::SnapshotError>())
                .map(|_| ErrorClass::BadInput)
        })
        .unwrap_or(ErrorClass::Host)
}
