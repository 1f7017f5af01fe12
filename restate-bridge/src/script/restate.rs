//! What Restate does with each command of a script, on a snapshot: the checks `restatectl`
//! makes (and the ones a script must make for it, where a command would silently not take
//! effect), then the change. The script writer runs every command it writes through this, and
//! the replay runs every command it reads.

use std::collections::HashMap;

use thiserror::Error;
use worker_policy_model::{
    LeaderAffinity, Node, NodeId, PartitionId, Roles, Snapshot, WorkerState,
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
    /// A pin on a node that is not an alive replica would never take effect.
    #[error("partition {partition}: N{node} is not an alive replica, so a pin to it would not take effect")]
    PinOffReplica {
        /// The partition.
        partition: PartitionId,
        /// The node.
        node: NodeId,
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

impl RestateView {
    /// The cluster of `snapshot`.
    pub fn new(snapshot: Snapshot) -> RestateView {
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

    /// The partition `id`.
    pub fn partition(&self, id: PartitionId) -> Result<&worker_policy_model::Partition, Refusal> {
        self.partitions
            .get(&id)
            .map(|&i| &self.snapshot.partitions[i])
            .ok_or(Refusal::UnknownPartition(id))
    }

    fn partition_mut(
        &mut self,
        id: PartitionId,
    ) -> Result<&mut worker_policy_model::Partition, Refusal> {
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
            Command::LeadershipPin { partitions, node } => {
                partitions.iter().try_for_each(|&p| self.pin(p, *node))
            }
            Command::PlacementUnfreeze { partitions } => {
                self.each_known(partitions, |p| p.freeze = None);
                Ok(())
            }
            Command::LeadershipUnpin { partitions } => {
                self.each_known(partitions, |p| p.leader_affinity = None);
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
        let partition = self.partition_mut(id)?;
        partition.replicas = replicas.to_vec();
        partition.next = None;
        partition.freeze = Some(freeze.to_string());
        if partition.leader.is_some_and(|l| !replicas.contains(&l)) {
            partition.leader = None;
        }
        Ok(())
    }

    fn pin(&mut self, id: PartitionId, node: NodeId) -> Result<(), Refusal> {
        let alive = self.node(node)?.alive;
        let partition = self.partition_mut(id)?;
        if !alive || !partition.replicas.contains(&node) {
            return Err(Refusal::PinOffReplica {
                partition: id,
                node,
            });
        }
        partition.leader = Some(node);
        partition.leader_affinity = Some(LeaderAffinity::Node(node));
        Ok(())
    }

    /// Applies `change` to each partition of `ids` the cluster has; Restate skips the others.
    fn each_known(
        &mut self,
        ids: &[PartitionId],
        mut change: impl FnMut(&mut worker_policy_model::Partition),
    ) {
        for id in ids {
            if let Ok(partition) = self.partition_mut(*id) {
                change(partition);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use worker_policy_model::{Partition, Replication};

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
    fn a_placement_set_replaces_the_set_freezes_it_and_drops_a_leader_left_out() {
        let mut view = view();
        let set = |replicas: Vec<NodeId>| Command::PlacementSet {
            partition: 0,
            replicas,
            freeze: "why".into(),
        };
        view.apply(&set(vec![1, 2])).unwrap();
        let p = view.partition(0).unwrap();
        assert_eq!(
            (p.replicas.clone(), p.leader, p.freeze.as_deref()),
            (vec![1, 2], None, Some("why"))
        );
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
    fn pins_and_waits_need_a_replica_and_transitions_need_force_where_restate_does() {
        let mut view = view();
        let pin = |node| Command::LeadershipPin {
            partitions: vec![0],
            node,
        };
        assert!(view.apply(&pin(2)).is_err());
        view.apply(&pin(1)).unwrap();
        assert_eq!(view.partition(0).unwrap().leader, Some(1));
        let wait = Command::WaitCaughtUp {
            partition: 0,
            node: 2,
        };
        assert!(view.apply(&wait).is_err());
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
