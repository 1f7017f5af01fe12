//! The end of a script: the command that hands the partitions it froze back to Restate,
//! commented out, with when to run it. The script writes no leadership pin, so there is none
//! to undo; partitions frozen before the script keep their freeze and are named, not handed back.

use std::collections::BTreeSet;

use worker_policy_model::{PartitionId, Scope, Snapshot};

use super::command::{ranges, Command};
use super::shell::comment;

/// The hand-back section for the partitions the script `frozen`, and the ones it wrote sets for
/// that were frozen before (`kept`); empty when there are none.
pub fn text(
    snapshot: &Snapshot,
    frozen: &BTreeSet<PartitionId>,
    kept: &BTreeSet<PartitionId>,
) -> String {
    if frozen.is_empty() && kept.is_empty() {
        return String::new();
    }
    let mut out = String::from("\n");
    out.push_str(&comment(
        "---- hand back to Restate: run these by hand, later, or never ----\n\
         The replica sets above are frozen, so Restate's scheduler keeps them, and does not\n\
         repair them either: a node that dies leaves its partitions short until they are\n\
         handed back. Run the command below when you want Restate's scheduler back in charge\n\
         of these partitions (for instance once the nodes the plan emptied are gone).",
    ));
    if !frozen.is_empty() {
        out.push_str(&comment(unfreeze_note(snapshot)));
        let partitions = frozen.iter().copied().collect();
        out.push_str(&format!(
            "# {}\n",
            Command::PlacementUnfreeze { partitions }
        ));
    }
    if !kept.is_empty() {
        let ids: Vec<PartitionId> = kept.iter().copied().collect();
        out.push_str(&comment(&format!(
            "Partitions {} were frozen before this script; the sets it wrote for them kept their \
             freeze reason, so they stay frozen as they were (not handed back here).",
            ranges(&ids).join(" ")
        )));
    }
    out
}

/// What unfreezing does under the snapshot's replication property (Restate's notes, §11).
fn unfreeze_note(snapshot: &Snapshot) -> &'static str {
    let scoped = [Scope::Region, Scope::Zone]
        .into_iter()
        .any(|s| snapshot.replication.required(s) > 0);
    if scoped {
        "Unfreezing hands a partition back to Restate at once: `placement set` wrote the \
         replication {node: N}, which differs from the table's zone or region property, so \
         Restate moves each of these partitions to its own choice of nodes as soon as it is \
         unfrozen."
    } else {
        "Unfreezing hands a partition back to Restate: with a node-only replication property, \
         Restate moves only the partitions whose set differs from its own hash-based choice."
    }
}
