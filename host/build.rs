//! Builds the default policy into a component in `OUT_DIR`, for `include_bytes!`, so the
//! `worker-policy` binary carries its default policy (see `build-support/` for how); nothing to
//! do without the `embedded` feature.

use worker_policy_build::{build_components, ComponentBuild};

fn main() {
    if std::env::var_os("CARGO_FEATURE_EMBEDDED").is_none() {
        return;
    }
    let build = ComponentBuild::new("worker-policy-default", "default_policy.wasm");
    if let Err(message) = build_components(&[build]) {
        // A build script's panic shows its message in cargo's output.
        panic!("\n\nbuilding the default policy failed: {message}\n\n");
    }
}
