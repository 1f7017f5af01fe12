//! The `restatectl` commands a script runs, as values: written as a line of shell words, and
//! read back from one (exactly the forms we write; anything else is refused).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use worker_policy_model::{NodeId, PartitionId, WorkerState};

use super::shell::quote;
use crate::ids::{plain_id, plain_id_list};

/// The name of the shell function that waits for a new replica to catch up.
pub const WAIT_CAUGHT_UP: &str = "wait_caught_up";

/// One command of a script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `restatectl nodes set-worker-state --nodes N --worker-state S [--force]`.
    SetWorkerState {
        /// The node.
        node: NodeId,
        /// The state it is set to.
        state: WorkerState,
        /// Whether Restate's checks are skipped.
        force: bool,
    },
    /// `restatectl partitions placement set P --replicas A,B,C --freeze R`.
    PlacementSet {
        /// The partition.
        partition: PartitionId,
        /// The whole new replica set, in order.
        replicas: Vec<NodeId>,
        /// The placement freeze reason written with it.
        freeze: String,
    },
    /// `restatectl partitions leadership pin P... --node X`.
    LeadershipPin {
        /// The partitions.
        partitions: Vec<PartitionId>,
        /// The node they are pinned to.
        node: NodeId,
    },
    /// `restatectl partitions placement unfreeze P...`.
    PlacementUnfreeze {
        /// The partitions.
        partitions: Vec<PartitionId>,
    },
    /// `restatectl partitions leadership unpin P...`.
    LeadershipUnpin {
        /// The partitions.
        partitions: Vec<PartitionId>,
    },
    /// `wait_caught_up P N`: the script's own function, polling until N's replica of P is active.
    WaitCaughtUp {
        /// The partition.
        partition: PartitionId,
        /// The node whose replica must catch up.
        node: NodeId,
    },
}

impl fmt::Display for Command {
    /// The command as one line of shell words, every argument quoted where it must be.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Command::SetWorkerState { node, state, force } => {
                write!(
                    f,
                    "restatectl nodes set-worker-state --nodes {node} --worker-state {state}"
                )?;
                if *force {
                    f.write_str(" --force")?;
                }
                Ok(())
            }
            Command::PlacementSet {
                partition,
                replicas,
                freeze,
            } => write!(
                f,
                "restatectl partitions placement set {partition} --replicas {} --freeze {}",
                id_list(replicas),
                quote(freeze)
            ),
            Command::LeadershipPin { partitions, node } => write!(
                f,
                "restatectl partitions leadership pin {} --node {node}",
                ranges(partitions).join(" ")
            ),
            Command::PlacementUnfreeze { partitions } => write!(
                f,
                "restatectl partitions placement unfreeze {}",
                ranges(partitions).join(" ")
            ),
            Command::LeadershipUnpin { partitions } => write!(
                f,
                "restatectl partitions leadership unpin {}",
                ranges(partitions).join(" ")
            ),
            Command::WaitCaughtUp { partition, node } => {
                write!(f, "{WAIT_CAUGHT_UP} {partition} {node}")
            }
        }
    }
}

/// Node ids comma-joined, as `--replicas` takes them.
fn id_list(ids: &[NodeId]) -> String {
    let ids: Vec<String> = ids.iter().map(u32::to_string).collect();
    ids.join(",")
}

/// Partition ids as Restate's range arguments, sorted and compressed: `3-5`, `9`.
pub fn ranges(ids: &[PartitionId]) -> Vec<String> {
    let sorted: BTreeSet<PartitionId> = ids.iter().copied().collect();
    let mut out: Vec<(PartitionId, PartitionId)> = Vec::new();
    for id in sorted {
        match out.last_mut() {
            Some((_, end)) if end.checked_add(1) == Some(id) => *end = id,
            _ => out.push((id, id)),
        }
    }
    out.into_iter()
        .map(|(start, end)| match start == end {
            true => start.to_string(),
            false => format!("{start}-{end}"),
        })
        .collect()
}

/// Why a line is not a command of ours.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct NotACommand(pub String);

fn refuse<T>(why: impl Into<String>) -> Result<T, NotACommand> {
    Err(NotACommand(why.into()))
}

/// Reads a command from its shell words.
pub fn parse(words: &[String]) -> Result<Command, NotACommand> {
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    match words.as_slice() {
        [WAIT_CAUGHT_UP, partition, node] => Ok(Command::WaitCaughtUp {
            partition: partition_id(partition)?,
            node: node_id(node)?,
        }),
        ["restatectl", "nodes", "set-worker-state", rest @ ..] => set_worker_state(rest),
        ["restatectl", "partitions", "placement", "set", rest @ ..] => placement_set(rest),
        ["restatectl", "partitions", "leadership", "pin", rest @ ..] => {
            let flags = Flags::read(rest, &["--node"], &[])?;
            Ok(Command::LeadershipPin {
                partitions: partition_ranges(&flags.positional)?,
                node: node_id(flags.value("--node")?)?,
            })
        }
        ["restatectl", "partitions", "placement", "unfreeze", rest @ ..] => {
            Ok(Command::PlacementUnfreeze {
                partitions: partition_ranges(&Flags::read(rest, &[], &[])?.positional)?,
            })
        }
        ["restatectl", "partitions", "leadership", "unpin", rest @ ..] => {
            Ok(Command::LeadershipUnpin {
                partitions: partition_ranges(&Flags::read(rest, &[], &[])?.positional)?,
            })
        }
        _ => refuse("not a command a worker-policy script runs"),
    }
}

