//! Which nodes a chart aggregated by zone still draws one by one: the workers that may hold
//! nothing (draining, disabled, provisioning, dead), the nodes a plan moves to another state,
//! and the nodes a plan adds replicas to, removes replicas from or changes leaders on, most
//! notable first, at most [`MAX_STANDOUTS`].

use std::cmp::Reverse;
use std::collections::{BTreeMap, HashMap};

use worker_policy_model::snapshot::Roles;
use worker_policy_model::{Node, NodeId, Snapshot};

/// At most this many nodes are drawn one by one beside their zone's aggregate.
pub const MAX_STANDOUTS: usize = 16;

/// The nodes drawn one by one, each with what its label says besides its id.
#[derive(Debug, Default)]
pub struct Standouts {
    /// Node and note: its state when it may hold nothing (`draining`, `dead`), `to <state>`
    /// when a plan moves it to another state, empty for a node whose replicas or leaders change.
    pub nodes: BTreeMap<NodeId, String>,
    /// Nodes that qualified but did not fit in [`MAX_STANDOUTS`]: they stay in their zone's bars.
    pub left_out: usize,
}

/// How much plans change one node, summed over the plans.
#[derive(Debug, Default, Clone, Copy)]
struct Change {
    /// Replicas added to it.
    added: u32,
    /// Replicas removed from it.
    removed: u32,
    /// Partitions it starts or stops leading.
    leaders: u32,
}

impl Standouts {
    /// The standouts among `before`'s nodes for the plans that lead to each of `afters`.
    pub fn pick(before: &Snapshot, afters: &[&Snapshot]) -> Standouts {
        let changes = changes(before, afters);
        let mut ranked: Vec<(u8, Reverse<u32>, NodeId, String)> = (before.nodes.iter())
            .filter_map(|node| {
                let change = changes.get(&node.id).copied().unwrap_or_default();
                let (rank, note) = rank(node, afters, change)?;
                let size = change.added + change.removed + change.leaders;
                Some((rank, Reverse(size), node.id, note))
            })
            .collect();
        ranked.sort();
        let left_out = ranked.len().saturating_sub(MAX_STANDOUTS);
        Standouts {
            nodes: (ranked.into_iter().take(MAX_STANDOUTS))
                .map(|(_, _, id, note)| (id, note))
                .collect(),
            left_out,
        }
    }
}

/// Why `node` stands out, most notable first (0: may hold nothing or changes state, 1: loses
/// replicas, 2: gains replicas, 3: only leaders change), with its note; `None` when it does not.
fn rank(node: &Node, afters: &[&Snapshot], change: Change) -> Option<(u8, String)> {
    if node.roles.contains(Roles::WORKER) && !node.is_placement_candidate() {
        let state = if node.alive {
            node.worker_state.name()
        } else {
            "dead"
        };
        return Some((0, state.to_string()));
    }
    let moved_to = afters
        .iter()
        .filter_map(|after| after.node(node.id))
        .find(|n| n.worker_state != node.worker_state);
    if let Some(moved) = moved_to {
        return Some((0, format!("to {}", moved.worker_state.name())));
    }
    let rank = match change {
        Change { removed: 1.., .. } => 1,
        Change { added: 1.., .. } => 2,
        Change { leaders: 1.., .. } => 3,
        _ => return None,
    };
    Some((rank, String::new()))
}

/// Per node, the replicas added and removed and the leaderships gained or lost from `before`
/// to each of `afters`, summed.
fn changes(before: &Snapshot, afters: &[&Snapshot]) -> HashMap<NodeId, Change> {
    let old: HashMap<_, _> = before.partitions.iter().map(|p| (p.id, p)).collect();
    let mut changes: HashMap<NodeId, Change> = HashMap::new();
    for after in afters {
        for p in &after.partitions {
            let (was, was_led) = old
                .get(&p.id)
                .map_or_else(Default::default, |o| (o.holders(), o.leader));
            let now = p.holders();
            for &n in now.difference(&was) {
                changes.entry(n).or_default().added += 1;
            }
            for &n in was.difference(&now) {
                changes.entry(n).or_default().removed += 1;
            }
            if was_led != p.leader {
                for n in [was_led, p.leader].into_iter().flatten() {
                    changes.entry(n).or_default().leaders += 1;
                }
            }
        }
    }
    changes
}

#[cfg(test)]
mod tests {
    use super::*;
    use worker_policy_model::generate::{generate, ClusterShape};
    use worker_policy_model::{Replication, WorkerState};

    fn cluster() -> Snapshot {
        let mut shape = ClusterShape::new(vec![30, 30, 30], 90, Replication::parse("3").unwrap());
        shape.placed = true;
        generate(&shape)
    }

    #[test]
    fn ineligible_and_changed_nodes_stand_out_and_nothing_else() {
        let mut before = cluster();
        before.nodes[4].worker_state = WorkerState::Draining;
        before.nodes[7].alive = false;
        let mut after = before.clone();
        after.nodes[9].worker_state = WorkerState::Draining;
        let holder = after.partitions[0].replicas[0];
        let stranger = (1..=90).find(|n| !after.partitions[0].holders().contains(n));
        after.partitions[0].replicas[0] = stranger.unwrap();
        let picked = Standouts::pick(&before, &[&after]);
        let notes: Vec<(NodeId, &str)> = (picked.nodes.iter())
            .map(|(&id, note)| (id, note.as_str()))
            .collect();
        let mut expected = vec![
            (5, "draining"),
            (8, "dead"),
            (10, "to draining"),
            (holder, ""),
            (stranger.unwrap(), ""),
        ];
        expected.sort();
        assert_eq!(notes, expected);
        assert_eq!(picked.left_out, 0);
        assert!(Standouts::pick(&before, &[&before]).nodes.len() == 2);
    }

    #[test]
    fn past_the_budget_the_most_notable_are_kept_and_the_rest_counted() {
        let mut before = cluster();
        before.nodes[89].worker_state = WorkerState::Disabled;
        let mut after = before.clone();
        for p in &mut after.partitions {
            p.leader = p.replicas.iter().copied().find(|&n| Some(n) != p.leader);
        }
        let picked = Standouts::pick(&before, &[&after]);
        assert_eq!(picked.nodes.len(), MAX_STANDOUTS);
        assert_eq!(picked.nodes.get(&90).map(String::as_str), Some("disabled"));
        let changed = (1..=89)
            .filter(|&n| {
                (before.partitions.iter().zip(&after.partitions)).any(|(b, a)| {
                    b.leader != a.leader && (b.leader == Some(n) || a.leader == Some(n))
                })
            })
            .count();
        assert_eq!(picked.left_out, changed + 1 - MAX_STANDOUTS);
    }
}
