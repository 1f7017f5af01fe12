//! Builds the test policies under `tests/policies/` into components in `OUT_DIR`, for the
//! suites in this crate (see `build-support/` for how): one component of
//! `worker-policy-broken` per bug feature, and `broken_policies.rs`, the table `lib.rs`
//! includes, so the list of broken modules lives here alone.

use std::path::PathBuf;

use worker_policy_build::{build_components, ComponentBuild};

/// Every bug feature of `tests/policies/broken` and the conformance property (by id) it breaks.
const BROKEN: [(&str, u8); 13] = [
    ("places-on-draining", 1),
    ("disables-holding-node", 2),
    ("allows-forbidden-transition", 2),
    ("skips-safety-check", 2),
    ("removes-before-adding", 3),
    ("ignores-draining", 4),
    ("keeps-next-sets", 4),
    ("refuses-satisfiable", 4),
    ("leader-off-replica", 5),
    ("order-dependent", 6),
    ("flaps", 7),
    ("duplicate-steps", 8),
    ("unknown-partition", 8),
];

fn main() {
    let mut builds = vec![
        ComponentBuild::new("worker-policy-hostile", "hostile.wasm"),
        ComponentBuild::new("worker-policy-wasi-probe", "wasi-probe.wasm").for_wasip2(),
        ComponentBuild::new("worker-policy-least-loaded", "least-loaded.wasm"),
    ];
    let mut table = String::from(
        "/// Every broken test policy: its bug feature, the property it breaks, the component.\n\
         pub const BROKEN_POLICIES: &[(&str, u8, &[u8])] = &[\n",
    );
    for (feature, property) in BROKEN {
        let output = format!("broken-{feature}.wasm");
        table.push_str(&format!(
            "    (\"{feature}\", {property}, include_bytes!(concat!(env!(\"OUT_DIR\"), \"/{output}\"))),\n"
        ));
        builds.push(ComponentBuild::new("worker-policy-broken", &output).with_features(&[feature]));
    }
    table.push_str("];\n");
    if let Err(message) = build_components(&builds) {
        panic!("\n\nbuilding the test policies failed: {message}\n\n");
    }
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::write(out_dir.join("broken_policies.rs"), table)
        .unwrap_or_else(|e| panic!("writing broken_policies.rs: {e}"));
}
