//! The executor against a cluster that behaves as Restate does where `apply` depends on it (a
//! written set becomes the partition's set, the last caught-up member leads, a new replica
//! catches up some observations later), with faults injected: an operator's change, a replica
//! that never catches up, a stop request.

use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use worker_policy_model::generate::{generate, ClusterShape};
use worker_policy_model::{NodeId, PartitionId, Snapshot, WorkerState};

use super::*;
use crate::script::round_parts;
use crate::script::tests::{header, shape, simulate};

/// A Restate-like cluster in memory.
struct FakeRestate {
    snapshot: Snapshot,
    /// Observations left until each new replica catches up.
    catching_up: BTreeMap<(PartitionId, NodeId), usize>,
    /// How many observations a new replica takes to catch up.
    catch_up: usize,
    /// Every command issued.
    issued: Vec<Vec<String>>,
}

impl FakeRestate {
    fn new(snapshot: &Snapshot, catch_up: usize) -> FakeRestate {
        FakeRestate {
            snapshot: snapshot.clone(),
            catching_up: BTreeMap::new(),
            catch_up,
            issued: Vec::new(),
        }
    }

    fn partition(&mut self, id: PartitionId) -> &mut worker_policy_model::Partition {
        let i = self.snapshot.partitions.iter().position(|p| p.id == id);
        &mut self.snapshot.partitions[i.expect("a partition of the cluster")]
    }

    fn alive(&self, id: NodeId) -> bool {
        self.snapshot.node(id).is_some_and(|n| n.alive)
    }

    /// Restate's election: the last alive caught-up member, else the last alive member.
    fn elect(&mut self, id: PartitionId) {
        let members = self.partition(id).replicas.clone();
        let alive: Vec<NodeId> = members.into_iter().filter(|&n| self.alive(n)).collect();
        let caught: Vec<NodeId> = alive
            .iter()
            .copied()
            .filter(|&n| !self.catching_up.contains_key(&(id, n)))
            .collect();
        self.partition(id).leader = caught.last().or(alive.last()).copied();
    }
}

impl Cluster for FakeRestate {
    fn issue(&mut self, args: &[String]) -> Result<(), ApplyError> {
        self.issued.push(args.to_vec());
        let words: Vec<&str> = args.iter().map(String::as_str).collect();
        match words.as_slice() {
            ["partitions", "placement", "set", id, "--replicas", list, "--freeze", reason] => {
                let id: PartitionId = id.parse().unwrap();
                let set: Vec<NodeId> = list.split(',').map(|n| n.parse().unwrap()).collect();
                let held = self.partition(id).replicas.clone();
                for &n in set.iter().filter(|n| !held.contains(n)) {
                    self.catching_up.insert((id, n), self.catch_up);
                }
                let p = self.partition(id);
                p.replicas = set;
                p.next = None;
                p.freeze = Some(reason.to_string());
                self.elect(id);
            }
            ["nodes", "set-worker-state", "--nodes", node, "--worker-state", state, ..] => {
                let node: NodeId = node.parse().unwrap();
                let state = WorkerState::from_name(state).unwrap();
                let i = self
                    .snapshot
                    .nodes
                    .iter()
                    .position(|n| n.id == node)
                    .unwrap();
                self.snapshot.nodes[i].worker_state = state;
            }
            other => panic!("unexpected command {other:?}"),
        }
        Ok(())
    }

    fn observe(&mut self) -> Result<Observed, ApplyError> {
        let mut caught: Vec<PartitionId> = Vec::new();
        self.catching_up.retain(|&(p, _), left| {
            *left = left.saturating_sub(1);
            let done = *left == 0;
            if done {
                caught.push(p);
            }
            !done
        });
        for p in caught {
            self.elect(p);
        }
        let mut observed = Observed::default();
        for p in &self.snapshot.partitions {
            observed.partitions.insert(
                p.id,
                ObservedPartition {
                    current: p.replicas.clone(),
                    next: p.next.clone(),
                    leader: p.leader,
                },
            );
            for &n in &p.replicas {
                if !self.catching_up.contains_key(&(p.id, n)) && self.alive(n) {
                    observed.caught_up.insert((p.id, n));
                }
            }
        }
        for n in &self.snapshot.nodes {
            observed.nodes.insert(
                n.id,
                ObservedNode {
                    worker_state: Some(n.worker_state),
                    alive: n.alive,
                },
            );
        }
        Ok(observed)
    }

    fn freeze(&mut self, id: PartitionId) -> Result<Option<String>, ApplyError> {
        Ok(self.partition(id).freeze.clone())
    }
}

/// The partition the second step changes (the first is done before an operator acts).
fn second_partition(steps: &[Step]) -> PartitionId {
    match steps[1].change {
        Change::Partition { partition, .. } => partition,
        ref other => panic!("the second step changes a partition: {other:?}"),
    }
}

