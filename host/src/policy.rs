//! A loaded policy component: checked at load (is it a component, for this contract version,
//! importing nothing but the contract and virtual WASI?), pre-linked once, and instantiated afresh for every hook call inside the
//! sandbox, so no state leaks between calls and a trapped instance is never reused.

use std::sync::Mutex;

use sha2::{Digest, Sha256};
use wasmtime::component::{Component, HasSelf, Linker};
use wasmtime::{Engine, Store, Trap};
use worker_policy_model::{NodeId, Snapshot, Step, Transition, Verdict, WorkerState};

use crate::bindings::{self, WorkerPolicy, WorkerPolicyPre};
use crate::error::{Error, Hook, PolicyFault};
use crate::sandbox::{self, HostState, Limits, LogRecord};

/// What a policy says about itself and what the component is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyMetadata {
    /// The policy's name.
    pub name: String,
    /// The policy's version.
    pub version: String,
    /// What the policy does.
    pub description: String,
    /// The contract it implements, `package/interface@version`.
    pub contract: String,
    /// What the component imports.
    pub imports: Vec<String>,
    /// What the component exports.
    pub exports: Vec<String>,
    /// The SHA-256 of the component's bytes, in hex.
    pub sha256: String,
    /// The component's size in bytes.
    pub size: usize,
}

/// A log record with the hook that wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookLog {
    /// The hook that logged it.
    pub hook: Hook,
    /// The record.
    pub record: LogRecord,
}

/// A policy component ready to be called.
pub struct LoadedPolicy {
    engine: Engine,
    limits: Limits,
    pre: WorkerPolicyPre<HostState>,
    metadata: PolicyMetadata,
    logs: Mutex<Vec<HookLog>>,
    fuel_used: Mutex<u64>,
}

/// The export every policy must have.
fn expected_export() -> String {
    format!(
        "{}/policy@{}",
        bindings::CONTRACT_PACKAGE,
        bindings::CONTRACT_VERSION
    )
}

/// The WASI 0.2 packages a policy may import; the host gives them a virtual implementation with
/// no files, network, arguments or environment, a frozen clock and a fixed-seed random source.
const VIRTUAL_WASI: [&str; 6] = [
    "wasi:io/",
    "wasi:clocks/",
    "wasi:random/",
    "wasi:cli/",
    "wasi:filesystem/",
    "wasi:sockets/",
];

/// Whether a policy may import `name`: the contract's types and logging, or virtual WASI 0.2.
fn import_allowed(name: &str) -> bool {
    let contract = ["types", "logging"].map(|i| {
        format!(
            "{}/{i}@{}",
            bindings::CONTRACT_PACKAGE,
            bindings::CONTRACT_VERSION
        )
    });
    contract.iter().any(|c| c == name)
        || VIRTUAL_WASI
            .iter()
            .any(|p| name.starts_with(p) && name.contains("@0.2."))
}

/// What a policy may import, in words.
fn allowed_imports_text() -> String {
    format!(
        "{0}/types, {0}/logging (@{1}) and virtual WASI 0.2 ({2})",
        bindings::CONTRACT_PACKAGE,
        bindings::CONTRACT_VERSION,
        VIRTUAL_WASI.map(|p| p.trim_end_matches('/')).join(", ")
    )
}

/// The hex SHA-256 of a policy file's bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Refuses bytes whose SHA-256 is not `expected` (hex, any case).
pub fn check_pin(bytes: &[u8], expected: &str) -> Result<(), Error> {
    let actual = sha256_hex(bytes);
    if actual.eq_ignore_ascii_case(expected.trim()) {
        Ok(())
    } else {
        Err(Error::PolicyFile(format!(
            "the policy's SHA-256 is {actual}, but --policy-sha256 pins {}; refusing to load it",
            expected.trim()
        )))
    }
}

