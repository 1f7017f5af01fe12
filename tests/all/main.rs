//! The end-to-end tests: the built policy components run through the host, one module per
//! area, in one test binary (wasmtime and Cranelift are linked once, not once per file).

mod conformance;
mod contract_versions;
mod decommission;
mod default_policy;
mod diff;
mod fuzz;
mod restate_policy;
mod rollout;
mod sandbox;
