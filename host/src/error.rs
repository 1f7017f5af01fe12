//! Typed errors of the host library, grouped into the classes the CLI's exit codes report.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use worker_policy_model::invariants::Violation;
use worker_policy_model::PolicyError;

use crate::hooks::Hook;

/// The class of an error, and the exit code the CLI gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// The policy refused: a transition it does not allow, or a cluster it cannot place. Exit 1.
    Refused,
    /// The user's input is wrong: a snapshot, an argument, a policy file that cannot be read. Exit 2.
    BadInput,
    /// The policy misbehaved: trap, timeout, memory, fuel, a broken invariant, a wrong contract. Exit 3.
    PolicyFault,
    /// The host itself failed, for example writing a file. Exit 4.
    Host,
    /// A live cluster did not do what was applied: a step it did not confirm in time, a cluster
    /// that kept changing under the plan. Exit 5.
    Diverged,
}

impl ErrorClass {
    /// Every class, in the order of their exit codes.
    pub const ALL: [ErrorClass; 5] = [
        ErrorClass::Refused,
        ErrorClass::BadInput,
        ErrorClass::PolicyFault,
        ErrorClass::Host,
        ErrorClass::Diverged,
    ];

    /// What the class means, in a few words (each verb's help says what it means there).
    pub fn meaning(self) -> &'static str {
        match self {
            ErrorClass::Refused => "the policy refused",
            ErrorClass::BadInput => "bad input",
            ErrorClass::PolicyFault => "the policy misbehaved",
            ErrorClass::Host => "host error",
            ErrorClass::Diverged => "the live cluster diverged",
        }
    }

    /// The process exit code of this class.
    pub fn exit_code(self) -> u8 {
        match self {
            ErrorClass::Refused => 1,
            ErrorClass::BadInput => 2,
            ErrorClass::PolicyFault => 3,
            ErrorClass::Host => 4,
            ErrorClass::Diverged => 5,
        }
    }
}

/// Anything the host library can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A snapshot that cannot be read, parsed or trusted.
    #[error(transparent)]
    Snapshot(#[from] SnapshotError),
    /// The policy answered with a typed error.
    #[error("the policy refused: {0}")]
    Refused(PolicyError),
    /// The policy misbehaved.
    #[error(transparent)]
    Fault(#[from] PolicyFault),
    /// A policy file that cannot be read or is not what was pinned.
    #[error("{0}")]
    PolicyFile(String),
    /// Settings the policy does not take.
    #[error(transparent)]
    Settings(#[from] SettingsError),
    /// The host could not set up the wasmtime engine.
    #[error("the host cannot set up its WebAssembly engine")]
    Engine {
        /// Why.
        source: wasmtime::Error,
    },
    /// A policy loaded into an engine whose fuel metering does not match its limits.
    #[error("the engine {} fuel but the limits {}; load the policy into an engine made with PolicyEngine::new({})",
        if *.engine_metered { "meters" } else { "does not meter" },
        if *.engine_metered { "set none" } else { "set some" },
        !.engine_metered)]
    EngineMismatch {
        /// Whether the engine meters fuel.
        engine_metered: bool,
    },
    /// The engine's instance pool had no room for a hook call: more calls at once than it
    /// holds for longer than a call may run, or components with more memories or tables than
    /// it keeps for them. The host's capacity, not the policy's fault.
    #[error("the engine's instance pool had no room for the hook call: {why}; make fewer hook calls at once, or give each group of calls an engine of its own (PolicyEngine::new)")]
    PoolFull {
        /// What was full.
        why: String,
    },
    /// The host failed to do its own work.
    #[error("{context}")]
    Io {
        /// What the host was doing.
        context: String,
        /// Why it failed.
        source: std::io::Error,
    },
}

