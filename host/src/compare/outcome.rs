//! What one call of one policy came to: an answer, a refusal (a typed error the contract
//! allows, such as insufficient nodes) or a failure (a fault, a broken invariant, no
//! convergence), kept as a result to report.

use worker_policy_model::PolicyError;

use crate::error::{message_chain, Error, ErrorClass};

/// An answer, a refusal or a failure.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome<T> {
    /// The policy answered, and the answer passed the host's checks.
    Answered(T),
    /// The policy refused with a typed error.
    Refused(PolicyError),
    /// The policy (or the host running it) failed.
    Failed(Failure),
}

/// A call that failed: its class and the whole message, causes included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The class of the error (a policy fault, or the host's own).
    pub class: ErrorClass,
    /// What happened, with every cause.
    pub message: String,
}

impl<T> Outcome<T> {
    /// Whether the call failed.
    pub fn is_failure(&self) -> bool {
        matches!(self, Outcome::Failed(_))
    }

    /// The typed error the policy refused with, if it did.
    pub fn refusal(&self) -> Option<&PolicyError> {
        match self {
            Outcome::Refused(error) => Some(error),
            _ => None,
        }
    }

    /// The answer, if there is one.
    pub fn answer(&self) -> Option<&T> {
        match self {
            Outcome::Answered(answer) => Some(answer),
            _ => None,
        }
    }

    /// The outcome with its answer borrowed.
    pub fn as_ref(&self) -> Outcome<&T> {
        match self {
            Outcome::Answered(answer) => Outcome::Answered(answer),
            Outcome::Refused(error) => Outcome::Refused(error.clone()),
            Outcome::Failed(failure) => Outcome::Failed(failure.clone()),
        }
    }

    /// The answer through `f`; a refusal or failure as it is.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Outcome<U> {
        match self {
            Outcome::Answered(answer) => Outcome::Answered(f(answer)),
            Outcome::Refused(error) => Outcome::Refused(error),
            Outcome::Failed(failure) => Outcome::Failed(failure),
        }
    }
}

impl<T> From<Result<T, Error>> for Outcome<T> {
    fn from(result: Result<T, Error>) -> Outcome<T> {
        match result {
            Ok(answer) => Outcome::Answered(answer),
            Err(Error::Refused(error)) => Outcome::Refused(error),
            Err(error) => Outcome::Failed(Failure {
                class: error.class(),
                message: message_chain(&error),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::PolicyFault;

    #[test]
    fn a_typed_error_is_a_refusal_and_anything_else_a_failure() {
        let refused: Outcome<()> = Err(Error::Refused(PolicyError::UnknownNode(4))).into();
        assert_eq!(refused.refusal(), Some(&PolicyError::UnknownNode(4)));
        assert!(!refused.is_failure());
        let failed: Outcome<()> =
            Err(Error::Fault(PolicyFault::NoConvergence { rounds: 3 })).into();
        assert!(failed.is_failure());
        assert_eq!(failed.refusal(), None);
        let Outcome::Failed(failure) = failed else {
            panic!("not a failure");
        };
        assert_eq!(failure.class, ErrorClass::PolicyFault);
        assert!(failure.message.contains('3'), "{}", failure.message);
        assert_eq!(Outcome::<u8>::Answered(2).map(|n| n * 2).answer(), Some(&4));
    }
}
