//! The wasmtime engine policies are compiled and run by, with the thread that advances its epoch
//! so hook calls can be stopped at their deadline. One engine serves any number of policies:
//! an embedder makes one and loads every policy into it with
//! [`LoadedPolicy::load_in`](crate::LoadedPolicy::load_in).

use std::thread;
use std::time::Duration;

use wasmtime::{Config, Engine, WasmFeatures};

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

/// A wasmtime engine configured for policies: epoch interruption always, fuel metering when
/// asked for, and the [`Compiler`] that turns untrusted bytes into components. Cloning it is
/// cheap and shares the engine and its epoch thread.
#[derive(Clone)]
pub struct PolicyEngine {
    engine: Engine,
    metered: bool,
    compiler: Compiler,
}

impl PolicyEngine {
    /// An engine that meters fuel when `metered` (every policy loaded into it must then run
    /// with [`Limits::fuel`](crate::Limits::fuel) set, and without it otherwise: a component
    /// compiled for one setting does not run under the other).
    pub fn new(metered: bool) -> Result<PolicyEngine, Error> {
        let mut config = Config::new();
        config.epoch_interruption(true);
        config.consume_fuel(metered);
        config.wasm_component_model(true);
        config.wasm_features(POLICY_FEATURES.complement(), false);
        let engine = Engine::new(&config).map_err(|source| Error::Engine { source })?;
        start_epoch_ticker(&engine);
        Ok(PolicyEngine {
            engine,
            metered,
            compiler: Compiler::default(),
        })
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

    /// The wasmtime engine itself.
    pub(crate) fn wasmtime(&self) -> &Engine {
        &self.engine
    }
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
