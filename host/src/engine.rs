//! The wasmtime engine policies are compiled and run by, with the thread that advances its epoch
//! so hook calls can be stopped at their deadline, and the pool its instances come from. One
//! engine serves any number of policies: an embedder makes one and loads every policy into it
//! with [`LoadedPolicy::load_in`](crate::LoadedPolicy::load_in).
//!
//! Every hook call instantiates its component afresh, so instances come from wasmtime's pooling
//! allocator rather than being mapped and unmapped each time: a memory slot stays mapped to its
//! module's initial image (copy on write) and keeps up to [`KEEP_RESIDENT`] of its pages
//! resident, zeroed, when the call ends, so the next call does not fault them in again. Each
//! call still starts from the module's initial memory; the sandbox's caps are the store's
//! ([`crate::sandbox`]), not the pool's, which is sized only so they are what binds. The pool
//! holds [`PolicyEngine::max_concurrent_calls`] calls at once; one more waits for a call to end
//! rather than failing for want of an instance.

use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, WasmFeatures};

use crate::compile::Compiler;
use crate::error::Error;

/// How often the epoch advances; a hook call's deadline is counted in these ticks.
pub(crate) const EPOCH_TICK: Duration = Duration::from_millis(10);

/// The wasm features a policy may use: WebAssembly 2.0 (mutable globals, sign extension,
/// saturating float-to-int, multi-value, bulk memory, reference types, SIMD: what Rust, C and
/// componentize-py emit), extended constant expressions (componentize-py's dynamically linked
/// modules place their data with `global.get` and `i32.add` in constant expressions) and the
/// component model (the contract). Every other proposal is off (multi-memory, memory64, threads
/// and shared memory, GC, exceptions, tail calls, stack switching, relaxed SIMD, wide
/// arithmetic, custom page sizes, component model async and its other extensions): no policy
/// needs them, and some would give the sandbox more to bound (several memories, 64-bit
/// memories, memory shared across threads).
const POLICY_FEATURES: WasmFeatures = WasmFeatures::WASM2
    .union(WasmFeatures::EXTENDED_CONST)
    .union(WasmFeatures::COMPONENT_MODEL);

/// How much of each memory and table a finished call leaves resident for the next one, zeroed
/// (past it, pages go back to the system). Zeroing a page costs about what faulting it in
/// again would, so keeping more would save little on a large call and keep more of a
/// long-running process resident; what the pool saves is mostly the mapping and unmapping of
/// each call's instance (`bench`'s pooled rows).
pub const KEEP_RESIDENT: usize = 64 << 20;

/// Core instances, memories and tables one component may hold: the store's own bounds
/// ([`crate::sandbox`]).
const PER_COMPONENT: u32 = 16;

/// Memories and tables the pool holds for each call that may run at once: most components
/// have one or two of each, and one with more takes slots another call could have had.
const SLOTS_PER_CALL: u32 = 4;

/// The most elements a table may start with, the default memory cap's worth (1 GiB at 8
/// bytes an element); a table may still grow to no more than its store's cap allows.
const TABLE_ELEMENTS: usize = 1 << 27;

/// A wasmtime engine configured for policies: epoch interruption always, fuel metering when
/// asked for, and the [`Compiler`] that turns untrusted bytes into components. Cloning it is
/// cheap and shares the engine and its epoch thread.
#[derive(Clone)]
pub struct PolicyEngine {
    engine: Engine,
    metered: bool,
    compiler: Compiler,
    /// The calls the pool has room for; none without a pool.
    slots: Option<Arc<CallSlots>>,
}

