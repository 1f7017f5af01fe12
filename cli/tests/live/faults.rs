//! Faults while worker-policy drives a live cluster: a Restate node killed in the middle of an
//! apply and started again; the controller killed in the middle of a step and started again; a
//! node paused (SIGSTOP) past the grace period, then resumed; the admin node the controller
//! talks to stopped while an operator drains a node; an operator's drain during an apply.
//!
//! After each, checked: a watcher beside the scenario never saw a partition served by fewer
//! replicas than `{zone: 2}` needs ([`Watch`]); no command was issued twice; the policy has
//! nothing left to do on the cluster once the fault is gone; one controller holds the lease.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::apply::{
    assert_converged, assert_once, commands_of, execute_args, lines, run_watched, worker_policy,
};
use crate::controller::{decision, lease_holder, Controller};
use crate::live::{assert_left, held_by, Live};
use crate::watch::Watch;

/// The replicas `{zone: 2}` needs.
const NEED: usize = 2;
/// How long a killed node stays down before it is started again.
const DOWN: Duration = Duration::from_secs(3);
/// How long a node may take to be seen alive or dead.
const LIVENESS_BOUND: Duration = Duration::from_secs(90);

/// `apply --execute --drain N4`; at the first command of a step that grows a partition's set,
/// the node joining it is killed (SIGKILL) and started again 3 s later. apply rides it out, or
/// stops naming the step the node's absence outlasted and, run again, goes on from the cluster.
pub fn restate_node_killed_mid_apply(live: &mut Live) {
    live.settle();
    let watch = Watch::start(live.cluster.admin_ctl(), NEED);
    let args = execute_args(live);
    let mut steps: Vec<Value> = Vec::new();
    let mut killed: Option<u32> = None;
    let start = Instant::now();
    let (mut events, status) = run_watched(worker_policy(live, &args), &mut |event, _| {
        if event["event"] == "planned" {
            steps = event["steps"].as_array().cloned().unwrap_or_default();
        }
        if event["event"] != "command" || killed.is_some() {
            return;
        }
        let Some(node) = joining(&steps, &event["step"]) else {
            return;
        };
        watch.fault(node);
        live.cluster.kill_node(node).expect("the node is killed");
        println!(
            "    N{node} killed at step {}'s first command",
            event["step"]
        );
        std::thread::sleep(DOWN);
        live.cluster
            .restart_node(node)
            .expect("the node starts again");
        killed = Some(node);
    });
    assert!(
        killed.is_some(),
        "no step grew a partition's set:\n{}",
        lines(&events)
    );
    if status != Some(0) {
        assert_eq!(
            status,
            Some(5),
            "apply neither rode out the killed node nor stopped naming a step:\n{}",
            lines(&events)
        );
        println!(
            "    apply stopped: {}",
            events.last().unwrap_or(&Value::Null)
        );
        let (again, status) = run_watched(worker_policy(live, &args), &mut |_, _| {});
        assert_converged(status, &again);
        events.extend(again);
    }
    live.time(
        "apply --execute with a Restate node killed and restarted",
        start.elapsed(),
    );
    assert_once(commands_of(&events));
    let after = live.assert_policy_done("faults-killed.json", "after apply rode out a killed node");
    assert_left(&after, 4, "after apply");
    watch.assert_served(NEED);
}

/// The node step `number` of the planned `steps` adds to a partition's set, if it adds one.
fn joining(steps: &[Value], number: &Value) -> Option<u32> {
    let step = steps.iter().find(|s| &s["number"] == number)?;
    let change = &step["change"];
    if change["kind"] != "partition" {
        return None;
    }
    let nodes = |shape: &Value| -> BTreeSet<u64> {
        shape["replicas"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_u64)
            .collect()
    };
    let added = &nodes(&change["after"]) - &nodes(&change["before"]);
    added.first().and_then(|&n| u32::try_from(n).ok())
}

/// A controller killed (SIGKILL) at its first command after the operator takes N4 back into
/// service, then started again under the same name: it takes its own lease back at once and
/// finishes what the policy wants, without issuing any command a second time.
pub fn controller_killed_mid_step(live: &mut Live) {
    live.settle();
    let watch = Watch::start(live.cluster.admin_ctl(), NEED);
    let mut first = Controller::start_settled(live, "ctl-k");
    let from = first.count();
    live.operator(&[
        "nodes",
        "set-worker-state",
        "--nodes",
        "4",
        "--worker-state",
        "active",
    ]);
    first.wait_line("a step's first command", from, |v| v["event"] == "command");
    first.kill();
    let mut issued = first.commands();
    println!("    ctl-k killed after issuing: {}", issued.join("; "));
    let start = Instant::now();
    let mut second = Controller::start(live, "ctl-k");
    let acted = second.wait_line("a decision that applied steps", 0, decision("applied"));
    second.wait_line(
        "a look with nothing to do",
        acted,
        decision("nothing-to-do"),
    );
    live.time(
        "control started again until nothing is left to do",
        start.elapsed(),
    );
    issued.extend(second.commands());
    assert_once(issued);
    assert_eq!(lease_holder(live), "ctl-k", "the lease holder");
    let after = live.assert_policy_done(
        "faults-controller.json",
        "after the controller was started again",
    );
    assert!(
        !held_by(&after, 4).is_empty(),
        "N4, back in service, was given no replica"
    );
    assert_eq!(second.terminate(), Some(0), "{}", second.log());
    watch.assert_served(NEED);
}

