//! Whether a snapshot contradicts itself: the one set of consistency rules that the host applies
//! to a snapshot file and the default policy to what it is handed. Each inconsistency names the
//! field it is in (as a path such as `partitions[3].replicas[1]`, with indices in the order the
//! snapshot lists them) and what is wrong there.

use std::collections::HashSet;
use std::fmt;

use crate::positions::Positions;
use crate::snapshot::{node_label, LeaderAffinity, NodeId, Partition, PartitionId, Snapshot};

/// Where a snapshot contradicts itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inconsistency {
    /// The field, as a path such as `nodes[2].id` or `partitions[0].leader`.
    pub field: String,
    /// What is wrong there.
    pub problem: Problem,
}

/// What is wrong with a field of a snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    /// The node id is also the id of the node at index `first`.
    DuplicateNode {
        /// The id.
        id: NodeId,
        /// The index of its first node.
        first: usize,
    },
    /// The partition id is also the id of the partition at index `first`.
    DuplicatePartition {
        /// The id.
        id: PartitionId,
        /// The index of its first partition.
        first: usize,
    },
    /// A replica or `next` set names a node the snapshot does not have.
    UnknownMember(NodeId),
    /// A replica or `next` set names the node a second time.
    RepeatedMember(NodeId),
    /// The leader is a node the snapshot does not have.
    UnknownLeader(NodeId),
    /// The leader is not one of the partition's replicas.
    LeaderNotReplica(NodeId),
    /// The leader affinity names a node the snapshot does not have.
    UnknownAffinityNode(NodeId),
    /// The leader affinity names an empty location.
    EmptyAffinityLocation,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Problem::DuplicateNode { id, first } => write!(
                f,
                "{} is also the id of nodes[{first}]; node ids must be unique",
                node_label(id)
            ),
            Problem::DuplicatePartition { id, first } => write!(
                f,
                "partition {id} is also the id of partitions[{first}]; partition ids must be unique"
            ),
            Problem::UnknownMember(id) => write!(
                f,
                "{} is not in `nodes`; add the node or remove it from the set",
                node_label(id)
            ),
            Problem::RepeatedMember(id) => write!(f, "{} appears twice in the set", node_label(id)),
            Problem::UnknownLeader(id) => write!(
                f,
                "{} is not in `nodes`; add the node or set the leader to null",
                node_label(id)
            ),
            Problem::LeaderNotReplica(id) => write!(
                f,
                "{} is not one of the partition's replicas; set the leader to one of them or to null",
                node_label(id)
            ),
            Problem::UnknownAffinityNode(id) => write!(
                f,
                "{} is not in `nodes`; pin the leader to a node the snapshot has, or set leader_affinity to null",
                node_label(id)
            ),
            Problem::EmptyAffinityLocation => f.write_str(
                "the location is empty; write a region (\"eu\") or a zone (\"eu.a\"), or set leader_affinity to null",
            ),
        }
    }
}

impl fmt::Display for Inconsistency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "field `{}`: {}", self.field, self.problem)
    }
}

impl std::error::Error for Inconsistency {}

/// Which rules a check applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Leaders {
    /// Leaders must be replicas.
    Checked,
    /// Leaders are not looked at.
    Ignored,
}

impl Snapshot {
    /// The first place where the snapshot contradicts itself, in the order it lists things:
    /// node ids repeated, then per partition a repeated id, replica and `next` sets naming
    /// unknown nodes or a node twice, a leader that is unknown or not a replica.
    pub fn check_consistency(&self) -> Result<(), Inconsistency> {
        self.check(Leaders::Checked)
    }

    /// [`Snapshot::check_consistency`] without the leader rules: what a policy needs to index
    /// the snapshot (a leader that is not a replica is one it simply replaces).
    pub fn check_replica_sets(&self) -> Result<(), Inconsistency> {
        self.check(Leaders::Ignored)
    }

