//! The top of a script: what made it, from what, how good the result is, how to run it, how it
//! moves leaders, and what its freezes cost.

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
    /// Lines about the change (its quality figures, a rollout's rule), one each.
    pub summary: Vec<String>,
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

    /// The header lines for a script of `rounds` rounds and `restarts` restart points, through
    /// `set -euo pipefail`.
    pub fn text(&self, rounds: usize, restarts: usize) -> String {
        let mut out = String::from("#!/usr/bin/env bash\n");
        let mut made = format!(
            "A worker-policy plan as restatectl commands, for review. worker-policy never runs it.\n\
             made by:  {}\n\
             policy:   {} {}\n",
            self.command, self.policy_name, self.policy_version,
        );
        if !self.policy_sha256.is_empty() {
            made.push_str(&format!("sha256:   {}\n", self.policy_sha256));
        }
        made.push_str(&format!(
            "snapshot: {}\n\
             sha256:   {}\n\
             rounds:   {rounds}",
            self.snapshot_path, self.snapshot_sha256,
        ));
        if restarts > 0 {
            made.push_str(&format!("\nrestarts: {restarts}"));
        }
        out.push_str(&comment(&made));
        for line in &self.summary {
            out.push_str(&comment(line));
        }
        out.push_str(&comment(HOW_TO_RUN));
        out.push_str("set -euo pipefail\n");
        out
    }
}

/// How to run a script, how it moves leaders, its waits, and what its freezes cost.
const HOW_TO_RUN: &str = "\n\
Point restatectl at the cluster first, at a node with the admin role (restatectl sql, which the\n\
waits use, talks only to the first address): export RESTATECTL_ADDRESS=http://<admin-node>:5122/\n\
Run it as `bash script.sh`. Each line runs only when the ones before it succeeded; after a\n\
failure, fix its cause and run the rest from the failed line (a wait that times out prints how).\n\
Replicas are added before any is removed.\n\
\n\
Leaders: after `placement set`, Restate elects the last node of the list (or an alive member the\n\
partition's leader affinity points to). So each set lists last the replica that is to lead: the\n\
current leader while a set grows (a caught-up replica, never a new one), the plan's leader in the\n\
final set; a leader move alone is the same set reordered. No leadership pin is written.\n\
wait_leader waits until the plan's leader leads; wait_caught_up until a new replica caught up.\n\
WAIT_SLEEP (seconds between polls, default 0.5) and WAIT_TIMEOUT (seconds, default 300) bound them.\n\
\n\
Freezes: every set written is frozen, or Restate's scheduler would undo it (`placement set` writes\n\
the replication {node: N}). A frozen partition is one Restate no longer repairs: if a node holding\n\
it dies later, it stays short of that replica until it is handed back (the commands at the end) or\n\
a controller of yours keeps it. A freeze does not stop Restate finishing a reconfiguration already\n\
in flight (a pending `next`), so the script counts its nodes as serving replicas.";