impl LoadedPolicy {
    /// Loads a component from its bytes (binary, or WAT text): checks that it is a component
    /// for this contract that imports nothing else, compiles and pre-links it, and asks for its
    /// info.
    pub fn load(bytes: &[u8], limits: Limits) -> Result<LoadedPolicy, Error> {
        check_header(bytes)?;
        let engine =
            sandbox::engine(&limits).map_err(|e| PolicyFault::Invalid(format!("{e:#}")))?;
        let component =
            Component::new(&engine, bytes).map_err(|e| PolicyFault::Invalid(format!("{e:#}")))?;
        let ty = component.component_type();
        let imports: Vec<String> = ty
            .imports(&engine)
            .map(|(name, _)| name.to_string())
            .collect();
        let exports: Vec<String> = ty
            .exports(&engine)
            .map(|(name, _)| name.to_string())
            .collect();

        let ours = format!("{}/", bindings::CONTRACT_PACKAGE);
        let version_suffix = format!("@{}", bindings::CONTRACT_VERSION);
        if let Some(other) = imports
            .iter()
            .chain(&exports)
            .find(|name| name.starts_with(&ours) && !name.ends_with(&version_suffix))
        {
            return Err(PolicyFault::WrongContract {
                found: other.clone(),
                expected: expected_export(),
            }
            .into());
        }
        let forbidden: Vec<String> = imports
            .iter()
            .filter(|i| !import_allowed(i))
            .cloned()
            .collect();
        if !forbidden.is_empty() {
            return Err(PolicyFault::ForbiddenImports {
                imports: forbidden,
                allowed: allowed_imports_text(),
            }
            .into());
        }

        let expected = expected_export();
        if !exports.contains(&expected) {
            let found = if exports.is_empty() {
                "nothing".into()
            } else {
                exports.join(", ")
            };
            return Err(PolicyFault::WrongContract { found, expected }.into());
        }
        let mut linker = Linker::new(&engine);
        WorkerPolicy::add_to_linker::<_, HasSelf<_>>(&mut linker, |state| state)
            .and_then(|()| wasmtime_wasi::p2::add_to_linker_sync(&mut linker))
            .map_err(|e| PolicyFault::Invalid(format!("{e:#}")))?;
        let pre = linker
            .instantiate_pre(&component)
            .and_then(WorkerPolicyPre::new)
            .map_err(|e| PolicyFault::Invalid(format!("{e:#}")))?;

        let mut policy = LoadedPolicy {
            engine,
            limits,
            pre,
            metadata: PolicyMetadata {
                name: String::new(),
                version: String::new(),
                description: String::new(),
                contract: expected,
                imports,
                exports,
                sha256: sha256_hex(bytes),
                size: bytes.len(),
            },
            logs: Mutex::new(Vec::new()),
            fuel_used: Mutex::new(0),
        };
        let info = policy.call("info", |store, p| {
            p.worker_policy_policy_policy().call_info(store)
        })?;
        policy.metadata.name = info.name;
        policy.metadata.version = info.version;
        policy.metadata.description = info.description;
        Ok(policy)
    }

    /// What the component is.
    pub fn metadata(&self) -> &PolicyMetadata {
        &self.metadata
    }

