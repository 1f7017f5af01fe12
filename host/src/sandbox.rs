//! The sandbox every policy call runs in: per call a fresh store, on the policy's
//! [`PolicyEngine`](crate::engine::PolicyEngine), with a deadline, a memory cap, fuel when
//! metered, and a bounded log.
//!
//! A policy gets no capability but the logging import, so it is a deterministic function of its
//! input. Components made by WASI toolchains (other languages, `wasm32-wasip2`) may import WASI:
//! they get a virtual one with no files, network, arguments or environment, a frozen clock, a
//! fixed-seed random source, and stdout and stderr that go to the log.
//!
//! A store traps on the first call after a trap, so every hook call gets its own store.
//!
//! What a policy can make the host hold is bounded: its linear memories and tables together up
//! to [`Limits::max_memory`]; every string it hands over up to [`MAX_POLICY_TEXT`] bytes (longer
//! answers are refused, longer log messages cut); the data copied out of it in one crossing (an
//! answer, or one log call) up to the call's [`crossing_limit`], sized from the snapshot and
//! never more than `max_memory` (or [`MIN_CROSSING_BYTES`] when that is larger), past which
//! wasmtime fails the call before copying; at most [`MAX_LOG_RECORDS`] log records per call and
//! [`MAX_OUTPUT_BYTES`] of stdout and of stderr. A call's peak host memory is therefore at most
//! about `max_memory` plus the crossing limit twice over (the copy, and the model's form made
//! from it).

use std::sync::OnceLock;
use std::time::Duration;

use wasmtime::component::ResourceTable;
use wasmtime::{Engine, ResourceLimiter, Store};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::random::Deterministic;
use wasmtime_wasi::{HostMonotonicClock, HostWallClock, WasiCtx, WasiCtxView, WasiView};
use worker_policy_model::generate::SplitMix64;

use crate::engine::EPOCH_TICK;
/// The longest string a policy may hand the host, in bytes: a reason, an `info` field, the
/// message of an error; an answer with a longer one is refused, and a longer log message is cut
/// to this length.
pub const MAX_POLICY_TEXT: usize = 4096;
/// The most messages a policy may log in one call; later ones are counted, not kept.
pub const MAX_LOG_RECORDS: usize = 1000;
/// The most bytes a WASI policy may write to stdout, and to stderr, in one call; past it the
/// stream is closed to the policy.
pub const MAX_OUTPUT_BYTES: usize = 64 << 10;
/// The least a policy may hand the host in one crossing (a hook's whole answer, or one log
/// call), counted by wasmtime's hostcall fuel as the host's copy is made; past the limit the call
/// fails before the copy. Enough for a log message far over [`MAX_POLICY_TEXT`] to be cut, not
/// fail; a hook's answer to a large snapshot gets more ([`crossing_limit`]).
pub const MIN_CROSSING_BYTES: usize = 128 << 20;
/// What one step of an answer may cost in a crossing: its host form (about 40 bytes) and a reason
/// of about 280 bytes, several times what a reason says in practice.
pub const CROSSING_BYTES_PER_STEP: usize = 320;
/// What one table element costs against [`Limits::max_memory`] (a reference, 8 bytes).
pub const TABLE_ELEMENT_BYTES: usize = 8;
/// The seed of the virtual WASI random source: the same bytes for every call of every policy.
const RANDOM_SEED: u64 = 0x5EED_0FC0_FFEE;

/// What a policy call may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Wall-clock time per hook call.
    pub timeout: Duration,
    /// Bytes of linear memory and tables per hook call, summed over every memory and table of
    /// every core instance of the component (each table element counts
    /// [`TABLE_ELEMENT_BYTES`]).
    pub max_memory: usize,
    /// Instructions' worth of fuel per hook call, for reproducible runs; `None` meters nothing.
    pub fuel: Option<u64>,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            timeout: Duration::from_secs(5),
            max_memory: 1 << 30,
            fuel: None,
        }
    }
}

/// How much a message a policy logged matters: the contract's `logging.level`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogLevel {
    /// Detail for whoever debugs the policy.
    Debug,
    /// What the policy did and why.
    Info,
    /// Something the operator may want to look at.
    Warn,
    /// Something went wrong (a panic's message is logged at this level).
    Error,
}

