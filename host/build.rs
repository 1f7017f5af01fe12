//! Builds the default policy for wasm32, turns it into a component and leaves it in `OUT_DIR`
//! for `include_bytes!`, so the `worker-policy` binary carries its default policy.
//!
//! Like wasmtime's `crates/test-programs/artifacts/build.rs`: a nested `cargo build` into a
//! target directory of its own, without the outer build's rustflags, with rerun-if-changed taken
//! from the nested build's `.d` file, and `wit_component::ComponentEncoder` to make the component.
//! The wasm target is installed with `rustup target add` when it is missing, since rustup does not
//! do it by itself where `RUSTUP_AUTO_INSTALL=0`.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

const TARGET: &str = "wasm32-unknown-unknown";
const POLICY_PACKAGE: &str = "worker-policy-default";
const POLICY_ARTIFACT: &str = "worker_policy_default";

fn main() {
    if let Err(message) = run() {
        // A build script's panic shows its message in cargo's output: say what to do about it.
        panic!("\n\nbuilding the default policy failed: {message}\n\n");
    }
}

fn run() -> Result<(), String> {
    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").map_err(|e| e.to_string())?);
    let workspace = manifest_dir
        .parent()
        .ok_or("the host crate has no parent folder")?
        .to_path_buf();
    let out_dir = PathBuf::from(env::var("OUT_DIR").map_err(|e| e.to_string())?);
    let target_dir = policy_target_dir(&out_dir);

    ensure_wasm_target()?;

    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut build = Command::new(cargo);
    build
        .args([
            "build",
            "--release",
            "--locked",
            "--target",
            TARGET,
            "-p",
            POLICY_PACKAGE,
        ])
        .arg("--manifest-path")
        .arg(workspace.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(&target_dir)
        // The outer build's flags and wrappers (clippy's, for one) are not for the policy.
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("RUSTFLAGS")
        .env_remove("RUSTC_WORKSPACE_WRAPPER")
        .env_remove("CARGO_BUILD_TARGET");
    let status = build
        .status()
        .map_err(|e| format!("could not run cargo for the policy: {e}"))?;
    if !status.success() {
        return Err(format!(
            "`cargo build --target {TARGET} -p {POLICY_PACKAGE}` failed ({status})"
        ));
    }

    let release = target_dir.join(TARGET).join("release");
    let module_path = release.join(format!("{POLICY_ARTIFACT}.wasm"));
    let module = fs::read(&module_path)
        .map_err(|e| format!("could not read {}: {e}", module_path.display()))?;
    let component = wit_component::ComponentEncoder::default()
        .module(&module)
        .and_then(|encoder| encoder.validate(true).encode())
        .map_err(|e| {
            format!(
                "could not make a component of {}: {e:#}",
                module_path.display()
            )
        })?;
    fs::write(out_dir.join("default_policy.wasm"), component)
        .map_err(|e| format!("could not write the component: {e}"))?;

    rerun_if_changed(&release.join(format!("{POLICY_ARTIFACT}.d")), &workspace);
    Ok(())
}

/// `target/wasm-policy` beside the outer build's profiles (found by cargo's `CACHEDIR.TAG`), so
/// debug and release builds of the host share one policy build; `OUT_DIR` when not found.
fn policy_target_dir(out_dir: &Path) -> PathBuf {
    out_dir
        .ancestors()
        .find(|dir| dir.join("CACHEDIR.TAG").is_file())
        .unwrap_or(out_dir)
        .join("wasm-policy")
}

/// Installs the wasm target into the active toolchain when its standard library is missing.
fn ensure_wasm_target() -> Result<(), String> {
    let rustc = env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let output = Command::new(&rustc)
        .args(["--print", "target-libdir", "--target", TARGET])
        .output()
        .map_err(|e| format!("could not run {rustc}: {e}"))?;
    let libdir = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
    if output.status.success() && libdir.is_dir() {
        return Ok(());
    }
    let status = Command::new("rustup")
        .args(["target", "add", TARGET])
        .status()
        .map_err(|e| {
            format!("the {TARGET} target is missing and rustup could not be run ({e}); install the target for your toolchain")
        })?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`rustup target add {TARGET}` failed ({status})"))
    }
}

/// Reruns this script when any source of the policy build changes.
fn rerun_if_changed(dep_file: &Path, workspace: &Path) {
    for extra in ["wit", "policy/Cargo.toml", "model/Cargo.toml", "Cargo.lock"] {
        println!("cargo:rerun-if-changed={}", workspace.join(extra).display());
    }
    let Ok(deps) = fs::read_to_string(dep_file) else {
        // No dependency file: rerun on any change under the policy and the model.
        for dir in ["policy", "model"] {
            println!("cargo:rerun-if-changed={}", workspace.join(dir).display());
        }
        return;
    };
    let Some((_, sources)) = deps.split_once(": ") else {
        return;
    };
    let mut path = String::new();
    for word in sources.split_whitespace() {
        // Make's escaping: `\ ` is a space inside a path.
        if let Some(part) = word.strip_suffix('\\') {
            path.push_str(part);
            path.push(' ');
            continue;
        }
        path.push_str(word);
        if Path::new(&path).starts_with(workspace) {
            println!("cargo:rerun-if-changed={path}");
        }
        path.clear();
    }
}