    fn check(&self, leaders: Leaders) -> Result<(), Inconsistency> {
        if let Some((at, first)) = first_repeat(self.nodes.iter().map(|n| n.id)) {
            return Err(Inconsistency {
                field: format!("nodes[{at}].id"),
                problem: Problem::DuplicateNode {
                    id: self.nodes[at].id,
                    first,
                },
            });
        }
        let known = Positions::new(self.nodes.iter().map(|n| n.id));
        let repeated_partition = first_repeat(self.partitions.iter().map(|p| p.id));
        for (i, p) in self.partitions.iter().enumerate() {
            let field = |name: &str| format!("partitions[{i}].{name}");
            let fail = |field: String, problem| Err(Inconsistency { field, problem });
            if let Some((_, first)) = repeated_partition.filter(|&(at, _)| at == i) {
                return fail(field("id"), Problem::DuplicatePartition { id: p.id, first });
            }
            if let Err((j, problem)) = check_set(&p.replicas, &known) {
                return fail(format!("{}[{j}]", field("replicas")), problem);
            }
            if let Err((j, problem)) = check_set(p.next.as_deref().unwrap_or(&[]), &known) {
                return fail(format!("{}[{j}]", field("next")), problem);
            }
            if leaders == Leaders::Checked {
                if let Err(problem) = check_leader(p, &known) {
                    return fail(field("leader"), problem);
                }
            }
            if let Err(problem) = check_affinity(p, &known) {
                return fail(field("leader_affinity"), problem);
            }
        }
        Ok(())
    }
}

/// The first position whose id an earlier position has, with that earlier position. Ids in
/// ascending order (the canonical form) are seen to be distinct without sorting them.
fn first_repeat<T: Ord>(ids: impl Iterator<Item = T> + Clone) -> Option<(usize, usize)> {
    if ids.clone().zip(ids.clone().skip(1)).all(|(a, b)| a < b) {
        return None;
    }
    let mut sorted: Vec<(T, usize)> = ids.zip(0..).collect();
    sorted.sort_unstable();
    sorted
        .windows(2)
        .filter(|w| w[0].0 == w[1].0)
        .map(|w| (w[1].1, w[0].1))
        .min()
}

/// Sets up to this size are searched for repeats directly; larger ones (only a hostile or broken
/// snapshot has them) through a hash set.
const SMALL_SET: usize = 32;

/// Checks that a replica or `next` set names known nodes, each once; an error is the position
/// in the set and what is wrong there.
fn check_set(set: &[NodeId], known: &Positions) -> Result<(), (usize, Problem)> {
    let mut seen: Option<HashSet<NodeId>> = None;
    for (j, &id) in set.iter().enumerate() {
        let repeated = if set.len() <= SMALL_SET {
            set[..j].contains(&id)
        } else {
            !seen.get_or_insert_with(HashSet::new).insert(id)
        };
        let problem = if !known.contains(id) {
            Problem::UnknownMember(id)
        } else if repeated {
            Problem::RepeatedMember(id)
        } else {
            continue;
        };
        return Err((j, problem));
    }
    Ok(())
}

/// Checks that partition `p`'s leader, if any, is a known node among its replicas.
fn check_leader(p: &Partition, known: &Positions) -> Result<(), Problem> {
    match p.leader {
        Some(l) if !known.contains(l) => Err(Problem::UnknownLeader(l)),
        Some(l) if !p.replicas.contains(&l) => Err(Problem::LeaderNotReplica(l)),
        _ => Ok(()),
    }
}

