//! The script against real plans of the default policy (replayed, it must do what the plans
//! do), and its rules one by one on small hand-made clusters; leaders by order and the rollout's
//! restart points have modules of their own.

mod leaders;
mod verbs;

use worker_policy_model::generate::{generate, ClusterShape, Oddities, RandomCluster};
use worker_policy_model::invariants::PlanChecker;
use worker_policy_model::{
    LeaderAffinity, Node, Partition, Plan, Replication, Snapshot, Step, StepOp, Transition,
    WorkerState,
};

use super::*;
use crate::script::functions::Block;

/// The plan the default policy makes for `snapshot` (reconcile, place, rebalance, each checked
/// as the host checks it) and the snapshot it leads to; `None` when the policy refuses.
fn evaluate(snapshot: &Snapshot, max_moves: Option<u32>) -> Option<(Plan, Snapshot)> {
    let mut checker = PlanChecker::new(snapshot.clone());
    let transitions = worker_policy_default::reconcile(checker.snapshot()).ok()?;
    for t in &transitions {
        checker.transition(t).ok()?;
    }
    checker.begin_answer();
    let mut steps = worker_policy_default::place(checker.snapshot()).ok()?;
    checker.steps(&steps).ok()?;
    let rebalanced = worker_policy_default::rebalance(checker.snapshot(), max_moves).ok()?;
    checker.begin_answer();
    checker.steps(&rebalanced).ok()?;
    steps.extend(rebalanced);
    Some((Plan { transitions, steps }, checker.into_snapshot()))
}

/// Every round until the plan is empty (at most 30), and where they end.
pub(crate) fn simulate(
    snapshot: &Snapshot,
    max_moves: Option<u32>,
) -> Option<(Vec<Plan>, Snapshot)> {
    let mut current = snapshot.clone();
    let mut rounds = Vec::new();
    for _ in 0..30 {
        let (plan, after) = evaluate(&current, max_moves)?;
        if plan.is_empty() {
            return Some((rounds, current));
        }
        rounds.push(plan);
        current = after;
    }
    Some((rounds, current))
}

pub(crate) fn header() -> ScriptHeader {
    ScriptHeader {
        policy_name: "worker-policy-default".into(),
        policy_version: "0.1.0".into(),
        policy_sha256: "ab".repeat(32),
        snapshot_path: "cluster.json".into(),
        snapshot_sha256: "0123456789abcdef".repeat(4),
        summary: vec!["replicas per node min 3 max 3".into()],
        command: "worker-policy evaluate --snapshot cluster.json --emit restatectl".into(),
    }
}

/// Writes, replays and compares; checks that every partition whose holders changed is frozen by
/// the script (or keeps the freeze it had). Two refusals are accepted, after checking their
/// claims: a plan whose leader an affinity of the snapshot makes unreachable, and a short set
/// that drops a node of a reconfiguration in flight (Restate may complete it first).
pub(super) fn check_round_trip(
    snapshot: &Snapshot,
    rounds: &[Plan],
    last: &Snapshot,
) -> Result<String, ScriptError> {
    let script = match restatectl_script(&header(), snapshot, rounds) {
        Err(error @ ScriptError::AffinityElectsOther { .. }) => {
            check_affinity_claim(snapshot, &error);
            return Err(error);
        }
        Err(
            error @ ScriptError::Unsatisfied {
                in_flight: true, ..
            },
        ) => {
            check_in_flight_claim(snapshot, &error);
            return Err(error);
        }
        written => written.expect("a safe script"),
    };
    let replayed = replay(&script, snapshot).unwrap_or_else(|e| panic!("{e}\n{script}"));
    same_placement(&replayed.snapshot, last).unwrap_or_else(|e| panic!("{e}\n{script}"));
    for (before, after) in snapshot
        .partitions
        .iter()
        .zip(&replayed.snapshot.partitions)
    {
        if before.holders() != after.holders() {
            let ours = header().freeze_reason();
            let expected = before.freeze.as_deref().unwrap_or(&ours);
            assert_eq!(
                after.freeze.as_deref(),
                Some(expected),
                "partition {}",
                after.id
            );
        }
    }
    Ok(script)
}

