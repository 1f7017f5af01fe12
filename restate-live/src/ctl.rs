//! `restatectl` against a cluster's nodes: its commands, its SQL queries, and the look at every
//! partition's current replica set that a test takes again and again while it hurts the cluster.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use serde_json::{Map, Value};

use crate::process::{run, Output};
use crate::LiveError;

/// How long one `restatectl` command may take.
const RESTATECTL_BOUND: Duration = Duration::from_secs(60);

/// `restatectl` with a list of node addresses (fabric URLs), admin nodes first.
#[derive(Debug, Clone)]
pub struct Restatectl {
    program: PathBuf,
    addresses: Vec<String>,
}

impl Restatectl {
    /// `program` against `addresses`, admin nodes first.
    pub(crate) fn new(program: PathBuf, addresses: Vec<String>) -> Restatectl {
        Restatectl { program, addresses }
    }

    /// The addresses comma-joined, as `--address` and `RESTATECTL_ADDRESS` take them.
    pub fn address(&self) -> String {
        self.addresses.join(",")
    }

    /// Runs `restatectl ARGS` with the addresses rotated `turn` times; its output whatever the
    /// exit.
    fn output_at(&self, args: &[&str], turn: usize) -> Result<Output, LiveError> {
        let mut addresses = self.addresses.clone();
        if !addresses.is_empty() {
            addresses.rotate_left(turn % self.addresses.len());
        }
        let mut command = Command::new(&self.program);
        command
            .args(args)
            .env("RESTATECTL_ADDRESS", addresses.join(","))
            .env("NO_COLOR", "1");
        run(
            &format!("restatectl {}", args.join(" ")),
            &mut command,
            RESTATECTL_BOUND,
        )
    }

    /// Runs `restatectl ARGS`; its output whatever the exit.
    pub fn output(&self, args: &[&str]) -> Result<Output, LiveError> {
        self.output_at(args, 0)
    }

    /// Runs `restatectl ARGS`; its stdout, or its stderr as the error.
    pub fn run(&self, args: &[&str]) -> Result<String, LiveError> {
        self.output(args)?
            .success(&format!("restatectl {}", args.join(" ")))
    }

    /// The rows of `restatectl sql --json QUERY`. `restatectl sql` asks only the first address
    /// (and fails unless it is a running admin node), so each address is tried first in turn
    /// until one answers; the last error when none does.
    pub fn sql(&self, query: &str) -> Result<Vec<Map<String, Value>>, LiveError> {
        let args = ["sql", "--json", query];
        let mut failed = None;
        for turn in 0..self.addresses.len().max(1) {
            match self.output_at(&args, turn)?.success("restatectl sql") {
                Ok(out) => return rows(query, &out),
                Err(error) => failed = Some(error),
            }
        }
        Err(failed.expect("at least one attempt"))
    }

    /// Every partition's current replica set, member by member, from SQL.
    pub fn observe(&self) -> Result<Observation, LiveError> {
        let rows = self.sql(
            "SELECT partition_id, plain_node_id, alive_gen_node_id, is_leader, membership FROM partition_replica_set",
        )?;
        let mut observation = Observation::default();
        for row in rows {
            if row.get("membership").and_then(Value::as_str) != Some("current") {
                continue;
            }
            let (Some(id), Some(node)) = (
                row.get("partition_id").and_then(Value::as_u64),
                row.get("plain_node_id")
                    .and_then(Value::as_str)
                    .and_then(plain_id),
            ) else {
                continue;
            };
            let members = observation.partitions.entry(id as u32).or_default();
            if members.iter().all(|m| m.node != node) {
                members.push(Member {
                    node,
                    alive: row.contains_key("alive_gen_node_id"),
                    leads: row.get("is_leader").and_then(Value::as_bool) == Some(true),
                });
            }
        }
        Ok(observation)
    }
}

/// The rows of a `restatectl sql --json` answer.
fn rows(query: &str, out: &str) -> Result<Vec<Map<String, Value>>, LiveError> {
    let unexpected = |detail: String| LiveError::Unexpected {
        what: format!("restatectl sql {query:?}"),
        detail,
    };
    match serde_json::from_str::<Value>(out.trim()) {
        Ok(Value::Array(rows)) => rows
            .into_iter()
            .map(|row| match row {
                Value::Object(map) => Ok(map),
                other => Err(unexpected(format!("a row that is not an object: {other}"))),
            })
            .collect(),
        Ok(other) => Err(unexpected(format!("not an array: {other}"))),
        Err(e) => Err(unexpected(format!("{e}: {out}"))),
    }
}

/// A plain node id as Restate prints it, `N4` or `4` (spaces around it ignored), as 4.
pub fn plain_id(text: &str) -> Option<u32> {
    text.trim().trim_start_matches('N').parse().ok()
}

