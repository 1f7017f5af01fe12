//! What Restate does with each command of a script, on a snapshot: the checks `restatectl`
//! makes (and the ones a script must make for it, where a command would silently not take
//! effect, or a wait would never end), then the change. The script writer runs every command it
//! writes through this, and the replay runs every command it reads.
//!
//! Two behaviours of Restate 1.7.12, measured on a live cluster, shape the model:
//!
//! - after `placement set P --replicas L`, Restate re-elects P's leader ([`elect`]): an alive
//!   member the leader affinity points to (the last such in `L`), else the last alive node of
//!   `L` (its `select_leader` gives ties to the last equal score, every replica once caught up);
//! - a placement freeze does not hold a pending `next`: Restate completes it. A frozen
//!   partition's pending `next` nodes are therefore replicas from the start of the view.

use std::collections::HashMap;

use thiserror::Error;
use worker_policy_model::{
    LeaderAffinity, Node, NodeId, Partition, PartitionId, Roles, Snapshot, WorkerState,
};

use super::command::Command;

/// The most replicas `placement set` takes.
pub const MAX_REPLICAS: usize = 255;

/// Whether Restate lets `set-worker-state` go from `from` to `to` without `--force`: the same
/// state, anything from provisioning, active <-> draining, and disabled -> active.
pub fn allowed_without_force(from: WorkerState, to: WorkerState) -> bool {
    use WorkerState::{Active, Disabled, Draining, Provisioning};
    from == to
        || from == Provisioning
        || matches!(
            (from, to),
            (Active, Draining) | (Draining, Active) | (Disabled, Active)
        )
}

/// Whether setting `node` to `to` needs `--force`: a node without the worker role, or a
/// transition Restate does not allow by itself.
pub fn needs_force(node: &Node, to: WorkerState) -> bool {
    !node.roles.contains(Roles::WORKER) || !allowed_without_force(node.worker_state, to)
}

/// Why Restate (or the script, for a command that would not take effect) refuses a command.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Refusal {
    /// The node is not in the cluster.
    #[error("node N{0} is not part of the cluster")]
    UnknownNode(NodeId),
    /// The partition is not in the cluster.
    #[error("partition {0} does not exist")]
    UnknownPartition(PartitionId),
    /// A transition Restate refuses without `--force`.
    #[error("N{node} is {from}: Restate refuses to set it {to} without --force")]
    NeedsForce {
        /// The node.
        node: NodeId,
        /// Its state.
        from: WorkerState,
        /// The state asked for.
        to: WorkerState,
    },
    /// A node without the worker role, set without `--force`.
    #[error("N{0} does not have the worker role: Restate refuses to change its worker state without --force")]
    NotAWorker(NodeId),
    /// A replica set naming a node twice.
    #[error("partition {0}: replica node ids must be unique")]
    RepeatedReplica(PartitionId),
    /// A replica set with more members than Restate takes, or none.
    #[error("partition {partition}: a replica set of {count} node(s); a script writes 1 to {MAX_REPLICAS}")]
    SetSize {
        /// The partition.
        partition: PartitionId,
        /// The size given.
        count: usize,
    },
    /// Waiting for a leader Restate would not elect: the wait would never end.
    #[error("partition {partition}: Restate elects {} here, not N{node}, so waiting for N{node} to lead would never end", elected.map_or("no leader".to_string(), |n| format!("N{n}")))]
    NotElected {
        /// The partition.
        partition: PartitionId,
        /// The node waited for.
        node: NodeId,
        /// The leader Restate elects.
        elected: Option<NodeId>,
    },
    /// Waiting for a replica the node does not hold.
    #[error("partition {partition}: N{node} holds no replica to wait for")]
    NotHeld {
        /// The partition.
        partition: PartitionId,
        /// The node.
        node: NodeId,
    },
}