impl Error {
    /// The class of this error.
    pub fn class(&self) -> ErrorClass {
        match self {
            Error::Snapshot(_) | Error::PolicyFile(_) | Error::Settings(_) => ErrorClass::BadInput,
            Error::Refused(_) => ErrorClass::Refused,
            Error::Fault(_) => ErrorClass::PolicyFault,
            Error::Io { .. }
            | Error::Engine { .. }
            | Error::EngineMismatch { .. }
            | Error::PoolFull { .. } => ErrorClass::Host,
        }
    }

    /// The policy's fault that its answer to `hook` breaks the invariant `violation`.
    pub fn violation(hook: Hook, violation: Violation) -> Error {
        Error::Fault(PolicyFault::Violation { hook, violation })
    }
}

/// A snapshot problem: which file, which field, what is wrong and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotError {
    /// The file (or `<stdin>`).
    pub file: PathBuf,
    /// The field, as a path such as `nodes[2].worker_state`; empty for the whole document.
    pub field: String,
    /// What is wrong, and what to do about it.
    pub problem: String,
}

impl fmt::Display for SnapshotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            write!(f, "{}: {}", self.file.display(), self.problem)
        } else {
            write!(
                f,
                "{}: field `{}`: {}",
                self.file.display(),
                self.field,
                self.problem
            )
        }
    }
}

impl std::error::Error for SnapshotError {}

/// Settings a policy cannot take: where they came from (`settings file cfg.json`, or
/// `--settings-json`) names them in every message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    /// The file cannot be read.
    #[error("{origin}: cannot be read: {problem}; check the path")]
    Unreadable {
        /// Where the settings came from.
        origin: String,
        /// Why.
        problem: String,
    },
    /// The text is not a JSON document.
    #[error("{origin}: not a JSON document ({problem}); settings are a JSON object such as {{\"max_moves\": 10}}")]
    NotJson {
        /// Where the settings came from.
        origin: String,
        /// The parser's message, with line and column.
        problem: String,
    },
    /// The policy refused them.
    #[error("{origin}: the policy `{policy}` refused the settings: {message}")]
    Refused {
        /// Where the settings came from.
        origin: String,
        /// The policy's name.
        policy: String,
        /// Its message: which key or value, and what it takes instead.
        message: String,
    },
    /// The policy speaks a contract version without settings.
    #[error("{origin}: the policy `{policy}` is built against contract {contract}, which has no settings; drop the settings, or rebuild the policy against contract 0.2.0 or later")]
    Unsupported {
        /// Where the settings came from.
        origin: String,
        /// The policy's name.
        policy: String,
        /// The contract version it speaks.
        contract: String,
    },
}

