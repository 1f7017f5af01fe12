//! The Restate versions whose dumps differ in shape (notes §12), and what each one prints.

use std::fmt;

/// A Restate version whose `metadata get` dumps differ in shape from the one before it. The SQL
/// tables are written in 1.7.6's columns for every version (only `binary_version` differs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RestateVersion {
    /// 1.4: nodes carry `worker_config`; no `modified_at`, `binary_version` or `features` in
    /// `nodes_config`; epoch records have no policies (no freeze, no leader affinity).
    V1_4,
    /// 1.6: `modified_at` and `binary_version` appear; `features` is `[]`.
    V1_6,
    /// 1.7.0: `features: ["controlled-idempotent-sharding"]`; epoch records may carry a
    /// `leadership_policy` (leader affinity); no placement freeze yet.
    V1_7_0,
    /// 1.7.6 (and 1.7.3 onwards): epoch records may also carry a `placement_policy` (freeze).
    V1_7_6,
}

impl RestateVersion {
    /// Every version, oldest first.
    pub const ALL: [RestateVersion; 4] = [
        RestateVersion::V1_4,
        RestateVersion::V1_6,
        RestateVersion::V1_7_0,
        RestateVersion::V1_7_6,
    ];

    /// The version as Restate writes it (`1.7.6`).
    pub fn name(self) -> &'static str {
        match self {
            RestateVersion::V1_4 => "1.4.4",
            RestateVersion::V1_6 => "1.6.2",
            RestateVersion::V1_7_0 => "1.7.0",
            RestateVersion::V1_7_6 => "1.7.6",
        }
    }

    /// The `binary_version` a node reports: absent in `nodes_config` before 1.6.
    pub(crate) fn binary_version(self) -> Option<&'static str> {
        (self >= RestateVersion::V1_6).then(|| self.name())
    }

    /// Whether `nodes_config` carries `modified_at` (1.6 onwards).
    pub(crate) fn has_modified_at(self) -> bool {
        self >= RestateVersion::V1_6
    }

    /// The `features` of `nodes_config`: absent before 1.6, `[]` on 1.6, the sharding feature of
    /// clusters provisioned on 1.7 or later.
    pub(crate) fn features(self) -> Option<&'static [&'static str]> {
        match self {
            RestateVersion::V1_4 => None,
            RestateVersion::V1_6 => Some(&[]),
            RestateVersion::V1_7_0 | RestateVersion::V1_7_6 => {
                Some(&["controlled-idempotent-sharding"])
            }
        }
    }

    /// Whether epoch records may carry a `leadership_policy` (1.7.0 onwards).
    pub(crate) fn has_leadership_policy(self) -> bool {
        self >= RestateVersion::V1_7_0
    }

    /// Whether epoch records may carry a `placement_policy` (1.7.3 onwards).
    pub(crate) fn has_placement_policy(self) -> bool {
        self >= RestateVersion::V1_7_6
    }
}

impl fmt::Display for RestateVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
