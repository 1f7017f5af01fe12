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

use std::sync::OnceLock;
use std::time::Duration;

use wasmtime::component::ResourceTable;
use wasmtime::{Engine, ResourceLimiter, Store};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::random::Deterministic;
use wasmtime_wasi::{HostMonotonicClock, HostWallClock, WasiCtx, WasiCtxView, WasiView};
use worker_policy_model::generate::SplitMix64;

use crate::bindings::logging;
use crate::engine::EPOCH_TICK;
/// The longest message a policy may log; longer ones are cut.
const MAX_LOG_MESSAGE: usize = 4096;
/// The most messages a policy may log in one call; later ones are counted, not kept.
const MAX_LOG_RECORDS: usize = 1000;
/// The most bytes a WASI policy may write to stdout or stderr in one call.
const MAX_OUTPUT_BYTES: usize = 64 << 10;
/// The most elements a table of a policy may grow to.
const MAX_TABLE_ELEMENTS: usize = 1_000_000;
/// The seed of the virtual WASI random source: the same bytes for every call of every policy.
const RANDOM_SEED: u64 = 0x5EED_0FC0_FFEE;

/// What a policy call may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Wall-clock time per hook call.
    pub timeout: Duration,
    /// Bytes of linear memory per instance.
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

/// One message a policy logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogRecord {
    /// How much it matters.
    pub level: logging::Level,
    /// What it says.
    pub message: String,
}

/// The state of one store: the memory cap and what the policy logged.
pub struct HostState {
    max_memory: usize,
    /// The size a policy tried to grow its memory to beyond the cap, if it did.
    pub(crate) memory_refused: Option<usize>,
    /// What the policy logged.
    pub logs: Vec<LogRecord>,
    /// Messages dropped past the log limit.
    pub dropped_logs: usize,
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
            memory_refused: None,
            logs: Vec::new(),
            dropped_logs: 0,
            wasi,
            table: ResourceTable::new(),
            stdout,
            stderr,
        }
    }

    /// Moves what a WASI policy wrote to stdout (info) and stderr (warn) into the log.
    pub(crate) fn collect_output(&mut self) {
        use logging::Host;
        for (pipe, level) in [
            (self.stdout.clone(), logging::Level::Info),
            (self.stderr.clone(), logging::Level::Warn),
        ] {
            let bytes = pipe.contents();
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

impl ResourceLimiter for HostState {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.max_memory {
            self.memory_refused = Some(desired);
            return Ok(false);
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= MAX_TABLE_ELEMENTS)
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

/// The contract's types interface has no functions to provide.
impl crate::bindings::wit::Host for HostState {}

impl logging::Host for HostState {
    fn log(&mut self, level: logging::Level, mut message: String) {
        if self.logs.len() >= MAX_LOG_RECORDS {
            self.dropped_logs += 1;
            return;
        }
        if message.len() > MAX_LOG_MESSAGE {
            let mut cut = MAX_LOG_MESSAGE;
            while !message.is_char_boundary(cut) {
                cut -= 1;
            }
            message.truncate(cut);
            message.push_str(" [cut]");
        }
        self.logs.push(LogRecord { level, message });
    }
}

/// A fresh store for one hook call, with its deadline, fuel and memory cap set.
pub(crate) fn store(engine: &Engine, limits: &Limits) -> wasmtime::Result<Store<HostState>> {
    let mut store = Store::new(engine, HostState::new(limits));
    store.limiter(|state| state as &mut dyn ResourceLimiter);
    let ticks = limits
        .timeout
        .as_millis()
        .div_ceil(EPOCH_TICK.as_millis())
        .max(1);
    store.set_epoch_deadline(u64::try_from(ticks).unwrap_or(u64::MAX));
    store.epoch_deadline_trap();
    if let Some(fuel) = limits.fuel {
        store.set_fuel(fuel)?;
    }
    Ok(store)
}