/// A snapshot as Restate would show it while a script runs, indexed for its commands.
#[derive(Debug, Clone)]
pub struct RestateView {
    snapshot: Snapshot,
    nodes: HashMap<NodeId, usize>,
    partitions: HashMap<PartitionId, usize>,
}

/// The leader Restate elects for `partition` among `members` (in list order): the last alive
/// member its leader affinity points to, else the last alive member; none when no member is
/// alive. `node` finds a member's node (an unknown member is not alive).
pub fn elect<'n>(
    members: &[NodeId],
    affinity: Option<&LeaderAffinity>,
    node: impl Fn(NodeId) -> Option<&'n Node>,
) -> Option<NodeId> {
    let alive: Vec<&Node> = members
        .iter()
        .filter_map(|&id| node(id))
        .filter(|n| n.alive)
        .collect();
    let affine = affinity.and_then(|a| alive.iter().rev().find(|n| a.matches(n)));
    affine.or(alive.last()).map(|n| n.id)
}

impl RestateView {
    /// The cluster of `snapshot`, with every frozen partition's pending `next` completed (its
    /// nodes are replicas: Restate finishes a reconfiguration in flight despite a freeze).
    pub fn new(mut snapshot: Snapshot) -> RestateView {
        for p in &mut snapshot.partitions {
            complete_frozen_next(p);
        }
        let nodes = snapshot.nodes.iter().enumerate().map(|(i, n)| (n.id, i));
        let partitions = snapshot
            .partitions
            .iter()
            .enumerate()
            .map(|(i, p)| (p.id, i));
        RestateView {
            nodes: nodes.collect(),
            partitions: partitions.collect(),
            snapshot,
        }
    }

    /// The cluster now.
    pub fn snapshot(&self) -> &Snapshot {
        &self.snapshot
    }

    /// The cluster now, owned.
    pub fn into_snapshot(self) -> Snapshot {
        self.snapshot
    }

    /// The node `id`.
    pub fn node(&self, id: NodeId) -> Result<&Node, Refusal> {
        self.nodes
            .get(&id)
            .map(|&i| &self.snapshot.nodes[i])
            .ok_or(Refusal::UnknownNode(id))
    }

    /// The leader Restate elects for partition `id` among `members`, in list order.
    pub fn elect(&self, id: PartitionId, members: &[NodeId]) -> Result<Option<NodeId>, Refusal> {
        let affinity = self.partition(id)?.leader_affinity.as_ref();
        Ok(elect(members, affinity, |n| self.node(n).ok()))
    }

    /// The partition `id`.
    pub fn partition(&self, id: PartitionId) -> Result<&Partition, Refusal> {
        self.partitions
            .get(&id)
            .map(|&i| &self.snapshot.partitions[i])
            .ok_or(Refusal::UnknownPartition(id))
    }

    fn partition_mut(&mut self, id: PartitionId) -> Result<&mut Partition, Refusal> {
        let i = *self
            .partitions
            .get(&id)
            .ok_or(Refusal::UnknownPartition(id))?;
        Ok(&mut self.snapshot.partitions[i])
    }

    /// Checks `command` and applies it.
    pub fn apply(&mut self, command: &Command) -> Result<(), Refusal> {
        match command {
            Command::SetWorkerState { node, state, force } => {
                self.set_worker_state(*node, *state, *force)
            }
            Command::PlacementSet {
                partition,
                replicas,
                freeze,
            } => self.placement_set(*partition, replicas, freeze),
            Command::PlacementUnfreeze { partitions } => {
                self.each_known(partitions, |p| p.freeze = None);
                Ok(())
            }
            Command::WaitCaughtUp { partition, node } => {
                match self.partition(*partition)?.replicas.contains(node) {
                    true => Ok(()),
                    false => Err(Refusal::NotHeld {
                        partition: *partition,
                        node: *node,
                    }),
                }
            }
            Command::WaitLeader { partition, node } => {
                let elected = self.partition(*partition)?.leader;
                match elected == Some(*node) {
                    true => Ok(()),
                    false => Err(Refusal::NotElected {
                        partition: *partition,
                        node: *node,
                        elected,
                    }),
                }
            }
            Command::AwaitRestart { nodes, .. } => {
                nodes.iter().try_for_each(|&n| self.node(n).map(|_| ()))
            }
        }
    }

