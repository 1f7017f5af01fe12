//! A frozen partition's pending `next` set that falls short of the replication property.
//!
//! Restate completes a pending `next` set whether the partition is frozen or not: a placement
//! freeze stops the scheduler from choosing new sets, not a reconfiguration already in flight
//! (Restate's test `persisted_freeze_does_not_block_completion`; on a live 1.7.12 cluster a
//! frozen partition was left on its `next` set alone, a single replica, once that node came
//! back). And since the partition is frozen, nothing corrects the set afterwards. So a `next`
//! set that spans too few nodes or domains becomes the partition's replica set as it is.
//!
//! The import sees Restate's whole `next` set (the epoch record's) and says exactly what the
//! partition is left on. A snapshot keeps only the part of it that is not a replica yet, so
//! `evaluate` says what it can: that part falls short, and the partition ends on it alone when
//! Restate's set keeps none of the current replicas.

use std::collections::BTreeMap;

use worker_policy_model::replication::Shortfall;
use worker_policy_model::{Node, NodeId, Partition, Replication, Snapshot};

use super::cluster::listing;
use crate::ids::plain_label;

/// The note for partitions read from epoch records (whole `next` sets) among `nodes`, when any
/// frozen one's `next` set falls short of `replication`.
pub fn import_note<'a>(
    partitions: impl IntoIterator<Item = &'a Partition>,
    nodes: &BTreeMap<NodeId, &Node>,
    replication: &Replication,
) -> Option<String> {
    let short: Vec<String> = short_sets(partitions, nodes, replication)
        .into_iter()
        .map(|(partition, set, shortfall)| {
            format!("{} on {} ({shortfall})", partition.id, set_label(set))
        })
        .collect();
    (!short.is_empty()).then(|| {
        format!(
            "{} frozen partition(s) have a pending next set that falls short of the replication property {replication}: Restate completes a frozen partition's next set (a freeze does not hold a reconfiguration in flight) and then leaves the partition on it: {}; to keep a partition on enough nodes, place it anew (`restatectl partitions placement set <id> --replicas <ids> --freeze <reason>` replaces the pending set)",
            short.len(),
            listing(&short)
        )
    })
}

/// One note per frozen partition of `snapshot` whose `next` set (the nodes not yet replicas,
/// all a snapshot keeps of it) falls short of the replication property.
pub fn snapshot_notes(snapshot: &Snapshot) -> Vec<String> {
    let nodes: BTreeMap<NodeId, &Node> = snapshot.nodes.iter().map(|n| (n.id, n)).collect();
    short_sets(&snapshot.partitions, &nodes, &snapshot.replication)
        .into_iter()
        .map(|(partition, set, shortfall)| {
            format!(
                "partition {} is frozen and moving to {} (its pending next set): Restate completes a frozen partition's next set (a freeze does not hold a reconfiguration in flight), and if that set keeps none of the current replicas {}, the partition is left on {} alone, short of the replication property {}: {shortfall}; `restatectl partitions placement show {}` shows the whole set",
                partition.id,
                set_label(set),
                set_label(&partition.replicas),
                set_label(set),
                snapshot.replication,
                partition.id
            )
        })
        .collect()
}

/// The frozen, placed partitions whose `next` set falls short, with the set and the shortfall.
fn short_sets<'a>(
    partitions: impl IntoIterator<Item = &'a Partition>,
    nodes: &BTreeMap<NodeId, &Node>,
    replication: &Replication,
) -> Vec<(&'a Partition, &'a [NodeId], Shortfall)> {
    partitions
        .into_iter()
        .filter_map(|partition| {
            let next = partition.next.as_deref()?;
            if partition.freeze.is_none() || partition.is_unplaced() {
                return None;
            }
            let members = next.iter().filter_map(|id| nodes.get(id).copied());
            let shortfall = replication.shortfall(members)?;
            Some((partition, next, shortfall))
        })
        .collect()
}

/// A set as the notes name it: `N1, N4` or `no node`.
fn set_label(set: &[NodeId]) -> String {
    if set.is_empty() {
        return "no node".to_string();
    }
    set.iter()
        .map(|&id| plain_label(id))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(next: Option<Vec<NodeId>>, freeze: Option<&str>) -> Snapshot {
        let zones = ["eu.a", "eu.a", "eu.b", "eu.c"];
        Snapshot {
            replication: Replication::parse("{zone: 2}").unwrap(),
            nodes: (1..=4)
                .map(|id| Node::worker(id, zones[id as usize - 1]))
                .collect(),
            partitions: vec![Partition {
                id: 7,
                replicas: vec![1, 3],
                next,
                leader: Some(1),
                freeze: freeze.map(String::from),
                leader_affinity: None,
            }],
        }
    }

    fn import(snapshot: &Snapshot) -> Option<String> {
        let nodes = snapshot.nodes.iter().map(|n| (n.id, n)).collect();
        import_note(&snapshot.partitions, &nodes, &snapshot.replication)
    }

    #[test]
    fn a_frozen_next_set_in_one_zone_is_named_with_its_shortfall() {
        let s = snapshot(Some(vec![1, 2]), Some("hold"));
        let note = import(&s).unwrap();
        assert!(note.starts_with("1 frozen partition(s)"), "{note}");
        assert!(
            note.contains("7 on N1, N2 (1 zone(s) available, the replication property requires 2)"),
            "{note}"
        );
        let notes = snapshot_notes(&s);
        assert_eq!(notes.len(), 1);
        assert!(
            notes[0].contains("partition 7 is frozen and moving to N1, N2"),
            "{}",
            notes[0]
        );
        assert!(notes[0].contains("current replicas N1, N3"), "{}", notes[0]);
    }

    #[test]
    fn sets_that_span_enough_unfrozen_partitions_and_settled_ones_say_nothing() {
        assert_eq!(import(&snapshot(Some(vec![1, 4]), Some("hold"))), None);
        assert_eq!(import(&snapshot(Some(vec![2]), None)), None);
        assert_eq!(import(&snapshot(None, Some("hold"))), None);
        assert!(snapshot_notes(&snapshot(Some(vec![2, 4]), Some("hold"))).is_empty());
    }

    #[test]
    fn an_empty_next_set_falls_short_of_everything() {
        let note = import(&snapshot(Some(vec![]), Some("hold"))).unwrap();
        assert!(note.contains("7 on no node (0 zone(s) available"), "{note}");
    }
}
