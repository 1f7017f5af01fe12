//! The snapshot's partitions, which cross column by column: decoded into the model's
//! partitions, each malformed column an invalid snapshot that names it (`partitions.<column>`,
//! with the entry's index).

use std::ops::Range;

use worker_policy_model as model;

use super::invalid_snapshot;
use crate::bindings::worker_policy::policy::types as wit;

/// The model's partitions, from their columns.
pub fn partitions_from_wit(
    columns: wit::Partitions,
) -> Result<Vec<model::Partition>, wit::PolicyError> {
    let count = columns.ids.len();
    for (column, len) in [
        ("replica-ends", columns.replica_ends.len()),
        ("next-ends", columns.next_ends.len()),
        ("leaders", columns.leaders.len()),
    ] {
        if len != count {
            return Err(invalid_snapshot(format!(
                "partitions.{column}: {len} entries for {count} partitions (partitions.ids)"
            )));
        }
    }
    let replicas = runs(
        &columns.replica_ends,
        "replica-ends",
        columns.replicas.len(),
        "replicas",
    )?;
    let next = runs(&columns.next_ends, "next-ends", columns.next.len(), "next")?;
    let mut partitions: Vec<model::Partition> = (0..count)
        .map(|i| model::Partition {
            id: columns.ids[i],
            replicas: columns.replicas[replicas[i].clone()].to_vec(),
            next: Some(columns.next[next[i].clone()].to_vec()).filter(|n| !n.is_empty()),
            leader: columns.leaders[i],
            freeze: None,
            leader_affinity: None,
        })
        .collect();
    let freezes = columns.freezes.into_iter().map(|f| (f.partition, f.reason));
    for (i, reason) in by_index(freezes, "freezes", count)? {
        partitions[i].freeze = Some(reason);
    }
    let affinities = columns
        .affinities
        .into_iter()
        .map(|a| (a.partition, a.target));
    for (i, target) in by_index(affinities, "affinities", count)? {
        partitions[i].leader_affinity = Some(affinity_from_wit(target));
    }
    Ok(partitions)
}

/// The runs that the running totals `ends` (the column `ends_column`) cut a column of `len`
/// values (`values_column`) into: partition `i`'s values are `runs[i]`.
fn runs(
    ends: &[u32],
    ends_column: &str,
    len: usize,
    values_column: &str,
) -> Result<Vec<Range<usize>>, wit::PolicyError> {
    let mut start = 0;
    let mut runs = Vec::with_capacity(ends.len());
    for (i, &end) in ends.iter().enumerate() {
        let end_index = end as usize;
        if end_index < start {
            return Err(invalid_snapshot(format!(
                "partitions.{ends_column}[{i}]: {end} is below the previous end {start}; \
                 the ends are running totals"
            )));
        }
        if end_index > len {
            return Err(invalid_snapshot(format!(
                "partitions.{ends_column}[{i}]: {end} is past the end of \
                 partitions.{values_column} ({len} entries)"
            )));
        }
        runs.push(start..end_index);
        start = end_index;
    }
    if start != len {
        return Err(invalid_snapshot(format!(
            "partitions.{values_column}: {len} entries, but partitions.{ends_column} ends at {start}"
        )));
    }
    Ok(runs)
}

/// The entries of `column` (a list of partition indexes with a value, in the order of the ids),
/// each index checked to be in range (`count` partitions) and after the previous one.
fn by_index<T>(
    entries: impl Iterator<Item = (u32, T)>,
    column: &str,
    count: usize,
) -> Result<Vec<(usize, T)>, wit::PolicyError> {
    let mut previous: Option<usize> = None;
    let mut checked = Vec::new();
    for (k, (partition, value)) in entries.enumerate() {
        let index = partition as usize;
        if index >= count {
            return Err(invalid_snapshot(format!(
                "partitions.{column}[{k}].partition: index {partition} is out of range \
                 ({count} partitions)"
            )));
        }
        if previous.is_some_and(|p| index <= p) {
            return Err(invalid_snapshot(format!(
                "partitions.{column}[{k}].partition: index {partition} does not follow the \
                 previous entry's; the list is in the order of partitions.ids, once each"
            )));
        }
        previous = Some(index);
        checked.push((index, value));
    }
    Ok(checked)
}

/// The model's form of a leader affinity.
fn affinity_from_wit(target: wit::LeaderAffinity) -> model::LeaderAffinity {
    match target {
        wit::LeaderAffinity::Node(id) => model::LeaderAffinity::Node(id),
        wit::LeaderAffinity::Location(location) => model::LeaderAffinity::Location(location),
    }
}

