//! From a planned end state to the steps the host applies, in a safe order and within the move
//! budget, each with a reason an operator can read.
//!
//! Per partition: first every `add-replica` (make before break), then the leader, then every
//! `remove-replica`. With all additions done the replica set is a superset of a valid planned set,
//! so each removal keeps the factor and the domain spread. Partitions come most urgent first
//! (replicas missing or on dead nodes, then replicas that must leave or `next` sets to settle,
//! then balance), so a move budget goes to forced moves before balance moves. The partition the
//! budget runs out in gets the additions that fit and only the removals that are safe without
//! the rest; later rounds finish it.

use worker_policy_model::{NodeId, Roles, Step, StepOp, WorkerState};

use super::domains::Rules;
use super::{Layout, Role};
use crate::cluster::{Cluster, Ix, PartitionView};

/// The steps of `place`: every movable (unplaced) partition's replicas, then its leader.
pub(crate) fn placement(cluster: &Cluster<'_>, layout: &Layout) -> Vec<Step> {
    let mut steps = Vec::new();
    for (p, view) in cluster.partitions.iter().enumerate() {
        if layout.role[p] != Role::Movable {
            continue;
        }
        let set = &layout.sets[p];
        for (k, &n) in set.iter().enumerate() {
            let reason = text(&[
                Piece::Text("Place replica "),
                Piece::Number(k as u32 + 1),
                Piece::Text(" of "),
                Piece::Number(set.len() as u32),
                Piece::Text(" of new partition "),
                Piece::Number(view.id),
                Piece::Text(" on "),
                Piece::Node(cluster.id(n)),
                Piece::Text(": furthest below its fair share of replicas."),
            ]);
            steps.push(Step::new(
                StepOp::AddReplica,
                view.id,
                cluster.id(n),
                reason,
            ));
        }
        if let Some(l) = layout.leader[p] {
            let reason = text(&[
                Piece::Node(cluster.id(l)),
                Piece::Text(" leads new partition "),
                Piece::Number(view.id),
                Piece::Text(": furthest below its share of leaders."),
            ]);
            steps.push(Step::new(StepOp::SetLeader, view.id, cluster.id(l), reason));
        }
    }
    steps
}

/// A piece of a reason.
enum Piece<'a> {
    Text(&'a str),
    Number(u32),
    Node(NodeId),
}

