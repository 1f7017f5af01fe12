//! The commands a script runs, as values: `restatectl` commands and calls of the script's own
//! shell functions (see [`super::functions`]), written as a line of shell words and read back
//! from one (exactly the forms we write; anything else is refused).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use worker_policy_model::{NodeId, PartitionId, WorkerState};

use super::shell::quote;
use crate::ids::{plain_id, plain_id_list};

/// The name of the shell function that waits for a new replica to catch up.
pub const WAIT_CAUGHT_UP: &str = "wait_caught_up";

/// The name of the shell function that waits for a partition's leader.
pub const WAIT_LEADER: &str = "wait_leader";

/// The name of the shell function that stops a rollout at a wave's restart point.
pub const AWAIT_RESTART: &str = "await_restart";

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
    /// `restatectl partitions placement unfreeze P...`.
    PlacementUnfreeze {
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
    /// `wait_leader P N`: the script's own function, polling until N leads P.
    WaitLeader {
        /// The partition.
        partition: PartitionId,
        /// The node that must lead it.
        node: NodeId,
    },
    /// `await_restart W/T N...`: the script's own function; the operator restarts the nodes of
    /// wave W of T, and the script goes on once each is alive with a new generation.
    AwaitRestart {
        /// The wave, from 1.
        wave: usize,
        /// How many waves the rollout has.
        waves: usize,
        /// The nodes to restart.
        nodes: Vec<NodeId>,
    },
}

impl Command {
    /// The arguments of `restatectl` that carry out this command (after the connection
    /// options); `None` for the script's own functions (the waits and restart points), which
    /// `apply` carries out itself.
    pub fn restatectl_args(&self) -> Option<Vec<String>> {
        let words = |list: &[&str]| list.iter().map(|w| w.to_string()).collect::<Vec<_>>();
        match self {
            Command::SetWorkerState { node, state, force } => {
                let (node, state) = (node.to_string(), state.to_string());
                let mut args = words(&["nodes", "set-worker-state", "--nodes", &node]);
                args.extend(words(&["--worker-state", &state]));
                if *force {
                    args.push("--force".into());
                }
                Some(args)
            }
            Command::PlacementSet {
                partition,
                replicas,
                freeze,
            } => {
                let (partition, replicas) = (partition.to_string(), id_list(replicas));
                let mut args = words(&["partitions", "placement", "set", &partition]);
                args.extend(words(&["--replicas", &replicas, "--freeze", freeze]));
                Some(args)
            }
            Command::PlacementUnfreeze { partitions } => {
                let mut args = words(&["partitions", "placement", "unfreeze"]);
                args.extend(ranges(partitions));
                Some(args)
            }
            Command::WaitCaughtUp { .. }
            | Command::WaitLeader { .. }
            | Command::AwaitRestart { .. } => None,
        }
    }
}

impl fmt::Display for Command {
    /// The command as one line of shell words, every argument quoted where it must be.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Command::WaitCaughtUp { partition, node } => {
                write!(f, "{WAIT_CAUGHT_UP} {partition} {node}")
            }
            Command::WaitLeader { partition, node } => {
                write!(f, "{WAIT_LEADER} {partition} {node}")
            }
            Command::AwaitRestart { wave, waves, nodes } => {
                let nodes: Vec<String> = nodes.iter().map(u32::to_string).collect();
                write!(f, "{AWAIT_RESTART} {wave}/{waves} {}", nodes.join(" "))
            }
            restatectl => {
                let args = restatectl.restatectl_args().unwrap_or_default();
                let args: Vec<String> = args.iter().map(|a| quote(a)).collect();
                write!(f, "restatectl {}", args.join(" "))
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
        [WAIT_LEADER, partition, node] => Ok(Command::WaitLeader {
            partition: partition_id(partition)?,
            node: node_id(node)?,
        }),
        [AWAIT_RESTART, wave, nodes @ ..] => await_restart(wave, nodes),
        ["restatectl", "nodes", "set-worker-state", rest @ ..] => set_worker_state(rest),
        ["restatectl", "partitions", "placement", "set", rest @ ..] => placement_set(rest),
        ["restatectl", "partitions", "placement", "unfreeze", rest @ ..] => {
            Ok(Command::PlacementUnfreeze {
                partitions: partition_ranges(&Flags::read(rest, &[], &[])?.positional)?,
            })
        }
        _ => refuse("not a command a worker-policy script runs"),
    }
}

/// `await_restart W/T N...`: a wave from 1 to T, and at least one node, each once.
fn await_restart(wave: &str, nodes: &[&str]) -> Result<Command, NotACommand> {
    let numbers = wave
        .split_once('/')
        .and_then(|(w, t)| Some((w.parse::<usize>().ok()?, t.parse::<usize>().ok()?)));
    let Some((wave, waves)) = numbers.filter(|&(w, t)| 1 <= w && w <= t) else {
        return refuse(format!("`{wave}` is not a wave W/T with 1 <= W <= T"));
    };
    if nodes.is_empty() {
        return refuse("await_restart names no node");
    }
    let nodes: Vec<NodeId> = nodes.iter().map(|n| node_id(n)).collect::<Result<_, _>>()?;
    if nodes.iter().collect::<BTreeSet<_>>().len() != nodes.len() {
        return refuse("await_restart names a node twice");
    }
    Ok(Command::AwaitRestart { wave, waves, nodes })
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
        round_trip(Command::PlacementUnfreeze {
            partitions: vec![0, 1, 2, 7],
        });
        round_trip(Command::WaitCaughtUp {
            partition: 2,
            node: 5,
        });
        round_trip(Command::WaitLeader {
            partition: 2,
            node: 5,
        });
        round_trip(Command::AwaitRestart {
            wave: 1,
            waves: 3,
            nodes: vec![4, 5],
        });
        assert_eq!(
            Command::AwaitRestart {
                wave: 2,
                waves: 3,
                nodes: vec![4, 5]
            }
            .to_string(),
            "await_restart 2/3 4 5"
        );
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
        assert!(refused("restatectl partitions leadership pin 3 --node 3"));
        assert!(refused("await_restart 4/3 1"));
        assert!(refused("await_restart 1/3"));
        assert!(refused("await_restart 1/3 4 4"));
        assert!(refused("await_restart 1 4"));
        assert!(refused("wait_leader 1"));
        assert!(refused("restatectl partitions placement unfreeze 5-3"));
        assert!(refused("rm -rf /"));
    }
}