fn limits(max_concurrent: usize) -> Limits {
    Limits {
        max_concurrent,
        step_timeout: Duration::from_secs(5),
        poll: Duration::from_millis(1),
        dead_grace: Duration::from_secs(5),
    }
}

/// A cluster with one draining node, the default policy's rounds to drain it, and the steps.
fn drain() -> (Snapshot, Snapshot, Vec<Step>) {
    let snapshot = generate(&ClusterShape {
        draining: 1,
        ..shape(vec![2, 2, 2], "{zone: 2}")
    });
    let (rounds, last) = simulate(&snapshot, None).expect("the default policy drains it");
    let observed = snapshot
        .nodes
        .iter()
        .map(|n| (n.id, n.worker_state))
        .collect();
    let steps = steps(&header(), &snapshot, &round_parts(&rounds), &observed).expect("steps");
    (snapshot, last, steps)
}

/// Each partition's holders and leader.
type Placement = Vec<(PartitionId, BTreeSet<NodeId>, Option<NodeId>)>;

/// Holders, leaders and worker states: what a step leaves.
fn placement(snapshot: &Snapshot) -> (Placement, Vec<WorkerState>) {
    let partitions = snapshot
        .partitions
        .iter()
        .map(|p| (p.id, p.holders(), p.leader))
        .collect();
    let states = snapshot.nodes.iter().map(|n| n.worker_state).collect();
    (partitions, states)
}

fn run(
    cluster: &mut FakeRestate,
    steps: &[Step],
    limits: &Limits,
    stop: &dyn Fn() -> bool,
) -> (Result<Outcome, ApplyError>, Vec<Event>) {
    let mut events = Vec::new();
    let outcome = execute(cluster, steps, limits, stop, &mut |e| events.push(e));
    (outcome, events)
}

#[test]
fn a_drain_is_applied_to_where_the_plan_leads_each_command_once() {
    let (snapshot, last, steps) = drain();
    assert!(steps.len() > 3, "{steps:?}");
    for max_concurrent in [1, 3] {
        let mut cluster = FakeRestate::new(&snapshot, 3);
        let (outcome, events) = run(&mut cluster, &steps, &limits(max_concurrent), &|| false);
        // The generated cluster has its node draining already: the plan's confirmation of it
        // is found done.
        let confirmations = steps
            .iter()
            .filter(|s| matches!(s.change, Change::WorkerState { from, to, .. } if from == to))
            .count();
        assert_eq!(
            outcome.unwrap(),
            Outcome::Applied(Tally {
                applied: steps.len() - confirmations,
                skipped: confirmations
            })
        );
        assert_eq!(placement(&cluster.snapshot), placement(&last));
        let commands: usize = steps
            .iter()
            .filter(|s| !matches!(s.change, Change::WorkerState { from, to, .. } if from == to))
            .flat_map(|s| &s.commands)
            .filter(|c| c.restatectl_args().is_some())
            .count();
        assert_eq!(cluster.issued.len(), commands);
        // Never more partition steps in flight than allowed, and a worker-state step alone.
        let mut flying = 0usize;
        let mut most = 0usize;
        for event in &events {
            match event {
                Event::StepStarted { .. } => flying += 1,
                Event::StepDone { .. } => flying -= 1,
                _ => {}
            }
            most = most.max(flying);
        }
        assert_eq!(most, max_concurrent.min(steps.len()), "{events:?}");
    }
}

#[test]
fn a_second_run_applies_nothing_twice() {
    let (snapshot, _, steps) = drain();
    let mut cluster = FakeRestate::new(&snapshot, 2);
    run(&mut cluster, &steps, &limits(1), &|| false).0.unwrap();
    let issued = cluster.issued.len();
    let (outcome, events) = run(&mut cluster, &steps, &limits(1), &|| false);
    let outcome = outcome.unwrap();
    assert!(
        matches!(
            outcome,
            Outcome::Applied(Tally { applied: 0, .. })
                | Outcome::Replan {
                    tally: Tally { applied: 0, .. },
                    ..
                }
        ),
        "{outcome:?} {events:#?}"
    );
    assert_eq!(cluster.issued.len(), issued, "a command was issued again");
}

#[test]
fn an_operators_change_is_never_undone_the_plan_is_made_again() {
    let (snapshot, _, steps) = drain();
    let mut cluster = FakeRestate::new(&snapshot, 1);
    // The operator moves the partition of the second step elsewhere before apply reaches it.
    let partition = second_partition(&steps);
    let p = cluster.partition(partition);
    let outsider = snapshot
        .nodes
        .iter()
        .map(|n| n.id)
        .find(|n| !p.replicas.contains(n))
        .unwrap();
    p.replicas[0] = outsider;
    let (outcome, _) = run(&mut cluster, &steps, &limits(1), &|| false);
    let Outcome::Replan { why, tally } = outcome.unwrap() else {
        panic!("expected a new plan");
    };
    assert!(why.contains(&format!("partition {partition} ")), "{why}");
    assert_eq!(tally.applied, 1);
    let touched = cluster
        .issued
        .iter()
        .any(|args| args.get(3) == Some(&partition.to_string()));
    assert!(
        !touched,
        "the operator's partition was written: {:?}",
        cluster.issued
    );
}

