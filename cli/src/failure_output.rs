//! What a verb that ends in an error prints on stdout, where its result would have gone, so a
//! program reading stdout is never left with nothing: with `--format json`, the error as a JSON
//! object; with `--emit restatectl` to stdout, a script that fails when run
//! ([`crate::script_output::refusal_script`]). A table prints nothing more: the error is on
//! stderr.

use serde::Serialize;
use worker_policy::ErrorClass;

use crate::args::Command;
use crate::output::{is_stdio, write_stdout, Format, OutputOptions, Render};
use crate::script_output::{refusal_script, PlanFormat, PlanOutputOptions};

/// What stdout gets when the verb fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureOutput {
    /// Nothing.
    Nothing,
    /// The error as JSON.
    Json,
    /// A script that fails when run.
    Script,
}

/// An error as `--format json` prints it.
#[derive(Debug, Serialize)]
pub struct ErrorView {
    /// The error.
    pub error: ErrorBody,
}

/// The error's class, exit code and message.
#[derive(Debug, Serialize)]
pub struct ErrorBody {
    /// `refused`, `bad-input`, `policy-fault`, `host` or `diverged`.
    pub class: &'static str,
    /// The process's exit code.
    pub exit_code: u8,
    /// The message, as stderr has it after `error: `.
    pub message: String,
}

impl Render for ErrorView {
    fn table(&self) -> String {
        format!("error: {}\n", self.error.message)
    }
}

impl FailureOutput {
    /// What `command` prints on stdout when it fails.
    pub fn of(command: &Command) -> FailureOutput {
        match command {
            Command::Evaluate(a) => FailureOutput::of_plan(&a.render),
            Command::Simulate(a) => FailureOutput::of_plan(&a.render),
            Command::Decommission(a) => FailureOutput::of_plan(&a.render),
            Command::Rollout(a) => FailureOutput::of_plan(&a.render),
            Command::Transition(a) => FailureOutput::of_shared(&a.render),
            // `--execute` prints JSON lines, the last one saying how it ended: one more object
            // (pretty-printed) would break the stream; the error is on stderr.
            Command::Apply(a) if a.execute => FailureOutput::Nothing,
            Command::Apply(a) => FailureOutput::of_shared(&a.render),
            Command::Control(_) => FailureOutput::Nothing,
            Command::Inspect(a) => FailureOutput::of_shared(&a.render),
            Command::Diff(a) => FailureOutput::of_shared(&a.render),
            Command::Conformance(a) => FailureOutput::of_shared(&a.render),
            Command::Scenarios(a) => FailureOutput::of_shared(&a.render),
            Command::Bench(a) => FailureOutput::of_shared(&a.render),
            Command::Nodes(a) => FailureOutput::of_shared(&a.render),
            Command::Partitions(a) => FailureOutput::of_shared(&a.render),
            _ => FailureOutput::Nothing,
        }
    }

    /// The failure output of a verb that plans: a script only when it was to go to stdout.
    fn of_plan(options: &PlanOutputOptions) -> FailureOutput {
        match options.format {
            PlanFormat::Json => FailureOutput::Json,
            PlanFormat::Table => FailureOutput::Nothing,
            PlanFormat::Restatectl => match options.file.output.as_deref() {
                Some(path) if !is_stdio(path) => FailureOutput::Nothing,
                _ => FailureOutput::Script,
            },
        }
    }

    /// The failure output of a verb with `--format table|json`.
    fn of_shared(options: &OutputOptions) -> FailureOutput {
        match options.format {
            Format::Json => FailureOutput::Json,
            Format::Table => FailureOutput::Nothing,
        }
    }

    /// Prints `error`, of `class`, on stdout as this output has it.
    pub fn print(self, error: &anyhow::Error, class: ErrorClass) -> anyhow::Result<()> {
        let message = format!("{error:#}");
        match self {
            FailureOutput::Nothing => Ok(()),
            FailureOutput::Script => Ok(write_stdout(&refusal_script(&[message]))?),
            FailureOutput::Json => {
                let view = ErrorView {
                    error: ErrorBody {
                        class: class_name(class),
                        exit_code: class.exit_code(),
                        message,
                    },
                };
                Ok(write_stdout(&Format::Json.render(&view)?)?)
            }
        }
    }
}

/// The name of `class` in JSON.
fn class_name(class: ErrorClass) -> &'static str {
    match class {
        ErrorClass::Refused => "refused",
        ErrorClass::BadInput => "bad-input",
        ErrorClass::PolicyFault => "policy-fault",
        ErrorClass::Host => "host",
        ErrorClass::Diverged => "diverged",
    }
}