    fn set_worker_state(
        &mut self,
        id: NodeId,
        to: WorkerState,
        force: bool,
    ) -> Result<(), Refusal> {
        let node = self.node(id)?;
        if !force && !node.roles.contains(Roles::WORKER) {
            return Err(Refusal::NotAWorker(id));
        }
        if !force && !allowed_without_force(node.worker_state, to) {
            return Err(Refusal::NeedsForce {
                node: id,
                from: node.worker_state,
                to,
            });
        }
        let i = self.nodes[&id];
        self.snapshot.nodes[i].worker_state = to;
        Ok(())
    }

    fn placement_set(
        &mut self,
        id: PartitionId,
        replicas: &[NodeId],
        freeze: &str,
    ) -> Result<(), Refusal> {
        self.partition(id)?;
        if replicas.is_empty() || replicas.len() > MAX_REPLICAS {
            return Err(Refusal::SetSize {
                partition: id,
                count: replicas.len(),
            });
        }
        for (i, node) in replicas.iter().enumerate() {
            self.node(*node)?;
            if replicas[..i].contains(node) {
                return Err(Refusal::RepeatedReplica(id));
            }
        }
        let leader = self.elect(id, replicas)?;
        let partition = self.partition_mut(id)?;
        partition.replicas = replicas.to_vec();
        partition.next = None;
        partition.freeze = Some(freeze.to_string());
        partition.leader = leader;
        Ok(())
    }

    /// Applies `change` to each partition of `ids` the cluster has; Restate skips the others.
    fn each_known(&mut self, ids: &[PartitionId], mut change: impl FnMut(&mut Partition)) {
        for id in ids {
            if let Ok(partition) = self.partition_mut(*id) {
                change(partition);
            }
        }
    }
}

/// A frozen partition's pending `next` as Restate will complete it: its nodes become replicas.
fn complete_frozen_next(partition: &mut Partition) {
    if partition.freeze.is_none() {
        return;
    }
    let pending: Vec<NodeId> = partition.pending_next().collect();
    partition.replicas.extend(pending);
    partition.next = None;
}

#[cfg(test)]
mod tests {
    use super::*;
    use worker_policy_model::Replication;

    fn view() -> RestateView {
        let mut nodes: Vec<Node> = (1..=4).map(|id| Node::worker(id, "eu.a")).collect();
        nodes[2].worker_state = WorkerState::Draining;
        nodes[3].alive = false;
        RestateView::new(Snapshot {
            replication: Replication::nodes(2).unwrap(),
            nodes,
            partitions: vec![Partition::placed(0, &[1, 3], Some(3))],
        })
    }

    #[test]
    fn force_is_needed_exactly_where_restate_asks_for_it() {
        use WorkerState::*;
        let needing: Vec<(WorkerState, WorkerState)> = WorkerState::ALL
            .into_iter()
            .flat_map(|f| WorkerState::ALL.into_iter().map(move |t| (f, t)))
            .filter(|&(f, t)| !allowed_without_force(f, t))
            .collect();
        assert_eq!(
            needing,
            vec![
                (Active, Provisioning),
                (Active, Disabled),
                (Draining, Provisioning),
                (Draining, Disabled),
                (Disabled, Provisioning),
                (Disabled, Draining),
            ]
        );
        let mut admin = Node::worker(9, "");
        admin.roles = Roles::ADMIN;
        assert!(needs_force(&admin, WorkerState::Active));
    }

