//! What can go wrong with a live cluster, each naming what was being done.

use std::path::PathBuf;
use std::time::Duration;

use thiserror::Error;

/// A failure of the harness or of the cluster it drives.
#[derive(Debug, Error)]
pub enum LiveError {
    /// A file or directory operation failed.
    #[error("{what} ({path}): {source}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// The path it was done on.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// A program could not be started.
    #[error("cannot start {program}: {source}{hint}")]
    Spawn {
        /// The program.
        program: String,
        /// The error.
        source: std::io::Error,
        /// What to do about it, or empty.
        hint: &'static str,
    },
    /// A command ran and failed.
    #[error("`{command}` failed ({status}): {stderr}")]
    Failed {
        /// The command line.
        command: String,
        /// Its exit status.
        status: String,
        /// What it printed on stderr (the end of it).
        stderr: String,
    },
    /// A bounded wait ran out.
    #[error("gave up after {:.0?} waiting for {what}; last seen: {seen}", waited)]
    Timeout {
        /// What was waited for.
        what: String,
        /// How long.
        waited: Duration,
        /// The last observation.
        seen: String,
    },
    /// The cluster answered something the harness cannot read.
    #[error("unexpected answer from {what}: {detail}")]
    Unexpected {
        /// The query or command.
        what: String,
        /// What was wrong with the answer.
        detail: String,
    },
    /// The harness was asked for something the cluster does not have.
    #[error("{0}")]
    Usage(String),
}

impl LiveError {
    /// An [`LiveError::Io`] for `what` on `path`.
    pub fn io(
        what: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> LiveError {
        let path = path.into();
        move |source| LiveError::Io { what, path, source }
    }
}