impl LogLevel {
    /// The level as the contract names it, `debug`, `info`, `warn` or `error`.
    pub fn name(self) -> &'static str {
        match self {
            LogLevel::Debug => "debug",
            LogLevel::Info => "info",
            LogLevel::Warn => "warn",
            LogLevel::Error => "error",
        }
    }
}

impl std::fmt::Display for LogLevel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One message a policy logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogRecord {
    /// How much it matters.
    pub level: LogLevel,
    /// What it says.
    pub message: String,
}

/// What a policy's log lost in one call: records dropped past [`MAX_LOG_RECORDS`], bytes cut
/// from messages over [`MAX_POLICY_TEXT`], and output streams that reached
/// [`MAX_OUTPUT_BYTES`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LogLosses {
    /// Records dropped because the call had logged [`MAX_LOG_RECORDS`] already.
    pub dropped_records: usize,
    /// Messages cut to [`MAX_POLICY_TEXT`] bytes.
    pub cut_messages: usize,
    /// Bytes cut from those messages.
    pub cut_bytes: usize,
    /// Output streams (stdout, stderr) that reached [`MAX_OUTPUT_BYTES`] and were closed.
    pub full_outputs: usize,
}

impl LogLosses {
    /// Whether nothing was lost.
    pub fn is_empty(&self) -> bool {
        *self == LogLosses::default()
    }
}

/// The state of one store: the memory cap and what the policy logged.
pub struct HostState {
    max_memory: usize,
    /// Bytes of memories and tables the store's instances hold now.
    memory_in_use: usize,
    /// The total a policy asked for beyond the cap, if it did.
    pub(crate) memory_refused: Option<usize>,
    /// What the policy logged.
    pub logs: Vec<LogRecord>,
    /// What the log lost.
    pub losses: LogLosses,
    wasi: WasiCtx,
    table: ResourceTable,
    stdout: MemoryOutputPipe,
    stderr: MemoryOutputPipe,
}

impl HostState {
    fn new(limits: &Limits) -> HostState {
        let stdout = MemoryOutputPipe::new(MAX_OUTPUT_BYTES);
        let stderr = MemoryOutputPipe::new(MAX_OUTPUT_BYTES);
        let wasi = WasiCtx::builder()
            .stdout(stdout.clone())
            .stderr(stderr.clone())
            .wall_clock(FrozenClock)
            .monotonic_clock(FrozenClock)
            .secure_random(Deterministic::new(random_bytes().to_vec()))
            .insecure_random(Deterministic::new(random_bytes().to_vec()))
            .insecure_random_seed(u128::from(RANDOM_SEED))
            .allow_ip_name_lookup(false)
            .allow_tcp(false)
            .allow_udp(false)
            .build();
        HostState {
            max_memory: limits.max_memory,
            memory_in_use: 0,
            memory_refused: None,
            logs: Vec::new(),
            losses: LogLosses::default(),
            wasi,
            table: ResourceTable::new(),
            stdout,
            stderr,
        }
    }

    /// Moves what a WASI policy wrote to stdout (info) and stderr (warn) into the log.
    pub(crate) fn collect_output(&mut self) {
        for (pipe, level) in [
            (self.stdout.clone(), LogLevel::Info),
            (self.stderr.clone(), LogLevel::Warn),
        ] {
            let bytes = pipe.contents();
            if bytes.len() >= MAX_OUTPUT_BYTES {
                self.losses.full_outputs += 1;
            }
            for line in String::from_utf8_lossy(&bytes)
                .lines()
                .filter(|l| !l.trim().is_empty())
            {
                self.log(level, line.to_string());
            }
        }
    }
}

/// The bytes the virtual WASI random source cycles through, made once per process from
/// [`RANDOM_SEED`] rather than on every hook call.
fn random_bytes() -> &'static [u8] {
    static BYTES: OnceLock<Vec<u8>> = OnceLock::new();
    BYTES.get_or_init(|| {
        let mut random = SplitMix64::new(RANDOM_SEED);
        (0..512)
            .flat_map(|_| random.next_u64().to_le_bytes())
            .collect()
    })
}

/// A clock that stands still at the Unix epoch, so time cannot change a policy's answer.
struct FrozenClock;

impl HostWallClock for FrozenClock {
    fn resolution(&self) -> Duration {
        Duration::from_secs(1)
    }

