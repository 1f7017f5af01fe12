//! A rolling restart (an upgrade): the workers restart in waves of at most `max_unavailable`,
//! ordered so that no wave takes down more of any partition than the replication property can
//! spare, with the leaders on a wave's nodes moved to replicas outside it first and moved back
//! once it is up again. No replica moves. No policy hook is needed: the rule below is the
//! host's, and every leader move is a `set-leader` step checked by the invariant checker.
//!
//! **The rule.** For a wave W and a placed partition p whose serving replicas (on alive nodes
//! that are not disabled) are S, the replicas kept serving are K = S without W. A wave that takes
//! none of S is always safe for p. Otherwise:
//!
//! - *quorum*: K holds a majority of the replication factor RF, `|K| >= RF / 2 + 1` (integer
//!   division), so a wave takes down at most `(RF - 1) / 2` replicas of a partition: never two
//!   of RF 3 or 4, at most two of RF 5, none of RF 1 or 2;
//! - *domains*: for a region or zone count `c >= 2` of the property, K still spans at least
//!   `c - 1` of those domains: a wave takes at most one of the domains the property asks for;
//! - *leader*: K has an alive, active worker, where the leader goes while W restarts.
//!
//! Subsets of a safe wave are safe, so a safe order exists exactly when every node can restart
//! on its own; when one cannot, the rollout is refused naming the partition. Waves are built
//! greedily and deterministically: nodes sorted by zone then id, each wave takes every node in
//! that order that keeps it safe, up to `max_unavailable`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

use worker_policy_model::invariants::{PlanChecker, Violation};
use worker_policy_model::snapshot::NodeLabel;
use worker_policy_model::{
    Node, NodeId, Partition, PartitionId, Roles, Scope, Snapshot, Step, StepOp, WorkerState,
};

use crate::error::ErrorClass;

/// What to restart and how many at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RolloutRequest {
    /// The nodes to restart; `None`: every alive worker that is not disabled.
    pub nodes: Option<Vec<NodeId>>,
    /// At most this many nodes restart at once (one wave); at least 1.
    pub max_unavailable: u32,
}

/// What a wave would break for a partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Breach {
    /// Fewer serving replicas kept than a majority of the replication factor.
    Quorum {
        /// Serving replicas kept outside the wave.
        kept: u32,
        /// The majority required.
        required: u32,
    },
    /// Fewer domains of a scope kept than the property's count minus one.
    Domains {
        /// The scope.
        scope: Scope,
        /// Domains kept outside the wave.
        kept: u32,
        /// Domains required.
        required: u32,
    },
    /// No alive, active worker kept outside the wave to lead the partition.
    NoLeaderHome,
}

impl fmt::Display for Breach {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Breach::Quorum { kept, required } => write!(
                f,
                "it would keep {kept} serving replica(s), fewer than the majority of the replication factor ({required})"
            ),
            Breach::Domains { scope, kept, required } => write!(
                f,
                "it would keep replicas in {kept} {scope}(s), and a wave may take at most one of the {scope}s the property asks for ({required} kept)"
            ),
            Breach::NoLeaderHome => f.write_str(
                "no replica on an alive, active worker would be left outside the wave to lead it",
            ),
        }
    }
}

/// A node that cannot restart even on its own: no safe order exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnsafeRestart {
    /// The partition it would break.
    pub partition: PartitionId,
    /// The node.
    pub node: NodeId,
    /// What it would break.
    pub breach: Breach,
}

impl fmt::Display for UnsafeRestart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "no safe order exists: restarting {} takes down a replica of partition {}, and {}",
            NodeLabel(self.node),
            self.partition,
            self.breach
        )
    }
}

