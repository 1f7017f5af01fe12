//! The end of a script: the commands that hand the partitions it froze and pinned back to
//! Restate, commented out, with when to run them.

use std::collections::{BTreeMap, BTreeSet};

use worker_policy_model::{LeaderAffinity, NodeId, PartitionId, Scope, Snapshot};

use super::command::{ranges, Command};
use super::shell::comment;

/// The hand-back section for the partitions the script `frozen` and `pinned` (with the
/// affinity each had before); empty when it did neither.
pub fn text(
    snapshot: &Snapshot,
    frozen: &BTreeSet<PartitionId>,
    pinned: &BTreeMap<PartitionId, Option<LeaderAffinity>>,
) -> String {
    if frozen.is_empty() && pinned.is_empty() {
        return String::new();
    }
    let mut out = comment(
        "\n---- hand back to Restate: run these by hand, later, or never ----\n\
         The replica sets above are frozen, so Restate's scheduler keeps them; pins keep leaders.\n\
         Run the commands below only when you want Restate's scheduler back in charge of these\n\
         partitions (for instance once the nodes the plan emptied are gone).",
    );
    let (before_frozen, ours): (Vec<PartitionId>, Vec<PartitionId>) = frozen
        .iter()
        .partition(|&&id| snapshot.partition(id).is_some_and(|p| p.freeze.is_some()));
    if !ours.is_empty() {
        out.push_str(&comment(unfreeze_note(snapshot)));
        out.push_str(&commented(&Command::PlacementUnfreeze { partitions: ours }));
    }
    if !before_frozen.is_empty() {
        out.push_str(&comment(&format!(
            "Partitions {} were frozen before this script (it replaced their freeze reason): \
             left frozen.",
            ranges(&before_frozen).join(" ")
        )));
    }
    out.push_str(&pin_handback(pinned));
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

/// Unpins for partitions that had no affinity, re-pins for those pinned to a node before, and
/// a note for location affinities (restatectl cannot set one).
fn pin_handback(pinned: &BTreeMap<PartitionId, Option<LeaderAffinity>>) -> String {
    let mut unpin = Vec::new();
    let mut repin: BTreeMap<NodeId, Vec<PartitionId>> = BTreeMap::new();
    let mut located = Vec::new();
    for (&id, before) in pinned {
        match before {
            None => unpin.push(id),
            Some(LeaderAffinity::Node(node)) => repin.entry(*node).or_default().push(id),
            Some(LeaderAffinity::Location(location)) => located.push((id, location)),
        }
    }
    let mut out = String::new();
    if !unpin.is_empty() {
        out.push_str("# Unpinning lets Restate choose these partitions' leaders again.\n");
        out.push_str(&commented(&Command::LeadershipUnpin { partitions: unpin }));
    }
    for (node, partitions) in repin {
        out.push_str(&format!(
            "# These partitions were pinned to N{node} before: this restores that pin.\n"
        ));
        out.push_str(&commented(&Command::LeadershipPin { partitions, node }));
    }
    for (id, location) in located {
        out.push_str(&comment(&format!(
            "Partition {id} had a leader affinity to location `{location}`: restatectl cannot set \
             a location affinity, so restore it by the means that set it."
        )));
    }
    out
}

fn commented(command: &Command) -> String {
    format!("# {command}\n")
}