/// The refused partition has a pending `next` on that node, alive and not disabled.
fn check_in_flight_claim(snapshot: &Snapshot, error: &ScriptError) {
    let ScriptError::Unsatisfied {
        partition, dropped, ..
    } = error
    else {
        unreachable!("only short sets are checked here");
    };
    let p = snapshot.partition(*partition).expect("the partition");
    assert!(p.pending_next().any(|n| n == *dropped), "{error}");
    let node = snapshot.node(*dropped).expect("a node");
    assert!(node.serves_replicas(), "{error}");
}

/// The refused partition has that affinity in the snapshot, it points to the node named as
/// elected, an alive node, and not to the plan's leader.
fn check_affinity_claim(snapshot: &Snapshot, error: &ScriptError) {
    let ScriptError::AffinityElectsOther {
        partition,
        plan,
        elected,
        affinity,
        ..
    } = error
    else {
        unreachable!("only affinity refusals are checked here");
    };
    let p = snapshot.partition(*partition).expect("the partition");
    assert_eq!(p.leader_affinity.as_ref(), Some(affinity), "{error}");
    let node = |id| snapshot.node(id).expect("a node");
    assert!(
        affinity.matches(node(*elected)) && node(*elected).alive,
        "{error}"
    );
    assert!(!affinity.matches(node(*plan)), "{error}");
}

#[test]
fn generated_clusters_replay_to_what_their_plans_do() {
    let (mut checked, mut with_moves, mut refused) = (0, 0, 0);
    for seed in 0..300 {
        let oddities = match seed % 3 {
            0 => Oddities::default(),
            1 => Oddities::default().with_controls(),
            _ => Oddities {
                freezes: true,
                leader_affinities: true,
                ..Oddities::default()
            },
        };
        let cluster = RandomCluster::new(seed, oddities);
        let Some((rounds, last)) = simulate(&cluster.snapshot, cluster.max_moves) else {
            continue;
        };
        match check_round_trip(&cluster.snapshot, &rounds, &last) {
            Ok(script) => {
                checked += 1;
                with_moves += usize::from(script.contains("placement set"));
            }
            Err(_) => refused += 1,
        }
    }
    assert!(
        checked > 150 && with_moves > 100 && refused < checked / 10,
        "{checked} {with_moves} {refused}"
    );
}

pub(crate) fn shape(zones: Vec<u32>, replication: &str) -> ClusterShape {
    ClusterShape {
        placed: true,
        ..ClusterShape::new(zones, 24, Replication::parse(replication).unwrap())
    }
}

#[test]
fn drains_additions_budgets_and_next_sets_replay_to_what_their_plans_do() {
    let draining = generate(&ClusterShape {
        draining: 1,
        ..shape(vec![2, 2, 2], "{zone: 3, node: 3}")
    });
    let mut grown = generate(&shape(vec![3, 3, 3], "3"));
    grown.nodes.push(Node::worker(10, "r1.z1"));
    let mut pending = generate(&shape(vec![2, 2, 2], "{zone: 3, node: 3}"));
    worker_policy_model::generate::add_next_sets(
        &mut pending,
        &mut worker_policy_model::generate::SplitMix64::new(7),
        2,
    );
    pending.partitions[1].leader_affinity = Some(LeaderAffinity::Node(3));
    for (snapshot, max_moves) in [
        (&draining, None),
        (&grown, None),
        (&grown, Some(2)),
        (&pending, Some(3)),
    ] {
        let (rounds, last) = simulate(snapshot, max_moves).expect("a plan");
        assert!(!rounds.is_empty());
        check_round_trip(snapshot, &rounds, &last).unwrap();
    }
}

/// Nodes 1..=5 in zones a, a, b, b, c; partition 0 on N1, N3 led by N1, under `replication`.
pub(super) fn small(replication: &str) -> Snapshot {
    let zones = ["eu.a", "eu.a", "eu.b", "eu.b", "eu.c"];
    Snapshot {
        replication: Replication::parse(replication).unwrap(),
        nodes: (1..=5)
            .map(|id| Node::worker(id, zones[id as usize - 1]))
            .collect(),
        partitions: vec![Partition::placed(0, &[1, 3], Some(1))],
    }
}

/// The command lines of `script` (not the helpers' own).
pub(super) fn commands(script: &str) -> Vec<&str> {
    let prefixes = [
        "restatectl ",
        "wait_caught_up ",
        "wait_leader ",
        "await_restart ",
    ];
    script
        .lines()
        .filter(|l| prefixes.iter().any(|p| l.starts_with(p)))
        .collect()
}