/// Why a rollout cannot be planned.
#[derive(Debug, thiserror::Error)]
pub enum RolloutError {
    /// Waves of no node.
    #[error("at most 0 nodes unavailable at once: allow at least 1")]
    NoWaveSize,
    /// A node the snapshot does not have.
    #[error("{} is not in the snapshot", NodeLabel(*.0))]
    UnknownNode(NodeId),
    /// A node named twice.
    #[error("{} is named twice", NodeLabel(*.0))]
    Repeated(NodeId),
    /// A node without the worker role.
    #[error("{} is not a worker: a rollout restarts workers", NodeLabel(*.0))]
    NotAWorker(NodeId),
    /// A dead or disabled node: it serves nothing to restart.
    #[error("{} is {}: it serves no replica, so there is nothing to restart safely", NodeLabel(*.0), if *.1 { "disabled" } else { "dead" })]
    NotServing(NodeId, bool),
    /// No safe order exists.
    #[error("{0}")]
    NoSafeOrder(UnsafeRestart),
    /// A leader move the planner made broke an invariant (a bug of the planner).
    #[error("the rollout planner's leader move was refused: {0}")]
    Planner(Violation),
}

impl RolloutError {
    /// The exit class: bad input for the request's mistakes, refused when no safe order
    /// exists, a host error for the planner's own bug.
    pub fn class(&self) -> ErrorClass {
        match self {
            RolloutError::NoSafeOrder(_) => ErrorClass::Refused,
            RolloutError::Planner(_) => ErrorClass::Host,
            _ => ErrorClass::BadInput,
        }
    }
}

/// A leader moved off a node of a wave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaderMove {
    /// The node that led the partition, which restarts.
    pub from: NodeId,
    /// The `set-leader` step to a replica outside the wave.
    pub step: Step,
}

/// One wave of the rollout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RolloutWave {
    /// The nodes restarting together, by zone then id.
    pub nodes: Vec<NodeId>,
    /// `set-leader` steps before the wave: leaders on its nodes move to replicas outside it.
    pub leader_moves: Vec<LeaderMove>,
    /// `set-leader` steps after the wave: the leaders moved back.
    pub leaders_back: Vec<Step>,
    /// The most replicas of one partition the wave takes down.
    pub most_down: u32,
}

/// The waves of a rollout.
#[derive(Debug, Clone)]
pub struct Rollout {
    /// The most replicas of one partition a wave may take down: `(RF - 1) / 2`.
    pub spare: u32,
    /// The waves, in order.
    pub waves: Vec<RolloutWave>,
    /// The snapshot after the last wave (leaders back where they were).
    pub last: Snapshot,
}

/// Plans restarting `request.nodes` (or every serving worker) of `snapshot`.
pub fn rollout(snapshot: &Snapshot, request: &RolloutRequest) -> Result<Rollout, RolloutError> {
    if request.max_unavailable == 0 {
        return Err(RolloutError::NoWaveSize);
    }
    let cluster = Cluster::new(snapshot);
    let nodes = cluster.restarting(request.nodes.as_deref())?;
    for &node in &nodes {
        cluster
            .fits(&BTreeSet::new(), node)
            .map_err(RolloutError::NoSafeOrder)?;
    }
    let groups = cluster.waves(nodes, request.max_unavailable as usize);
    let mut current = snapshot.clone();
    let mut waves = Vec::new();
    for group in groups {
        let (wave, after) = move_leaders(current, &group, &cluster)?;
        current = after;
        waves.push(wave);
    }
    Ok(Rollout {
        spare: snapshot.replication.factor().saturating_sub(1) / 2,
        waves,
        last: current,
    })
}

/// Whether restarting `wave` is safe for `partition` (the rule of the module docs).
pub fn check_partition(
    snapshot: &Snapshot,
    partition: &Partition,
    in_wave: impl Fn(NodeId) -> bool,
) -> Result<(), Breach> {
    let serving: Vec<&Node> = partition
        .replicas
        .iter()
        .filter_map(|&id| snapshot.node(id))
        .filter(|n| n.serves_replicas())
        .collect();
    let kept: Vec<&Node> = serving.iter().copied().filter(|n| !in_wave(n.id)).collect();
    check_kept(snapshot, serving.len(), &kept)
}

