//! Helpers the policy's tests share: building small snapshots by hand, applying a hook's answer
//! through the host's safety checker, and asserting that a cluster is placed and balanced.

use worker_policy_model::generate::{generate, ClusterShape};
use worker_policy_model::invariants::PlanChecker;
use worker_policy_model::quality::{measure, Quality};
use worker_policy_model::{
    Node, NodeId, Partition, Replication, Snapshot, Step, StepOp, Transition, WorkerState,
};

/// An alive worker node `id` at `location` in `state`.
pub fn node(id: NodeId, location: &str, state: WorkerState) -> Node {
    Node {
        name: format!("n{id}"),
        address: format!("http://n{id}:5122/"),
        worker_state: state,
        ..Node::worker(id, location)
    }
}

/// A placed partition led by its first replica.
pub fn partition(id: u32, replicas: &[NodeId]) -> Partition {
    Partition::placed(id, replicas, replicas.first().copied())
}

/// A snapshot with `property` (as written on the command line).
pub fn snapshot(property: &str, nodes: Vec<Node>, partitions: Vec<Partition>) -> Snapshot {
    Snapshot {
        replication: Replication::parse(property).expect("valid property"),
        nodes,
        partitions,
    }
}

/// An unplaced cluster with nodes per zone, `partitions` partitions and `property`.
pub fn unplaced(zones: &[u32], partitions: u32, property: &str) -> ClusterShape {
    ClusterShape::new(
        zones.to_vec(),
        partitions,
        Replication::parse(property).expect("valid property"),
    )
}

/// `snapshot` with `transitions` applied through the safety checker, which must accept them.
pub fn apply_transitions(snapshot: &Snapshot, transitions: &[Transition]) -> Snapshot {
    PlanChecker::apply_transitions(snapshot.clone(), transitions).unwrap_or_else(|v| panic!("{v}"))
}

/// `snapshot` with `steps` applied through the safety checker, which must accept every step;
/// the steps add at most `max_moves` replicas, when given.
pub fn apply(snapshot: &Snapshot, steps: &[Step], max_moves: Option<u32>) -> Snapshot {
    if let Some(max) = max_moves {
        PlanChecker::new(snapshot.clone())
            .check_budget(steps, max)
            .unwrap_or_else(|v| panic!("{v}"));
    }
    PlanChecker::apply_steps(snapshot.clone(), steps).unwrap_or_else(|v| panic!("{v}"))
}

/// Places the unplaced partitions of `shape`'s cluster and returns the placed cluster.
pub fn placed(shape: &ClusterShape) -> Snapshot {
    let start = generate(shape);
    let steps = crate::place(&start).expect("place");
    apply(&start, &steps, None)
}

/// Runs rebalance and applies it: the steps and the resulting snapshot.
pub fn rebalanced(snapshot: &Snapshot, max_moves: Option<u32>) -> (Vec<Step>, Snapshot) {
    let steps = crate::rebalance(snapshot, max_moves).expect("rebalance");
    let after = apply(snapshot, &steps, max_moves);
    (steps, after)
}

/// Runs reconcile and applies it.
pub fn reconciled(snapshot: &Snapshot) -> Snapshot {
    apply_transitions(snapshot, &crate::reconcile(snapshot).expect("reconcile"))
}

/// The number of `add-replica` steps.
pub fn adds(steps: &[Step]) -> usize {
    steps.iter().filter(|s| s.op == StepOp::AddReplica).count()
}

/// Asserts every partition is placed on `factor` eligible nodes that satisfy the property, led
/// by one of them, that every eligible node's replica and leader counts are inside their
/// floor..ceil band, and returns the quality of the change from `before`.
pub fn assert_balanced(before: &Snapshot, after: &Snapshot) -> Quality {
    let factor = after.replication.factor() as usize;
    for p in &after.partitions {
        let nodes: Vec<&Node> = p.replicas.iter().filter_map(|&n| after.node(n)).collect();
        assert_eq!(
            nodes.len(),
            factor,
            "partition {} has {:?}",
            p.id,
            p.replicas
        );
        assert!(
            nodes.iter().all(|n| n.is_placement_candidate()),
            "partition {} on {:?}",
            p.id,
            p.replicas
        );
        assert_eq!(
            after.replication.shortfall(nodes.iter().copied()),
            None,
            "partition {} on {:?}",
            p.id,
            p.replicas
        );
        assert!(p.next.is_none(), "partition {} keeps a next set", p.id);
        let leader = p.leader.expect("a leader");
        assert!(p.replicas.contains(&leader), "partition {}", p.id);
    }
    let q = measure(before, after);
    assert_eq!(q.replicas.outside_band, 0, "replicas unbalanced: {q:?}");
    assert_eq!(q.leaders.outside_band, 0, "leaders unbalanced: {q:?}");
    q
}