/// The columns of the model's partitions, as the host sends them.
#[cfg(test)]
pub fn partitions_to_wit(partitions: &[model::Partition]) -> wit::Partitions {
    let mut columns = wit::Partitions {
        ids: Vec::new(),
        replica_ends: Vec::new(),
        replicas: Vec::new(),
        next_ends: Vec::new(),
        next: Vec::new(),
        leaders: Vec::new(),
        freezes: Vec::new(),
        affinities: Vec::new(),
    };
    for (i, p) in partitions.iter().enumerate() {
        let index = i as u32;
        columns.ids.push(p.id);
        columns.replicas.extend(&p.replicas);
        columns.replica_ends.push(columns.replicas.len() as u32);
        columns.next.extend(p.next.iter().flatten());
        columns.next_ends.push(columns.next.len() as u32);
        columns.leaders.push(p.leader);
        if let Some(reason) = &p.freeze {
            columns.freezes.push(wit::Freeze {
                partition: index,
                reason: reason.clone(),
            });
        }
        if let Some(affinity) = &p.leader_affinity {
            let target = match affinity {
                model::LeaderAffinity::Node(id) => wit::LeaderAffinity::Node(*id),
                model::LeaderAffinity::Location(l) => wit::LeaderAffinity::Location(l.clone()),
            };
            columns.affinities.push(wit::Affinity {
                partition: index,
                target,
            });
        }
    }
    columns
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three partitions: placed and led with a pending `next`, unplaced, placed; the first
    /// frozen, the last with an affinity.
    fn three() -> Vec<model::Partition> {
        let mut first = model::Partition::placed(10, &[1, 2, 3], Some(2));
        first.next = Some(vec![4]);
        first.freeze = Some("incident 7".into());
        let mut last = model::Partition::placed(30, &[4, 5], None);
        last.leader_affinity = Some(model::LeaderAffinity::Location("eu.a".into()));
        vec![first, model::Partition::placed(20, &[], None), last]
    }

    /// The error message of decoding `columns`.
    fn refusal(columns: wit::Partitions) -> String {
        match partitions_from_wit(columns) {
            Err(wit::PolicyError::InvalidSnapshot(why)) => why,
            other => panic!("not refused as an invalid snapshot: {other:?}"),
        }
    }

    #[test]
    fn partitions_cross_as_columns_and_back() {
        let columns = partitions_to_wit(&three());
        assert_eq!(columns.replica_ends, [3, 3, 5]);
        assert_eq!(columns.next_ends, [1, 1, 1]);
        assert_eq!(partitions_from_wit(columns).ok(), Some(three()));
        assert_eq!(
            partitions_from_wit(partitions_to_wit(&[])).ok(),
            Some(vec![])
        );
    }

    #[test]
    fn an_empty_next_run_is_no_next_set() {
        let mut p = model::Partition::placed(1, &[1], Some(1));
        p.next = Some(vec![]);
        let back = partitions_from_wit(partitions_to_wit(&[p])).ok();
        assert_eq!(back.map(|p| p[0].next.clone()), Some(None));
    }

    #[test]
    fn a_column_of_another_length_is_named() {
        let mut c = partitions_to_wit(&three());
        c.replica_ends.pop();
        assert_eq!(
            refusal(c),
            "partitions.replica-ends: 2 entries for 3 partitions (partitions.ids)"
        );
        let mut c = partitions_to_wit(&three());
        c.next_ends.push(1);
        assert_eq!(
            refusal(c),
            "partitions.next-ends: 4 entries for 3 partitions (partitions.ids)"
        );
        let mut c = partitions_to_wit(&three());
        c.leaders.pop();
        assert_eq!(
            refusal(c),
            "partitions.leaders: 2 entries for 3 partitions (partitions.ids)"
        );
    }

    #[test]
    fn ends_that_are_not_running_totals_are_named_with_their_index() {
        let mut c = partitions_to_wit(&three());
        c.replica_ends[1] = 2;
        assert_eq!(
            refusal(c),
            "partitions.replica-ends[1]: 2 is below the previous end 3; the ends are running totals"
        );
        let mut c = partitions_to_wit(&three());
        c.replica_ends[2] = 6;
        assert_eq!(
            refusal(c),
            "partitions.replica-ends[2]: 6 is past the end of partitions.replicas (5 entries)"
        );
        let mut c = partitions_to_wit(&three());
        c.replicas.push(9);
        assert_eq!(
            refusal(c),
            "partitions.replicas: 6 entries, but partitions.replica-ends ends at 5"
        );
        let mut c = partitions_to_wit(&three());
        c.next_ends[0] = 2;
        assert_eq!(
            refusal(c),
            "partitions.next-ends[0]: 2 is past the end of partitions.next (1 entries)"
        );
        let mut c = partitions_to_wit(&three());
        c.next.push(7);
        assert_eq!(
            refusal(c),
            "partitions.next: 2 entries, but partitions.next-ends ends at 1"
        );
    }

    #[test]
    fn freezes_and_affinities_out_of_range_or_out_of_order_are_named() {
        let mut c = partitions_to_wit(&three());
        c.freezes[0].partition = 3;
        assert_eq!(
            refusal(c),
            "partitions.freezes[0].partition: index 3 is out of range (3 partitions)"
        );
        let mut c = partitions_to_wit(&three());
        c.freezes.push(wit::Freeze {
            partition: 0,
            reason: "again".into(),
        });
        assert_eq!(
            refusal(c),
            "partitions.freezes[1].partition: index 0 does not follow the previous entry's; \
             the list is in the order of partitions.ids, once each"
        );
        let mut c = partitions_to_wit(&three());
        c.affinities[0].partition = 7;
        assert_eq!(
            refusal(c),
            "partitions.affinities[0].partition: index 7 is out of range (3 partitions)"
        );
        let mut c = partitions_to_wit(&three());
        c.affinities.insert(
            0,
            wit::Affinity {
                partition: 2,
                target: wit::LeaderAffinity::Node(1),
            },
        );
        assert_eq!(
            refusal(c),
            "partitions.affinities[1].partition: index 2 does not follow the previous entry's; \
             the list is in the order of partitions.ids, once each"
        );
    }
}
