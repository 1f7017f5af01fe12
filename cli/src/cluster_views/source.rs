//! Where a view's snapshot comes from: a file given as the first argument, or with `--snapshot`
//! as the other verbs take it; `-` reads it from stdin.

use std::io::Read;
use std::path::{Path, PathBuf};

use clap::Args;
use worker_policy::error::SnapshotError;
use worker_policy::snapshot_file::{SnapshotFile, MAX_FILE_BYTES};

/// What the snapshot of stdin is called in messages and in the output.
const STDIN_NAME: &str = "<stdin>";

/// The snapshot a view shows.
#[derive(Debug, Args)]
pub struct SnapshotSource {
    /// The cluster snapshot (JSON); `-` reads it from stdin.
    #[arg(
        value_name = "SNAPSHOT",
        required_unless_present = "snapshot_option",
        conflicts_with = "snapshot_option"
    )]
    pub snapshot: Option<PathBuf>,
    /// The cluster snapshot, as the other verbs take it (instead of SNAPSHOT).
    #[arg(long = "snapshot", id = "snapshot_option", value_name = "FILE")]
    pub snapshot_option: Option<PathBuf>,
}

impl SnapshotSource {
    /// The file given (clap requires one of the two forms).
    fn path(&self) -> anyhow::Result<&Path> {
        self.snapshot
            .as_deref()
            .or(self.snapshot_option.as_deref())
            .ok_or_else(|| {
                crate::error::CliError::Argument(
                    "no snapshot given: name the file (or `-` for stdin) after the verb".into(),
                )
                .into()
            })
    }

    /// The snapshot's name in the output: the file as given, or `<stdin>`.
    pub fn label(&self) -> anyhow::Result<String> {
        let path = self.path()?;
        Ok(if is_stdin(path) {
            STDIN_NAME.into()
        } else {
            path.display().to_string()
        })
    }

    /// Reads and checks the snapshot.
    pub fn read(&self) -> anyhow::Result<SnapshotFile> {
        let path = self.path()?;
        if is_stdin(path) {
            return Ok(read_stdin()?);
        }
        Ok(SnapshotFile::read(path)?)
    }
}

/// Whether `path` is `-`, stdin.
fn is_stdin(path: &Path) -> bool {
    path == Path::new("-")
}

/// Reads and checks the snapshot on stdin, with the size limit of a snapshot file.
fn read_stdin() -> Result<SnapshotFile, SnapshotError> {
    let whole = |problem: String| SnapshotError {
        file: PathBuf::from(STDIN_NAME),
        field: String::new(),
        problem,
    };
    let mut bytes = Vec::new();
    std::io::stdin()
        .lock()
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| whole(format!("cannot be read: {e}")))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(whole(format!(
            "is more than the {MAX_FILE_BYTES} bytes a snapshot may have"
        )));
    }
    let text = String::from_utf8(bytes)
        .map_err(|e| whole(format!("cannot be read as UTF-8 text: {e}")))?;
    SnapshotFile::parse(&text, Path::new(STDIN_NAME))
}