/// A policy that misbehaved, or a component that is not a policy for this host.
#[derive(Debug, thiserror::Error)]
pub enum PolicyFault {
    /// Not a WebAssembly component (a core module, or not wasm at all).
    #[error("{0}")]
    NotAComponent(String),
    /// A component that does not compile or link.
    #[error("the component is not valid")]
    Invalid(#[source] wasmtime::Error),
    /// A component over a static compile limit, refused before compiling.
    #[error("the component has {found} {}, over the limit of {max}; refused before compiling (raise it with {})", .limit.what(), .limit.flag())]
    OverCompileLimit {
        /// The limit.
        limit: crate::compile::CompileLimit,
        /// The component's figure.
        found: u64,
        /// The limit's value.
        max: u64,
    },
    /// Compiling the component took longer than the compile timeout.
    #[error("compiling the component took longer than the compile timeout of {} s and was stopped (raise it with --compile-timeout)", .limit.as_secs_f64())]
    CompileTimeout {
        /// The compile timeout.
        limit: Duration,
    },
    /// Compiling the component needed more memory than the compile worker may use.
    #[error("compiling the component needed more than the compile memory bound of {limit_mib} MiB and was stopped (raise it with --compile-memory)")]
    CompileOutOfMemory {
        /// The compile memory bound, in MiB.
        limit_mib: u64,
    },
    /// A component built for another version of the contract, or for another contract.
    #[error("the component exports {found}, this host speaks {expected}; rebuild the policy against wit/ of this host")]
    WrongContract {
        /// What the component exports.
        found: String,
        /// What this host expects.
        expected: String,
    },
    /// A component that asks for capabilities the host does not grant.
    #[error("the component imports {}, but a policy may import only {allowed}", .imports.join(", "))]
    ForbiddenImports {
        /// The imports refused.
        imports: Vec<String>,
        /// What a policy may import.
        allowed: String,
    },
    /// The policy trapped (a panic shows as `unreachable`).
    #[error("the policy trapped in `{hook}`: {message}")]
    Trap {
        /// The hook.
        hook: Hook,
        /// The trap and, where the policy logged one, its panic message.
        message: String,
    },
    /// The call failed without a trap: the component broke the canonical ABI (a string out of
    /// bounds, a bad pointer from its allocator) or went past a host limit on the data copied.
    #[error("the policy trapped in `{hook}`{}", .panic.as_ref().map_or(String::new(), |p| format!(" (the policy logged: {p})")))]
    CallFailed {
        /// The hook.
        hook: Hook,
        /// What wasmtime reported.
        #[source]
        source: wasmtime::Error,
        /// The last error the policy logged (a panic's message), if any.
        panic: Option<String>,
    },
    /// The policy handed the host more data in one crossing (an answer, or a log message) than
    /// an answer to the snapshot may take; wasmtime stopped the copy before making it.
    #[error("the policy handed the host more than {limit} bytes in one crossing of `{hook}` (its answer or a log message): the most an answer to this snapshot may take, {} bytes per step it may need, at least {} and at most the policy's memory cap of {max_memory} bytes (--max-memory)", crate::sandbox::CROSSING_BYTES_PER_STEP, crate::sandbox::MIN_CROSSING_BYTES)]
    OversizedCrossing {
        /// The hook.
        hook: Hook,
        /// The crossing limit of the call, in bytes.
        limit: usize,
        /// The policy's memory cap, in bytes.
        max_memory: usize,
    },
    /// The policy ran past its deadline.
    #[error("the policy ran past its deadline of {} ms in `{hook}` and was stopped", .limit.as_millis())]
    Timeout {
        /// The hook.
        hook: Hook,
        /// The deadline.
        limit: Duration,
    },
    /// The policy used up its fuel.
    #[error("the policy used all of its {fuel} fuel in `{hook}` and was stopped")]
    OutOfFuel {
        /// The hook.
        hook: Hook,
        /// The fuel it had.
        fuel: u64,
    },
    /// The policy tried to grow its memories and tables, all together, past the cap.
    #[error("the policy tried to grow its memory and tables to {requested} bytes in all in `{hook}`, over the cap of {limit} bytes, and was stopped")]
    OutOfMemory {
        /// The hook.
        hook: Hook,
        /// The total size it asked for, over every memory and table of the call.
        requested: usize,
        /// The cap.
        limit: usize,
    },
    /// The policy answered with far more items than the snapshot could need.
    #[error("the policy answered `{hook}` with {items} items, more than the {limit} any plan for this snapshot needs")]
    OversizedAnswer {
        /// The hook.
        hook: Hook,
        /// Items returned.
        items: usize,
        /// The most that make sense.
        limit: usize,
    },
    /// The policy answered with a string longer than any string a policy may hand the host.
    #[error("the policy answered `{hook}` with `{field}` of {size} bytes, over the cap of {limit} bytes")]
    OversizedText {
        /// The hook.
        hook: Hook,
        /// Where the string is in the answer, such as `steps[3].reason`.
        field: String,
        /// Its length in bytes.
        size: usize,
        /// The cap ([`MAX_POLICY_TEXT`](crate::sandbox::MAX_POLICY_TEXT)).
        limit: usize,
    },
    /// A step of a plan names a reason its reason table does not have.
    #[error("the policy answered `{hook}` with steps[{step}] naming reason {reason}, past the end of the plan's reason table ({reasons} in all, numbered from 0)")]
    UnknownReason {
        /// The hook.
        hook: Hook,
        /// The step's index in the plan.
        step: usize,
        /// The reason index it gives.
        reason: u32,
        /// How many reasons the table has.
        reasons: usize,
    },
    /// Round after round, the plans lead back to a snapshot seen before.
    #[error(
        "the policy loops: round {round} leads back to a cluster state seen in an earlier round"
    )]
    Loops {
        /// The round that closed the loop.
        round: u32,
    },
    /// The plan became empty while partitions are still unplaced, under-replicated or led off
    /// an eligible replica, or a draining node is still in use.
    #[error("{0}")]
    StoppedUnsettled(Box<crate::evaluate::StoppedUnsettled>),
    /// The policy answered insufficient nodes on a snapshot whose eligible workers satisfy the
    /// replication property: a false refusal, the policy's fault.
    #[error("the policy answered `{hook}` with insufficient nodes ({claimed}), but the eligible workers can satisfy the replication property {replication}: they span {available} {}(s) where {} are required; the policy is wrong, not the cluster", .claimed.scope, .claimed.required)]
    FalseInsufficient {
        /// The hook.
        hook: Hook,
        /// What the policy claimed.
        claimed: worker_policy_model::replication::Shortfall,
        /// The snapshot's replication property.
        replication: String,
        /// The domains of the claimed scope the eligible workers span, as the host counts them.
        available: u32,
    },
    /// The plans did not become empty within the round limit.
    #[error("the plan was still not empty after {rounds} rounds; raise --max-rounds if the cluster needs more")]
    NoConvergence {
        /// Rounds run.
        rounds: u32,
    },
    /// The policy allowed an operator's request that breaks a rule no policy may break.
    #[error(transparent)]
    UnsafeVerdict(#[from] crate::verdict_check::UnsafeVerdict),
    /// The policy's answer breaks a safety invariant.
    #[error("the policy's answer to `{hook}` was refused: {violation}")]
    Violation {
        /// The hook.
        hook: Hook,
        /// The invariant broken.
        violation: Violation,
    },
}