impl PolicyEngine {
    /// An engine that meters fuel when `metered` (every policy loaded into it must then run
    /// with [`Limits::fuel`](crate::Limits::fuel) set, and without it otherwise: a component
    /// compiled for one setting does not run under the other).
    pub fn new(metered: bool) -> Result<PolicyEngine, Error> {
        // The pool reserves its address space up front; where the process's address space is
        // capped below that (`ulimit -v`), instances are mapped call by call instead.
        let calls = concurrent_calls();
        let (engine, slots) = match Engine::new(&config(metered, Some(pool(calls)))) {
            Ok(engine) => (engine, Some(Arc::new(CallSlots::new(calls)))),
            Err(_) => (
                Engine::new(&config(metered, None)).map_err(|source| Error::Engine { source })?,
                None,
            ),
        };
        Ok(PolicyEngine {
            slots,
            ..PolicyEngine::with_ticker(engine, metered)
        })
    }

    /// An engine like [`PolicyEngine::new`]'s but without the instance pool: each call maps
    /// its instance's memories and unmaps them when it ends. What a compile worker uses, in a
    /// process whose address space is capped, and what `bench` compares the pool with.
    pub fn unpooled(metered: bool) -> Result<PolicyEngine, Error> {
        let engine =
            Engine::new(&config(metered, None)).map_err(|source| Error::Engine { source })?;
        Ok(PolicyEngine::with_ticker(engine, metered))
    }

    /// `engine`, with its epoch advancing from now on.
    fn with_ticker(engine: Engine, metered: bool) -> PolicyEngine {
        start_epoch_ticker(&engine);
        PolicyEngine {
            engine,
            metered,
            compiler: Compiler::default(),
            slots: None,
        }
    }

    /// The same engine, compiling components with `compiler` from now on. The default
    /// compiles in the calling process under the default static limits, with no bound on
    /// compile time or memory: to load components you do not trust, give it a
    /// [`CompileWorker`](crate::compile::CompileWorker).
    pub fn with_compiler(self, compiler: Compiler) -> PolicyEngine {
        PolicyEngine { compiler, ..self }
    }

    /// How this engine compiles components.
    pub fn compiler(&self) -> &Compiler {
        &self.compiler
    }

    /// Whether this engine meters fuel.
    pub fn is_metered(&self) -> bool {
        self.metered
    }

    /// How many hook calls this engine runs at once, over every policy loaded into it: what
    /// its instance pool holds (`None`: no pool, no bound). A call beyond them waits for one to
    /// end, for at most its policy's timeout.
    pub fn max_concurrent_calls(&self) -> Option<u32> {
        self.slots.as_ref().map(|slots| slots.capacity)
    }

    /// A place in the pool for one call, waited for at most `wait`: `Ok(None)` without a pool;
    /// [`Error::PoolFull`] when no call ended in time.
    pub(crate) fn call_slot(&self, wait: Duration) -> Result<Option<CallSlot<'_>>, Error> {
        let Some(slots) = &self.slots else {
            return Ok(None);
        };
        slots.take(wait).map(Some).ok_or_else(|| Error::PoolFull {
            why: format!(
                "{} calls were running, all it holds, and none ended within {wait:?}",
                slots.capacity
            ),
        })
    }

    /// The wasmtime engine itself.
    pub(crate) fn wasmtime(&self) -> &Engine {
        &self.engine
    }
}

/// The calls running at once on a pooled engine, never more than its pool holds.
struct CallSlots {
    capacity: u32,
    running: Mutex<u32>,
    ended: Condvar,
}

/// A running call's place in the pool, given back when dropped.
pub(crate) struct CallSlot<'a> {
    slots: &'a CallSlots,
}

impl CallSlots {
    fn new(capacity: u32) -> CallSlots {
        CallSlots {
            capacity,
            running: Mutex::new(0),
            ended: Condvar::new(),
        }
    }

    /// A place, as soon as fewer than `capacity` calls run; `None` when that takes longer
    /// than `wait`.
    fn take(&self, wait: Duration) -> Option<CallSlot<'_>> {
        let deadline = Instant::now() + wait;
        let mut running = self.running();
        while *running >= self.capacity {
            let left = deadline.checked_duration_since(Instant::now())?;
            running = (self.ended.wait_timeout(running, left))
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        *running += 1;
        Some(CallSlot { slots: self })
    }

