//! The default policy component, built by `build.rs` and carried inside the binary.

/// The default policy, as a WebAssembly component.
pub const DEFAULT_POLICY: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/default_policy.wasm"));

/// How the CLI names the embedded default policy where a file name would go.
pub const DEFAULT_POLICY_NAME: &str = "<embedded default policy>";
