//! The CLI's own errors, and the exit class of any error a verb returns.

use std::path::PathBuf;

use worker_policy::error::SnapshotError;
use worker_policy::ErrorClass;
use worker_policy_restate_bridge::apply::ApplyError;
use worker_policy_restate_bridge::import::live::LiveError;
use worker_policy_restate_bridge::import::ImportError;
use worker_policy_restate_bridge::lease::LeaseError;

/// What the command line itself refuses (the library's errors carry their own class).
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Arguments that parse one by one but do not fit together or with the input.
    #[error("{0}")]
    Argument(String),
    /// A plan that `restatectl` cannot reach (the script's own refusal): the policy's fault.
    #[error("{0}")]
    Unreachable(String),
    /// A live cluster that kept changing under the plan: re-planned as many times as allowed.
    #[error("{0}")]
    KeptChanging(String),
    /// Another controller holds the cluster's lease.
    #[error("{0}")]
    LeaseHeld(String),
    /// A `--policy` file that cannot be read.
    #[error("{}: cannot be read: {error}; check the --policy path", path.display())]
    PolicyUnreadable {
        /// The file.
        path: PathBuf,
        /// Why it cannot be read (said in the message, so not repeated as a source).
        error: std::io::Error,
    },
}

/// The class of the first typed error in the chain; anything untyped is a host error.
pub fn exit_class(error: &anyhow::Error) -> ErrorClass {
    error
        .chain()
        .find_map(|e| {
            if let Some(cli) = e.downcast_ref::<CliError>() {
                Some(match cli {
                    CliError::Unreachable(_) => ErrorClass::PolicyFault,
                    CliError::KeptChanging(_) => ErrorClass::Diverged,
                    CliError::LeaseHeld(_) => ErrorClass::Refused,
                    _ => ErrorClass::BadInput,
                })
            } else if e.is::<SnapshotError>() || e.is::<ImportError>() {
                Some(ErrorClass::BadInput)
            } else if let Some(lease) = e.downcast_ref::<LeaseError>() {
                // The operator can fix all but a scratch directory this machine cannot write.
                Some(match lease {
                    LeaseError::Restatectl(live) if !live.is_bad_input() => ErrorClass::Host,
                    _ => ErrorClass::BadInput,
                })
            } else if let Some(apply) = e.downcast_ref::<ApplyError>() {
                Some(match apply {
                    ApplyError::Plan(_) => ErrorClass::PolicyFault,
                    apply if apply.is_divergence() => ErrorClass::Diverged,
                    apply if apply.is_bad_input() => ErrorClass::BadInput,
                    _ => ErrorClass::Host,
                })
            } else if let Some(live) = e.downcast_ref::<LiveError>() {
                // The operator can fix all but a scratch directory this machine cannot write.
                Some(match live.is_bad_input() {
                    true => ErrorClass::BadInput,
                    false => ErrorClass::Host,
                })
            } else {
                e.downcast_ref::<worker_policy::Error>()
                    .map(worker_policy::Error::class)
            }
        })
        .unwrap_or(ErrorClass::Host)
}

#[cfg(test)]
mod tests {
    use super::*;
    use worker_policy_model::PolicyError;

    #[test]
    fn each_error_keeps_its_class_through_context() {
        let argument = anyhow::Error::new(CliError::Argument("--node".into())).context("while");
        assert_eq!(exit_class(&argument), ErrorClass::BadInput);
        let refused =
            anyhow::Error::new(worker_policy::Error::Refused(PolicyError::UnknownNode(7)));
        assert_eq!(exit_class(&refused), ErrorClass::Refused);
        assert_eq!(exit_class(&anyhow::anyhow!("untyped")), ErrorClass::Host);
    }
}
