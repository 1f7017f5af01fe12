//! Where a verb's result goes: stdout, or the file `-o/--output` names (`-` is stdout). A file
//! is written atomically and only when the result is a success or a whole report that is not
//! one ([`crate::output::Render::kept_when_failed`]): a refusal is printed to stdout as it would
//! be without `-o`, and the file is neither created nor replaced. Every path a verb
//! will write is checked before any work ([`check_writable_path`]), so a missing directory is
//! named at once rather than after a long run.

use std::path::{Path, PathBuf};

use clap::Args;
use worker_policy::atomic_file::write_atomically;

use crate::error::CliError;
use crate::output::write_stdout;

/// The `-o/--output` option of every verb that prints a result.
#[derive(Debug, Args)]
pub struct OutputFile {
    /// Write the result to FILE instead of stdout: atomically, and only on success (a refusal
    /// goes to stdout and FILE is left as it was); `-` is stdout.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
}

impl OutputFile {
    /// Where the result goes, its directory checked: call it before any work.
    pub fn destination(&self) -> Result<Destination, CliError> {
        Destination::checked("--output", self.output.as_deref())
    }
}

/// Where a result goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// Standard output.
    Stdout,
    /// A file, written atomically.
    File(PathBuf),
}

impl Destination {
    /// The destination `option` names (none, or `-`, is stdout), its directory checked.
    pub fn checked(option: &str, path: Option<&Path>) -> Result<Destination, CliError> {
        match path {
            None => Ok(Destination::Stdout),
            Some(path) if is_stdio(path) => Ok(Destination::Stdout),
            Some(path) => {
                check_writable_path(option, path)?;
                Ok(Destination::File(path.to_path_buf()))
            }
        }
    }

    /// Writes `text` here: to stdout, or atomically to the file.
    pub fn write(&self, text: &str) -> Result<(), worker_policy::Error> {
        match self {
            Destination::Stdout => write_stdout(text),
            Destination::File(path) => write_atomically(path, text.as_bytes()),
        }
    }

    /// Whether the text goes to stdout.
    pub fn is_stdout(&self) -> bool {
        *self == Destination::Stdout
    }
}

/// Whether `path` is `-`: stdin where a file is read, stdout where one is written.
pub fn is_stdio(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// Refuses a path `option` names that cannot become a file: one whose directory does not exist
/// (or is not a directory), or that is a directory itself.
pub fn check_writable_path(option: &str, path: &Path) -> Result<(), CliError> {
    let refuse = |why: String| CliError::Argument(format!("{option} {}: {why}", path.display()));
    if path.is_dir() {
        return Err(refuse(
            "is a directory; name a file to write (in it, or elsewhere)".into(),
        ));
    }
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    match std::fs::metadata(dir) {
        Ok(meta) if meta.is_dir() => Ok(()),
        Ok(_) => Err(refuse(format!(
            "{} is not a directory; name a file in an existing directory",
            dir.display()
        ))),
        Err(error) => Err(refuse(format!(
            "its directory {} cannot be used ({error}); create it first (mkdir -p {}) or name a file in an existing directory",
            dir.display(),
            dir.display()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dash_or_nothing_is_stdout_and_a_file_needs_its_directory() {
        assert_eq!(
            Destination::checked("-o", None).unwrap(),
            Destination::Stdout
        );
        assert_eq!(
            Destination::checked("-o", Some(Path::new("-"))).unwrap(),
            Destination::Stdout
        );
        assert_eq!(
            Destination::checked("-o", Some(Path::new("plan.json"))).unwrap(),
            Destination::File(PathBuf::from("plan.json"))
        );
        let missing = Destination::checked("--output", Some(Path::new("no-such-dir/x.json")))
            .unwrap_err()
            .to_string();
        assert!(
            missing.starts_with("--output no-such-dir/x.json: its directory no-such-dir")
                && missing.contains("mkdir -p no-such-dir"),
            "{missing}"
        );
        let dir = std::env::temp_dir();
        let is_dir = check_writable_path("--write", &dir)
            .unwrap_err()
            .to_string();
        assert!(is_dir.contains("is a directory"), "{is_dir}");
    }
}
