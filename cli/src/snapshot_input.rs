//! The snapshot a verb reads: named as its one positional argument or with `--snapshot` (exactly
//! one of them), a file or `-` for stdin. Stdin is read once and kept, so a verb that reads the
//! snapshot again (a script's digest of it) sees the same bytes.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use clap::Args;

use worker_policy::error::SnapshotError;
use worker_policy::snapshot_file::{SnapshotFile, MAX_FILE_BYTES};

use crate::output::is_stdio;

/// The one snapshot a verb reads: `worker-policy VERB FILE` or `--snapshot FILE`.
#[derive(Debug, Args)]
#[group(id = "snapshot-input", required = true, multiple = false)]
pub struct SnapshotArg {
    /// The cluster snapshot (JSON); `-` reads stdin.
    #[arg(value_name = "SNAPSHOT")]
    snapshot_path: Option<PathBuf>,
    /// The cluster snapshot, as an option instead of SNAPSHOT.
    #[arg(long = "snapshot", value_name = "FILE")]
    snapshot: Option<PathBuf>,
}

impl SnapshotArg {
    /// The path given (clap requires exactly one of the two).
    pub fn path(&self) -> &Path {
        self.snapshot_path
            .as_deref()
            .or(self.snapshot.as_deref())
            .unwrap_or(Path::new("-"))
    }
}

/// How a snapshot read from stdin is named in errors and output.
pub const STDIN_NAME: &str = "<stdin>";

/// How the snapshot at `path` is named in output: the path, or [`STDIN_NAME`] for `-`.
pub fn display_name(path: &Path) -> String {
    match is_stdio(path) {
        true => STDIN_NAME.to_string(),
        false => path.display().to_string(),
    }
}

/// Reads and checks the snapshot at `path`; `-` reads stdin.
pub fn read_snapshot(path: &Path) -> Result<SnapshotFile, SnapshotError> {
    if !is_stdio(path) {
        return SnapshotFile::read(path);
    }
    let text = String::from_utf8(stdin_bytes()?.to_vec())
        .map_err(|e| stdin_error(format!("cannot be read as UTF-8 text: {e}")))?;
    SnapshotFile::parse(&text, Path::new(STDIN_NAME))
}

/// The bytes of the snapshot at `path` as read (for its digest); `-` is what stdin gave.
pub fn snapshot_bytes(path: &Path) -> Result<Vec<u8>, SnapshotError> {
    if is_stdio(path) {
        return Ok(stdin_bytes()?.to_vec());
    }
    std::fs::read(path).map_err(|e| SnapshotError {
        file: path.to_path_buf(),
        field: String::new(),
        problem: format!("cannot be read again for its digest: {e}"),
    })
}

/// Everything stdin holds, read on first use (at most [`MAX_FILE_BYTES`]).
fn stdin_bytes() -> Result<&'static [u8], SnapshotError> {
    static STDIN: OnceLock<Result<Vec<u8>, String>> = OnceLock::new();
    let read = STDIN.get_or_init(|| {
        let mut bytes = Vec::new();
        std::io::stdin()
            .lock()
            .take(MAX_FILE_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| format!("cannot be read: {e}"))?;
        if bytes.len() as u64 > MAX_FILE_BYTES {
            return Err(format!(
                "is more than the {MAX_FILE_BYTES} bytes a snapshot may have"
            ));
        }
        Ok(bytes)
    });
    read.as_deref()
        .map_err(|problem| stdin_error(problem.clone()))
}

/// An error about the snapshot on stdin as a whole.
fn stdin_error(problem: String) -> SnapshotError {
    SnapshotError {
        file: STDIN_NAME.into(),
        field: String::new(),
        problem,
    }
}
