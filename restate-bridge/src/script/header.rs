//! The top of a script: what made it, from what, how good the result is, how to run it, and
//! the shell function that waits for a new replica to catch up.

use super::shell::comment;

/// How the reason of every placement freeze a script sets begins (then the start of the
/// snapshot's digest): `restatectl partitions placement show` names worker-policy, and an
/// import can tell these freezes from an operator's (`--own-freezes`).
pub const FREEZE_PREFIX: &str = "worker-policy plan ";

/// What a script says about where it comes from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ScriptHeader {
    /// The policy's name.
    pub policy_name: String,
    /// The policy's version.
    pub policy_version: String,
    /// The SHA-256 of the policy component, in hex.
    pub policy_sha256: String,
    /// The snapshot file the plan was made for.
    pub snapshot_path: String,
    /// The SHA-256 of that file's bytes, in hex.
    pub snapshot_sha256: String,
    /// The quality figures of the change, one line each.
    pub quality: Vec<String>,
    /// The worker-policy command that made the script.
    pub command: String,
}

impl ScriptHeader {
    /// The placement freeze reason the script writes: it names worker-policy and the plan (the
    /// snapshot's digest), so `restatectl partitions placement show` says who froze a partition;
    /// one line, whatever the header holds.
    pub fn freeze_reason(&self) -> String {
        let digest: String = self
            .snapshot_sha256
            .chars()
            .filter(|c| !c.is_control())
            .take(12)
            .collect();
        format!("{FREEZE_PREFIX}{digest}")
    }

    /// The header lines for a script of `rounds` rounds, through `set -euo pipefail` and the
    /// wait function.
    pub fn text(&self, rounds: usize) -> String {
        let mut out = String::from("#!/usr/bin/env bash\n");
        out.push_str(&comment(&format!(
            "A worker-policy plan as restatectl commands, for review. worker-policy never runs it.\n\
             made by:  {}\n\
             policy:   {} {}\n\
             sha256:   {}\n\
             snapshot: {}\n\
             sha256:   {}\n\
             rounds:   {rounds}",
            self.command,
            self.policy_name,
            self.policy_version,
            self.policy_sha256,
            self.snapshot_path,
            self.snapshot_sha256,
        )));
        for line in &self.quality {
            out.push_str(&comment(line));
        }
        out.push_str(&comment(
            "\nPoint restatectl at the cluster first, at a node with the admin role (the wait\n\
             below queries its SQL tables): export RESTATECTL_ADDRESS=http://<admin-node>:5122/\n\
             Each line runs only when the ones before it succeeded; after a failure, fix its cause\n\
             and run the rest from the failed line. Replicas are added before any is removed, and\n\
             every set written is frozen so Restate's scheduler does not undo it (see the end).\n\
             WAIT_CAUGHT_UP_TRIES and WAIT_CAUGHT_UP_SLEEP (seconds) bound the wait for a new replica.",
        ));
        out.push_str("set -euo pipefail\n\n");
        out.push_str(WAIT_FUNCTION);
        out
    }
}

/// The shell function `wait_caught_up P N`: polls Restate's `partition_state` until N's
/// processor of P reports `replay_status` active; exits 1 after the tries run out.
pub const WAIT_FUNCTION: &str = r#"wait_caught_up() {
  local partition="$1" node="$2" attempt
  local tries="${WAIT_CAUGHT_UP_TRIES:-120}" pause="${WAIT_CAUGHT_UP_SLEEP:-5}"
  local query="SELECT replay_status FROM partition_state WHERE partition_id = ${partition} AND plain_node_id = 'N${node}'"
  for ((attempt = 1; attempt <= tries; attempt++)); do
    if restatectl sql --json "${query}" 2>/dev/null | grep -q '"replay_status":"active"'; then
      return 0
    fi
    sleep "${pause}"
  done
  echo "partition ${partition}: the replica on N${node} has not caught up after ${tries} tries; run the rest of this script from this line once it has" >&2
  exit 1
}
"#;
