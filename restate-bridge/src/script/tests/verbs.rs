//! The scripts of `decommission` and `rollout`, on the host's own plans: replayed, each ends
//! where its plan does; a rollout stops once per wave at its restart point, which is refused
//! when it would restart a leader or take down a majority of a partition's replicas.

use worker_policy::decommission::{decommission as plan_decommission, DecommissionRequest};
use worker_policy::rollout::{rollout as plan_rollout, RolloutRequest};
use worker_policy::NativePolicy;
use worker_policy_model::generate::{generate, ClusterShape};
use worker_policy_model::{Partition, Replication, Snapshot, StepOp};

use super::{commands, header, small, step};
use crate::script::*;

const DEFAULT: NativePolicy = NativePolicy {
    validate_transition: worker_policy_default::validate_transition,
    reconcile: worker_policy_default::reconcile,
    place: worker_policy_default::place,
    rebalance: worker_policy_default::rebalance,
};

fn cluster() -> Snapshot {
    generate(&ClusterShape {
        placed: true,
        ..ClusterShape::new(
            vec![2, 2, 2],
            18,
            Replication::parse("{zone: 3, node: 3}").unwrap(),
        )
    })
}

#[test]
fn a_decommission_is_one_script_of_its_waves_that_ends_with_the_nodes_disabled() {
    let snapshot = cluster();
    let request = DecommissionRequest {
        nodes: vec![1, 3],
        max_draining: 1,
        max_moves: None,
        max_rounds: 30,
    };
    let done = plan_decommission(&DEFAULT, &snapshot, &request).unwrap();
    assert!(done.is_complete());
    let waves: Vec<DecommissionWave> = done
        .waves
        .iter()
        .map(|w| DecommissionWave {
            nodes: w.nodes.clone(),
            drains: w.drains.clone(),
            rounds: w.rounds.clone(),
            disables: w.disables.clone(),
        })
        .collect();
    let text = script(&header(), &snapshot, &decommission_parts(&waves)).unwrap();
    let replayed = replay(&text, &snapshot).unwrap_or_else(|e| panic!("{e}\n{text}"));
    same_placement(&replayed.snapshot, &done.last).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert!(
        text.contains("# ---- wave 2 of 2 (N3), round 1 of "),
        "{text}"
    );
    let lines = commands(&text);
    let last_two = &lines[lines.len() - 2..];
    assert!(
        last_two[0]
            .starts_with("restatectl nodes set-worker-state --nodes 3 --worker-state draining")
            || last_two[0].starts_with("wait_leader"),
        "{text}"
    );
    assert_eq!(
        last_two[1],
        "restatectl nodes set-worker-state --nodes 3 --worker-state disabled --force"
    );
    assert!(!text.contains("await_restart"));
}

#[test]
fn a_rollout_moves_leaders_off_by_order_stops_once_per_wave_and_moves_them_back() {
    let snapshot = cluster();
    let request = RolloutRequest {
        nodes: None,
        max_unavailable: 2,
    };
    let plan = plan_rollout(&snapshot, &request).unwrap();
    let waves: Vec<RolloutWave> = plan
        .waves
        .iter()
        .map(|w| RolloutWave {
            nodes: w.nodes.clone(),
            before: w.leader_moves.iter().map(|m| m.step.clone()).collect(),
            back: w.leaders_back.clone(),
        })
        .collect();
    let text = script(&header(), &snapshot, &rollout_parts(&waves)).unwrap();
    let replayed = replay(&text, &snapshot).unwrap_or_else(|e| panic!("{e}\n{text}"));
    same_placement(&replayed.snapshot, &plan.last).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let restarts: Vec<&str> = commands(&text)
        .into_iter()
        .filter(|l| l.starts_with("await_restart "))
        .collect();
    assert_eq!(restarts.len(), plan.waves.len(), "{text}");
    for (i, wave) in plan.waves.iter().enumerate() {
        let nodes: Vec<String> = wave.nodes.iter().map(u32::to_string).collect();
        let line = format!(
            "await_restart {}/{} {}",
            i + 1,
            plan.waves.len(),
            nodes.join(" ")
        );
        assert_eq!(restarts[i], line);
        // Replayed up to its restart point, no node of the wave leads anything.
        let upto = &text[..text.find(&format!("\n{line}\n")).unwrap()];
        let at_restart = replay(upto, &snapshot).unwrap().snapshot;
        assert!(
            at_restart
                .partitions
                .iter()
                .all(|p| p.leader.is_none_or(|l| !wave.nodes.contains(&l))),
            "wave {}\n{text}",
            i + 1
        );
    }
    assert!(text.contains(Block::Restart.text()));
    assert!(text.contains("# restarts: 3\n"), "{text}");
    assert!(!text.contains("restatectl partitions leadership"));
}

#[test]
fn a_restart_point_that_restarts_a_leader_or_a_majority_is_refused() {
    let snapshot = small("2");
    let restart = |nodes: Vec<u32>| {
        let wave = RolloutWave {
            nodes,
            before: vec![],
            back: vec![],
        };
        script(&header(), &snapshot, &rollout_parts(&[wave]))
    };
    let error = restart(vec![1]).unwrap_err();
    assert!(
        matches!(
            error,
            ScriptError::RestartsALeader {
                partition: 0,
                node: 1,
                ..
            }
        ),
        "{error}"
    );
    let mut three = small("3");
    three.partitions[0] = Partition::placed(0, &[1, 3, 5], Some(1));
    let wave = RolloutWave {
        nodes: vec![3, 5],
        before: vec![],
        back: vec![],
    };
    let error = script(&header(), &three, &rollout_parts(&[wave])).unwrap_err();
    assert_eq!(error.rule(), "restart-keeps-a-serving-majority");
    assert!(
        error
            .to_string()
            .contains("restarting N3, N5 would leave 1 of its 3 replica(s) serving"),
        "{error}"
    );
    // Moving the leader off first makes a restart of N1 alone safe.
    let moved = RolloutWave {
        nodes: vec![1],
        before: vec![step(StepOp::SetLeader, 3, "off N1")],
        back: vec![step(StepOp::SetLeader, 1, "back on N1")],
    };
    let text = script(&header(), &three, &rollout_parts(&[moved])).unwrap();
    assert_eq!(
        commands(&text),
        vec![
            "restatectl partitions placement set 0 --replicas 1,5,3 --freeze 'worker-policy plan 0123456789ab'",
            "wait_leader 0 3",
            "await_restart 1/1 1",
            "wait_caught_up 0 1",
            "restatectl partitions placement set 0 --replicas 3,5,1 --freeze 'worker-policy plan 0123456789ab'",
            "wait_leader 0 1",
        ]
    );
}
