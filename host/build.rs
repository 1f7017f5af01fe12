//! Builds the default policy and the Restate-compatible policy into components in `OUT_DIR`,
//! for `include_bytes!`, so the `worker-policy` binary carries both (see `build-support/` for
//! how); nothing to do without the `embedded` feature.

use worker_policy_build::{build_components, ComponentBuild};

fn main() {
    if std::env::var_os("CARGO_FEATURE_EMBEDDED").is_none() {
        return;
    }
    let builds = [
        ComponentBuild::new("worker-policy-default", "default_policy.wasm"),
        ComponentBuild::new("worker-policy-restate", "restate_policy.wasm"),
    ];
    if let Err(message) = build_components(&builds) {
        // A build script's panic shows its message in cargo's output.
        panic!("\n\nbuilding the embedded policies failed: {message}\n\n");
    }
}