#[test]
fn an_operators_freeze_set_since_the_plan_is_never_written_over() {
    let (snapshot, _, steps) = drain();
    let mut cluster = FakeRestate::new(&snapshot, 1);
    let partition = second_partition(&steps);
    cluster.partition(partition).freeze = Some("operator: hold".into());
    let (outcome, _) = run(&mut cluster, &steps, &limits(1), &|| false);
    let Outcome::Replan { why, .. } = outcome.unwrap() else {
        panic!("expected a new plan");
    };
    assert!(why.contains("`operator: hold`"), "{why}");
    let freeze = cluster.partition(partition).freeze.clone();
    assert_eq!(freeze.as_deref(), Some("operator: hold"));
}

#[test]
fn a_replica_that_never_catches_up_stops_the_run_naming_it() {
    let (snapshot, _, steps) = drain();
    let mut cluster = FakeRestate::new(&snapshot, usize::MAX);
    let quick = Limits {
        step_timeout: Duration::from_millis(50),
        ..limits(1)
    };
    let error = run(&mut cluster, &steps, &quick, &|| false).0.unwrap_err();
    let text = error.to_string();
    assert!(error.is_divergence(), "{text}");
    assert!(
        text.contains("step 1 ") && text.contains("to catch up"),
        "{text}"
    );
    // Only the grow was written: every replica and the leader are still there.
    assert_eq!(cluster.issued.len(), 1, "{:?}", cluster.issued);
}

#[test]
fn a_step_waiting_for_a_node_that_died_gives_up_on_it_before_its_bound() {
    let (snapshot, _, steps) = drain();
    let (step, joining) = steps
        .iter()
        .find_map(|s| match &s.change {
            Change::Partition { before, after, .. } => after
                .replicas
                .iter()
                .find(|n| !before.replicas.contains(n))
                .map(|&n| (s.number, n)),
            Change::WorkerState { .. } => None,
        })
        .expect("a step that adds a replica");
    let mut cluster = FakeRestate::new(&snapshot, 2);
    let i = cluster.snapshot.nodes.iter().position(|n| n.id == joining);
    cluster.snapshot.nodes[i.expect("the joining node")].alive = false;
    let quick = Limits {
        dead_grace: Duration::from_millis(20),
        ..limits(1)
    };
    let start = std::time::Instant::now();
    let error = run(&mut cluster, &steps, &quick, &|| false).0.unwrap_err();
    let text = error.to_string();
    assert!(error.is_divergence(), "{text}");
    assert!(
        text.contains(&format!("step {step} "))
            && text.contains(&format!("N{joining}, which the step waits for")),
        "{text}"
    );
    assert!(
        start.elapsed() < quick.step_timeout,
        "it waited out the bound: {text}"
    );
    // A node back within the grace is waited for: the same run with a long grace times out
    // instead (the node never comes back here), naming what it waited for.
    let mut cluster = FakeRestate::new(&snapshot, 2);
    let i = cluster.snapshot.nodes.iter().position(|n| n.id == joining);
    cluster.snapshot.nodes[i.expect("the joining node")].alive = false;
    let patient = Limits {
        step_timeout: Duration::from_millis(50),
        dead_grace: Duration::from_secs(60),
        ..limits(1)
    };
    let text = run(&mut cluster, &steps, &patient, &|| false)
        .0
        .unwrap_err()
        .to_string();
    assert!(text.contains("in vain"), "{text}");
    assert!(!text.contains("which the step waits for"), "{text}");
}

#[test]
fn a_stop_finishes_the_step_in_flight_and_starts_no_other() {
    let (snapshot, _, steps) = drain();
    let mut cluster = FakeRestate::new(&snapshot, 2);
    let asked = Cell::new(0);
    let stop = || {
        asked.set(asked.get() + 1);
        asked.get() > 1
    };
    let (outcome, events) = run(&mut cluster, &steps, &limits(1), &stop);
    assert_eq!(
        outcome.unwrap(),
        Outcome::Stopped(Tally {
            applied: 1,
            skipped: 0
        })
    );
    assert!(events
        .iter()
        .any(|e| matches!(e, Event::StepDone { step: 1, .. })));
    assert!(!events
        .iter()
        .any(|e| matches!(e, Event::StepStarted { step: 2, .. })));
}