/// A member of a partition's current replica set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Member {
    /// The node.
    pub node: u32,
    /// Whether SQL shows it alive.
    pub alive: bool,
    /// Whether SQL shows it leading the partition.
    pub leads: bool,
}

/// One look at every partition's current replica set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Observation {
    /// Per partition: the members of its current set.
    pub partitions: BTreeMap<u32, Vec<Member>>,
}

impl Observation {
    /// The partitions with no majority of their current replicas alive.
    pub fn below_majority(&self) -> Vec<u32> {
        self.partitions
            .iter()
            .filter(|(_, members)| alive(members) * 2 <= members.len())
            .map(|(&id, _)| id)
            .collect()
    }

    /// The partitions served by fewer than `need` replicas, each with its set in words. A
    /// member serves when it is alive; a dead member on one of the `faulted` nodes (the ones the
    /// test itself killed or paused) counts as serving, since the fault, not a reconfiguration,
    /// took it down. A set with fewer than `need` members is short whatever their state.
    pub fn short_of(&self, need: usize, faulted: &BTreeSet<u32>) -> Vec<String> {
        self.partitions
            .iter()
            .filter(|(_, members)| {
                let serving = members
                    .iter()
                    .filter(|m| m.alive || faulted.contains(&m.node))
                    .count();
                members.len() < need || serving < need
            })
            .map(|(id, members)| {
                let set: Vec<String> = members
                    .iter()
                    .map(|m| format!("N{}{}", m.node, if m.alive { "" } else { " (dead)" }))
                    .collect();
                format!("partition {id}: [{}]", set.join(", "))
            })
            .collect()
    }

    /// The partitions no alive member leads, but those with a member on one of the `faulted`
    /// nodes (a leader the fault took down is being replaced by Restate's election).
    pub fn leaderless(&self, faulted: &BTreeSet<u32>) -> Vec<u32> {
        self.partitions
            .iter()
            .filter(|(_, members)| {
                !members.iter().any(|m| m.alive && m.leads)
                    && !members.iter().any(|m| faulted.contains(&m.node))
            })
            .map(|(&id, _)| id)
            .collect()
    }
}

fn alive(members: &[Member]) -> usize {
    members.iter().filter(|m| m.alive).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_ids_read_with_or_without_the_n_and_spaces() {
        assert_eq!(plain_id("N4"), Some(4));
        assert_eq!(plain_id("4"), Some(4));
        assert_eq!(plain_id(" N12 "), Some(12));
        assert_eq!(plain_id("N"), None);
        assert_eq!(plain_id("N4:2"), None);
        assert_eq!(plain_id(""), None);
    }

    fn look(sets: &[(u32, &[(u32, bool)])]) -> Observation {
        Observation {
            partitions: sets
                .iter()
                .map(|(id, members)| {
                    let members = members
                        .iter()
                        .map(|&(node, alive)| Member {
                            node,
                            alive,
                            leads: false,
                        })
                        .collect();
                    (*id, members)
                })
                .collect(),
        }
    }

    #[test]
    fn a_dead_member_serves_only_when_the_test_took_it_down() {
        let observation = look(&[(0, &[(1, true), (4, false)]), (1, &[(2, true), (5, true)])]);
        assert_eq!(
            observation.short_of(2, &BTreeSet::new()),
            vec!["partition 0: [N1, N4 (dead)]".to_string()]
        );
        assert!(observation.short_of(2, &BTreeSet::from([4])).is_empty());
        assert_eq!(observation.below_majority(), vec![0]);
    }

    #[test]
    fn a_partition_is_leaderless_unless_an_alive_member_leads_or_a_fault_excuses_it() {
        let mut observation = look(&[(0, &[(1, true), (4, true)]), (1, &[(2, true), (6, false)])]);
        assert_eq!(observation.leaderless(&BTreeSet::new()), vec![0, 1]);
        assert_eq!(observation.leaderless(&BTreeSet::from([6])), vec![0]);
        observation.partitions.get_mut(&0).unwrap()[1].leads = true;
        assert!(observation.leaderless(&BTreeSet::from([6])).is_empty());
        observation.partitions.get_mut(&0).unwrap()[1].alive = false;
        assert_eq!(observation.leaderless(&BTreeSet::from([6])), vec![0]);
    }

    #[test]
    fn a_set_smaller_than_the_need_is_short_whatever_its_members_do() {
        let observation = look(&[(3, &[(1, true)])]);
        assert_eq!(
            observation.short_of(2, &BTreeSet::from([1])),
            vec!["partition 3: [N1]".to_string()]
        );
        assert!(observation.short_of(1, &BTreeSet::new()).is_empty());
    }
}
