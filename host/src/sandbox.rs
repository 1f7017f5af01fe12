//! The sandbox every policy call runs in: one engine with epoch interruption (and fuel when asked
//! for), and per call a fresh store with a deadline, a memory cap and a bounded log.
//!
//! A policy gets no capability but the logging import, so it is a deterministic function of its
//! input. A store traps on the first call after a trap, so every hook call gets its own store.

use std::thread;
use std::time::Duration;

use wasmtime::{Config, Engine, ResourceLimiter, Store};

use crate::bindings::logging;

/// How often the epoch advances; the deadline is counted in these ticks.
const EPOCH_TICK: Duration = Duration::from_millis(10);
/// The longest message a policy may log; longer ones are cut.
const MAX_LOG_MESSAGE: usize = 4096;
/// The most messages a policy may log in one call; later ones are counted, not kept.
const MAX_LOG_RECORDS: usize = 1000;

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

impl Limits {
    /// The table-element cap that goes with the memory cap.
    fn max_table_elements(&self) -> usize {
        1_000_000
    }
}

/// An engine configured for `limits`: epoch interruption always, fuel when metered. Components
/// compiled by one engine only run in an engine with the same settings.
pub fn engine(limits: &Limits) -> wasmtime::Result<Engine> {
    let mut config = Config::new();
    config.epoch_interruption(true);
    config.consume_fuel(limits.fuel.is_some());
    config.wasm_component_model(true);
    let engine = Engine::new(&config)?;
    start_epoch_ticker(&engine);
    Ok(engine)
}

/// Advances the engine's epoch every tick for as long as the engine lives.
fn start_epoch_ticker(engine: &Engine) {
    let weak = engine.weak();
    // One thread per engine; it ends when the engine is dropped.
    thread::spawn(move || loop {
        thread::sleep(EPOCH_TICK);
        match weak.upgrade() {
            Some(engine) => engine.increment_epoch(),
            None => break,
        }
    });
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
    max_table_elements: usize,
    /// The size a policy tried to grow its memory to beyond the cap, if it did.
    pub(crate) memory_refused: Option<usize>,
    /// What the policy logged.
    pub logs: Vec<LogRecord>,
    /// Messages dropped past the log limit.
    pub dropped_logs: usize,
}

impl HostState {
    fn new(limits: &Limits) -> HostState {
        HostState {
            max_memory: limits.max_memory,
            max_table_elements: limits.max_table_elements(),
            memory_refused: None,
            logs: Vec::new(),
            dropped_logs: 0,
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
        Ok(desired <= self.max_table_elements)
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
pub fn store(engine: &Engine, limits: &Limits) -> wasmtime::Result<Store<HostState>> {
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
