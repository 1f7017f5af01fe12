//! Why a live cluster could not be dumped: each variant says what the operator can do about it,
//! and names the `restatectl` command when one failed.

use std::path::PathBuf;

use crate::import::ImportError;

/// A live dump the import refuses, or could not take. Nothing is written when one is returned.
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    /// No `restatectl` on `PATH`, and none was named.
    #[error(
        "restatectl was not found on PATH: pass --restatectl FILE, or install it from npm (`npm install @restatedev/restatectl@1.7`, then --restatectl node_modules/.bin/restatectl)"
    )]
    NotFound,
    /// The `restatectl` named cannot be started.
    #[error("{}: cannot be run: {error}; pass --restatectl FILE naming the restatectl binary", program.display())]
    CannotRun {
        /// The program.
        program: PathBuf,
        /// Why it cannot be started.
        error: std::io::Error,
    },
    /// `restatectl --version` names a version whose dumps this import does not read.
    #[error(
        "{}: `restatectl --version` says `{said}`, but import restate --address needs restatectl 1.7.x (the version whose dump formats it reads); pass --restatectl FILE naming a 1.7 restatectl, or install one (`npm install @restatedev/restatectl@1.7`)",
        program.display()
    )]
    WrongVersion {
        /// The program.
        program: PathBuf,
        /// What it printed (the first line).
        said: String,
    },
    /// `restatectl sql` fails at the first address: that node has no admin role.
    #[error(
        "the first address must be a node with the admin role: restatectl sql asks only the first --address ({address}), and the SQL tables exist only on admin nodes; put an admin node first. restatectl said: {message}"
    )]
    NotAdmin {
        /// The first address.
        address: String,
        /// What restatectl said.
        message: String,
    },
    /// A `restatectl` command failed (an unreachable address, a refused request).
    #[error("`{command}` failed (exit {status}): {message}")]
    Failed {
        /// The command line.
        command: String,
        /// Its exit status.
        status: String,
        /// What it printed on stderr.
        message: String,
    },
    /// A `restatectl` command did not finish in time; it was killed.
    #[error(
        "`{command}` did not finish within {seconds} s and was stopped; check that the addresses reach the cluster, or allow more time with --timeout SECS"
    )]
    TimedOut {
        /// The command line.
        command: String,
        /// The timeout.
        seconds: u64,
    },
    /// The partition table or the nodes config changed during every dump.
    #[error(
        "the cluster kept changing while it was dumped ({tries} tries: {changes}); a dump must be of one moment: run the import again once the cluster is quiet"
    )]
    KeptChanging {
        /// How many dumps were taken.
        tries: usize,
        /// What changed in each, in words.
        changes: String,
    },
    /// The dump was taken but is refused by the import (the file is named by its command).
    #[error(transparent)]
    Import(#[from] ImportError),
    /// The scratch directory for the dump could not be made or written.
    #[error("{what}: {error}")]
    Scratch {
        /// What was being done.
        what: String,
        /// Why it failed.
        error: std::io::Error,
    },
}

impl LiveError {
    /// Whether the operator can fix this (bad input: the arguments, the cluster, restatectl),
    /// as opposed to a failure of this machine (the scratch directory).
    pub fn is_bad_input(&self) -> bool {
        !matches!(self, LiveError::Scratch { .. })
    }
}