pub(super) fn step(op: StepOp, node: u32, reason: &str) -> Step {
    Step::new(op, 0, node, reason)
}

#[test]
fn a_set_grows_with_the_leader_last_and_shrinks_with_the_plans_leader_last() {
    let snapshot = small("{zone: 2, node: 2}");
    let plan = Plan {
        transitions: vec![],
        steps: vec![
            step(StepOp::RemoveReplica, 1, "leave N1"),
            step(StepOp::SetLeader, 5, "lead on N5"),
            step(StepOp::AddReplica, 5, "move to N5"),
        ],
    };
    let script = restatectl_script(&header(), &snapshot, &[plan]).unwrap();
    assert_eq!(
        commands(&script),
        vec![
            "restatectl partitions placement set 0 --replicas 3,5,1 --freeze 'worker-policy plan 0123456789ab'",
            "wait_caught_up 0 5",
            "restatectl partitions placement set 0 --replicas 3,5 --freeze 'worker-policy plan 0123456789ab'",
            "wait_leader 0 5",
        ]
    );
    assert!(script
        .contains("# add-replica partition 0 on N5: move to N5\n# N1 is last: it keeps leading"));
    assert!(script.contains("# ---- hand back to Restate"));
    assert!(script.contains("\n# restatectl partitions placement unfreeze 0\n"));
    assert!(
        !script.contains("restatectl partitions leadership"),
        "{script}"
    );
    assert!(script.contains("zone or region property"));
    assert!(script.contains(Block::Helpers.text()));
    assert!(!script.contains(Block::Restart.text()));
}

#[test]
fn force_is_written_exactly_where_restate_needs_it_with_why_it_is_safe() {
    let mut snapshot = small("2");
    snapshot.nodes[1].worker_state = WorkerState::Draining;
    snapshot.nodes[3].worker_state = WorkerState::Provisioning;
    let transition = |node, from, to| Transition {
        node,
        from,
        to,
        reason: format!("N{node} to {to}"),
    };
    let plan = Plan {
        transitions: vec![
            transition(2, WorkerState::Draining, WorkerState::Disabled),
            transition(4, WorkerState::Provisioning, WorkerState::Active),
            transition(5, WorkerState::Active, WorkerState::Draining),
        ],
        steps: vec![],
    };
    let script = restatectl_script(&header(), &snapshot, &[plan]).unwrap();
    assert_eq!(
        commands(&script),
        vec![
            "restatectl nodes set-worker-state --nodes 4 --worker-state active",
            "restatectl nodes set-worker-state --nodes 5 --worker-state draining",
            "restatectl nodes set-worker-state --nodes 2 --worker-state disabled --force",
        ]
    );
    assert!(script.contains("It is safe: after the lines above, N2 holds no replica"));
}

#[test]
fn a_node_draining_in_the_snapshot_is_confirmed_draining_after_the_moves() {
    let mut snapshot = small("2");
    snapshot.nodes[0].worker_state = WorkerState::Draining;
    let plan = Plan {
        transitions: vec![],
        steps: vec![
            step(StepOp::AddReplica, 2, "replace N1"),
            step(StepOp::SetLeader, 3, "lead off N1"),
            step(StepOp::RemoveReplica, 1, "N1 drains"),
        ],
    };
    let script = restatectl_script(&header(), &snapshot, &[plan]).unwrap();
    let commands = commands(&script);
    assert_eq!(commands.len(), 5, "{script}");
    assert_eq!(commands[3], "wait_leader 0 3");
    assert_eq!(
        commands[4],
        "restatectl nodes set-worker-state --nodes 1 --worker-state draining"
    );
    assert!(script.contains("# The plan was made with N1 draining."));
}

