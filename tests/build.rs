//! Builds the test policies under `tests/policies/` into components in `OUT_DIR`, for the
//! suites in this crate (see `build-support/` for how).

use worker_policy_build::{build_components, ComponentBuild};

fn main() {
    let builds = [ComponentBuild::new("worker-policy-hostile", "hostile.wasm")];
    if let Err(message) = build_components(&builds) {
        panic!("\n\nbuilding the test policies failed: {message}\n\n");
    }
}