    fn running(&self) -> MutexGuard<'_, u32> {
        self.running.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for CallSlot<'_> {
    fn drop(&mut self) {
        *self.slots.running() -= 1;
        self.slots.ended.notify_one();
    }
}

/// The configuration of a policy engine: epoch interruption, fuel when `metered`, the policy
/// features, and instances from `pool` when there is one (an artifact compiled under either
/// allocation strategy loads under the other).
fn config(metered: bool, pool: Option<PoolingAllocationConfig>) -> Config {
    let mut config = Config::new();
    config.epoch_interruption(true);
    config.consume_fuel(metered);
    config.wasm_component_model(true);
    config.wasm_features(POLICY_FEATURES.complement(), false);
    if let Some(pool) = pool {
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    }
    config
}

/// Hook calls one engine may run at once: four for each thread the machine runs, between 16
/// and 256. One more waits for a call to end.
fn concurrent_calls() -> u32 {
    let threads = thread::available_parallelism().map_or(1, |n| n.get());
    u32::try_from(threads.saturating_mul(4))
        .unwrap_or(u32::MAX)
        .clamp(16, 256)
}

/// The instance pool: room for `calls` components, each with up to
/// [`PER_COMPONENT`] core instances, memories and tables, and [`SLOTS_PER_CALL`] memories and
/// tables for each call on average; memories up to 4 GiB (all a 32-bit memory can address);
/// pages kept resident up to [`KEEP_RESIDENT`]. The pool only reserves address space up front
/// (about 4 GiB for each memory slot and 1 GiB for each table slot); pages are backed as used.
fn pool(calls: u32) -> PoolingAllocationConfig {
    let mut pool = PoolingAllocationConfig::new();
    pool.total_component_instances(calls)
        .total_core_instances(calls * PER_COMPONENT)
        .max_core_instances_per_component(PER_COMPONENT)
        .max_memories_per_component(PER_COMPONENT)
        .max_tables_per_component(PER_COMPONENT)
        .max_tables_per_module(PER_COMPONENT)
        .total_memories(calls * SLOTS_PER_CALL)
        .total_tables(calls * SLOTS_PER_CALL)
        .table_elements(TABLE_ELEMENTS)
        .max_memory_size(4 << 30)
        .linear_memory_keep_resident(KEEP_RESIDENT)
        .table_keep_resident(KEEP_RESIDENT)
        // Hooks are called synchronously, on the caller's stack: no fiber stacks. The default
        // (1,000 of them, each with a guard page set up one by one) costs every process that
        // makes an engine a few milliseconds at start.
        .total_stacks(0);
    pool
}

/// Advances the engine's epoch every tick for as long as the engine lives.
fn start_epoch_ticker(engine: &Engine) {
    let weak = engine.weak();
    // One thread per engine; it ends when the last clone of the engine is dropped.
    thread::spawn(move || loop {
        thread::sleep(EPOCH_TICK);
        match weak.upgrade() {
            Some(engine) => engine.increment_epoch(),
            None => break,
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_past_the_pools_room_waits_for_one_to_end() {
        let slots = CallSlots::new(2);
        let first = slots.take(Duration::ZERO).expect("room for the first");
        let _second = slots.take(Duration::ZERO).expect("room for the second");
        assert!(
            slots.take(Duration::from_millis(20)).is_none(),
            "a third gives up when no call ends in time"
        );
        thread::scope(|scope| {
            let waiting = scope.spawn(|| slots.take(Duration::from_secs(30)).is_some());
            thread::sleep(Duration::from_millis(20));
            drop(first);
            assert!(
                waiting.join().expect("no panic"),
                "the waiting call gets the room"
            );
        });
        assert_eq!(
            *slots.running(),
            1,
            "every call that ended gave its room back"
        );
    }

    #[test]
    fn an_engine_without_a_pool_runs_any_number_of_calls() {
        let engine = PolicyEngine::unpooled(false).expect("an engine");
        assert_eq!(engine.max_concurrent_calls(), None);
        assert!(engine.call_slot(Duration::ZERO).expect("no wait").is_none());
    }
}
