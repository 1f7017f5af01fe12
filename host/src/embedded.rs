//! The policy components built by `build.rs` and carried inside the binary: the default policy
//! and the Restate-compatible one.

/// The default policy, as a WebAssembly component.
pub const DEFAULT_POLICY: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/default_policy.wasm"));

/// How the CLI names the embedded default policy where a file name would go.
pub const DEFAULT_POLICY_NAME: &str = "<embedded default policy>";

/// The Restate-compatible policy (Restate 1.7's own scheduler, `policies/restate/`), as a
/// WebAssembly component.
pub const RESTATE_POLICY: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/restate_policy.wasm"));

/// How the CLI names the embedded Restate-compatible policy where a file name would go.
pub const RESTATE_POLICY_NAME: &str = "<embedded restate policy>";
