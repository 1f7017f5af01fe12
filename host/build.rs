//! Builds the default policy into a component in `OUT_DIR`, for `include_bytes!`, so the
//! `worker-policy` binary carries its default policy (see `build-support/` for how).

use worker_policy_build::{build_components, ComponentBuild};

fn main() {
    let build = ComponentBuild::new("worker-policy-default", "default_policy.wasm");
    if let Err(message) = build_components(&[build]) {
        // A build script's panic shows its message in cargo's output.
        panic!("\n\nbuilding the default policy failed: {message}\n\n");
    }
}