/// The most bytes of untrusted text (a policy's strings, WAT source, a file's contents) an error
/// message quotes.
pub const EXCERPT_BYTES: usize = 200;

/// The start of untrusted `text`, at most [`EXCERPT_BYTES`] bytes, saying how much was left out.
pub fn excerpt(text: &str) -> String {
    if text.len() <= EXCERPT_BYTES {
        return text.to_string();
    }
    let mut cut = EXCERPT_BYTES;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}… [{} more bytes]", &text[..cut], text.len() - cut)
}

/// A wasmtime error whose message may quote untrusted input (a WAT line, a policy's string):
/// displayed as an [`excerpt`] of its whole chain, with the error itself kept whole inside.
/// Wrap such an error with [`BoundedCause::wrap`] before keeping it as a fault's source.
#[derive(Debug)]
pub struct BoundedCause {
    message: String,
    error: wasmtime::Error,
}

impl BoundedCause {
    /// `error` as a wasmtime error whose message, and chain, is at most an excerpt long; the
    /// original stays reachable with `downcast_ref::<BoundedCause>()` and [`BoundedCause::error`].
    pub fn wrap(error: wasmtime::Error) -> wasmtime::Error {
        let message = excerpt(&format!("{error:#}"));
        wasmtime::Error::new(BoundedCause { message, error })
    }

    /// The error as wasmtime reported it, unbounded.
    pub fn error(&self) -> &wasmtime::Error {
        &self.error
    }
}

impl fmt::Display for BoundedCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// No source: the message already sums up the chain, whose links may quote the input in full.
impl std::error::Error for BoundedCause {}

/// `error` and its causes, joined with `: ` as the CLI prints them.
pub fn message_chain(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut cause = error.source();
    while let Some(next) = cause {
        message.push_str(&format!(": {next}"));
        cause = next.source();
    }
    message
}
