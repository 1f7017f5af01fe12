//! A loaded policy component: checked at load (is it a component, for a contract version this
//! host loads, importing nothing but the contract and virtual WASI?), pre-linked once, and
//! instantiated afresh for every hook call inside the sandbox, so no state leaks between calls
//! and a trapped instance is never reused. The operator's settings, accepted once by the policy
//! (`validate-settings`), go to every hook.
//!
//! - [`pin`]: the operator's SHA-256 pin;
//! - `component_checks`: header, contract version and imports, before anything runs;
//! - `link`: the host's imports, pre-linked once, for the component's contract version;
//! - `hooks`: the contract's hooks as methods, each call in a fresh instance;
//! - `fault`: what a failed call amounts to.

mod component_checks;
mod fault;
mod hooks;
mod link;
pub mod pin;

use std::sync::Mutex;

use crate::bindings::{v0_1, v0_2};
use crate::compile::{CacheOutcome, CompileFigures};
use crate::contract::ContractVersion;
use crate::engine::PolicyEngine;
use crate::error::{Error, SettingsError};
use crate::sandbox::{HostState, Limits, LogLosses, LogRecord};
use crate::settings::PolicySettings;
pub use pin::{check_pin, sha256_hex};

/// What a policy says about itself and what the component is.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PolicyMetadata {
    /// The policy's name.
    pub name: String,
    /// The policy's version.
    pub version: String,
    /// What the policy does.
    pub description: String,
    /// The contract it implements, `package/interface@version`.
    pub contract: String,
    /// The version of the contract it speaks.
    pub contract_version: ContractVersion,
    /// The settings it takes, as the JSON Schema its info gives; empty when it takes none (a
    /// 0.1.0 policy takes none).
    pub settings: String,
    /// What the component imports.
    pub imports: Vec<String>,
    /// What the component exports.
    pub exports: Vec<String>,
    /// The SHA-256 of the component's bytes, in hex.
    pub sha256: String,
    /// The component's size in bytes.
    pub size: usize,
    /// What the component was checked on against the engine's static compile limits.
    pub compile: CompileFigures,
    /// Whether the compiled component came from the compilation cache.
    pub cache: CacheOutcome,
}

/// The component pre-linked for the contract version it speaks.
enum Linked {
    V0_1(v0_1::WorkerPolicyPre<HostState>),
    V0_2(v0_2::WorkerPolicyPre<HostState>),
}

/// What one hook call logged, and what its log lost to the sandbox's bounds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallLog {
    /// The hook called.
    pub hook: crate::hooks::Hook,
    /// The records kept, in the order logged.
    pub records: Vec<LogRecord>,
    /// The records dropped and the bytes cut.
    pub losses: LogLosses,
}

/// A policy component ready to be called (the host's side; a policy author implements the SDK's
/// `Policy` trait instead).
pub struct LoadedPolicy {
    engine: PolicyEngine,
    limits: Limits,
    linked: Linked,
    /// The operator's settings, as the policy accepted them; none: its defaults.
    settings: Option<String>,
    metadata: PolicyMetadata,
    logs: Mutex<Vec<CallLog>>,
    fuel_used: Mutex<u64>,
}

impl LoadedPolicy {
    /// Loads a component from its bytes (binary, or WAT text) into an engine of its own: see
    /// [`LoadedPolicy::load_in`]. To load several policies, share one engine with `load_in`.
    pub fn load(bytes: &[u8], limits: Limits) -> Result<LoadedPolicy, Error> {
        let engine = PolicyEngine::new(limits.fuel.is_some())?;
        LoadedPolicy::load_in(&engine, bytes, limits)
    }

