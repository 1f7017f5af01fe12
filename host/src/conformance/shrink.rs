//! Shrinking a failure to the smallest counterexample found: drop halves of the partitions, then
//! single partitions, then single nodes (with every reference to them), keeping each smaller
//! cluster on which the same check still fails on the same property.

use worker_policy_model::{NodeId, Snapshot, StepOp};

use super::checks::{Check, Finding};
use crate::hooks::PolicyHooks;

/// The most smaller clusters tried for one failure.
const ATTEMPTS: u32 = 80;

/// The smallest cluster found on which `check` still fails as `found` does, and that failure.
pub(crate) fn shrink(
    policy: &dyn PolicyHooks,
    check: &Check,
    start: &Snapshot,
    found: Finding,
) -> (Snapshot, Finding) {
    let mut smallest = (start.clone(), found);
    let mut attempts = 0;
    'smaller: loop {
        for candidate in smaller(&smallest.0, check.node()) {
            if attempts == ATTEMPTS {
                break 'smaller;
            }
            attempts += 1;
            if let Some(finding) = check.run(policy, &candidate) {
                if finding.property == smallest.1.property {
                    smallest = (candidate, finding);
                    continue 'smaller;
                }
            }
        }
        break;
    }
    smallest
}

/// Clusters one reduction smaller than `s`, biggest reductions first; `keep` is never removed.
fn smaller(s: &Snapshot, keep: Option<NodeId>) -> Vec<Snapshot> {
    let mut out = Vec::new();
    let count = s.partitions.len();
    if count > 1 {
        let half = count / 2;
        for range in [0..half, half..count] {
            out.push(Snapshot {
                partitions: s.partitions[range].to_vec(),
                ..s.clone()
            });
        }
    }
    if count > 2 {
        for i in 0..count {
            let mut fewer = s.clone();
            fewer.partitions.remove(i);
            out.push(fewer);
        }
    }
    for node in s.nodes.iter().map(|n| n.id).filter(|&n| Some(n) != keep) {
        out.push(without_node(s, node));
    }
    out
}

/// `s` without node `id`: gone from the node list, every replica set, `next` set and leader.
fn without_node(s: &Snapshot, id: NodeId) -> Snapshot {
    let mut out = s.clone();
    out.nodes.retain(|n| n.id != id);
    for p in &mut out.partitions {
        p.apply(StepOp::RemoveReplica, id);
    }
    out
}
