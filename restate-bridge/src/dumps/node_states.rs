//! The per-role states a node reports besides its worker state, made plausible from its roles:
//! both dumps print them, so both take them from here.

use worker_policy_model::{Node, Roles};

/// The log-server storage state: `read-write` with the role, Restate's default without it.
pub(crate) fn storage_state(node: &Node) -> &'static str {
    if node.roles.contains(Roles::LOG_SERVER) {
        "read-write"
    } else {
        "provisioning"
    }
}

/// The metadata-server state: `member` with the role, Restate's default without it.
pub(crate) fn metadata_server_state(node: &Node) -> &'static str {
    if node.roles.contains(Roles::METADATA_SERVER) {
        "member"
    } else {
        "provisioning"
    }
}
