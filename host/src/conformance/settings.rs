//! Settings refused cleanly (part of property 8, contract hygiene): a policy that takes
//! settings is handed a few documents no policy is promised to take and must accept or refuse
//! each with a message, never trap, time out or answer out of bounds. A policy that takes no
//! settings (0.1.0, or native logic) is not asked.

use worker_policy_model::Snapshot;

use super::checks::{Finding, Replay};
use super::Property;
use crate::hooks::PolicyHooks;

/// The documents every policy is asked about: an unknown key, the wrong types of document, and
/// the empty object.
pub(crate) const PROBES: [&str; 5] = [
    r#"{"worker-policy-conformance-probe": true}"#,
    "[1, 2, 3]",
    r#""a string""#,
    "null",
    "{}",
];

/// The first probe the policy does not answer cleanly, as a finding on `snapshot` (the cluster
/// its replay runs `evaluate` on); `None` when it answers them all or takes no settings. The
/// second value counts the probes asked.
pub(crate) fn check(policy: &dyn PolicyHooks, snapshot: &Snapshot) -> (Option<Finding>, usize) {
    let mut asked = 0;
    for json in PROBES {
        let Some(answer) = policy.probe_settings(json) else {
            return (None, asked);
        };
        asked += 1;
        let (answer, why) = match answer {
            Ok(Ok(())) => continue,
            Ok(Err(message)) if !message.trim().is_empty() => continue,
            Ok(Err(_)) => (
                "refused with an empty message".to_string(),
                "a refusal of settings must say which key or value is wrong".to_string(),
            ),
            Err(error) => (
                crate::error::message_chain(&error),
                "a policy must accept or refuse settings with a message, never fault".to_string(),
            ),
        };
        let finding = Finding::new(
            Property::ContractHygiene,
            format!("validate-settings {json}"),
            answer,
            why,
            snapshot,
            Replay::Settings { json: json.into() },
        );
        return (Some(finding), asked);
    }
    (None, asked)
}
