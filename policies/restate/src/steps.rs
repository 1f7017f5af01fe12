//! One partition's reconfiguration as steps, make-before-break: the replicas of the new set
//! that it lacks are added in the selected order (promoting `next` nodes), the leader moves to
//! the new set's leader, then the holders outside the new set go (replicas, and `next` nodes
//! that were never promoted).
//!
//! With a move budget, only as many additions as the budget has left are made; then the
//! leader moves only once its new node holds a replica, and an old replica goes only when the
//! model's removal rule ([`Replication::removal_hazard`]) lets it, so every partial answer is
//! as safe as a whole one.

use std::collections::BTreeMap;

use worker_policy_model::snapshot::NodeLabel;
use worker_policy_model::{Node, NodeId, Partition, Replication, Step, StepOp};

use crate::leaders::select_leader;

/// How many `add-replica` steps may still be planned; `None` for no limit.
#[derive(Debug, Clone, Copy)]
pub struct Budget(pub Option<u32>);

impl Budget {
    /// Spends one addition; false when none is left.
    fn take(&mut self) -> bool {
        match &mut self.0 {
            None => true,
            Some(0) => false,
            Some(left) => {
                *left -= 1;
                true
            }
        }
    }
}

/// The nodes of a snapshot by id, and its replication property.
pub struct Nodes<'a> {
    /// The replication property.
    pub replication: Replication,
    /// Every node, by id.
    pub by_id: BTreeMap<NodeId, &'a Node>,
}

/// The steps that take `partition` to `target` (the selected order), within `budget`.
pub fn reconfigure(
    nodes: &Nodes<'_>,
    partition: &Partition,
    target: &[NodeId],
    budget: &mut Budget,
) -> Vec<Step> {
    let p = partition.id;
    let set = list(target);
    let mut steps = Vec::new();
    let mut replicas = partition.replicas.clone();
    for &n in target {
        if !replicas.contains(&n) && budget.take() {
            steps.push(Step::new(
                StepOp::AddReplica,
                p,
                n,
                format!("Restate's selector puts partition {p} on {set}: {} joins it, before any old replica goes.", NodeLabel(n)),
            ));
            replicas.push(n);
        }
    }
    let mut leader = partition.leader;
    let new_leader = nodes.leader_of(partition, target);
    if let Some(l) = new_leader.filter(|l| replicas.contains(l) && leader != Some(*l)) {
        let reason = format!(
            "Restate's leader rule: {}, leads partition {p}.",
            nodes.why_leads(partition, target, l)
        );
        steps.push(Step::new(StepOp::SetLeader, p, l, reason));
        leader = Some(l);
    }
    let mut old: Vec<NodeId> = partition
        .holders()
        .into_iter()
        .filter(|n| !target.contains(n))
        .collect();
    old.retain(|&n| Some(n) != leader);
    for n in old {
        if replicas.contains(&n) && removal_blocked(nodes, &replicas, n) {
            continue;
        }
        replicas.retain(|&r| r != n);
        steps.push(Step::new(
            StepOp::RemoveReplica,
            p,
            n,
            format!("{} is not in partition {p}'s Restate replica set {set}; it goes once the new replicas are in.", NodeLabel(n)),
        ));
    }
    steps
}

/// The leader step of a frozen partition: Restate retargets none of its replicas but still
/// selects its leader among its current replicas, those its affinity matches first. A
/// snapshot's replica order is not Restate's stored order (the contract treats replica sets as
/// sets), so the tie between equal scores is broken without it: a leader that scores the most
/// stays, else the highest node id of those that do leads. Only alive, active replicas may
/// lead (the contract's leader invariant; Restate would also let an alive draining one).
/// None when the leader stays or no replica may lead.
pub fn lead_frozen(nodes: &Nodes<'_>, partition: &Partition) -> Option<Step> {
    let p = partition.id;
    let mut members: Vec<NodeId> = (partition.replicas.iter().copied())
        .filter(|n| {
            nodes
                .by_id
                .get(n)
                .is_some_and(|n| n.is_placement_candidate())
        })
        .collect();
    members.sort_unstable();
    let affine: Vec<NodeId> = (members.iter().copied())
        .filter(|&n| nodes.is_affine(partition, n))
        .collect();
    let best = if affine.is_empty() { members } else { affine };
    if partition.leader.is_some_and(|l| best.contains(&l)) {
        return None;
    }
    let l = *best.last()?;
    let why = match &partition.leader_affinity {
        Some(affinity) if nodes.is_affine(partition, l) => {
            format!("its leader affinity ({affinity}) matches it")
        }
        _ => "an alive, active replica".to_string(),
    };
    let reason = format!(
        "Restate's leader rule: {} leads partition {p} ({why}); its placement is frozen ({}), so its replicas stay.",
        NodeLabel(l),
        partition.freeze.as_deref().unwrap_or_default()
    );
    Some(Step::new(StepOp::SetLeader, p, l, reason))
}

impl Nodes<'_> {
    /// Restate's leader of `partition` once its replica set is `order`: among its alive
    /// members (all of them active workers, as the selector picks only those), the last one
    /// its affinity matches, else the last one.
    fn leader_of(&self, partition: &Partition, order: &[NodeId]) -> Option<NodeId> {
        select_leader(
            order,
            |n| {
                self.by_id
                    .get(&n)
                    .is_some_and(|n| n.is_placement_candidate())
            },
            |n| self.is_affine(partition, n),
        )
    }

    /// Whether `partition`'s leader affinity matches node `n`.
    fn is_affine(&self, partition: &Partition, n: NodeId) -> bool {
        let node = self.by_id.get(&n);
        (partition.leader_affinity.as_ref()).is_some_and(|a| node.is_some_and(|n| a.matches(n)))
    }

    /// Why `l` leads `partition` with the set `order`, as the start of a sentence.
    fn why_leads(&self, partition: &Partition, order: &[NodeId], l: NodeId) -> String {
        match &partition.leader_affinity {
            Some(affinity) if self.is_affine(partition, l) => format!(
                "the last alive node of {} that its leader affinity ({affinity}) matches, {}",
                list(order),
                NodeLabel(l)
            ),
            _ => format!("the last node of {}, {}", list(order), NodeLabel(l)),
        }
    }
}

/// Whether removing `node`'s replica from `replicas` would break the replica floor or the
/// domain spread.
fn removal_blocked(nodes: &Nodes<'_>, replicas: &[NodeId], node: NodeId) -> bool {
    let set: Vec<&Node> = replicas
        .iter()
        .filter_map(|n| nodes.by_id.get(n).copied())
        .collect();
    nodes.replication.removal_hazard(&set, node).is_some()
}

/// `N11, N8, N3`, in brackets.
fn list(set: &[NodeId]) -> String {
    let labels: Vec<String> = set.iter().map(|&n| NodeLabel(n).to_string()).collect();
    format!("[{}]", labels.join(", "))
}