#[test]
fn a_set_that_breaks_the_property_or_a_node_still_in_use_is_refused() {
    let snapshot = small("{zone: 2, node: 2}");
    let shrink = Plan {
        transitions: vec![],
        steps: vec![step(StepOp::RemoveReplica, 1, "too few")],
    };
    let error = restatectl_script(&header(), &snapshot, &[shrink]).unwrap_err();
    assert_eq!(error.rule(), "every-set-satisfies-replication", "{error}");
    let same_zone = Plan {
        transitions: vec![],
        steps: vec![
            step(StepOp::AddReplica, 2, "same zone"),
            step(StepOp::RemoveReplica, 3, "leaves zone b"),
        ],
    };
    let error = restatectl_script(&header(), &snapshot, &[same_zone]).unwrap_err();
    assert!(
        matches!(error, ScriptError::Unsatisfied { partition: 0, .. }),
        "{error}"
    );
    let disable = Plan {
        transitions: vec![Transition {
            node: 3,
            from: WorkerState::Active,
            to: WorkerState::Disabled,
            reason: "gone".into(),
        }],
        steps: vec![],
    };
    let error = restatectl_script(&header(), &snapshot, &[disable]).unwrap_err();
    assert_eq!(error.rule(), "disable-only-when-empty", "{error}");
    let lead_off = Plan {
        transitions: vec![],
        steps: vec![step(StepOp::SetLeader, 4, "not a replica")],
    };
    let error = restatectl_script(&header(), &snapshot, &[lead_off]).unwrap_err();
    assert!(
        matches!(
            error,
            ScriptError::Refused {
                refusal: Refusal::NotElected { node: 4, .. },
                ..
            }
        ),
        "{error}"
    );
}

#[test]
fn an_empty_plan_is_a_header_that_says_nothing_to_do() {
    let script = restatectl_script(&header(), &small("2"), &[]).unwrap();
    assert!(script.starts_with("#!/usr/bin/env bash\n# A worker-policy plan"));
    assert!(script.contains("set -euo pipefail\n"));
    assert!(script.ends_with("\n# nothing to do\n"), "{script}");
    assert_eq!(replay(&script, &small("2")).unwrap().commands, 0);
}

#[test]
fn hostile_names_and_reasons_stay_inside_comments_and_quotes() {
    let hostile = "x'\n$(rm -rf /)\r`reboot` \"; echo pwned\u{1b}[2J";
    let snapshot = small("2");
    let header = ScriptHeader {
        policy_name: hostile.into(),
        snapshot_path: hostile.into(),
        snapshot_sha256: format!("ab\n{hostile}"),
        command: hostile.into(),
        summary: vec![hostile.into()],
        ..header()
    };
    let plan = Plan {
        transitions: vec![],
        steps: vec![
            step(StepOp::AddReplica, 2, hostile),
            step(StepOp::RemoveReplica, 1, hostile),
        ],
    };
    let script = restatectl_script(&header, &snapshot, &[plan]).unwrap();
    let replayed = replay(&script, &snapshot).unwrap();
    assert_eq!(replayed.commands, 4);
    assert_eq!(
        replayed.snapshot.partitions[0].freeze.as_deref(),
        Some(header.freeze_reason().as_str())
    );
    let commands = commands(&script);
    for line in script.lines() {
        assert!(
            line.is_empty()
                || line.starts_with('#')
                || commands.contains(&line)
                || Block::Helpers.text().contains(line)
                || line == "set -euo pipefail",
            "{line}"
        );
        assert!(!line.chars().any(char::is_control), "{line:?}");
        if line.contains("rm -rf") && !line.starts_with('#') {
            // Only the freeze reason, quoted, and read back whole above.
            assert!(
                line.starts_with("restatectl partitions placement set 0"),
                "{line}"
            );
        }
    }
}

#[test]
fn replay_refuses_what_a_script_of_ours_never_has() {
    let snapshot = small("2");
    let error = |script: &str| replay(script, &snapshot).unwrap_err();
    let helpers = Block::Helpers.text();
    assert_eq!(error("# fine\n\nrm -rf /\n").line, 3);
    let set = "restatectl partitions placement set 0 --replicas 1,9 --freeze x\n";
    assert_eq!(error(set).problem, ReplayProblem::Undefined);
    assert!(matches!(
        error(&format!("{helpers}{set}")).problem,
        ReplayProblem::Refused(Refusal::UnknownNode(9))
    ));
    assert!(matches!(
        error("echo $(id)\n").problem,
        ReplayProblem::Shell(_)
    ));
    let tampered = helpers.replace("sleep", "rm -rf /; sleep");
    assert_eq!(error(&tampered).problem, ReplayProblem::Function);
    assert_eq!(
        error(&format!("{helpers}{helpers}")).problem,
        ReplayProblem::Function
    );
    let restart = format!("{helpers}await_restart 1/1 1\n");
    assert_eq!(error(&restart).problem, ReplayProblem::Undefined);
    let defined = format!("{helpers}{}await_restart 1/1 1\n", Block::Restart.text());
    assert_eq!(replay(&defined, &snapshot).unwrap().commands, 1);
}