/// The rule on what a wave keeps of a partition's `serving` replicas.
fn check_kept(snapshot: &Snapshot, serving: usize, kept: &[&Node]) -> Result<(), Breach> {
    if kept.len() == serving {
        return Ok(());
    }
    let replication = &snapshot.replication;
    let required = replication.factor() / 2 + 1;
    let kept_count = kept.len() as u32;
    if kept_count < required {
        return Err(Breach::Quorum {
            kept: kept_count,
            required,
        });
    }
    for scope in [Scope::Region, Scope::Zone] {
        let count = replication.required(scope);
        let domains: BTreeSet<_> = kept.iter().map(|n| n.domain(scope)).collect();
        if count >= 2 && (domains.len() as u32) < count - 1 {
            return Err(Breach::Domains {
                scope,
                kept: domains.len() as u32,
                required: count - 1,
            });
        }
    }
    if !kept.iter().any(|n| n.is_placement_candidate()) {
        return Err(Breach::NoLeaderHome);
    }
    Ok(())
}

/// The snapshot with its nodes and, per node, the partitions whose replicas it holds.
struct Cluster<'a> {
    snapshot: &'a Snapshot,
    nodes: HashMap<NodeId, &'a Node>,
    held: HashMap<NodeId, Vec<&'a Partition>>,
}

impl<'a> Cluster<'a> {
    fn new(snapshot: &'a Snapshot) -> Cluster<'a> {
        let mut held: HashMap<NodeId, Vec<&Partition>> = HashMap::new();
        for p in &snapshot.partitions {
            for &n in &p.replicas {
                held.entry(n).or_default().push(p);
            }
        }
        Cluster {
            snapshot,
            nodes: snapshot.nodes.iter().map(|n| (n.id, n)).collect(),
            held,
        }
    }

    /// The nodes to restart, checked and sorted by zone then id.
    fn restarting(&self, asked: Option<&[NodeId]>) -> Result<Vec<NodeId>, RolloutError> {
        let mut nodes: Vec<&Node> = match asked {
            None => self
                .snapshot
                .nodes
                .iter()
                .filter(|n| n.roles.contains(Roles::WORKER) && n.serves_replicas())
                .collect(),
            Some(ids) => self.asked(ids)?,
        };
        nodes.sort_by(|a, b| (a.zone(), a.id).cmp(&(b.zone(), b.id)));
        Ok(nodes.into_iter().map(|n| n.id).collect())
    }

    /// The nodes named, each known, once, a worker and serving.
    fn asked(&self, ids: &[NodeId]) -> Result<Vec<&'a Node>, RolloutError> {
        let mut seen = BTreeSet::new();
        ids.iter()
            .map(|&id| {
                let node = *self.nodes.get(&id).ok_or(RolloutError::UnknownNode(id))?;
                if !seen.insert(id) {
                    return Err(RolloutError::Repeated(id));
                }
                if !node.roles.contains(Roles::WORKER) {
                    return Err(RolloutError::NotAWorker(id));
                }
                if !node.serves_replicas() {
                    let disabled = node.worker_state == WorkerState::Disabled;
                    return Err(RolloutError::NotServing(id, disabled));
                }
                Ok(node)
            })
            .collect()
    }

    /// Whether `wave` with `node` added is still safe for every partition `node` holds.
    fn fits(&self, wave: &BTreeSet<NodeId>, node: NodeId) -> Result<(), UnsafeRestart> {
        let in_wave = |id| id == node || wave.contains(&id);
        for p in self.held.get(&node).into_iter().flatten() {
            check_partition(self.snapshot, p, in_wave).map_err(|breach| UnsafeRestart {
                partition: p.id,
                node,
                breach,
            })?;
        }
        Ok(())
    }