/// Joins `pieces` into a reason without the formatting machinery, which would cost a third of
/// the time of placing 100,000 partitions (400,000 steps, each with its reason).
fn text(pieces: &[Piece<'_>]) -> String {
    let mut out = String::with_capacity(96);
    for piece in pieces {
        match *piece {
            Piece::Text(t) => out.push_str(t),
            Piece::Number(n) => push_number(&mut out, n),
            Piece::Node(id) => {
                out.push('N');
                push_number(&mut out, id);
            }
        }
    }
    out
}

/// Appends `n` in decimal.
fn push_number(out: &mut String, mut n: u32) {
    let mut digits = [0u8; 10];
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend(digits[start..].iter().map(|&d| char::from(d)));
}

/// What one partition needs.
struct Change {
    p: usize,
    adds: Vec<Ix>,
    removes: Vec<Ix>,
    urgency: u8,
}

/// The steps of `rebalance`, at most `max_moves` additions.
pub(crate) fn rebalancing(
    cluster: &Cluster<'_>,
    rules: &Rules<'_>,
    layout: &Layout,
    max_moves: Option<u32>,
) -> Vec<Step> {
    let mut changes = Vec::new();
    for (p, view) in cluster.partitions.iter().enumerate() {
        if layout.role[p] != Role::Movable {
            continue;
        }
        let set = &layout.sets[p];
        let adds: Vec<Ix> = set
            .iter()
            .copied()
            .filter(|n| view.replicas.binary_search(n).is_err())
            .collect();
        let mut removes: Vec<Ix> = view.holders().filter(|n| !set.contains(n)).collect();
        removes.sort_unstable_by_key(|&n| (cluster.serving[n as usize], n));
        if adds.is_empty() && removes.is_empty() && layout.leader[p] == view.leader {
            continue;
        }
        let serving = view
            .replicas
            .iter()
            .filter(|&&n| cluster.serving[n as usize])
            .count();
        let must_leave = view.holders().any(|n| !cluster.eligible[n as usize]);
        let urgency = if serving < rules.factor() {
            0
        } else if must_leave || !view.next_only.is_empty() || view.replicas.len() != set.len() {
            1
        } else {
            2
        };
        changes.push(Change {
            p,
            adds,
            removes,
            urgency,
        });
    }
    changes.sort_by_key(|c| (c.urgency, c.p));
    let mut budget = max_moves.map_or(usize::MAX, |m| m as usize);
    let mut steps = Vec::new();
    for change in &changes {
        let allowed = change.adds.len().min(budget);
        budget -= allowed;
        Writer {
            cluster,
            rules,
            layout,
            view: &cluster.partitions[change.p],
            change,
            steps: &mut steps,
        }
        .write(allowed);
    }
    steps
}

/// Writes one partition's steps.
struct Writer<'a, 'c> {
    cluster: &'a Cluster<'c>,
    rules: &'a Rules<'c>,
    layout: &'a Layout,
    view: &'a PartitionView,
    change: &'a Change,
    steps: &'a mut Vec<Step>,
}

impl Writer<'_, '_> {
    /// Writes the partition's steps with the first `allowed` of its additions.
    fn write(self, allowed: usize) {
        let Writer {
            cluster,
            rules,
            layout,
            view,
            change,
            steps,
        } = self;
        let complete = allowed == change.adds.len();
        let mut replicas = view.replicas.clone();
        // Pair each addition that is not a promotion with a replica that leaves, for the reasons.
        let leaving: Vec<Ix> = change
            .removes
            .iter()
            .copied()
            .filter(|n| view.replicas.contains(n))
            .collect();
        let mut replaced = leaving.iter();
        let mut partner = vec![None; change.adds.len()];
        for (i, n) in change.adds.iter().enumerate() {
            if view.next_only.binary_search(n).is_err() {
                partner[i] = replaced.next().copied();
            }
        }
        let label = |n: Ix| cluster.label(n);
        for (&n, &from) in change.adds.iter().zip(&partner).take(allowed) {
            let reason = if view.next_only.binary_search(&n).is_ok() {
                format!(
                    "Promote {} from partition {}'s next replica set: it already holds the data.",
                    label(n),
                    view.id
                )
            } else if let Some(old) = from {
                if cluster.eligible[old as usize] {
                    format!(
                        "Move partition {}'s replica from {} to {} to balance replicas: {} is above its target, {} below.",
                        view.id,
                        label(old),
                        label(n),
                        label(old),
                        label(n)
                    )
                } else {
                    format!(
                        "Add a replica of partition {} on {} to replace the one on {}, which {}.",
                        view.id,
                        label(n),
                        label(old),
                        why_leaving(cluster, old)
                    )
                }
            } else {
                format!(
                    "Partition {} has fewer than {} replicas on nodes that may keep them: add one on {}.",
                    view.id,
                    rules.factor(),
                    label(n)
                )
            };
            steps.push(Step::new(
                StepOp::AddReplica,
                view.id,
                cluster.id(n),
                reason,
            ));
            replicas.push(n);
        }

        let planned = layout.leader[change.p];
        let leader = if complete {
            planned
        } else {
            let valid = |n: &Ix| cluster.eligible[*n as usize] && replicas.contains(n);
            planned
                .filter(valid)
                .or(view.leader.filter(valid))
                .or_else(|| {
                    let mut candidates: Vec<Ix> = replicas.iter().copied().filter(valid).collect();
                    candidates.sort_unstable_by_key(|n| (!layout.sets[change.p].contains(n), *n));
                    candidates.first().copied()
                })
        };
        if let Some(l) = leader.filter(|&l| Some(l) != view.leader) {
            let reason = match view.leader {
                Some(old) if change.removes.contains(&old) => format!(
                    "{} leads partition {} before {}, its leader, leaves the replica set.",
                    label(l),
                    view.id,
                    label(old)
                ),
                Some(old) if cluster.eligible[old as usize] && view.replicas.contains(&old) => {
                    format!(
                        "{} leads partition {} instead of {} to balance leaderships: {} leads more than its share.",
                        label(l),
                        view.id,
                        label(old),
                        label(old)
                    )
                }
                Some(old) => format!(
                    "{} leads partition {}: its leader {} {}.",
                    label(l),
                    view.id,
                    label(old),
                    why_leaving(cluster, old)
                ),
                None => format!(
                    "Partition {} has no leader: {} leads it.",
                    view.id,
                    label(l)
                ),
            };
            steps.push(Step::new(StepOp::SetLeader, view.id, cluster.id(l), reason));
        }
        let current_leader = leader.or(view.leader);

        let added: Vec<(Ix, Option<Ix>)> = change
            .adds
            .iter()
            .copied()
            .zip(partner.iter().copied())
            .take(allowed)
            .collect();
        for &n in &change.removes {
            if Some(n) == current_leader {
                continue;
            }
            let held = replicas.contains(&n);
            if !complete && held && !rules.removal_is_safe(&replicas, n) {
                continue;
            }
            let reason = if !held {
                format!(
                    "Drop {} from partition {}'s next replica set: the plan settles the set without it.",
                    label(n),
                    view.id
                )
            } else if let Some(&(to, _)) = added.iter().find(|(_, from)| *from == Some(n)) {
                if cluster.eligible[n as usize] {
                    format!(
                        "Remove partition {}'s replica from {}: it has moved to {} for balance.",
                        view.id,
                        label(n),
                        label(to)
                    )
                } else {
                    format!(
                        "Remove partition {}'s replica from {}, which {}: {} holds it now.",
                        view.id,
                        label(n),
                        why_leaving(cluster, n),
                        label(to)
                    )
                }
            } else if cluster.eligible[n as usize] {
                format!(
                    "Partition {} has more replicas than its replication factor {}: remove the one on {}.",
                    view.id,
                    rules.factor(),
                    label(n)
                )
            } else {
                format!(
                    "Remove partition {}'s replica from {}, which {}; enough replicas remain elsewhere.",
                    view.id,
                    label(n),
                    why_leaving(cluster, n)
                )
            };
            steps.push(Step::new(
                StepOp::RemoveReplica,
                view.id,
                cluster.id(n),
                reason,
            ));
            replicas.retain(|&m| m != n);
        }
    }
}

/// Why a node may not keep replicas, as the end of a sentence ("..., which is draining").
fn why_leaving(cluster: &Cluster<'_>, n: Ix) -> &'static str {
    let node = cluster.nodes[n as usize];
    if !node.roles.contains(Roles::WORKER) {
        "is not a worker"
    } else if !node.alive {
        "is dead"
    } else {
        match node.worker_state {
            WorkerState::Provisioning => "is still provisioning",
            WorkerState::Active => "is active",
            WorkerState::Draining => "is draining",
            WorkerState::Disabled => "is disabled",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_are_joined_with_numbers_and_node_labels() {
        let r = text(&[
            Piece::Node(7),
            Piece::Text(" leads "),
            Piece::Number(0),
            Piece::Text("/"),
            Piece::Number(4_294_967_295),
        ]);
        assert_eq!(r, "N7 leads 0/4294967295");
    }
}