fn set_worker_state(rest: &[&str]) -> Result<Command, NotACommand> {
    let flags = Flags::read(rest, &["--nodes", "--worker-state"], &["--force"])?;
    if !flags.positional.is_empty() {
        return refuse("set-worker-state takes no positional argument");
    }
    let state = flags.value("--worker-state")?;
    Ok(Command::SetWorkerState {
        node: node_id(flags.value("--nodes")?)?,
        state: WorkerState::from_name(state)
            .map_or_else(|| refuse(format!("`{state}` is not a worker state")), Ok)?,
        force: flags.bare.contains("--force"),
    })
}

fn placement_set(rest: &[&str]) -> Result<Command, NotACommand> {
    let flags = Flags::read(rest, &["--replicas", "--freeze"], &[])?;
    let [partition] = flags.positional.as_slice() else {
        return refuse("placement set takes exactly one partition id");
    };
    let replicas = flags.value("--replicas")?;
    Ok(Command::PlacementSet {
        partition: partition_id(partition)?,
        replicas: plain_id_list(replicas).map_or_else(
            || refuse(format!("`{replicas}` is not a list of node ids")),
            Ok,
        )?,
        freeze: flags.value("--freeze")?.to_string(),
    })
}

/// A command's arguments: positional words, flags with a value, bare flags; each flag once.
struct Flags<'a> {
    positional: Vec<&'a str>,
    valued: BTreeMap<&'a str, &'a str>,
    bare: BTreeSet<&'a str>,
}

impl<'a> Flags<'a> {
    fn read(words: &[&'a str], valued: &[&str], bare: &[&str]) -> Result<Flags<'a>, NotACommand> {
        let mut flags = Flags {
            positional: Vec::new(),
            valued: BTreeMap::new(),
            bare: BTreeSet::new(),
        };
        let mut rest = words.iter();
        while let Some(&word) = rest.next() {
            let repeated = if valued.contains(&word) {
                let Some(&value) = rest.next() else {
                    return refuse(format!("{word} has no value"));
                };
                flags.valued.insert(word, value).is_some()
            } else if bare.contains(&word) {
                !flags.bare.insert(word)
            } else if word.starts_with('-') {
                return refuse(format!("unknown option {word}"));
            } else {
                flags.positional.push(word);
                false
            };
            if repeated {
                return refuse(format!("{word} is given twice"));
            }
        }
        Ok(flags)
    }

    fn value(&self, flag: &str) -> Result<&'a str, NotACommand> {
        self.valued
            .get(flag)
            .copied()
            .map_or_else(|| refuse(format!("{flag} is missing")), Ok)
    }
}

fn node_id(text: &str) -> Result<NodeId, NotACommand> {
    plain_id(text).map_or_else(|| refuse(format!("`{text}` is not a node id")), Ok)
}

fn partition_id(text: &str) -> Result<PartitionId, NotACommand> {
    text.parse()
        .map_err(|_| NotACommand(format!("`{text}` is not a partition id")))
}

/// Partition ids from range arguments (`3-5 9`); at least one.
fn partition_ranges(args: &[&str]) -> Result<Vec<PartitionId>, NotACommand> {
    if args.is_empty() {
        return refuse("no partition is given");
    }
    let mut out = Vec::new();
    for arg in args {
        match arg.split_once('-') {
            Some((start, end)) => {
                let (start, end) = (partition_id(start)?, partition_id(end)?);
                if start > end {
                    return refuse(format!("`{arg}` is an empty range"));
                }
                out.extend(start..=end);
            }
            None => out.push(partition_id(arg)?),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::script::shell::words;

    fn round_trip(command: Command) {
        let line = command.to_string();
        assert_eq!(parse(&words(&line).unwrap()), Ok(command), "{line}");
    }

    #[test]
    fn every_command_reads_back_as_written() {
        round_trip(Command::SetWorkerState {
            node: 4,
            state: WorkerState::Disabled,
            force: true,
        });
        round_trip(Command::PlacementSet {
            partition: 11,
            replicas: vec![9, 12, 10],
            freeze: "it's $(rm -rf /) `x` \"y\"".into(),
        });
        round_trip(Command::LeadershipPin {
            partitions: vec![3, 4, 5, 9],
            node: 7,
        });
        round_trip(Command::PlacementUnfreeze {
            partitions: vec![0, 1, 2, 7],
        });
        round_trip(Command::LeadershipUnpin {
            partitions: vec![8],
        });
        round_trip(Command::WaitCaughtUp {
            partition: 2,
            node: 5,
        });
    }

    #[test]
    fn ranges_are_sorted_and_compressed() {
        assert_eq!(ranges(&[9, 3, 4, 5, 11, 12]), vec!["3-5", "9", "11-12"]);
        assert_eq!(ranges(&[u32::MAX, 0]), vec!["0", &u32::MAX.to_string()]);
    }

    #[test]
    fn anything_else_is_refused() {
        let refused = |line: &str| parse(&words(line).unwrap()).is_err();
        assert!(refused("restatectl partitions reconfigure -i 1 -r 1,2"));
        assert!(refused("restatectl nodes set-worker-state --nodes 4"));
        assert!(refused(
            "restatectl nodes set-worker-state --nodes 4 --worker-state gone"
        ));
        assert!(refused(
            "restatectl partitions placement set 1 2 --replicas 1 --freeze x"
        ));
        assert!(refused("restatectl partitions leadership pin --node 3"));
        assert!(refused("restatectl partitions placement unfreeze 5-3"));
        assert!(refused("rm -rf /"));
    }
}
