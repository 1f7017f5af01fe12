//! What can go wrong with the workload, each naming what was being done.

use thiserror::Error;

/// A failure of the service, the load generator or a request they depend on.
#[derive(Debug, Error)]
pub enum LoadError {
    /// A socket, thread or runtime could not be set up.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// The error.
        source: std::io::Error,
    },
    /// The cluster did not answer as it must for the workload to run.
    #[error("{what}: {detail}")]
    Cluster {
        /// What was being done.
        what: String,
        /// What happened instead.
        detail: String,
    },
    /// A bounded wait ran out.
    #[error("gave up after {seconds} s waiting for {what}: {last}")]
    Timeout {
        /// What was waited for.
        what: String,
        /// The bound.
        seconds: u64,
        /// What was seen last.
        last: String,
    },
    /// The load generator's thread panicked.
    #[error("the load generator stopped unexpectedly: {0}")]
    Generator(String),
}

impl LoadError {
    /// A closure turning an I/O error into [`LoadError::Io`] for `what`.
    pub(crate) fn io(what: &'static str) -> impl FnOnce(std::io::Error) -> LoadError {
        move |source| LoadError::Io { what, source }
    }
}
