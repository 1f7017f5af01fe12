//! Restate's scheduler around the selector: every partition's set is recomputed on every pass,
//! with no stickiness, and a partition is reconfigured exactly when the result differs from
//! what it holds (its `next` set, or its replicas when there is none); the steps of
//! [`crate::steps`] settle any `next` set in flight on the way. Moves are not throttled unless
//! the host's `--max-moves` asks.
//!
//! A placement freeze stops the retargeting of a placed partition, as in Restate: its replicas
//! and `next` set stay as they are, and only its leader is selected again, among its alive,
//! active current replicas (see [`lead_frozen`] for the tie Restate breaks by stored order). An unplaced frozen partition is placed like any other (Restate initialises it).
//! Restate would also complete a frozen partition's pending `next` set; the contract forbids
//! any replica step on a frozen partition, so this policy leaves it pending.
//!
//! The candidates are the same for every partition, so a selection that fails for lack of
//! nodes fails for all of them: the hook answers insufficient nodes (Restate keeps every old
//! configuration). A selection Restate would never finish is refused with the selector's
//! message as an invalid snapshot, the contract's error for a snapshot a policy cannot work
//! with.

use worker_policy_model::{Partition, PolicyError, Snapshot, Step};

use crate::candidates::Candidates;
use crate::selector::{SelectError, Selector};
use crate::steps::{lead_frozen, reconfigure, Budget, Nodes};

/// Replica sets and leaders for the partitions with no replicas and no `next` set.
pub fn place(snapshot: &Snapshot) -> Result<Vec<Step>, PolicyError> {
    plan(snapshot, Partition::is_unplaced, Budget(None))
}

/// The steps that take every placed partition to Restate's replica set and leader, with at
/// most `max_moves` `add-replica` steps when given (the lowest partition ids first).
pub fn rebalance(snapshot: &Snapshot, max_moves: Option<u32>) -> Result<Vec<Step>, PolicyError> {
    plan(snapshot, |p| !p.is_unplaced(), Budget(max_moves))
}

/// The steps for the partitions `planned` picks, in the order of their ids.
fn plan(
    snapshot: &Snapshot,
    planned: fn(&Partition) -> bool,
    mut budget: Budget,
) -> Result<Vec<Step>, PolicyError> {
    snapshot
        .check_replica_sets()
        .map_err(|e| PolicyError::InvalidSnapshot(e.to_string()))?;
    let mut partitions: Vec<&Partition> =
        snapshot.partitions.iter().filter(|p| planned(p)).collect();
    if partitions.is_empty() {
        return Ok(Vec::new());
    }
    partitions.sort_by_key(|p| p.id);
    let candidates = Candidates::new(snapshot);
    let selector = Selector::new(&candidates);
    let nodes = Nodes {
        replication: snapshot.replication,
        by_id: snapshot.nodes.iter().map(|n| (n.id, n)).collect(),
    };
    let mut steps = Vec::new();
    for p in partitions {
        if p.is_frozen() {
            steps.extend(lead_frozen(&nodes, p));
            continue;
        }
        let target = selector.select(p.id).map_err(policy_error)?;
        steps.extend(reconfigure(&nodes, p, &target, &mut budget));
    }
    Ok(steps)
}

/// The contract's error for a failed selection.
fn policy_error(error: SelectError) -> PolicyError {
    match error {
        SelectError::Insufficient(shortfall) => PolicyError::InsufficientNodes(shortfall),
        never @ SelectError::NeverTerminates { .. } => {
            PolicyError::InvalidSnapshot(never.to_string())
        }
    }
}

#[cfg(test)]
mod tests;