    fn now(&self) -> Duration {
        Duration::ZERO
    }
}

impl HostMonotonicClock for FrozenClock {
    fn resolution(&self) -> u64 {
        1
    }

    fn now(&self) -> u64 {
        0
    }
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl HostState {
    /// Grants growing one memory or table from `current` to `desired` bytes when the store's
    /// total stays within the cap, and keeps the total; records the total asked for otherwise.
    fn grow(&mut self, current: usize, desired: usize) -> bool {
        let total = (self.memory_in_use - current.min(self.memory_in_use)).saturating_add(desired);
        if total > self.max_memory {
            self.memory_refused = Some(total);
            return false;
        }
        self.memory_in_use = total;
        true
    }
}

/// Memories and tables of every instance in the store count against one cap, so a component
/// cannot multiply it with more memories, tables or core instances.
impl ResourceLimiter for HostState {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(self.grow(current, desired))
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(self.grow(
            current.saturating_mul(TABLE_ELEMENT_BYTES),
            desired.saturating_mul(TABLE_ELEMENT_BYTES),
        ))
    }

    fn instances(&self) -> usize {
        16
    }

    fn memories(&self) -> usize {
        16
    }

    fn tables(&self) -> usize {
        16
    }
}

impl HostState {
    /// Keeps a message the policy logged, within [`MAX_LOG_RECORDS`] per call and
    /// [`MAX_POLICY_TEXT`] bytes per message, counting what does not fit.
    pub(crate) fn log(&mut self, level: LogLevel, mut message: String) {
        if self.logs.len() >= MAX_LOG_RECORDS {
            self.losses.dropped_records += 1;
            return;
        }
        if message.len() > MAX_POLICY_TEXT {
            let mut cut = MAX_POLICY_TEXT;
            while !message.is_char_boundary(cut) {
                cut -= 1;
            }
            self.losses.cut_messages += 1;
            self.losses.cut_bytes += message.len() - cut;
            message.truncate(cut);
            message.push_str(" [cut]");
            message.shrink_to_fit();
        }
        self.logs.push(LogRecord { level, message });
    }
}

/// The most bytes a policy may hand the host in one crossing of a call whose answer may have up
/// to `max_steps` steps: [`CROSSING_BYTES_PER_STEP`] for each, at least [`MIN_CROSSING_BYTES`],
/// and no more than the policy's memory cap (an answer larger than the memory it lives in can
/// only repeat the same data, which is what the limit guards the host against).
pub fn crossing_limit(max_steps: usize, limits: &Limits) -> usize {
    max_steps
        .saturating_mul(CROSSING_BYTES_PER_STEP)
        .min(limits.max_memory)
        .max(MIN_CROSSING_BYTES)
}

/// A fresh store for one hook call, with its deadline, fuel, memory cap and `crossing` limit
/// (see [`crossing_limit`]) set.
pub(crate) fn store(
    engine: &Engine,
    limits: &Limits,
    crossing: usize,
) -> wasmtime::Result<Store<HostState>> {
    let mut store = Store::new(engine, HostState::new(limits));
    store.limiter(|state| state as &mut dyn ResourceLimiter);
    let ticks = limits
        .timeout
        .as_millis()
        .div_ceil(EPOCH_TICK.as_millis())
        .max(1);
    store.set_epoch_deadline(u64::try_from(ticks).unwrap_or(u64::MAX));
    store.epoch_deadline_trap();
    store.set_hostcall_fuel(crossing);
    if let Some(fuel) = limits.fuel {
        store.set_fuel(fuel)?;
    }
    Ok(store)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_crossing_limit_grows_with_the_answer_between_its_floor_and_the_memory_cap() {
        let limits = Limits::default();
        assert_eq!(crossing_limit(0, &limits), MIN_CROSSING_BYTES);
        assert_eq!(crossing_limit(1_000, &limits), MIN_CROSSING_BYTES);
        let million = 1_000_000;
        assert_eq!(
            crossing_limit(million, &limits),
            million * CROSSING_BYTES_PER_STEP
        );
        assert_eq!(crossing_limit(usize::MAX, &limits), limits.max_memory);
        let small = Limits {
            max_memory: 64 << 20,
            ..limits
        };
        assert_eq!(crossing_limit(usize::MAX, &small), MIN_CROSSING_BYTES);
    }
}
