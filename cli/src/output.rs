//! The output layer: every verb returns a value, and a format renders it. Results go to stdout
//! through [`write_stdout`] alone, which treats a reader that has gone away (`| head`) as the
//! end of the output, not as an error.
//!
//! A new format is one more [`Format`] variant and one more arm in [`Format::render`] (with a
//! method on [`Render`] when it needs the verb's help, like [`Render::table`]). Where a result
//! goes (`-o/--output`) is [`destination`]'s; progress of long work, on stderr, is [`progress`]'s.

mod colour;
mod destination;
mod progress;

use std::io::{self, Write};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};

use clap::{Args, ValueEnum};
use serde::Serialize;
use worker_policy::ErrorClass;

pub use colour::ColorChoice;
pub use destination::{check_writable_path, is_stdio, Destination, OutputFile};
pub use progress::Progress;

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
    #[command(flatten)]
    pub file: OutputFile,
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

    /// Whether a result that is not a success is still a whole report worth keeping (a failed
    /// certification, policies that differ), so `-o FILE` writes it; a refusal is not one: it
    /// goes to stdout and leaves the file alone.
    fn kept_when_failed(&self) -> bool {
        false
    }
}

/// The version of every verb's JSON output, at its top level as `format_version`: raised when a
/// key is removed or changes meaning (new keys do not raise it).
pub const FORMAT_VERSION: u32 = 1;

impl Format {
    /// `value` in this format; JSON with [`FORMAT_VERSION`] at its top level.
    pub fn render<R: Render>(self, value: &R) -> serde_json::Result<String> {
        match self {
            Format::Table => Ok(value.table()),
            Format::Json => {
                // A `Value`'s objects are sorted maps: this sorts every object's keys.
                let mut json = serde_json::to_value(value)?;
                if let serde_json::Value::Object(top) = &mut json {
                    top.insert("format_version".into(), FORMAT_VERSION.into());
                }
                let mut text = serde_json::to_string_pretty(&json)?;
                text.push('\n');
                Ok(text)
            }
        }
    }
}

/// Renders `value` in `format` to `destination`, or to stdout when the result is a failure (a
/// refusal never creates or replaces a file); the exit code is the result's own (a closed
/// stdout does not change it).
pub fn emit<R: Render>(
    value: &R,
    format: Format,
    destination: &Destination,
) -> anyhow::Result<ExitCode> {
    let text = format.render(value)?;
    let painted = || match format {
        Format::Table => colour::paint_table(&text),
        Format::Json => text.clone(),
    };
    let code = exit_code(value);
    let written = value.failure().is_none() || value.kept_when_failed();
    match written && !destination.is_stdout() {
        true => destination.write(&text)?,
        false => write_stdout(&painted())?,
    }
    Ok(code)
}

/// The exit code `value` stands for: its failure's class, or success.
pub fn exit_code<R: Render>(value: &R) -> ExitCode {
    value
        .failure()
        .map_or(ExitCode::SUCCESS, |class| ExitCode::from(class.exit_code()))
}

/// Writes a part of a table to stdout as soon as it is known (a simulation's round), coloured as
/// [`emit`] colours the whole table: the parts together are the table [`emit`] would print.
pub fn write_table_part(text: &str) -> Result<(), worker_policy::Error> {
    write_stdout(&colour::paint_table(text))
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

/// Whether `--quiet` was given: informational lines are dropped.
static QUIET: AtomicBool = AtomicBool::new(false);

/// Sets the global options of the output for the rest of the run: `--color` and `--quiet`.
pub fn init(color: ColorChoice, quiet: bool) {
    colour::init(color);
    QUIET.store(quiet, Ordering::Relaxed);
}

/// Whether informational lines and progress are shown (no `--quiet`).
pub fn informs() -> bool {
    !QUIET.load(Ordering::Relaxed)
}

/// Writes an informational line (a note, what was written) to stderr, unless `--quiet`.
pub fn write_note_line(line: &str) {
    if informs() {
        write_stderr_line(line);
    }
}

/// Writes a line to stderr. When stderr is gone too there is nowhere left to say anything, so
/// a failure is dropped.
pub fn write_stderr_line(line: &str) {
    let _ = writeln!(io::stderr().lock(), "{}", colour::paint_stderr_line(line));
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
