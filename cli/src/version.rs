//! What `--version` says: the program's version, the contract versions this host loads, and
//! the policies it carries: each one's name and version (from its crate, the logic it is
//! built from) and the SHA-256 of its component (what `--policy-sha256` pins).

use worker_policy::contract::{ContractVersion, CONTRACT_PACKAGE};
use worker_policy::embedded::{DEFAULT_POLICY, RESTATE_POLICY};
use worker_policy::policy::sha256_hex;
use worker_policy_model::PolicyInfo;

/// The long version text, after the program's name.
pub fn long() -> String {
    let contracts: Vec<&str> = ContractVersion::LOADED
        .iter()
        .map(|version| version.as_str())
        .collect();
    let policies = [
        ("default", worker_policy_default::info(), DEFAULT_POLICY),
        ("restate", worker_policy_restate::info(), RESTATE_POLICY),
    ];
    let lines: Vec<String> = policies
        .iter()
        .map(|(word, info, component): &(&str, PolicyInfo, &[u8])| {
            format!(
                "  --policy {word:<8} {} {} sha256 {}",
                info.name,
                info.version,
                sha256_hex(component)
            )
        })
        .collect();
    format!(
        "{}\ncontract: {CONTRACT_PACKAGE} {} (new policies are built against {})\nembedded policies:\n{}",
        env!("CARGO_PKG_VERSION"),
        contracts.join(", "),
        ContractVersion::CURRENT,
        lines.join("\n")
    )
}
