//! Builds the test policies under `tests/policies/` into components in `OUT_DIR`, for the
//! suites in this crate (see `build-support/` for how): one component of
//! `worker-policy-broken` per bug feature of its `Cargo.toml` (the one list of bugs), and
//! `broken_policies.rs`, which `lib.rs` includes: a module per bug with its component, and
//! `for_each_broken_policy!`, with which `conformance.rs` makes a bug without a test fail to
//! compile.

use std::path::{Path, PathBuf};

use worker_policy_build::{build_components, ComponentBuild};

/// The manifest of the broken policy, relative to this crate.
const BROKEN_MANIFEST: &str = "policies/broken/Cargo.toml";

fn main() {
    let mut builds = vec![
        ComponentBuild::new("worker-policy-hostile", "hostile.wasm"),
        ComponentBuild::new("worker-policy-wasi-probe", "wasi-probe.wasm").for_wasip2(),
        ComponentBuild::new("worker-policy-least-loaded", "least-loaded.wasm"),
    ];
    let manifest = std::fs::read_to_string(BROKEN_MANIFEST)
        .unwrap_or_else(|e| panic!("reading {BROKEN_MANIFEST}: {e}"));
    println!("cargo:rerun-if-changed={BROKEN_MANIFEST}");
    let bugs = features(&manifest);
    assert!(!bugs.is_empty(), "{BROKEN_MANIFEST} lists no bug feature");
    for feature in &bugs {
        builds.push(
            ComponentBuild::new("worker-policy-broken", &component(feature))
                .with_features(&[feature.as_str()]),
        );
    }
    if let Err(message) = build_components(&builds) {
        panic!("\n\nbuilding the test policies failed: {message}\n\n");
    }
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    write(&out_dir.join("broken_policies.rs"), &table(&bugs));
}

/// The features of a manifest's `[features]` table, in order (one `name = [...]` a line).
fn features(manifest: &str) -> Vec<String> {
    let mut in_features = false;
    let mut out = Vec::new();
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_features = line == "[features]";
        } else if in_features && !line.is_empty() && !line.starts_with('#') {
            let name = line.split('=').next().unwrap_or_default().trim();
            if name != "default" {
                out.push(name.to_string());
            }
        }
    }
    out
}

/// The component file of a bug.
fn component(feature: &str) -> String {
    format!("broken-{feature}.wasm")
}

/// `broken_policies.rs`: a module per bug (named after its feature, in snake case) with the
/// feature and the component, and the macro that calls `$m!(module)` for each.
fn table(bugs: &[String]) -> String {
    let mut modules = String::new();
    let mut calls = String::new();
    for feature in bugs {
        let module = feature.replace('-', "_");
        modules.push_str(&format!(
            "    /// The `{feature}` bug.\n    pub mod {module} {{\n        \
             /// Its feature.\n        pub const FEATURE: &str = \"{feature}\";\n        \
             /// Its component.\n        pub const COMPONENT: &[u8] = \
             include_bytes!(concat!(env!(\"OUT_DIR\"), \"/{}\"));\n    }}\n",
            component(feature)
        ));
        calls.push_str(&format!("        $m!({module});\n"));
    }
    format!(
        "/// Every bug of `tests/policies/broken`, one module each, from its `Cargo.toml`.\n\
         pub mod broken {{\n{modules}}}\n\n\
         /// Calls `$m!(module)` for every module of [`broken`].\n\
         #[macro_export]\n\
         macro_rules! for_each_broken_policy {{\n    ($m:ident) => {{\n{calls}    }};\n}}\n"
    )
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
}