    /// Greedy waves: each takes, in order, every node that keeps it safe, up to `max`.
    fn waves(&self, mut remaining: Vec<NodeId>, max: usize) -> Vec<Vec<NodeId>> {
        let mut waves = Vec::new();
        while !remaining.is_empty() {
            let mut wave = BTreeSet::new();
            let mut order = Vec::new();
            remaining.retain(|&node| {
                let taken = wave.len() < max && self.fits(&wave, node).is_ok();
                if taken {
                    wave.insert(node);
                    order.push(node);
                }
                !taken
            });
            waves.push(order);
        }
        waves
    }

    /// Nodes of `wave`'s partitions taken down at once, at most.
    fn most_down(&self, wave: &[NodeId]) -> u32 {
        let mut down: HashMap<PartitionId, u32> = HashMap::new();
        for node in wave {
            for p in self.held.get(node).into_iter().flatten() {
                let serving = self.nodes.get(node).is_some_and(|n| n.serves_replicas());
                *down.entry(p.id).or_default() += u32::from(serving);
            }
        }
        down.into_values().max().unwrap_or(0)
    }
}

/// The leader moves before `wave` and back after it, each answer checked on `current`.
fn move_leaders(
    current: Snapshot,
    wave: &[NodeId],
    cluster: &Cluster<'_>,
) -> Result<(RolloutWave, Snapshot), RolloutError> {
    let in_wave: BTreeSet<NodeId> = wave.iter().copied().collect();
    let mut leads = leader_counts(&current);
    let mut moves = Vec::new();
    let mut back = Vec::new();
    let mut partitions: Vec<&Partition> = current.partitions.iter().collect();
    partitions.sort_by_key(|p| p.id);
    for p in partitions {
        let Some(old) = p.leader.filter(|l| in_wave.contains(l)) else {
            continue;
        };
        let Some(new) = leader_home(&current, p, &in_wave, &leads) else {
            continue;
        };
        *leads.entry(old).or_default() -= 1;
        *leads.entry(new).or_default() += 1;
        moves.push(LeaderMove {
            from: old,
            step: Step::new(
                StepOp::SetLeader,
                p.id,
                new,
                format!(
                    "{} restarts: the leader moves to the replica outside the wave that leads the fewest partitions",
                    NodeLabel(old)
                ),
            ),
        });
        if current.node(old).is_some_and(Node::is_placement_candidate) {
            back.push(Step::new(
                StepOp::SetLeader,
                p.id,
                old,
                format!("{} is up again: the leader moves back", NodeLabel(old)),
            ));
        }
    }
    let mut checker = PlanChecker::new(current);
    let steps: Vec<Step> = moves.iter().map(|m| m.step.clone()).collect();
    checker.steps(&steps).map_err(RolloutError::Planner)?;
    checker.begin_answer();
    checker.steps(&back).map_err(RolloutError::Planner)?;
    let wave = RolloutWave {
        nodes: wave.to_vec(),
        leader_moves: moves,
        leaders_back: back,
        most_down: cluster.most_down(wave),
    };
    Ok((wave, checker.into_snapshot()))
}

/// The replica of `p` outside the wave, on an alive, active worker, that leads the fewest
/// partitions (the lowest id among equals).
fn leader_home(
    snapshot: &Snapshot,
    p: &Partition,
    in_wave: &BTreeSet<NodeId>,
    leads: &BTreeMap<NodeId, u32>,
) -> Option<NodeId> {
    p.replicas
        .iter()
        .copied()
        .filter(|n| !in_wave.contains(n))
        .filter(|&n| snapshot.node(n).is_some_and(Node::is_placement_candidate))
        .min_by_key(|n| (leads.get(n).copied().unwrap_or(0), *n))
}

fn leader_counts(snapshot: &Snapshot) -> BTreeMap<NodeId, u32> {
    let mut leads = BTreeMap::new();
    for leader in snapshot.partitions.iter().filter_map(|p| p.leader) {
        *leads.entry(leader).or_default() += 1;
    }
    leads
}

