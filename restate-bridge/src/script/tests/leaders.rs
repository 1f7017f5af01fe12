//! Leaders by the order of the sets: what each set lists last, what Restate elects (affinities
//! included), and that a script that would end with another leader is caught.

use worker_policy_model::{LeaderAffinity, Partition, Plan, Step, StepOp};

use super::{commands, header, small, step};
use crate::script::*;

fn leader_only(node: u32) -> Plan {
    Plan {
        transitions: vec![],
        steps: vec![step(StepOp::SetLeader, node, "balance")],
    }
}

const FREEZE: &str = "--freeze 'worker-policy plan 0123456789ab'";

#[test]
fn a_leader_move_alone_is_the_same_set_reordered_with_the_new_leader_last() {
    let snapshot = small("2");
    let script = restatectl_script(&header(), &snapshot, &[leader_only(3)]).unwrap();
    assert_eq!(
        commands(&script),
        vec![
            format!("restatectl partitions placement set 0 --replicas 1,3 {FREEZE}"),
            "wait_leader 0 3".to_string(),
        ]
    );
    let replayed = replay(&script, &snapshot).unwrap();
    assert_eq!(replayed.snapshot.partitions[0].leader, Some(3));
    assert_eq!(replayed.snapshot.partitions[0].leader_affinity, None);
    assert!(script.contains("# restatectl partitions placement unfreeze 0\n"));
}

#[test]
fn a_partition_without_a_leader_grows_with_the_plans_leader_last_when_it_is_a_replica() {
    let mut snapshot = small("2");
    snapshot.partitions[0].leader = None;
    let plan = Plan {
        transitions: vec![],
        steps: vec![
            step(StepOp::AddReplica, 5, "grow"),
            step(StepOp::SetLeader, 1, "lead"),
        ],
    };
    let script = restatectl_script(&header(), &snapshot, &[plan]).unwrap();
    assert_eq!(
        commands(&script),
        vec![
            format!("restatectl partitions placement set 0 --replicas 3,5,1 {FREEZE}"),
            "wait_caught_up 0 5".to_string(),
            "wait_leader 0 1".to_string(),
        ]
    );
}

#[test]
fn an_affinity_to_another_alive_member_refuses_the_plan_naming_both_leaders() {
    let mut snapshot = small("2");
    snapshot.partitions[0].leader_affinity = Some(LeaderAffinity::Node(1));
    let error = restatectl_script(&header(), &snapshot, &[leader_only(3)]).unwrap_err();
    assert_eq!(
        error,
        ScriptError::AffinityElectsOther {
            part: "round 1 of 1".into(),
            partition: 0,
            plan: 3,
            elected: 1,
            affinity: LeaderAffinity::Node(1),
        }
    );
    assert_eq!(error.rule(), "restate-elects-the-plans-leader");
    assert!(
        error.to_string().starts_with(
            "round 1 of 1, partition 0: the plan's leader is N3, but Restate would elect N1"
        ),
        "{error}"
    );
    // The same plan under a location affinity both nodes of zone a match: N2 can lead.
    let mut zone_a = small("2");
    zone_a.partitions[0] = Partition {
        leader_affinity: Some(LeaderAffinity::Location("eu.a".into())),
        ..Partition::placed(0, &[1, 2, 3], Some(1))
    };
    let script = restatectl_script(&header(), &zone_a, &[leader_only(2)]).unwrap();
    assert!(script.contains("--replicas 1,3,2 "), "{script}");
    // An affinity to a dead member does not count: the order decides.
    let mut dead = small("2");
    dead.nodes[0].alive = false;
    dead.partitions[0].leader_affinity = Some(LeaderAffinity::Node(1));
    assert!(restatectl_script(&header(), &dead, &[leader_only(3)]).is_ok());
}

#[test]
fn a_hand_edited_set_whose_last_node_is_not_the_plans_leader_is_caught() {
    let snapshot = small("{zone: 2, node: 2}");
    let plan = Plan {
        transitions: vec![],
        steps: vec![
            step(StepOp::AddReplica, 5, "move to N5"),
            step(StepOp::SetLeader, 5, "lead on N5"),
            step(StepOp::RemoveReplica, 1, "leave N1"),
        ],
    };
    let mut applied = snapshot.clone();
    for s in &plan.steps {
        applied.partitions[0].apply(s.op, s.node);
    }
    let script = restatectl_script(&header(), &snapshot, std::slice::from_ref(&plan)).unwrap();
    same_placement(&replay(&script, &snapshot).unwrap().snapshot, &applied).unwrap();
    let edited = script.replace("--replicas 3,5 ", "--replicas 5,3 ");
    assert_ne!(edited, script);
    // The wait for the plan's leader is refused at its line: Restate elects N3 there.
    let error = replay(&edited, &snapshot).unwrap_err();
    assert_eq!(
        error.problem,
        ReplayProblem::Refused(Refusal::NotElected {
            partition: 0,
            node: 5,
            elected: Some(3)
        })
    );
    // Without that wait, the comparison with the plan names the partition and both leaders.
    let unwaited: String = edited
        .lines()
        .filter(|l| !l.starts_with("wait_leader "))
        .map(|l| format!("{l}\n"))
        .collect();
    let replayed = replay(&unwaited, &snapshot).unwrap();
    let difference = same_placement(&replayed.snapshot, &applied).unwrap_err();
    assert_eq!(
        difference.to_string(),
        "partition 0 is led by N3 after the script (Restate's election) and by N5 in the plan"
    );
}

#[test]
fn a_frozen_partitions_pending_next_is_kept_with_its_freeze_and_counts_as_serving() {
    let mut snapshot = small("{zone: 2, node: 2}");
    snapshot.partitions[0].next = Some(vec![5]);
    snapshot.partitions[0].freeze = Some("operator\nhold".into());
    let script = restatectl_script(&header(), &snapshot, &[leader_only(3)]).unwrap();
    assert_eq!(
        commands(&script)[0],
        "restatectl partitions placement set 0 --replicas 1,5,3 --freeze 'operator hold'"
    );
    assert!(!script.contains("placement unfreeze"), "{script}");
    assert!(script.contains("# Partitions 0 were frozen before this script"));
    let replayed = replay(&script, &snapshot).unwrap();
    assert_eq!(replayed.snapshot.partitions[0].holders(), [1, 3, 5].into());
    // A set that drops only a node the partition is moving to, and falls short, is refused:
    // Restate may have completed that `next` by then, and the node serves.
    let mut moving = small("{zone: 2, node: 2}");
    moving.partitions[0] = Partition {
        next: Some(vec![5]),
        ..Partition::placed(0, &[1, 2], Some(1))
    };
    let drop = Plan {
        transitions: vec![],
        steps: vec![Step::new(StepOp::RemoveReplica, 0, 5, "drop next")],
    };
    let error = restatectl_script(&header(), &moving, &[drop]).unwrap_err();
    assert_eq!(error.rule(), "every-set-satisfies-replication", "{error}");
}