/// Checks that partition `p`'s leader affinity, if any, names a known node or a location.
fn check_affinity(p: &Partition, known: &Positions) -> Result<(), Problem> {
    match &p.leader_affinity {
        Some(LeaderAffinity::Node(id)) if !known.contains(*id) => {
            Err(Problem::UnknownAffinityNode(*id))
        }
        Some(LeaderAffinity::Location(location)) if location.is_empty() => {
            Err(Problem::EmptyAffinityLocation)
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::Node;
    use crate::Replication;

    fn node(id: NodeId) -> Node {
        Node::worker(id, "")
    }

    fn partition(id: PartitionId, replicas: &[NodeId], leader: Option<NodeId>) -> Partition {
        Partition::placed(id, replicas, leader)
    }

    fn snapshot(nodes: &[NodeId], partitions: Vec<Partition>) -> Snapshot {
        Snapshot {
            replication: Replication::nodes(1).unwrap(),
            nodes: nodes.iter().map(|&id| node(id)).collect(),
            partitions,
        }
    }

    fn error(s: &Snapshot) -> String {
        s.check_consistency().unwrap_err().to_string()
    }

    #[test]
    fn a_consistent_snapshot_passes() {
        let mut p = partition(4, &[2, 1], Some(1));
        p.next = Some(vec![3, 1]);
        let s = snapshot(&[3, 1, 2], vec![p, partition(0, &[], None)]);
        assert_eq!(s.check_consistency(), Ok(()));
    }

    #[test]
    fn a_leader_affinity_names_a_known_node_or_a_location() {
        let with = |affinity| Partition {
            leader_affinity: Some(affinity),
            ..partition(0, &[1], Some(1))
        };
        assert_eq!(
            error(&snapshot(&[1], vec![with(LeaderAffinity::Node(4))])),
            "field `partitions[0].leader_affinity`: N4 is not in `nodes`; pin the leader to a node the snapshot has, or set leader_affinity to null"
        );
        assert!(error(&snapshot(
            &[1],
            vec![with(LeaderAffinity::Location(String::new()))]
        ))
        .contains("the location is empty"));
        let fine = [
            LeaderAffinity::Node(1),
            LeaderAffinity::Location("eu".into()),
        ];
        for affinity in fine {
            assert_eq!(
                snapshot(&[1], vec![with(affinity)]).check_consistency(),
                Ok(())
            );
        }
    }

    #[test]
    fn the_first_repeated_id_is_named_with_its_first_place() {
        let s = snapshot(&[5, 7, 9, 7, 5], vec![]);
        assert_eq!(
            error(&s),
            "field `nodes[3].id`: N7 is also the id of nodes[1]; node ids must be unique"
        );
        let parts = vec![
            partition(2, &[], None),
            partition(8, &[], None),
            partition(8, &[], None),
            partition(2, &[], None),
        ];
        assert_eq!(
            error(&snapshot(&[1], parts)),
            "field `partitions[2].id`: partition 8 is also the id of partitions[1]; partition ids must be unique"
        );
    }

    #[test]
    fn sets_and_leaders_name_known_nodes_once() {
        let cases = [
            (
                partition(0, &[1, 9], None),
                "partitions[0].replicas[1]",
                "N9 is not in `nodes`",
            ),
            (
                partition(0, &[1, 1], None),
                "partitions[0].replicas[1]",
                "N1 appears twice",
            ),
            (
                partition(0, &[1], Some(9)),
                "partitions[0].leader",
                "N9 is not in `nodes`; add the node or set the leader",
            ),
            (
                partition(0, &[1], Some(2)),
                "partitions[0].leader",
                "N2 is not one of the partition's replicas",
            ),
        ];
        for (p, field, words) in cases {
            let e = snapshot(&[1, 2], vec![p]).check_consistency().unwrap_err();
            assert_eq!(e.field, field);
            assert!(e.problem.to_string().starts_with(words), "{e}");
        }
        let mut p = partition(0, &[1], Some(1));
        p.next = Some(vec![2, 7]);
        assert_eq!(
            snapshot(&[1, 2], vec![p])
                .check_consistency()
                .unwrap_err()
                .field,
            "partitions[0].next[1]"
        );
    }

    #[test]
    fn sparse_ids_are_looked_up_as_well_as_dense_ones() {
        let sparse = [4_000_000_000, 7];
        let s = snapshot(&sparse, vec![partition(0, &[7, 4_000_000_000], Some(7))]);
        assert_eq!(s.check_consistency(), Ok(()));
        let s = snapshot(&sparse, vec![partition(0, &[7, 9], Some(7))]);
        assert_eq!(error(&s), "field `partitions[0].replicas[1]`: N9 is not in `nodes`; add the node or remove it from the set");
    }

    #[test]
    fn the_replica_set_check_leaves_leaders_alone() {
        let s = snapshot(&[1, 2], vec![partition(0, &[1], Some(7))]);
        assert!(s.check_consistency().is_err());
        assert_eq!(s.check_replica_sets(), Ok(()));
    }
}