    /// Loads a component from its bytes (binary, or WAT text) into `engine`: checks that it is
    /// a component within the engine's compile limits, compiles it as the engine's
    /// [`Compiler`](crate::compile::Compiler) says, checks that it is for this contract and
    /// imports nothing else, pre-links it, and asks for its info. `engine` must meter fuel
    /// exactly when `limits.fuel` is set.
    pub fn load_in(
        engine: &PolicyEngine,
        bytes: &[u8],
        limits: Limits,
    ) -> Result<LoadedPolicy, Error> {
        if engine.is_metered() != limits.fuel.is_some() {
            return Err(Error::EngineMismatch {
                engine_metered: engine.is_metered(),
            });
        }
        component_checks::check_header(bytes)?;
        let sha256 = sha256_hex(bytes);
        let compiled = engine.compiler().compile(engine, bytes, &sha256)?;
        let component = compiled.component;
        let ty = component.component_type();
        let imports: Vec<String> = ty
            .imports(engine.wasmtime())
            .map(|(name, _)| name.to_string())
            .collect();
        let exports: Vec<String> = ty
            .exports(engine.wasmtime())
            .map(|(name, _)| name.to_string())
            .collect();
        let contract_version = component_checks::check_interface(&imports, &exports)?;
        let linked = link::link(engine, &component, contract_version)?;
        let mut policy = LoadedPolicy {
            engine: engine.clone(),
            limits,
            linked,
            settings: None,
            metadata: PolicyMetadata {
                name: String::new(),
                version: String::new(),
                description: String::new(),
                contract: contract_version.interface("policy"),
                contract_version,
                settings: String::new(),
                imports,
                exports,
                sha256,
                size: bytes.len(),
                compile: compiled.figures,
                cache: compiled.cache,
            },
            logs: Mutex::new(Vec::new()),
            fuel_used: Mutex::new(0),
        };
        let info = policy.info()?;
        policy.metadata.name = info.name;
        policy.metadata.version = info.version;
        policy.metadata.description = info.description;
        policy.metadata.settings = info.settings;
        Ok(policy)
    }

    /// Hands the operator's settings to the policy: it must accept them (`validate-settings`),
    /// and every later hook call gets them. A 0.1.0 policy takes no settings.
    pub fn configure(&mut self, settings: &PolicySettings) -> Result<(), Error> {
        let Linked::V0_2(pre) = &self.linked else {
            return Err(SettingsError::Unsupported {
                origin: settings.origin.clone(),
                policy: self.metadata.name.clone(),
                contract: self.metadata.contract_version.to_string(),
            }
            .into());
        };
        if let Err(message) = self.validate_settings(pre, &settings.json)? {
            return Err(SettingsError::Refused {
                origin: settings.origin.clone(),
                policy: self.metadata.name.clone(),
                message,
            }
            .into());
        }
        self.settings = Some(settings.json.clone());
        Ok(())
    }

    /// Asks the policy whether it takes `settings`, without keeping them: `None` for a 0.1.0
    /// policy, which takes none.
    pub fn probe_settings(&self, settings: &str) -> Option<Result<Result<(), String>, Error>> {
        match &self.linked {
            Linked::V0_2(pre) => Some(self.validate_settings(pre, settings)),
            Linked::V0_1(_) => None,
        }
    }

    /// The settings every hook call gets, as the policy accepted them; none: its defaults.
    pub fn settings(&self) -> Option<&str> {
        self.settings.as_deref()
    }

    /// What the component is.
    pub fn metadata(&self) -> &PolicyMetadata {
        &self.metadata
    }

    /// The limits every call runs under.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The engine the policy runs in.
    pub fn engine(&self) -> &PolicyEngine {
        &self.engine
    }

    /// Takes what the calls so far logged (calls that logged nothing and lost nothing are left
    /// out).
    pub fn take_logs(&self) -> Vec<CallLog> {
        std::mem::take(&mut *self.logs.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Fuel used by all calls so far (0 when fuel is not metered).
    pub fn fuel_used(&self) -> u64 {
        *self.fuel_used.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(all(test, feature = "embedded"))]
mod tests {
    use std::error::Error as _;

    use super::*;
    use crate::embedded::DEFAULT_POLICY;
    use crate::error::PolicyFault;

    #[test]
    fn policies_share_one_engine_when_its_metering_matches() {
        let engine = PolicyEngine::new(false).unwrap();
        let first = LoadedPolicy::load_in(&engine, DEFAULT_POLICY, Limits::default()).unwrap();
        let second = LoadedPolicy::load_in(&engine, DEFAULT_POLICY, Limits::default()).unwrap();
        assert_eq!(first.metadata(), second.metadata());
        let metered = Limits {
            fuel: Some(1_000_000),
            ..Limits::default()
        };
        match LoadedPolicy::load_in(&engine, DEFAULT_POLICY, metered) {
            Err(error @ Error::EngineMismatch { .. }) => {
                assert!(
                    error.to_string().contains("PolicyEngine::new(true)"),
                    "{error}"
                );
            }
            other => panic!("expected an engine mismatch, got {:?}", other.err()),
        }
    }

    #[test]
    fn a_component_that_does_not_compile_keeps_wasmtimes_error_as_its_cause() {
        let error = LoadedPolicy::load(
            b"(component (core module (func (result i32))))",
            Limits::default(),
        )
        .err()
        .expect("an invalid function body is refused");
        assert_eq!(error.to_string(), "the component is not valid");
        let cause = error.source().expect("the cause is kept").to_string();
        assert!(!cause.is_empty());
        assert!(matches!(error, Error::Fault(PolicyFault::Invalid(_))));
    }
}
