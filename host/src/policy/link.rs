//! Linking: a checked component is given the host's imports (the contract's logging and virtual
//! WASI) once, as an `InstancePre`, from which every hook call makes a fresh instance cheaply.

use wasmtime::component::{Component, HasSelf, Linker};

use crate::bindings::{WorkerPolicy, WorkerPolicyPre};
use crate::engine::PolicyEngine;
use crate::error::PolicyFault;
use crate::sandbox::HostState;

/// Pre-links `component` against the host's imports in `engine`.
pub(crate) fn link(
    engine: &PolicyEngine,
    component: &Component,
) -> Result<WorkerPolicyPre<HostState>, PolicyFault> {
    let mut linker = Linker::new(engine.wasmtime());
    WorkerPolicy::add_to_linker::<_, HasSelf<_>>(&mut linker, |state| state)
        .and_then(|()| wasmtime_wasi::p2::add_to_linker_sync(&mut linker))
        .and_then(|()| linker.instantiate_pre(component))
        .and_then(WorkerPolicyPre::new)
        .map_err(PolicyFault::Invalid)
}
