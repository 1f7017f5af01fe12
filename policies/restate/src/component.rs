//! The component glue of the Restate-compatible policy, built only for wasm32: the SDK exports the
//! plain-Rust functions of this crate as the contract's hooks (a policy without settings: only
//! `{}` is accepted). Nothing here decides anything, so the logic stays testable natively, where
//! the logging import does not exist.

worker_policy_sdk::export_policy_functions!(RestatePolicy);
