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
            let why = if cluster.is_affine(view, l) {
                ": its leader affinity points there."
            } else {
                ": furthest below its share of leaders."
            };
            let reason = text(&[
                Piece::Node(cluster.id(l)),
                Piece::Text(" leads new partition "),
                Piece::Number(view.id),
                Piece::Text(why),
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
        let set = &layout.sets[p];
        let (adds, removes) = match layout.role[p] {
            Role::Movable => replica_changes(cluster, view, set),
            // Its replicas and `next` set stay: only its leader may move.
            Role::Frozen => (Vec::new(), Vec::new()),
            Role::Fixed | Role::Ignored => continue,
        };
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

/// The planned replicas partition `view` lacks, and its holders outside the planned `set`
/// (nodes that do not serve first).
fn replica_changes(cluster: &Cluster<'_>, view: &PartitionView, set: &[Ix]) -> (Vec<Ix>, Vec<Ix>) {
    let adds: Vec<Ix> = set
        .iter()
        .copied()
        .filter(|n| view.replicas.binary_search(n).is_err())
        .collect();
    let mut removes: Vec<Ix> = view.holders().filter(|n| !set.contains(n)).collect();
    removes.sort_unstable_by_key(|&n| (cluster.serving[n as usize], n));
    (adds, removes)
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

/// An addition written, and the replica it replaces (for the reasons), if any.
type Added = (Ix, Option<Ix>);

impl Writer<'_, '_> {
    /// Writes the partition's steps with the first `allowed` of its additions: the additions,
    /// then the leader, then the removals that are safe.
    fn write(mut self, allowed: usize) {
        let complete = allowed == self.change.adds.len();
        let mut replicas = self.view.replicas.clone();
        let added: Vec<Added> = self
            .change
            .adds
            .iter()
            .copied()
            .zip(self.partners())
            .take(allowed)
            .collect();
        for &(n, from) in &added {
            let reason = self.add_reason(n, from);
            self.push(StepOp::AddReplica, n, reason);
            replicas.push(n);
        }
        let leader = if complete {
            self.layout.leader[self.change.p]
        } else {
            self.interim_leader(&replicas)
        };
        if let Some(l) = leader.filter(|&l| Some(l) != self.view.leader) {
            let reason = self.leader_reason(l);
            self.push(StepOp::SetLeader, l, reason);
        }
        let current_leader = leader.or(self.view.leader);
        for &n in &self.change.removes {
            if Some(n) == current_leader {
                continue;
            }
            // With every addition written the replicas are a superset of a valid planned set
            // and every removal is safe; only a partition a budget cut short skips some.
            let held = replicas.contains(&n);
            if held && !self.rules.removal_is_safe(&replicas, n) {
                continue;
            }
            let reason = self.remove_reason(n, held, &added);
            self.push(StepOp::RemoveReplica, n, reason);
            replicas.retain(|m| *m != n);
        }
    }

    /// Appends a step on node `n` of the partition.
    fn push(&mut self, op: StepOp, n: Ix, reason: String) {
        let step = Step::new(op, self.view.id, self.cluster.id(n), reason);
        self.steps.push(step);
    }

    /// Pairs each addition that is not a promotion from `next` with a replica that leaves, for
    /// the reasons.
    fn partners(&self) -> Vec<Option<Ix>> {
        let view = self.view;
        let mut leaving = self
            .change
            .removes
            .iter()
            .copied()
            .filter(|n| view.replicas.contains(n));
        self.change
            .adds
            .iter()
            .map(|n| {
                if view.next_only.binary_search(n).is_err() {
                    leaving.next()
                } else {
                    None
                }
            })
            .collect()
    }

    /// The leader while a budget cut leaves the partition incomplete: the planned leader, else
    /// the current one, else a replica of the planned set, each only if it is an eligible
    /// replica now.
    fn interim_leader(&self, replicas: &[Ix]) -> Option<Ix> {
        let valid = |n: &Ix| self.cluster.eligible[*n as usize] && replicas.contains(n);
        let planned_set = &self.layout.sets[self.change.p];
        self.layout.leader[self.change.p]
            .filter(valid)
            .or(self.view.leader.filter(valid))
            .or_else(|| {
                let mut candidates: Vec<Ix> = replicas.iter().copied().filter(valid).collect();
                candidates.sort_unstable_by_key(|n| (!planned_set.contains(n), *n));
                candidates.first().copied()
            })
    }

    /// Why node `n` gets a replica, replacing `from` if it does.
    fn add_reason(&self, n: Ix, from: Option<Ix>) -> String {
        let (cluster, id) = (self.cluster, self.view.id);
        let label = |n: Ix| cluster.label(n);
        if self.view.next_only.binary_search(&n).is_ok() {
            format!(
                "Promote {} from partition {id}'s next replica set: it already holds the data.",
                label(n)
            )
        } else if let Some(old) = from {
            if cluster.eligible[old as usize] {
                format!(
                    "Move partition {id}'s replica from {} to {} to balance replicas: {} is above its target, {} below.",
                    label(old),
                    label(n),
                    label(old),
                    label(n)
                )
            } else {
                format!(
                    "Add a replica of partition {id} on {} to replace the one on {}, which {}.",
                    label(n),
                    label(old),
                    why_leaving(cluster, old)
                )
            }
        } else {
            format!(
                "Partition {id} has fewer than {} replicas on nodes that may keep them: add one on {}.",
                self.rules.factor(),
                label(n)
            )
        }
    }

    /// Why node `l` becomes the leader (and, for a frozen partition, that its replicas stay).
    fn leader_reason(&self, l: Ix) -> String {
        let reason = self.leader_cause(l);
        if self.view.frozen {
            format!(
                "{reason} Partition {} is frozen: its replicas stay as they are.",
                self.view.id
            )
        } else {
            reason
        }
    }

    /// Why node `l` becomes the leader: its affinity, a leader that leaves, or the balance.
    fn leader_cause(&self, l: Ix) -> String {
        let (cluster, view, id) = (self.cluster, self.view, self.view.id);
        let label = |n: Ix| cluster.label(n);
        let affinity = view
            .affinity
            .as_ref()
            .filter(|_| cluster.is_affine(view, l));
        if let Some(affinity) = affinity {
            let instead = view
                .leader
                .map(|old| format!(" instead of {}", label(old)))
                .unwrap_or_default();
            return format!(
                "{} leads partition {id}{instead}: its leader affinity ({affinity}) points there.",
                label(l)
            );
        }
        match view.leader {
            Some(old) if self.change.removes.contains(&old) => format!(
                "{} leads partition {id} before {}, its leader, leaves the replica set.",
                label(l),
                label(old)
            ),
            Some(old) if cluster.eligible[old as usize] && view.replicas.contains(&old) => {
                format!(
                    "{} leads partition {id} instead of {} to balance leaderships: {} leads more than its share.",
                    label(l),
                    label(old),
                    label(old)
                )
            }
            Some(old) => format!(
                "{} leads partition {id}: its leader {} {}.",
                label(l),
                label(old),
                why_leaving(cluster, old)
            ),
            None => format!("Partition {id} has no leader: {} leads it.", label(l)),
        }
    }

    /// Why node `n` leaves the partition (`held`: as a replica, else from the `next` set).
    fn remove_reason(&self, n: Ix, held: bool, added: &[Added]) -> String {
        let (cluster, id) = (self.cluster, self.view.id);
        let label = |n: Ix| cluster.label(n);
        if !held {
            format!(
                "Drop {} from partition {id}'s next replica set: the plan settles the set without it.",
                label(n)
            )
        } else if let Some(&(to, _)) = added.iter().find(|(_, from)| *from == Some(n)) {
            if cluster.eligible[n as usize] {
                format!(
                    "Remove partition {id}'s replica from {}: it has moved to {} for balance.",
                    label(n),
                    label(to)
                )
            } else {
                format!(
                    "Remove partition {id}'s replica from {}, which {}: {} holds it now.",
                    label(n),
                    why_leaving(cluster, n),
                    label(to)
                )
            }
        } else if cluster.eligible[n as usize] {
            format!(
                "Partition {id} has more replicas than its replication factor {}: remove the one on {}.",
                self.rules.factor(),
                label(n)
            )
        } else {
            format!(
                "Remove partition {id}'s replica from {}, which {}; enough replicas remain elsewhere.",
                label(n),
                why_leaving(cluster, n)
            )
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