/// A tighter lower bound of moves for properties with one replica per zone (`{zone: RF}`):
/// a missing replica can only go to a zone its partition lacks, so where too few of the
/// partitions with missing replicas lack a zone that must grow, other replicas have to move
/// into it (one move each), on top of the forced ones. Computed by a max-flow from the missing
/// replicas to the zones' growth, minimised over every rounding of the zones' fair shares.
/// 0 for other properties.
pub fn zone_bound(before: &Snapshot) -> u64 {
    use worker_policy_model::fair_share::{replica_shares, Band};
    use worker_policy_model::Scope;
    let factor = before.replication.factor();
    if before.replication.required(Scope::Zone) != factor || factor < 2 {
        return 0;
    }
    let eligible: Vec<&Node> = before
        .nodes
        .iter()
        .filter(|n| n.is_placement_candidate())
        .collect();
    let mut zones: Vec<&str> = eligible.iter().map(|n| n.location.as_str()).collect();
    zones.sort_unstable();
    zones.dedup();
    let zone_of = |id: NodeId| {
        eligible
            .iter()
            .find(|n| n.id == id)
            .and_then(|n| zones.binary_search(&n.location.as_str()).ok())
    };
    let placed: Vec<&Partition> = before
        .partitions
        .iter()
        .filter(|p| !p.is_unplaced())
        .collect();
    let mut load = vec![0i64; zones.len()];
    // Per partition with missing replicas: how many, and which zones it lacks.
    let mut missing: Vec<(i64, Vec<bool>)> = Vec::new();
    for p in &placed {
        let kept: Vec<usize> = p.holders().into_iter().filter_map(zone_of).collect();
        for &z in &kept {
            load[z] += 1;
        }
        let need = i64::from(factor) - kept.len() as i64;
        if need > 0 {
            missing.push((need, (0..zones.len()).map(|z| !kept.contains(&z)).collect()));
        }
    }
    let forced: i64 = missing.iter().map(|m| m.0).sum();
    let shares = replica_shares(&before.replication, &eligible, placed.len() as u32);
    let share: Vec<f64> = zones
        .iter()
        .map(|z| {
            eligible
                .iter()
                .filter(|n| n.location == *z)
                .map(|n| shares[&n.id])
                .sum()
        })
        .collect();
    let total = placed.len() as i64 * i64::from(factor);
    let mut best = i64::MAX;
    for combo in 0..(1u32 << zones.len()) {
        let quota: Vec<i64> = share
            .iter()
            .enumerate()
            .map(|(z, &s)| {
                let b = Band::of(s);
                i64::from(if combo >> z & 1 == 1 { b.ceil } else { b.floor })
            })
            .collect();
        if quota.iter().sum::<i64>() != total {
            continue;
        }
        let growth: Vec<i64> = quota
            .iter()
            .zip(&load)
            .map(|(q, l)| (q - l).max(0))
            .collect();
        let flow = max_flow(&missing, &growth);
        best = best.min(forced + growth.iter().sum::<i64>() - flow);
    }
    best.max(0) as u64
}

/// The most missing replicas that can go to zones they lack within each zone's `room`
/// (augmenting paths over partitions and zones).
fn max_flow(missing: &[(i64, Vec<bool>)], room: &[i64]) -> i64 {
    // Per partition, how many of its missing replicas go to each zone (0 or 1).
    let mut sent: Vec<Vec<bool>> = missing.iter().map(|m| vec![false; m.1.len()]).collect();
    let mut left: Vec<i64> = missing.iter().map(|m| m.0).collect();
    let mut used = vec![0i64; room.len()];
    let mut flow = 0;
    loop {
        // Breadth-first search from partitions with replicas left to a zone with room:
        // partition -> zone it lacks and has not sent to; zone -> partition that sent to it.
        let (parts, zones) = (missing.len(), room.len());
        let mut from: Vec<Option<usize>> = vec![None; parts + zones];
        let mut queue: std::collections::VecDeque<usize> =
            (0..parts).filter(|&p| left[p] > 0).collect();
        let mut seen = vec![false; parts + zones];
        for &p in &queue {
            seen[p] = true;
        }
        let mut end = None;
        while let Some(x) = queue.pop_front() {
            if x < parts {
                for z in 0..zones {
                    if missing[x].1[z] && !sent[x][z] && !seen[parts + z] {
                        seen[parts + z] = true;
                        from[parts + z] = Some(x);
                        if used[z] < room[z] {
                            end = Some(z);
                            break;
                        }
                        queue.push_back(parts + z);
                    }
                }
                if end.is_some() {
                    break;
                }
            } else {
                let z = x - parts;
                for p in 0..parts {
                    if sent[p][z] && !seen[p] {
                        seen[p] = true;
                        from[p] = Some(x);
                        queue.push_back(p);
                    }
                }
            }
        }
        let Some(z) = end else {
            return flow;
        };
        used[z] += 1;
        let mut at = parts + z;
        while let Some(prev) = from[at] {
            if prev < parts {
                sent[prev][at - parts] = true;
            } else {
                sent[at][prev - parts] = false;
            }
            at = prev;
        }
        left[at] -= 1;
        flow += 1;
    }
}
