//! Builds policy crates of this workspace into WebAssembly components, for build scripts: the
//! host's (the embedded default policy) and the tests' (the policies the suites run against).
//!
//! Like wasmtime's `crates/test-programs/artifacts/build.rs`: a nested `cargo build` into a
//! target directory of its own, without the outer build's rustflags and wrappers, with
//! rerun-if-changed taken from the nested build's `.d` files, and
//! `wit_component::ComponentEncoder` to make the component. The wasm target is installed with
//! `rustup target add` when it is missing, since rustup does not do that by itself where
//! `RUSTUP_AUTO_INSTALL=0`.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The target policies are built for: a core module that wit-component makes a component of.
pub const TARGET: &str = "wasm32-unknown-unknown";
/// The WASI target, whose linker makes the component itself (for policies that use WASI).
pub const WASIP2_TARGET: &str = "wasm32-wasip2";

/// One component to build: a package of the workspace, with features.
#[derive(Debug, Clone)]
pub struct ComponentBuild {
    /// The package, as `cargo -p` names it.
    pub package: String,
    /// Features to enable (none: the package's defaults).
    pub features: Vec<String>,
    /// The file name of the component written to `OUT_DIR`.
    pub output: String,
    /// The target: [`TARGET`], or [`WASIP2_TARGET`] for a policy that imports WASI.
    pub target: &'static str,
}

impl ComponentBuild {
    /// A build of `package` with its default features, written to `output`.
    pub fn new(package: &str, output: &str) -> ComponentBuild {
        ComponentBuild {
            package: package.into(),
            features: Vec::new(),
            output: output.into(),
            target: TARGET,
        }
    }

    /// The same build for `wasm32-wasip2`.
    pub fn for_wasip2(mut self) -> ComponentBuild {
        self.target = WASIP2_TARGET;
        self
    }

    /// The same build with `features` enabled.
    pub fn with_features(mut self, features: &[&str]) -> ComponentBuild {
        self.features = features.iter().map(|f| f.to_string()).collect();
        self
    }

    /// The core module's file name: the package name with `_` for `-`.
    fn artifact(&self) -> String {
        format!("{}.wasm", self.package.replace('-', "_"))
    }
}

/// Builds every component into `OUT_DIR`, in order, and prints the rerun-if-changed lines.
/// Fails with a message that says what to do.
pub fn build_components(builds: &[ComponentBuild]) -> Result<(), String> {
    let manifest_dir = PathBuf::from(env_var("CARGO_MANIFEST_DIR")?);
    let workspace = manifest_dir
        .ancestors()
        .find(|dir| dir.join("Cargo.lock").is_file())
        .ok_or("no Cargo.lock above the crate: build inside the workspace")?
        .to_path_buf();
    let out_dir = PathBuf::from(env_var("OUT_DIR")?);
    let target_dir = shared_target_dir(&out_dir);
    for build in builds {
        ensure_target(build.target)?;
        cargo_build(&workspace, &target_dir, build)?;
        let release = target_dir.join(build.target).join("release");
        let module_path = release.join(build.artifact());
        let module = fs::read(&module_path)
            .map_err(|e| format!("could not read {}: {e}", module_path.display()))?;
        let component = if build.target == WASIP2_TARGET {
            module
        } else {
            wit_component::ComponentEncoder::default()
                .module(&module)
                .and_then(|encoder| encoder.validate(true).encode())
                .map_err(|e| {
                    format!(
                        "could not make a component of {}: {e:#}",
                        module_path.display()
                    )
                })?
        };
        fs::write(out_dir.join(&build.output), component)
            .map_err(|e| format!("could not write {}: {e}", build.output))?;
        let dep_file = release.join(build.artifact().replace(".wasm", ".d"));
        rerun_if_changed(&dep_file, &workspace);
    }
    for extra in ["wit", "Cargo.lock"] {
        println!("cargo:rerun-if-changed={}", workspace.join(extra).display());
    }
    Ok(())
}

fn env_var(name: &str) -> Result<String, String> {
    env::var(name).map_err(|_| format!("{name} is not set: run this from a build script"))
}

fn cargo_build(workspace: &Path, target_dir: &Path, build: &ComponentBuild) -> Result<(), String> {
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .args([
            "build",
            "--release",
            "--locked",
            "--target",
            build.target,
            "-p",
            &build.package,
        ])
        .arg("--manifest-path")
        .arg(workspace.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(target_dir)
        // The outer build's flags and wrappers (clippy's, for one) are not for the policy.
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("RUSTFLAGS")
        .env_remove("RUSTC_WORKSPACE_WRAPPER")
        .env_remove("CARGO_BUILD_TARGET");
    if !build.features.is_empty() {
        command.arg("--features").arg(build.features.join(","));
    }
    let status = command
        .status()
        .map_err(|e| format!("could not run cargo for {}: {e}", build.package))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!(
            "`cargo build --target {} -p {} --features '{}'` failed ({status})",
            build.target,
            build.package,
            build.features.join(",")
        ))
    }
}

/// `target/wasm-policy` beside the outer build's profiles (found by cargo's `CACHEDIR.TAG`), so
/// every build script and profile shares one policy build; under `OUT_DIR` when not found.
fn shared_target_dir(out_dir: &Path) -> PathBuf {
    out_dir
        .ancestors()
        .find(|dir| dir.join("CACHEDIR.TAG").is_file())
        .unwrap_or(out_dir)
        .join("wasm-policy")
}

/// Installs `target` into the active toolchain when its standard library is missing.
fn ensure_target(target: &str) -> Result<(), String> {
    let rustc = env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let output = Command::new(&rustc)
        .args(["--print", "target-libdir", "--target", target])
        .output()
        .map_err(|e| format!("could not run {rustc}: {e}"))?;
    let libdir = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
    if output.status.success() && libdir.is_dir() {
        return Ok(());
    }
    let status = Command::new("rustup")
        .args(["target", "add", target])
        .status()
        .map_err(|e| {
            format!("the {target} target is missing and rustup could not be run ({e}); install the target for your toolchain")
        })?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`rustup target add {target}` failed ({status})"))
    }
}

/// Prints rerun-if-changed for every workspace source in a make-style dependency file; without
/// one, for the whole workspace's policy and model folders.
fn rerun_if_changed(dep_file: &Path, workspace: &Path) {
    let Ok(deps) = fs::read_to_string(dep_file) else {
        for dir in ["policies", "model", "tests/policies"] {
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
