//! The policy a result came from.

use serde::Serialize;
use worker_policy::LoadedPolicy;

/// The policy: its name and version, where it was loaded from, and its digest.
#[derive(Debug, Clone, Serialize)]
pub struct PolicyView {
    /// The policy's name.
    pub name: String,
    /// The SHA-256 of the component, in hex.
    pub sha256: String,
    /// Its file, or the embedded default.
    pub source: String,
    /// The policy's version.
    pub version: String,
}

impl PolicyView {
    /// `policy`, loaded from `source`.
    pub fn new(policy: &LoadedPolicy, source: String) -> PolicyView {
        let m = policy.metadata();
        PolicyView {
            name: m.name.clone(),
            sha256: m.sha256.clone(),
            source,
            version: m.version.clone(),
        }
    }

    /// One line naming the policy, with the start of its digest.
    pub fn line(&self) -> String {
        let short = self.sha256.get(..12).unwrap_or(&self.sha256);
        format!(
            "policy    {} {} ({}, sha256 {short}…)\n",
            self.name, self.version, self.source
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_shows_the_start_of_the_digest_and_json_keys_are_sorted() {
        let view = PolicyView {
            name: "p".into(),
            sha256: "0123456789abcdef".into(),
            source: "p.wasm".into(),
            version: "1.0".into(),
        };
        assert_eq!(
            view.line(),
            "policy    p 1.0 (p.wasm, sha256 0123456789ab…)\n"
        );
        crate::output::tests::assert_keys_sorted(&view);
    }
}