#[cfg(test)]
mod tests {
    use super::*;
    use worker_policy_model::Replication;

    /// `replication` over zones a (1, 2), b (3, 4), c (5, 6); partition 0 on 1, 3, 5 led by 1,
    /// partition 1 on 2, 4, 6 led by 4.
    fn cluster(replication: &str) -> Snapshot {
        Snapshot {
            replication: Replication::parse(replication).unwrap(),
            nodes: [(1, "a"), (2, "a"), (3, "b"), (4, "b"), (5, "c"), (6, "c")]
                .map(|(id, zone)| Node::worker(id, zone))
                .to_vec(),
            partitions: vec![
                Partition::placed(0, &[1, 3, 5], Some(1)),
                Partition::placed(1, &[2, 4, 6], Some(4)),
            ],
        }
    }

    fn request(max: u32) -> RolloutRequest {
        RolloutRequest {
            nodes: None,
            max_unavailable: max,
        }
    }

    #[test]
    fn a_whole_zone_restarts_at_once_when_each_partition_loses_one_replica() {
        let plan = rollout(&cluster("{zone: 3, node: 3}"), &request(2)).unwrap();
        let waves: Vec<_> = plan.waves.iter().map(|w| w.nodes.clone()).collect();
        assert_eq!(waves, [[1, 2], [3, 4], [5, 6]]);
        assert!(plan.waves.iter().all(|w| w.most_down == 1));
        assert_eq!(plan.spare, 1);
        let first = &plan.waves[0];
        assert_eq!(first.leader_moves.len(), 1);
        let moved = &first.leader_moves[0];
        assert_eq!(
            (moved.from, moved.step.partition, moved.step.node),
            (1, 0, 3)
        );
        assert_eq!(first.leaders_back[0].node, 1);
        assert_eq!(
            plan.last,
            cluster("{zone: 3, node: 3}"),
            "leaders end where they were"
        );
    }

    #[test]
    fn two_replicas_of_one_partition_never_restart_together() {
        let plan = rollout(&cluster("3"), &request(6)).unwrap();
        for wave in &plan.waves {
            assert!(wave.most_down <= 1, "{wave:?}");
        }
        assert_eq!(plan.waves[0].nodes, [1, 2]);
    }

    #[test]
    fn a_single_replica_partition_has_no_safe_order() {
        let mut s = cluster("1");
        s.partitions = vec![Partition::placed(7, &[3], Some(3))];
        let Err(RolloutError::NoSafeOrder(refusal)) = rollout(&s, &request(1)) else {
            panic!("RF 1 cannot restart");
        };
        assert_eq!((refusal.partition, refusal.node), (7, 3));
        assert_eq!(
            refusal.to_string(),
            "no safe order exists: restarting N3 takes down a replica of partition 7, and it would keep 0 serving replica(s), fewer than the majority of the replication factor (1)"
        );
        assert_eq!(
            RolloutError::NoSafeOrder(refusal).class(),
            ErrorClass::Refused
        );
    }

    #[test]
    fn named_nodes_must_be_serving_workers() {
        let mut s = cluster("3");
        s.nodes[1].alive = false;
        s.partitions[1].replicas = vec![1, 4, 6];
        let named = |ids: &[NodeId]| RolloutRequest {
            nodes: Some(ids.to_vec()),
            max_unavailable: 1,
        };
        for ids in [&[9][..], &[1, 1], &[2]] {
            let error = rollout(&s, &named(ids)).unwrap_err();
            assert_eq!(error.class(), ErrorClass::BadInput, "{ids:?}: {error}");
        }
        let plan = rollout(&s, &request(1)).unwrap();
        assert!(
            plan.waves.iter().all(|w| w.nodes != [2]),
            "a dead node is not restarted"
        );
    }
}