    /// The limits every call runs under.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Takes the log records written so far.
    pub fn take_logs(&self) -> Vec<HookLog> {
        std::mem::take(&mut *self.logs.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Fuel used by all calls so far (0 when fuel is not metered).
    pub fn fuel_used(&self) -> u64 {
        *self.fuel_used.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The policy's verdict on moving `node` to `to`.
    pub fn validate_transition(
        &self,
        snapshot: &Snapshot,
        node: NodeId,
        to: WorkerState,
    ) -> Result<Verdict, Error> {
        let input = bindings::snapshot_to_wit(snapshot);
        let answer = self.call("validate-transition", |store, p| {
            p.worker_policy_policy_policy().call_validate_transition(
                store,
                &input,
                node,
                bindings::state_to_wit(to),
            )
        })?;
        let verdict = answer.map_err(|e| Error::Refused(bindings::error_from_wit(e)))?;
        Ok(Verdict {
            allowed: verdict.allowed,
            reason: verdict.reason,
        })
    }

    /// The transitions the policy makes by itself.
    pub fn reconcile(&self, snapshot: &Snapshot) -> Result<Vec<Transition>, Error> {
        let input = bindings::snapshot_to_wit(snapshot);
        let answer = self.call("reconcile", |store, p| {
            p.worker_policy_policy_policy()
                .call_reconcile(store, &input)
        })?;
        let transitions = answer.map_err(|e| Error::Refused(bindings::error_from_wit(e)))?;
        check_size("reconcile", transitions.len(), snapshot.nodes.len())?;
        Ok(transitions
            .into_iter()
            .map(bindings::transition_from_wit)
            .collect())
    }

    /// Steps placing the unplaced partitions.
    pub fn place(&self, snapshot: &Snapshot) -> Result<Vec<Step>, Error> {
        let input = bindings::snapshot_to_wit(snapshot);
        let answer = self.call("place", |store, p| {
            p.worker_policy_policy_policy().call_place(store, &input)
        })?;
        let steps = answer.map_err(|e| Error::Refused(bindings::error_from_wit(e)))?;
        check_size("place", steps.len(), step_limit(snapshot))?;
        Ok(steps.into_iter().map(bindings::step_from_wit).collect())
    }

    /// Steps rebalancing the placed partitions, with at most `max_moves` added replicas.
    pub fn rebalance(
        &self,
        snapshot: &Snapshot,
        max_moves: Option<u32>,
    ) -> Result<Vec<Step>, Error> {
        let input = bindings::snapshot_to_wit(snapshot);
        let answer = self.call("rebalance", |store, p| {
            p.worker_policy_policy_policy()
                .call_rebalance(store, &input, max_moves)
        })?;
        let steps = answer.map_err(|e| Error::Refused(bindings::error_from_wit(e)))?;
        check_size("rebalance", steps.len(), step_limit(snapshot))?;
        Ok(steps.into_iter().map(bindings::step_from_wit).collect())
    }

    /// Runs one hook in a fresh store and instance, and turns whatever went wrong into a fault
    /// that names the hook.
    fn call<T>(
        &self,
        hook: Hook,
        run: impl FnOnce(&mut Store<HostState>, &WorkerPolicy) -> wasmtime::Result<T>,
    ) -> Result<T, Error> {
        let mut store = sandbox::store(&self.engine, &self.limits)
            .map_err(|e| PolicyFault::Invalid(format!("{e:#}")))?;
        let result = self
            .pre
            .instantiate(&mut store)
            .and_then(|instance| run(&mut store, &instance));
        if let Some(fuel) = self.limits.fuel {
            let left = store.get_fuel().unwrap_or(0);
            *self.fuel_used.lock().unwrap_or_else(|e| e.into_inner()) += fuel.saturating_sub(left);
        }
        store.data_mut().collect_output();
        let state = store.into_data();
        let panic_message = state
            .logs
            .iter()
            .rev()
            .find(|r| r.level == bindings::logging::Level::Error)
            .map(|r| r.message.clone());
        let memory_refused = state.memory_refused;
        self.logs.lock().unwrap_or_else(|e| e.into_inner()).extend(
            state
                .logs
                .into_iter()
                .map(|record| HookLog { hook, record }),
        );
        result.map_err(|error| {
            self.fault(hook, error, memory_refused, panic_message)
                .into()
        })
    }

    fn fault(
        &self,
        hook: Hook,
        error: wasmtime::Error,
        memory_refused: Option<usize>,
        panic: Option<String>,
    ) -> PolicyFault {
        match error.downcast_ref::<Trap>() {
            Some(Trap::Interrupt) => PolicyFault::Timeout {
                hook,
                limit: self.limits.timeout,
            },
            Some(Trap::OutOfFuel) => PolicyFault::OutOfFuel {
                hook,
                fuel: self.limits.fuel.unwrap_or(0),
            },
            _ if memory_refused.is_some() => PolicyFault::OutOfMemory {
                hook,
                requested: memory_refused.unwrap_or(0),
                limit: self.limits.max_memory,
            },
            trap => {
                let mut message = match trap {
                    Some(trap) => trap.to_string(),
                    None => format!("{error:#}"),
                };
                if let Some(panic) = panic {
                    message = format!("{message} (the policy logged: {panic})");
                }
                PolicyFault::Trap { hook, message }
            }
        }
    }
}

/// The most steps a sane plan for `snapshot` can have: for every partition, an add and a remove
/// for each replica it holds or needs, and a leader change, four times over.
fn step_limit(snapshot: &Snapshot) -> usize {
    let factor = snapshot.replication.factor() as usize;
    let per_partition: usize = snapshot
        .partitions
        .iter()
        .map(|p| 2 * (p.holders().len() + factor) + 1)
        .sum();
    4 * per_partition + 64
}

/// Refuses an answer with more items than the snapshot could need.
fn check_size(hook: Hook, items: usize, limit: usize) -> Result<(), PolicyFault> {
    if items > limit {
        return Err(PolicyFault::OversizedAnswer { hook, items, limit });
    }
    Ok(())
}

/// Tells a core module or a non-wasm file from a component before compiling anything.
fn check_header(bytes: &[u8]) -> Result<(), PolicyFault> {
    const MAGIC: &[u8] = b"\0asm";
    if !bytes.starts_with(MAGIC) {
        let text = std::str::from_utf8(bytes).unwrap_or("");
        if text.trim_start().starts_with('(') {
            return Ok(()); // WAT text: the compiler checks it.
        }
        return Err(PolicyFault::NotAComponent(
            "the file is not a WebAssembly component (no `\\0asm` header, and not WAT text)".into(),
        ));
    }
    match bytes.get(4..8) {
        Some([1, 0, 0, 0]) => Err(PolicyFault::NotAComponent(
            "the file is a core WebAssembly module, not a component; build it with wit-bindgen and turn it into a component (`wasm-tools component new`, or cargo-component)".into(),
        )),
        _ => Ok(()),
    }
}
