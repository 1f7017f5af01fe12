//! How long the checker takes on the answers `worker-policy bench` checks, at 100,000 and
//! 1,000,000 partitions: timings, so ignored by default. Run them with
//! `cargo test --release -p worker-policy-model speed -- --ignored --nocapture`.

use std::time::{Duration, Instant};

use super::PlanChecker;
use crate::generate::{generate, ClusterShape};
use crate::plan::{Step, StepOp};
use crate::snapshot::{NodeId, Snapshot, WorkerState};
use crate::Replication;

/// 1,000 nodes in 10 zones, `{zone: 3, node: 3}`, as `bench` measures; `placed` stripes the
/// replicas and drains one node.
fn cluster(partitions: u32, placed: bool) -> Snapshot {
    let replication = Replication::parse("{zone: 3, node: 3}").expect("a valid property");
    let mut shape = ClusterShape::new(vec![100; 10], partitions, replication);
    shape.placed = placed;
    shape.draining = u32::from(placed);
    generate(&shape)
}

/// A place answer: three replicas in three zones per partition, then the first as leader.
fn place_answer(s: &Snapshot) -> Vec<Step> {
    let mut steps = Vec::with_capacity(s.partitions.len() * 4);
    for p in &s.partitions {
        let nodes: Vec<NodeId> = (0..3)
            .map(|k| (p.id + k) % 10 * 100 + p.id / 10 % 100 + 1)
            .collect();
        for &n in &nodes {
            steps.push(Step::new(StepOp::AddReplica, p.id, n, "placed"));
        }
        steps.push(Step::new(StepOp::SetLeader, p.id, nodes[0], "leads"));
    }
    steps
}

/// A drain answer: every replica on the draining node moves to the next node of its zone
/// that does not hold the partition, its leadership first.
fn drain_answer(s: &Snapshot) -> Vec<Step> {
    let drained = s
        .nodes
        .iter()
        .find(|n| n.worker_state == WorkerState::Draining)
        .map(|n| n.id)
        .expect("a draining node");
    let zone_first = (drained - 1) / 100 * 100 + 1;
    let mut steps = Vec::new();
    for p in s
        .partitions
        .iter()
        .filter(|p| p.replicas.contains(&drained))
    {
        let to = (1..100)
            .map(|k| zone_first + (drained - zone_first + k) % 100)
            .find(|n| !p.replicas.contains(n))
            .expect("a free node in the zone");
        steps.push(Step::new(StepOp::AddReplica, p.id, to, "replaces"));
        if p.leader == Some(drained) {
            steps.push(Step::new(StepOp::SetLeader, p.id, to, "leads"));
        }
        steps.push(Step::new(StepOp::RemoveReplica, p.id, drained, "drained"));
    }
    steps
}

/// The median of three runs of checking `steps` on a clone of `s`, as `bench` does.
fn median_check(s: &Snapshot, steps: &[Step]) -> Duration {
    let mut times: Vec<Duration> = (0..3)
        .map(|_| {
            let start = Instant::now();
            let after = PlanChecker::apply_steps(s.clone(), steps).expect("a valid answer");
            let took = start.elapsed();
            drop(after);
            took
        })
        .collect();
    times.sort();
    times[1]
}

#[test]
#[ignore = "a timing: run it by hand with --release --ignored --nocapture"]
fn speed_of_the_checker_on_bench_answers() {
    for partitions in [100_000, 1_000_000] {
        let unplaced = cluster(partitions, false);
        let place = place_answer(&unplaced);
        let placed = cluster(partitions, true);
        let drain = drain_answer(&placed);
        println!(
            "{partitions} partitions: place ({} steps) {:.1} ms, drain ({} steps) {:.1} ms, no steps {:.1} ms",
            place.len(),
            median_check(&unplaced, &place).as_secs_f64() * 1e3,
            drain.len(),
            median_check(&placed, &drain).as_secs_f64() * 1e3,
            median_check(&placed, &[]).as_secs_f64() * 1e3,
        );
    }
}
