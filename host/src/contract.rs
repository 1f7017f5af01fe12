//! The contract this host speaks: its package name and the versions of it the host loads.

/// The contract package this host speaks.
pub const CONTRACT_PACKAGE: &str = "worker-policy:policy";

/// A version of the contract this host loads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub enum ContractVersion {
    /// 0.1.0: no settings, weights, freezes or affinities; partitions as records.
    #[serde(rename = "0.1.0")]
    V0_1,
    /// 0.2.0: the current contract.
    #[serde(rename = "0.2.0")]
    V0_2,
}

impl ContractVersion {
    /// The version new policies are built against.
    pub const CURRENT: ContractVersion = ContractVersion::V0_2;
    /// Every version this host loads, newest first.
    pub const LOADED: [ContractVersion; 2] = [ContractVersion::V0_2, ContractVersion::V0_1];

    /// The version as the package writes it, `0.2.0`.
    pub fn as_str(self) -> &'static str {
        match self {
            ContractVersion::V0_1 => "0.1.0",
            ContractVersion::V0_2 => "0.2.0",
        }
    }

    /// The interface `name` of the contract at this version, `worker-policy:policy/policy@0.2.0`.
    pub fn interface(self, name: &str) -> String {
        format!("{CONTRACT_PACKAGE}/{name}@{}", self.as_str())
    }
}

impl std::fmt::Display for ContractVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