    #[test]
    fn a_placement_set_replaces_the_set_freezes_it_and_elects_its_last_alive_node() {
        let mut view = view();
        let set = |replicas: Vec<NodeId>| Command::PlacementSet {
            partition: 0,
            replicas,
            freeze: "why".into(),
        };
        view.apply(&set(vec![2, 1])).unwrap();
        let p = view.partition(0).unwrap();
        assert_eq!(
            (p.replicas.clone(), p.leader, p.freeze.as_deref()),
            (vec![2, 1], Some(1), Some("why"))
        );
        // N4 is dead: the last alive node leads.
        view.apply(&set(vec![1, 3, 4])).unwrap();
        assert_eq!(view.partition(0).unwrap().leader, Some(3));
        view.apply(&set(vec![4])).unwrap();
        assert_eq!(view.partition(0).unwrap().leader, None);
        assert_eq!(
            view.apply(&set(vec![1, 1])),
            Err(Refusal::RepeatedReplica(0))
        );
        assert_eq!(view.apply(&set(vec![1, 5])), Err(Refusal::UnknownNode(5)));
        assert!(matches!(
            view.apply(&set(vec![])),
            Err(Refusal::SetSize { .. })
        ));
    }

    #[test]
    fn an_alive_member_the_affinity_points_to_wins_over_the_order() {
        let mut s = view().into_snapshot();
        s.nodes[1].location = "eu.b".into();
        let nodes = s.nodes.clone();
        let node = |id: NodeId| nodes.iter().find(|n| n.id == id);
        let zone_a = LeaderAffinity::Location("eu.a".into());
        assert_eq!(elect(&[1, 3, 2], Some(&zone_a), node), Some(3));
        assert_eq!(elect(&[3, 1, 2], Some(&zone_a), node), Some(1));
        // An affinity to a dead member (N4) or to no member does not count.
        assert_eq!(
            elect(&[1, 4, 2], Some(&LeaderAffinity::Node(4)), node),
            Some(2)
        );
        assert_eq!(
            elect(&[1, 2], Some(&LeaderAffinity::Node(3)), node),
            Some(2)
        );
        assert_eq!(elect(&[2, 1], None, node), Some(1));
    }

    #[test]
    fn a_frozen_partitions_pending_next_counts_as_completed() {
        let mut s = view().into_snapshot();
        s.partitions[0].next = Some(vec![1, 2]);
        s.partitions.push(Partition {
            next: Some(vec![1, 2]),
            ..Partition::placed(1, &[1], Some(1))
        });
        s.partitions[0].freeze = Some("operator".into());
        let view = RestateView::new(s);
        let frozen = view.partition(0).unwrap();
        assert_eq!(
            (frozen.replicas.clone(), frozen.next.clone()),
            (vec![1, 3, 2], None)
        );
        assert_eq!(view.partition(1).unwrap().next, Some(vec![1, 2]));
    }

    #[test]
    fn waits_need_a_replica_or_the_elected_leader_and_transitions_need_force_where_restate_does() {
        let mut view = view();
        let wait = Command::WaitCaughtUp {
            partition: 0,
            node: 2,
        };
        assert!(view.apply(&wait).is_err());
        let leader = |node| Command::WaitLeader { partition: 0, node };
        view.apply(&leader(3)).unwrap();
        assert_eq!(
            view.apply(&leader(1)),
            Err(Refusal::NotElected {
                partition: 0,
                node: 1,
                elected: Some(3)
            })
        );
        let restart = |nodes| Command::AwaitRestart {
            wave: 1,
            waves: 1,
            nodes,
        };
        view.apply(&restart(vec![1, 2])).unwrap();
        assert_eq!(
            view.apply(&restart(vec![1, 9])),
            Err(Refusal::UnknownNode(9))
        );
        let disable = |force| Command::SetWorkerState {
            node: 3,
            state: WorkerState::Disabled,
            force,
        };
        assert!(matches!(
            view.apply(&disable(false)),
            Err(Refusal::NeedsForce { .. })
        ));
        view.apply(&disable(true)).unwrap();
        assert_eq!(view.node(3).unwrap().worker_state, WorkerState::Disabled);
    }
}