/// N6 paused (SIGSTOP) while a controller runs: the controller waits out the grace period,
/// moves N6's data, and once N6 is resumed (SIGCONT) and alive again, plans with it again.
pub fn node_paused_past_grace(live: &mut Live) {
    let watch = Watch::start(live.cluster.admin_ctl(), NEED);
    let mut ctl = Controller::start_settled(live, "ctl-p");
    let from = ctl.count();
    watch.fault(6);
    live.cluster.pause_node(6).expect("N6 is paused");
    let start = Instant::now();
    let waited = ctl.wait_line("a wait for paused N6's grace period", from, |v| {
        v["outcome"] == "waiting" && v["why"].as_str().is_some_and(|w| w.contains("N6"))
    });
    let past = ctl.wait_line("a decision past N6's grace period", waited, |v| {
        v["event"] == "decision" && v["outcome"] != "waiting"
    });
    ctl.wait_line(
        "a look with nothing to do while N6 is paused",
        past,
        decision("nothing-to-do"),
    );
    live.time(
        "control: N6 paused until its data is moved",
        start.elapsed(),
    );
    let paused = live.import("faults-paused.json", &["--own-freezes"]);
    let held = held_by(&paused, 6);
    assert!(held.is_empty(), "the paused N6 still holds {held:?}");
    live.cluster.resume_node(6).expect("N6 is resumed");
    let start = Instant::now();
    live.cluster
        .wait_state(&[6], "alive", LIVENESS_BOUND)
        .expect("N6 is alive again");
    settle_controller(&mut ctl, "N6 is alive again");
    live.time(
        "control: N6 resumed until nothing is left to do",
        start.elapsed(),
    );
    println!("    {}", ctl.timings());
    live.assert_policy_done("faults-resumed.json", "after N6 was resumed");
    assert_eq!(ctl.terminate(), Some(0), "{}", ctl.log());
    watch.assert_served(NEED);
}

/// N1, the first address the controller was given and an admin node, stopped while the
/// controller runs; an operator drains N5 meanwhile. The controller goes on through the next
/// address: it drains N5 to disabled, and plans with N1 again once it is back.
pub fn admin_node_stopped(live: &mut Live) {
    let watch = Watch::start(live.cluster.admin_ctl(), NEED);
    let mut ctl = Controller::start_settled(live, "ctl-s");
    watch.fault(1);
    live.cluster.stop_node(1).expect("N1 stops");
    let start = Instant::now();
    live.operator(&[
        "nodes",
        "set-worker-state",
        "--nodes",
        "5",
        "--worker-state",
        "draining",
    ]);
    settle_controller(&mut ctl, "N1 stopped and N5 drained");
    live.time(
        "control: N1 stopped and N5 drained until nothing is left to do",
        start.elapsed(),
    );
    let failed = ctl.count_of(|v| v["event"] == "look-failed");
    println!("    {failed} look(s) failed at the stopped N1 before the next address answered");
    let drained = live.import("faults-admin.json", &["--own-freezes"]);
    assert_left(
        &drained,
        5,
        "after the controller drained it with N1 stopped",
    );
    live.cluster.restart_node(1).expect("N1 starts again");
    live.cluster
        .wait_state(&[1], "alive", LIVENESS_BOUND)
        .expect("N1 is alive again");
    settle_controller(&mut ctl, "N1 is back");
    live.assert_policy_done("faults-admin-back.json", "after N1 came back");
    assert_eq!(ctl.terminate(), Some(0), "{}", ctl.log());
    watch.assert_served(NEED);
}

/// `apply --execute --drain N4`, and an operator's `set-worker-state draining` of N6 once the
/// first step is done: apply finishes the step in flight, plans again from the cluster (N6
/// draining, as the operator left it) and carries both drains through to disabled, never
/// writing over what the operator or Restate's scheduler (which moves N6's unfrozen partitions
/// itself) did meanwhile.
pub fn operator_drain_during_apply(live: &mut Live) {
    live.settle();
    let watch = Watch::start(live.cluster.admin_ctl(), NEED);
    let args = execute_args(live);
    let mut drained = false;
    let start = Instant::now();
    let (events, status) = run_watched(worker_policy(live, &args), &mut |event, _| {
        if event["event"] == "step-done" && !drained {
            live.operator(&[
                "nodes",
                "set-worker-state",
                "--nodes",
                "6",
                "--worker-state",
                "draining",
            ]);
            drained = true;
        }
    });
    live.time(
        "apply --execute with an operator's drain of N6 during it",
        start.elapsed(),
    );
    assert_converged(status, &events);
    assert!(drained, "no step was done:\n{}", lines(&events));
    let replanned = events
        .iter()
        .filter(|e| e["event"] == "planning-again")
        .count();
    assert!(
        replanned > 0,
        "apply did not plan again after the operator's drain:\n{}",
        lines(&events)
    );
    assert_once(commands_of(&events));
    let after = live.assert_policy_done(
        "faults-operator-drain.json",
        "after apply carried the operator's drain through",
    );
    assert_left(&after, 4, "after apply --drain N4");
    assert_left(&after, 6, "after the operator drained it during apply");
    watch.assert_served(NEED);
}

/// Waits until `ctl` logs a look with nothing to do that started after this call (`what` says
/// after what): a look already under way may have seen the cluster from before.
fn settle_controller(ctl: &mut Controller, what: &str) {
    let look = ctl.last_look();
    ctl.wait_line(
        &format!("a look with nothing to do after {what}"),
        0,
        move |v| decision("nothing-to-do")(v) && v["look"].as_u64().is_some_and(|l| l > look + 1),
    );
}
