//! The wasmtime engine policies are compiled and run by, with the thread that advances its epoch
//! so hook calls can be stopped at their deadline. One engine serves any number of policies:
//! an embedder makes one and loads every policy into it with
//! [`LoadedPolicy::load_in`](crate::LoadedPolicy::load_in).

use std::thread;
use std::time::Duration;

use wasmtime::{Config, Engine};

use crate::error::Error;

/// How often the epoch advances; a hook call's deadline is counted in these ticks.
pub(crate) const EPOCH_TICK: Duration = Duration::from_millis(10);

/// A wasmtime engine configured for policies: epoch interruption always, fuel metering when
/// asked for. Cloning it is cheap and shares the engine and its epoch thread.
#[derive(Clone)]
pub struct PolicyEngine {
    engine: Engine,
    metered: bool,
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
        let engine = Engine::new(&config).map_err(|source| Error::Engine { source })?;
        start_epoch_ticker(&engine);
        Ok(PolicyEngine { engine, metered })
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
