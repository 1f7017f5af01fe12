//! Linking: a checked component is given the host's imports (the contract's logging at its
//! version, and virtual WASI) once, as an `InstancePre`, from which every hook call makes a fresh
//! instance cheaply.

use wasmtime::component::{Component, HasSelf, Linker};

use super::Linked;
use crate::bindings::{v0_1, v0_2};
use crate::contract::ContractVersion;
use crate::engine::PolicyEngine;
use crate::error::PolicyFault;

/// Pre-links `component`, which speaks contract `version`, against the host's imports in
/// `engine`.
pub(super) fn link(
    engine: &PolicyEngine,
    component: &Component,
    version: ContractVersion,
) -> Result<Linked, PolicyFault> {
    let mut linker = Linker::new(engine.wasmtime());
    let added = match version {
        ContractVersion::V0_1 => {
            v0_1::WorkerPolicy::add_to_linker::<_, HasSelf<_>>(&mut linker, |state| state)
        }
        ContractVersion::V0_2 => {
            v0_2::WorkerPolicy::add_to_linker::<_, HasSelf<_>>(&mut linker, |state| state)
        }
    };
    let pre = added
        .and_then(|()| wasmtime_wasi::p2::add_to_linker_sync(&mut linker))
        .and_then(|()| linker.instantiate_pre(component))
        .map_err(PolicyFault::Invalid)?;
    match version {
        ContractVersion::V0_1 => v0_1::WorkerPolicyPre::new(pre).map(Linked::V0_1),
        ContractVersion::V0_2 => v0_2::WorkerPolicyPre::new(pre).map(Linked::V0_2),
    }
    .map_err(PolicyFault::Invalid)
}
