//! The output layer: every verb returns a value, and a format renders it. Results go to stdout
//! through [`write_stdout`] alone, which treats a reader that has gone away (`| head`) as the
//! end of the output, not as an error.
//!
//! A new format is one more [`Format`] variant and one more arm in [`Format::render`] (with a
//! method on [`Render`] when it needs the verb's help, like [`Render::table`]).

use std::io::{self, Write};
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use serde::Serialize;
use worker_policy::ErrorClass;

/// How results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned text for people.
    Table,
    /// JSON for programs.
    Json,
}

/// The output options every verb that prints a result shares.
#[derive(Debug, Args)]
pub struct OutputOptions {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// A verb's result. JSON is its `Serialize` form, with the keys of every object sorted (the
/// order the output has always had, whatever the order of the fields); the table is
/// [`Render::table`].
pub trait Render: Serialize {
    /// The result as aligned text for people.
    fn table(&self) -> String;

    /// The exit class the result stands for when it is not a success (a refused transition,
    /// a failed certification); `None` for success.
    fn failure(&self) -> Option<ErrorClass> {
        None
    }
}

impl Format {
    /// `value` in this format.
    pub fn render<R: Render>(self, value: &R) -> serde_json::Result<String> {
        match self {
            Format::Table => Ok(value.table()),
            Format::Json => {
                // A `Value`'s objects are sorted maps: this sorts every object's keys.
                let mut text = serde_json::to_string_pretty(&serde_json::to_value(value)?)?;
                text.push('\n');
                Ok(text)
            }
        }
    }
}

/// Renders `value` in `format` to stdout; the exit code is the result's own (a closed stdout
/// does not change it).
pub fn emit<R: Render>(value: &R, format: Format) -> anyhow::Result<ExitCode> {
    write_stdout(&format.render(value)?)?;
    Ok(value
        .failure()
        .map_or(ExitCode::SUCCESS, |class| ExitCode::from(class.exit_code())))
}

/// Writes `text` to stdout. A reader that has gone away (a broken pipe) is not an error: the
/// rest of the output has nowhere to go, so it is dropped.
pub fn write_stdout(text: &str) -> Result<(), worker_policy::Error> {
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(error) if error.kind() != io::ErrorKind::BrokenPipe => Err(worker_policy::Error::Io {
            context: "cannot write the output to stdout".into(),
            source: error,
        }),
        _ => Ok(()),
    }
}

/// Writes a line to stderr. When stderr is gone too there is nowhere left to say anything, so
/// a failure is dropped.
pub fn write_stderr_line(line: &str) {
    let _ = writeln!(io::stderr().lock(), "{line}");
}

#[cfg(test)]
pub mod tests {
    use serde::Serialize;

    /// Fails unless `value` serializes with the keys of every object in alphabetical order,
    /// as the JSON output always had them (it used to be built with `json!`, which sorts).
    pub fn assert_keys_sorted(value: &impl Serialize) {
        let direct = serde_json::to_string_pretty(value).unwrap();
        let sorted = serde_json::to_string_pretty(&serde_json::to_value(value).unwrap()).unwrap();
        assert_eq!(direct, sorted, "declare the fields in alphabetical order");
    }
}
