//! What went wrong in a hook call, in the host's terms: a wasmtime error becomes a timeout, fuel
//! exhaustion, a memory refusal or a trap (with the panic message the policy logged, if any).
//! What the policy wrote (its panic message, and whatever wasmtime's error quotes of it) is
//! quoted as an excerpt.

use wasmtime::Trap;

use crate::error::{excerpt, BoundedCause, PolicyFault};
use crate::hooks::Hook;
use crate::sandbox::Limits;

/// What the store saw besides the error itself.
pub(crate) struct CallEvidence {
    /// The total of memories and tables the policy asked for beyond the cap, if it did.
    pub memory_refused: Option<usize>,
    /// The last error-level message the policy logged (a panic's message).
    pub panic: Option<String>,
    /// The most bytes the call could hand the host in one crossing.
    pub crossing: usize,
}

/// What wasmtime says when a crossing goes past the store's hostcall fuel (its error type is
/// private; a test pins the text against the wasmtime in use).
const CROSSING_EXHAUSTED: &str = "fuel allocated for hostcalls has been exhausted";

/// The fault a failed call of `hook` under `limits` amounts to.
pub(crate) fn classify(
    hook: Hook,
    error: wasmtime::Error,
    limits: &Limits,
    evidence: CallEvidence,
) -> PolicyFault {
    let panic = evidence.panic.as_deref().map(excerpt);
    match error.downcast_ref::<Trap>() {
        Some(Trap::Interrupt) => PolicyFault::Timeout {
            hook,
            limit: limits.timeout,
        },
        Some(Trap::OutOfFuel) => PolicyFault::OutOfFuel {
            hook,
            fuel: limits.fuel.unwrap_or(0),
        },
        _ if evidence.memory_refused.is_some() => PolicyFault::OutOfMemory {
            hook,
            requested: evidence.memory_refused.unwrap_or(0),
            limit: limits.max_memory,
        },
        Some(trap) => {
            let mut message = trap.to_string();
            if let Some(panic) = panic {
                message = format!("{message} (the policy logged: {panic})");
            }
            PolicyFault::Trap { hook, message }
        }
        None if error
            .chain()
            .any(|cause| cause.to_string().contains(CROSSING_EXHAUSTED)) =>
        {
            PolicyFault::OversizedCrossing {
                hook,
                limit: evidence.crossing,
                max_memory: limits.max_memory,
            }
        }
        None => PolicyFault::CallFailed {
            hook,
            source: BoundedCause::wrap(error),
            panic,
        },
    }
}
